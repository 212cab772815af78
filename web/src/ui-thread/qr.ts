/**
 * QR codes: invite links and safety codes are drawn from the `qr` encoder's module matrix, and
 * read from camera frames by the platform's BarcodeDetector where it reads QR codes, else by
 * the `qr` package's decoder (loaded only then).
 */
import encodeQR from 'qr';

/** The module matrix of `text` (medium error correction, a 2-module quiet zone). */
export function qrMatrix(text: string): boolean[][] {
  return encodeQR(text, 'raw', { ecc: 'medium', border: 2 });
}

/** The SVG path of a module matrix: one unit square per dark module. */
export function qrPath(matrix: boolean[][]): string {
  let d = '';
  matrix.forEach((row, y) => row.forEach((on, x) => on && (d += `M${x} ${y}h1v1h-1z`)));
  return d;
}

interface Detector {
  detect(source: CanvasImageSource): Promise<{ rawValue: string }[]>;
}
type DetectorCtor = { new (o: { formats: string[] }): Detector; getSupportedFormats?: () => Promise<string[]> };

/** A frame reader for a playing <video>: resolves with the text of a QR code in view, if any. */
export async function frameDecoder(): Promise<(video: HTMLVideoElement, canvas: HTMLCanvasElement) => Promise<string | undefined>> {
  const BD = (globalThis as { BarcodeDetector?: DetectorCtor }).BarcodeDetector;
  if (BD && (await BD.getSupportedFormats?.())?.includes('qr_code')) {
    const d = new BD({ formats: ['qr_code'] });
    return async (video) => (await d.detect(video))[0]?.rawValue;
  }
  const { default: decodeQR } = await import('qr/decode.js');
  return async (video, canvas) => {
    const w = video.videoWidth;
    const h = video.videoHeight;
    if (!w || !h) return undefined;
    canvas.width = w;
    canvas.height = h;
    const g = canvas.getContext('2d', { willReadFrequently: true });
    if (!g) return undefined;
    g.drawImage(video, 0, 0, w, h);
    try {
      return decodeQR(g.getImageData(0, 0, w, h));
    } catch {
      return undefined; // no code in this frame
    }
  };
}
