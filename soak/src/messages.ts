/**
 * What the soak's clients send: texts and small files that carry their own sequence number, so a
 * receiver can check from its own record that each sender's messages arrive exactly once and in
 * order, and measure the end-to-end latency.
 *
 *   text:  "<seq> <from> <sentAtMs> xxxx…"   (ASCII, padded to the drawn size)
 *   file:  name "f<seq>-<from>-<sentAtMs>.bin", bytes a pattern of (seq, from, size)
 *
 * Sequences count per (sender, recipient) pair from 1, texts and files separately (the engine
 * sends file offers and chunks on its bulk queue, so a file may overtake or trail a text).
 */
import { FILE_CHUNK_SIZE, MAX_TEXT_BYTES } from '@parley/generated';

/** Largest text the soak sends: "a few KiB", an eighth of the spec's MAX_TEXT_BYTES. */
export const SOAK_MAX_TEXT_BYTES = MAX_TEXT_BYTES / 8;
/** Largest file the soak sends: two chunks, so multi-chunk transfers are exercised but stay cheap. */
export const SOAK_MAX_FILE_BYTES = 2 * FILE_CHUNK_SIZE;

/** mulberry32: a small seeded PRNG, so a run's plan can be repeated with `--seed`. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across local processes. */
export const clock = (): number => performance.timeOrigin + performance.now();

/** A text size in bytes: mostly short, a quarter medium, a few up to SOAK_MAX_TEXT_BYTES. */
export function drawTextSize(r: () => number): number {
  const u = r();
  if (u < 0.7) return 16 + Math.floor(r() * 240);
  if (u < 0.95) return 256 + Math.floor(r() * 1792);
  return 2048 + Math.floor(r() * (SOAK_MAX_TEXT_BYTES - 2048 + 1));
}

/** A file size in bytes, 1 to SOAK_MAX_FILE_BYTES. */
export function drawFileSize(r: () => number): number {
  return 1 + Math.floor(r() * SOAK_MAX_FILE_BYTES);
}

export interface Stamp {
  seq: number;
  from: number;
  sentAt: number;
}

export function makeText(s: Stamp, size: number): string {
  const head = `${s.seq} ${s.from} ${s.sentAt.toFixed(1)} `;
  return head + 'x'.repeat(Math.max(0, size - head.length));
}

export function parseText(text: string): Stamp | undefined {
  const m = /^(\d+) (\d+) (\d+(?:\.\d+)?) /.exec(text);
  return m ? { seq: Number(m[1]), from: Number(m[2]), sentAt: Number(m[3]) } : undefined;
}

export function fileName(s: Stamp): string {
  return `f${s.seq}-${s.from}-${s.sentAt.toFixed(1)}.bin`;
}

export function parseFileName(name: string): Stamp | undefined {
  const m = /^f(\d+)-(\d+)-(\d+(?:\.\d+)?)\.bin$/.exec(name);
  return m ? { seq: Number(m[1]), from: Number(m[2]), sentAt: Number(m[3]) } : undefined;
}

function patternByte(s: Pick<Stamp, 'seq' | 'from'>, size: number, i: number): number {
  return (s.seq * 31 + s.from * 17 + size * 13 + i * 7 + (i >>> 8)) & 0xff;
}

export function fileBytes(s: Pick<Stamp, 'seq' | 'from'>, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = patternByte(s, size, i);
  return out;
}

/** True if `bytes` are what fileBytes made for this stamp (the size travels as the length). */
export function checkFileBytes(s: Pick<Stamp, 'seq' | 'from'>, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== patternByte(s, bytes.length, i)) return false;
  return bytes.length > 0;
}
