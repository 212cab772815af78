/**
 * The real relay (in this process, 127.0.0.1, port 0) with its session layer wrapped so a test
 * sees every frame the relay forwarded, as the relay held it. Tests prove properties on these
 * frames (what left each wschat), not on what the processes say about themselves.
 */
import { SEED_SIZE, decodeFrame } from '@parley/generated';
import { createRelayCrypto, startRelay, type HandshakePort, type RelayCrypto, type RunningRelay, type SessionPort } from '@parley/relay';
import { randomBytes } from '@parley/runtime/crypto';

export interface Forwarded {
  kind: number;
  frame: Uint8Array;
}

function wrapSession(s: SessionPort, into: Forwarded[]): SessionPort {
  return {
    unmaskIncoming: (frame) => s.unmaskIncoming(frame),
    deliver(frame, senderId) {
      const copy = frame.slice();
      into.push({ kind: decodeFrame(copy).kind, frame: copy });
      s.deliver(frame, senderId);
    },
    openControl: (frame, counter) => s.openControl(frame, counter),
    sealControl: (msg) => s.sealControl(msg),
    destroy: () => s.destroy(),
  };
}

function wrap(inner: RelayCrypto, into: Forwarded[]): RelayCrypto {
  return {
    publicX: inner.publicX,
    publicEd: inner.publicEd,
    newHandshake(): HandshakePort {
      const h = inner.newHandshake();
      return {
        challenge: (now) => h.challenge(now),
        hello: (frame) => h.hello(frame),
        async welcome(info) {
          const w = await h.welcome(info);
          return { frame: w.frame, session: wrapSession(w.session, into) };
        },
        destroy: () => h.destroy(),
      };
    },
  };
}

/** A relay that records every frame it forwards (close it with `relay.close()`). */
export async function recordingRelay(): Promise<{ relay: RunningRelay; forwarded: Forwarded[] }> {
  const forwarded: Forwarded[] = [];
  const crypto = wrap(await createRelayCrypto(randomBytes(SEED_SIZE)), forwarded);
  const relay = await startRelay({ port: 0, host: '127.0.0.1', logLevel: 'silent', crypto, limits: { shutdownRetryAfterMs: 0 } });
  return { relay, forwarded };
}
