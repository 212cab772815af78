/**
 * Bench clients. `bareDialer`: the baseline's protocol (send the 8-byte id once, then frames
 * whose first 8 bytes name the recipient). `parleyDialer`: a real Parley client: handshake
 * with pinned relay keys, then frames with the route masked per direction and counter.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { ID_SIZE, MAX_FRAME_SIZE } from '@parley/generated';
import { pickBackend } from '@parley/runtime/crypto';
import { ClientHandshake, ClientSession, generateIdentity, type Identity } from '@parley/runtime/protocol';
import type { Dialer, Peer } from './load.ts';

interface Opened {
  ws: WebSocket;
  /** Sets the message handler; messages that came before it are replayed to it first. */
  onMessage(cb: (d: Buffer) => void): void;
}

/** Opens a socket; messages are buffered from the start (the relay speaks first). */
function open(url: string): Promise<Opened> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: MAX_FRAME_SIZE, skipUTF8Validation: true });
    let handler: ((d: Buffer) => void) | undefined;
    const early: Buffer[] = [];
    ws.on('message', (d: Buffer) => (handler ? handler(d) : early.push(d)));
    const onMessage = (cb: (d: Buffer) => void) => {
      handler = cb;
      for (const d of early.splice(0)) cb(d);
    };
    ws.once('open', () => ok({ ws, onMessage }));
    ws.once('error', fail);
  });
}

export function bareDialer(url: string, peerKind: number): Dialer {
  return {
    name: 'bare ws',
    peerKind,
    async session(): Promise<Peer> {
      const { ws } = await open(url);
      ws.on('error', () => {});
      return { id: Buffer.alloc(0), send: () => {}, onFrame: () => {}, close: () => ws.terminate() };
    },
    async connect(): Promise<Peer> {
      const { ws, onMessage } = await open(url);
      ws.on('error', () => {});
      const id = randomBytes(ID_SIZE);
      await new Promise<void>((ok) => {
        onMessage(() => ok()); // the echo: registered
        ws.send(id);
      });
      return {
        id,
        send: (f) => ws.send(f),
        onFrame: (cb) => onMessage(cb),
        close: () => ws.terminate(),
      };
    },
  };
}

/** A Parley client: full handshake with pinned keys, then peer frames routed by its session. */
export async function parleyDialer(url: string, relay: { x: Uint8Array; ed: Uint8Array }, peerKind: number): Promise<Dialer> {
  const backend = await pickBackend();
  // Identities are made ahead of time, so the sessions/s figure is the connection's cost only.
  // Every connect() uses a new identity (the same key pair twice would replace the first
  // connection); session() cycles through the pool (each session is closed before reuse).
  const pool = await Promise.all(Array.from({ length: 256 }, () => generateIdentity(backend)));
  let next = 0;
  let cycle = 0;
  const d: Dialer & { connectAs(identity?: Identity): Promise<Peer> } = {
    name: 'parley',
    peerKind,
    session: () => d.connectAs(pool[cycle++ % pool.length]),
    connect: () => d.connectAs(),
    async connectAs(given?: Identity): Promise<Peer> {
      const identity = given ?? (next < pool.length ? pool[next++]! : await generateIdentity(backend));
      const { ws, onMessage: setHandler } = await open(url);
      ws.on('error', () => {});
      const hs = new ClientHandshake({ backend, identity, relay });
      let frameHandler: ((d: Buffer) => void) | undefined;
      const session = await new Promise<ClientSession>((ok, fail) => {
        let step = 0;
        setHandler((d: Buffer) => {
          const f = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
          const s = step++;
          if (s === 0) hs.onChallenge(f).then((hello) => ws.send(hello), fail);
          else if (s === 1) hs.onWelcome(f).then(({ session: keys }) => ok(new ClientSession(backend, keys, identity.edSeed)), fail);
          else if (frameHandler !== undefined) frameHandler(d);
        });
        ws.once('close', (code) => fail(new Error(`closed ${code} during the handshake`)));
      });
      const id = Buffer.from(identity.id);
      return {
        id,
        send: (f) => ws.send(session.route(f, f.subarray(0, ID_SIZE))),
        // Receivers in the bench read only the kind byte and the timestamp: no unmask needed.
        onFrame: (cb) => {
          frameHandler = cb;
        },
        close: () => ws.terminate(),
      };
    },
  };
  return d;
}
