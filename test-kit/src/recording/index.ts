/**
 * A real relay (in this process, 127.0.0.1, port 0) whose session layer is wrapped so that a test
 * sees every frame the relay forwarded, as the relay held it, before it goes on. Security tests
 * prove their properties on these frames (what an attacker on the relay holds), not on what the
 * clients say about themselves. The observer may also change the frame in place (a relay that
 * alters a frame in flight).
 */
import { SEED_SIZE } from '@parley/generated';
import { createRelayCrypto, startRelay, type HandshakePort, type RelayCrypto, type RunningRelay, type SessionPort } from '@parley/relay';
import { randomBytes } from '@parley/runtime/crypto';

/**
 * Called for each frame the relay forwards, before it is delivered: `frame` is the relay's own
 * buffer (a change to it reaches the recipient), `senderId` the authenticated sender's id.
 */
export type ForwardObserver = (frame: Uint8Array, senderId: Uint8Array) => void;

function observedSession(s: SessionPort, observe: ForwardObserver): SessionPort {
  return {
    unmaskIncoming: (frame) => s.unmaskIncoming(frame),
    deliver(frame, senderId) {
      observe(frame, senderId);
      s.deliver(frame, senderId);
    },
    openControl: (frame, counter) => s.openControl(frame, counter),
    sealControl: (msg) => s.sealControl(msg),
    destroy: () => s.destroy(),
  };
}

/** `inner` with every session it welcomes reporting its forwarded frames to `observe`. */
function observedRelayCrypto(inner: RelayCrypto, observe: ForwardObserver): RelayCrypto {
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
          return { frame: w.frame, session: observedSession(w.session, observe) };
        },
        destroy: () => h.destroy(),
      };
    },
  };
}

/** A started relay with a fresh identity that reports every forwarded frame to `observe` (close it with `close()`). */
export async function observedRelay(observe: ForwardObserver): Promise<RunningRelay> {
  const crypto = observedRelayCrypto(await createRelayCrypto(randomBytes(SEED_SIZE)), observe);
  return startRelay({ port: 0, host: '127.0.0.1', logLevel: 'silent', crypto, limits: { shutdownRetryAfterMs: 0 } });
}
