/**
 * The MIME type of a file to send when `--mime` is not given: first from its leading bytes
 * ("magic numbers", which a misnamed file cannot fake away), then from its name's extension,
 * else none (the receiver offers it as a plain download). Without a type the web app cannot
 * show a picture inline, so a photo sent from wschat would arrive as a file link.
 *
 * Signatures from the formats' own specifications: PNG (RFC 2083 §3.1), JPEG (JFIF SOI marker),
 * GIF87a/89a, WebP and WAV (RIFF containers), PDF (ISO 32000 §7.5.2), ZIP (APPNOTE 4.3.7),
 * ISO BMFF brands for AVIF/HEIC/MP4 (ISO/IEC 14496-12 §4.3), Ogg (RFC 3533 §6), MP3 ID3v2, BMP.
 */

type Sniffer = { mime: string; test: (b: Uint8Array) => boolean };

const ascii = (b: Uint8Array, at: number, s: string): boolean => {
  if (b.length < at + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
};
const bytesAt = (b: Uint8Array, at: number, sig: readonly number[]): boolean => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);

/** Ordered: the first match wins. */
const SNIFFERS: readonly Sniffer[] = [
  { mime: 'image/png', test: (b) => bytesAt(b, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { mime: 'image/jpeg', test: (b) => bytesAt(b, 0, [0xff, 0xd8, 0xff]) },
  { mime: 'image/gif', test: (b) => ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a') },
  { mime: 'image/webp', test: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP') },
  { mime: 'image/avif', test: (b) => ascii(b, 4, 'ftyp') && (ascii(b, 8, 'avif') || ascii(b, 8, 'avis')) },
  { mime: 'image/heic', test: (b) => ascii(b, 4, 'ftyp') && (ascii(b, 8, 'heic') || ascii(b, 8, 'heix') || ascii(b, 8, 'mif1')) },
  // BMP: "BM", then the file size, then four reserved bytes that are zero
  { mime: 'image/bmp', test: (b) => ascii(b, 0, 'BM') && bytesAt(b, 6, [0, 0, 0, 0]) },
  { mime: 'application/pdf', test: (b) => ascii(b, 0, '%PDF-') },
  { mime: 'audio/wav', test: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE') },
  { mime: 'audio/ogg', test: (b) => ascii(b, 0, 'OggS') },
  { mime: 'audio/mpeg', test: (b) => ascii(b, 0, 'ID3') },
  { mime: 'video/mp4', test: (b) => ascii(b, 4, 'ftyp') },
  { mime: 'application/zip', test: (b) => bytesAt(b, 0, [0x50, 0x4b, 0x03, 0x04]) },
  { mime: 'application/gzip', test: (b) => bytesAt(b, 0, [0x1f, 0x8b]) },
];

/** By extension (lower case, without the dot), for formats without a reliable signature. */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', json: 'application/json', html: 'text/html', htm: 'text/html',
  svg: 'image/svg+xml', png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp',
  avif: 'image/avif', heic: 'image/heic', bmp: 'image/bmp', pdf: 'application/pdf', zip: 'application/zip', gz: 'application/gzip',
  mp3: 'audio/mpeg', ogg: 'audio/ogg', opus: 'audio/ogg', wav: 'audio/wav', mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime',
};

/** The MIME type of `bytes` named `name`: by content, then by extension; '' when neither says. */
export function detectMime(name: string, bytes: Uint8Array): string {
  const head = bytes.subarray(0, 32);
  const sniffed = SNIFFERS.find((s) => s.test(head));
  if (sniffed) return sniffed.mime;
  const dot = name.lastIndexOf('.');
  return dot > 0 ? (BY_EXTENSION[name.slice(dot + 1).toLowerCase()] ?? '') : '';
}
