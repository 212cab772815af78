/**
 * Misbehaving clients on raw WebSockets, run by the coordinator next to the load:
 *
 * - `flood`: connection after connection that sends something malformed (garbage instead of
 *   HELLO, a text message, a short frame, a frame of a kind not valid in a session, an oversized
 *   frame, a burst of garbage frames) or nothing at all; each must be closed by the relay with
 *   the spec's close code for it.
 * - `slowReader`: a session that stops reading (its socket paused) while another session sends
 *   it full-size frames; the relay must drop the reader (slow_reader) and not the sender.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import {
  BYTE_RATE_PER_SECOND,
  CloseCode,
  FrameKind,
  HANDSHAKE_TIMEOUT_MS,
  ID_SIZE,
  KIND_SIZE,
  MAX_FRAME_SIZE,
  MIN_FRAME_SIZE,
  NONCE_SIZE,
  ROUTE_SIZE,
} from '@parley/generated';
import type { CryptoBackend } from '@parley/runtime/crypto';
import { ClientHandshake, ClientSession, generateIdentity, type PublicKeys } from '@parley/runtime/protocol';

const KIND_OFFSET = ROUTE_SIZE + NONCE_SIZE;
/** A kind byte no version of the protocol uses (past every defined and reserved code). */
const BAD_KIND = 0xff;
/** The slow reader's sender uses this share of the spec's byte rate (the relay closes a sender over it). */
const SENDER_RATE_SHARE = 0.75;
const TICKS_PER_SECOND = 20;
/** Pause between malformed connections: each costs the relay a handshake, and the machine is shared. */
const FLOOD_GAP_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Raw {
  ws: WebSocket;
  closed: Promise<number>;
  session?: ClientSession;
  id?: Uint8Array;
}

/** Opens a socket; with `handshake`, completes the real client handshake first. */
async function open(url: string, relay: PublicKeys, backend: CryptoBackend, handshake: boolean): Promise<Raw> {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: MAX_FRAME_SIZE });
  ws.on('error', () => {});
  const closed = new Promise<number>((ok) => ws.on('close', (code) => ok(code)));
  const first = new Promise<Buffer>((ok, fail) => {
    ws.once('message', (d: Buffer) => ok(d));
    void closed.then((code) => fail(new Error(`closed ${code} before the challenge`)));
  });
  await new Promise<void>((ok, fail) => {
    ws.once('open', ok);
    ws.once('error', fail);
  });
  if (!handshake) {
    first.catch(() => {});
    return { ws, closed };
  }
  const identity = await generateIdentity(backend);
  const hs = new ClientHandshake({ backend, identity, relay });
  ws.send(await hs.onChallenge(new Uint8Array(await first)));
  const welcome = await new Promise<Buffer>((ok, fail) => {
    ws.once('message', (d: Buffer) => ok(d));
    void closed.then((code) => fail(new Error(`closed ${code} during the handshake`)));
  });
  const { session } = await hs.onWelcome(new Uint8Array(welcome));
  return { ws, closed, session: new ClientSession(backend, session, identity.edSeed), id: identity.id.slice(0, ID_SIZE) };
}

interface Variant {
  name: string;
  expect: number;
  handshake: boolean;
  act(c: Raw): void;
}

const garbage = (n: number, kind?: number): Uint8Array => {
  const b = new Uint8Array(randomBytes(n));
  if (kind !== undefined) b[KIND_OFFSET] = kind;
  return b;
};

const VARIANTS: Variant[] = [
  { name: 'garbage instead of HELLO', expect: CloseCode.handshakeFailed, handshake: false, act: (c) => c.ws.send(garbage(MIN_FRAME_SIZE + 64)) },
  { name: 'text message', expect: CloseCode.malformedFrame, handshake: true, act: (c) => c.ws.send('not a frame') },
  { name: 'frame shorter than MIN_FRAME_SIZE', expect: CloseCode.malformedFrame, handshake: true, act: (c) => c.ws.send(garbage(MIN_FRAME_SIZE - KIND_SIZE)) },
  { name: 'handshake kind in a session', expect: CloseCode.malformedFrame, handshake: true, act: (c) => c.ws.send(garbage(MIN_FRAME_SIZE, FrameKind.handshake)) },
  { name: 'frame larger than MAX_FRAME_SIZE', expect: CloseCode.tooLarge, handshake: true, act: (c) => c.ws.send(garbage(MAX_FRAME_SIZE + 1)) },
  {
    name: 'burst of garbage frames',
    expect: CloseCode.malformedFrame,
    handshake: true,
    act: (c) => {
      for (let i = 0; i < 64; i++) c.ws.send(garbage(MIN_FRAME_SIZE + i * 16, BAD_KIND));
    },
  },
];

export interface FloodResult {
  connections: number;
  /** variant → close code → count */
  closes: Record<string, Record<string, number>>;
  /** Connections the relay did not close as the spec says (wrong code, or not closed in time). */
  unexpected: number;
  /** Connections that failed before the malformed part (connect or handshake; a busy machine). */
  notEstablished: number;
}

/**
 * Opens malformed connections one after another until `until` (wall clock); with `silent`, one
 * more that sends nothing and must be closed with idle_timeout after HANDSHAKE_TIMEOUT_MS.
 */
export async function flood(url: string, relay: PublicKeys, backend: CryptoBackend, until: number, silent: boolean): Promise<FloodResult> {
  const res: FloodResult = { connections: 0, closes: {}, unexpected: 0, notEstablished: 0 };
  const note = (name: string, expect: number, code: number) => {
    const m = (res.closes[name] ??= {});
    m[String(code)] = (m[String(code)] ?? 0) + 1;
    if (code !== expect) res.unexpected++;
  };
  const timeout = (ms: number) => sleep(ms).then(() => -1);
  const quiet = silent
    ? open(url, relay, backend, false).then(async (c) => {
        res.connections++;
        note('nothing at all', CloseCode.idleTimeout, await Promise.race([c.closed, timeout(HANDSHAKE_TIMEOUT_MS * 2)]));
        c.ws.terminate();
      })
    : Promise.resolve();
  for (let i = 0; Date.now() < until; i++) {
    const v = VARIANTS[i % VARIANTS.length]!;
    try {
      const c = await open(url, relay, backend, v.handshake);
      res.connections++;
      v.act(c);
      note(v.name, v.expect, await Promise.race([c.closed, timeout(HANDSHAKE_TIMEOUT_MS)]));
      c.ws.terminate();
    } catch {
      res.notEstablished++;
    }
    await sleep(FLOOD_GAP_MS);
  }
  await quiet.catch(() => void res.notEstablished++);
  return res;
}

export interface SlowReaderResult {
  dropped: boolean;
  /** ms from the first frame until the relay counted the drop. */
  afterMs: number | null;
  bytesSent: number;
  /** The sender's session survived (the relay dropped only the reader). */
  senderOpen: boolean;
}

/**
 * Pauses one session's socket and sends it full-size peer frames from another session, paced
 * at SENDER_RATE_SHARE of the spec's byte rate, until `dropped()` says the relay counted a slow_reader drop or
 * `until` passes.
 */
export async function slowReader(
  url: string,
  relay: PublicKeys,
  backend: CryptoBackend,
  until: number,
  dropped: () => Promise<boolean>,
): Promise<SlowReaderResult> {
  const reader = await open(url, relay, backend, true);
  const sender = await open(url, relay, backend, true);
  (reader.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  const t0 = Date.now();
  let bytesSent = 0;
  let done = false;
  let afterMs: number | null = null;
  const perTick = Math.max(1, Math.floor((BYTE_RATE_PER_SECOND * SENDER_RATE_SHARE) / TICKS_PER_SECOND / MAX_FRAME_SIZE));
  const watch = (async () => {
    while (!done && Date.now() < until) {
      await sleep(250);
      if (await dropped().catch(() => false)) {
        afterMs = Date.now() - t0;
        done = true;
      }
    }
    done = true;
  })();
  while (!done && sender.ws.readyState === WebSocket.OPEN) {
    for (let i = 0; i < perTick; i++) {
      const f = new Uint8Array(MAX_FRAME_SIZE);
      f.set(reader.id!, 0);
      f[KIND_OFFSET] = FrameKind.peer;
      sender.ws.send(sender.session!.route(f, reader.id!));
      bytesSent += f.length;
    }
    await sleep(1000 / TICKS_PER_SECOND);
  }
  await watch;
  const senderOpen = sender.ws.readyState === WebSocket.OPEN;
  reader.ws.terminate();
  sender.ws.terminate();
  return { dropped: afterMs !== null, afterMs, bytesSent, senderOpen };
}
