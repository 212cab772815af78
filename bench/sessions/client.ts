/**
 * Parley clients for the sessions bench's load process: a WebSocket to the relay and the full
 * handshake (ClientHandshake with the pinned relay keys); `onClose` tells when the relay went.
 */
import WebSocket from 'ws';
import { MAX_FRAME_SIZE } from '@parley/generated';
import type { CryptoBackend } from '@parley/runtime/crypto';
import { ClientHandshake, type Identity } from '@parley/runtime/protocol';

/** Longest one handshake may take before it counts as failed (a loaded 2-core machine). */
const HANDSHAKE_TIMEOUT_MS = 30_000;

export interface Session {
  ws: WebSocket;
}

export function handshake(url: string, backend: CryptoBackend, identity: Identity, relay: { x: Uint8Array; ed: Uint8Array }): Promise<Session> {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: MAX_FRAME_SIZE, skipUTF8Validation: true });
    const hs = new ClientHandshake({ backend, identity, relay });
    const timer = setTimeout(() => {
      ws.terminate();
      fail(new Error('handshake timed out'));
    }, HANDSHAKE_TIMEOUT_MS);
    const done = (e?: Error) => {
      clearTimeout(timer);
      if (e) {
        ws.terminate();
        fail(e);
      } else ok({ ws });
    };
    let step = 0;
    ws.on('message', (d: Buffer) => {
      const f = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      const s = step++;
      if (s === 0) hs.onChallenge(f).then((hello) => ws.send(hello), done);
      else if (s === 1) hs.onWelcome(f).then(() => done(), done);
    });
    ws.on('error', (e) => done(e));
    ws.once('close', (code) => done(new Error(`closed ${code} during the handshake`)));
  });
}
