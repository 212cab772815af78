/**
 * Load generation for the relay bench, against any server through a `Dialer`: throughput
 * and latency between sender-receiver pairs, new sessions per second, idle connections.
 * Everything is bounded in count and time and talks to 127.0.0.1 only.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { KIND_SIZE, NONCE_SIZE, ROUTE_SIZE } from '@parley/generated';

/** One connected client. `send` takes a frame whose route holds the recipient id in clear. */
export interface Peer {
  readonly id: Buffer;
  send(frame: Buffer): void;
  onFrame(cb: (frame: Buffer) => void): void;
  close(): void;
}

export interface Dialer {
  readonly name: string;
  /** Opens a connection and completes whatever makes it usable (registration or handshake). */
  connect(): Promise<Peer>;
  /** One new session for the sessions/s figure: a bare connection, or an authenticated session. */
  session(): Promise<Peer>;
  /** The peer frame kind byte to put in frames. */
  readonly peerKind: number;
}

export const KIND_OFFSET = ROUTE_SIZE + NONCE_SIZE;
const STAMP_OFFSET = KIND_OFFSET + KIND_SIZE;

export interface ThroughputResult {
  framesPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connectAll(d: Dialer, n: number, concurrency = 32): Promise<Peer[]> {
  const peers: Peer[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        peers[i] = await d.connect();
      }
    }),
  );
  return peers;
}

/** Connected sender-receiver pairs, reused across measurements. */
export interface Pairs {
  measure(size: number, opts: { warmupMs: number; measureMs: number; window: number }): Promise<ThroughputResult>;
  close(): void;
}

/**
 * Connects `pairs` sender-receiver pairs. Each measurement has every sender keep up to
 * `window` frames of `size` bytes in flight to its own receiver; frames carry their send time.
 * It counts frames received during `measureMs` after `warmupMs`, and the latency of each, then
 * waits for the frames in flight to arrive so the next measurement starts clean.
 */
export async function openPairs(d: Dialer, pairs: number): Promise<Pairs> {
  const peers = await connectAll(d, pairs * 2);
  const maxSamples = 200_000;
  const lat = new Float64Array(maxSamples);
  let samples = 0;
  let received = 0;
  let measuring = false;
  let running = false;
  let inflightTotal = 0;
  let size = 0;
  let window = 0;
  const pumps: (() => void)[] = [];
  for (let p = 0; p < pairs; p++) {
    const sender = peers[2 * p]!;
    const receiver = peers[2 * p + 1]!;
    const nonce = randomBytes(NONCE_SIZE);
    let template = Buffer.alloc(0);
    let inflight = 0;
    const go = () => {
      if (template.length !== size) {
        template = Buffer.alloc(size);
        nonce.copy(template, ROUTE_SIZE);
        template[KIND_OFFSET] = d.peerKind;
      }
      while (running && inflight < window) {
        const f = Buffer.from(template);
        receiver.id.copy(f, 0);
        f.writeDoubleLE(performance.now(), STAMP_OFFSET);
        inflight++;
        inflightTotal++;
        sender.send(f);
      }
    };
    receiver.onFrame((f) => {
      if (f[KIND_OFFSET] !== d.peerKind) return;
      inflight--;
      inflightTotal--;
      if (measuring) {
        received++;
        if (samples < maxSamples) lat[samples++] = performance.now() - f.readDoubleLE(STAMP_OFFSET);
      }
      go();
    });
    pumps.push(go);
  }
  return {
    async measure(frameSize, opts) {
      size = frameSize;
      window = opts.window;
      samples = 0;
      received = 0;
      running = true;
      for (const go of pumps) go();
      await sleep(opts.warmupMs);
      measuring = true;
      const t0 = performance.now();
      await sleep(opts.measureMs);
      measuring = false;
      const elapsed = performance.now() - t0;
      running = false;
      for (let i = 0; i < 100 && inflightTotal > 0; i++) await sleep(20);
      const sorted = lat.slice(0, samples).sort();
      return { framesPerSec: (received / elapsed) * 1000, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
    },
    close() {
      for (const p of peers) p.close();
    },
  };
}

/** Opens and closes connections (`concurrency` at a time) for `durationMs`; returns per second. */
export async function sessionsPerSecond(d: Dialer, opts: { durationMs: number; concurrency: number }): Promise<number> {
  let done = 0;
  const t0 = performance.now();
  const deadline = t0 + opts.durationMs;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (performance.now() < deadline) {
        const p = await d.session();
        done++;
        p.close();
      }
    }),
  );
  return (done / (performance.now() - t0)) * 1000;
}

/** Opens `n` connections and keeps them; the caller measures and then closes them. */
export function holdIdle(d: Dialer, n: number): Promise<Peer[]> {
  return connectAll(d, n, 64);
}
