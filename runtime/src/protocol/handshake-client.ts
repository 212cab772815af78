/**
 * The client side of the handshake (spec `handshake`, spec/DESIGN.md "The handshake"): a
 * pure state machine, no I/O. The client pins the relay's keys R_x and R_ed.
 *
 *   onChallenge(CHALLENGE) → HELLO      checks: handshake frame, zero route, type challenge
 *                                       (UNEXPECTED_MESSAGE); signature with the pinned R_ed
 *                                       (BAD_RELAY); a common version (VERSION_MISMATCH)
 *   onWelcome(WELCOME) → session keys   checks: handshake frame, type welcome
 *                                       (UNEXPECTED_MESSAGE); signature with R_ed and the sealed
 *                                       body opening (BAD_RELAY, key confirmation)
 *
 * Ephemeral secrets and intermediate keys are erased as soon as they are no longer needed.
 * Any failure ends the handshake: every later call throws UNEXPECTED_MESSAGE.
 */
import {
  FrameKind,
  HandshakeType,
  NONCE_SIZE,
  PROTOCOL_VERSION,
  decodeChallenge,
  decodeFrame,
  decodeWelcome,
  decodeWelcomeBody,
  deriveChallengeBind,
  deriveHelloBind,
  deriveHelloProof,
  deriveHelloStatics,
  deriveTranscriptChallenge,
  deriveTranscriptHello,
  deriveTranscriptWelcome,
  deriveWelcomeBind,
  deriveWelcomeKey,
  encodeHello,
  encodeHelloProof,
  encodeHelloStatics,
  helloProofAd,
  helloStaticsAd,
  signatureMessageChallenge,
  signatureMessageHello,
  signatureMessageWelcome,
  welcomeAd,
  type Frame,
  type WelcomeBody,
} from '@parley/generated';
import type { CryptoBackend } from '../crypto/index.ts';
import { H } from './_blake3.ts';
import { HandshakeError } from './errors.ts';
import { buildFrame } from './frame.ts';
import { defaults, deriveSessionKeys, erase, isHandshakeFrame, newEphemeral, type HandshakeOptions, type SessionKeys, type Transcript } from './handshake.ts';
import type { Identity, PublicKeys } from './identity.ts';

export interface ClientHandshakeOptions extends HandshakeOptions {
  backend: CryptoBackend;
  identity: Identity;
  /** The relay's pinned public keys. */
  relay: PublicKeys;
  /** Versions this client speaks (default [PROTOCOL_VERSION]); it picks the highest common one. */
  versions?: readonly number[];
}

type State = 'start' | 'busy' | 'hello-sent' | 'done' | 'failed';

export class ClientHandshake {
  readonly #o: Required<HandshakeOptions> & ClientHandshakeOptions;
  readonly #versions: readonly number[];
  #state: State = 'start';
  #version = 0;
  #kProof: Uint8Array | undefined;
  readonly transcript: Transcript = {};

  readonly #injectedRandom: boolean;

  constructor(options: ClientHandshakeOptions) {
    this.#o = { ...options, ...defaults(options) };
    this.#versions = options.versions ?? [PROTOCOL_VERSION];
    this.#injectedRandom = options.random !== undefined;
  }

  get state(): 'start' | 'hello-sent' | 'done' | 'failed' {
    return this.#state === 'busy' ? 'start' : this.#state;
  }

  /** Checks CHALLENGE and answers with the HELLO frame. */
  async onChallenge(frameBytes: Uint8Array): Promise<Uint8Array> {
    this.#enter('start');
    try {
      const hello = await this.#challenge(frameBytes);
      this.#state = 'hello-sent';
      return hello;
    } catch (e) {
      throw this.#fail(e);
    }
  }

  /** Checks WELCOME and returns the session keys and the welcome body (limits, mailbox). */
  async onWelcome(frameBytes: Uint8Array): Promise<{ session: SessionKeys; welcome: WelcomeBody }> {
    this.#enter('hello-sent');
    try {
      const result = await this.#welcome(frameBytes);
      this.#state = 'done';
      return result;
    } catch (e) {
      throw this.#fail(e);
    }
  }

  /** Abandons the handshake (timeout, closed socket): erases k_proof. */
  destroy(): void {
    this.#fail(undefined);
  }

  #enter(expected: State): void {
    if (this.#state !== expected) {
      const was = this.#state;
      this.#fail(undefined);
      throw new HandshakeError('UNEXPECTED_MESSAGE', `handshake message out of order (state ${was})`);
    }
    this.#state = 'busy';
  }

  #fail(e: unknown): unknown {
    this.#state = 'failed';
    erase(this.#kProof);
    this.#kProof = undefined;
    return e;
  }

  async #challenge(frameBytes: Uint8Array): Promise<Uint8Array> {
    const { backend, identity, relay, random, now } = this.#o;
    const frame = decodeHandshake(frameBytes);
    let challenge;
    try {
      challenge = decodeChallenge(frame.payload);
    } catch (cause) {
      throw new HandshakeError('UNEXPECTED_MESSAGE', 'expected CHALLENGE', { cause });
    }
    // signature with the pinned relay keys, over the challenge epoch's payload (the nonce is
    // per connection and unsigned: it reaches every later key and signature through th0)
    const bind = deriveChallengeBind(H, { relayX: relay.x, relayEd: relay.ed });
    const message = signatureMessageChallenge(H, bind, { relayX: relay.x, payload: frame.payload });
    if (!(await backend.ed25519Verify(relay.ed, message, frame.sig))) {
      throw new HandshakeError('BAD_RELAY', 'CHALLENGE does not verify with the pinned relay key');
    }
    // the highest common version
    const common = this.#versions.filter((v) => challenge.versions.includes(v));
    if (common.length === 0) {
      throw new HandshakeError('VERSION_MISMATCH', `relay speaks ${challenge.versions.join(', ')}; client speaks ${this.#versions.join(', ')}`);
    }
    this.#version = Math.max(...common);
    const th0 = deriveTranscriptChallenge(H, { frame: frameBytes });
    this.transcript.th0 = th0;

    // e_C from the injected `random` (vectors; drawn before the nonce), else generated inside the backend.
    const eC = await newEphemeral(backend, this.#injectedRandom ? random : undefined);
    let dhEe, dhEs, dhSe, kStatics, hBind;
    try {
      const nonce = random(NONCE_SIZE);
      const clientEphemeral = eC.publicKey;
      dhEe = await relayDh(eC.dh(challenge.relayEphemeral), 'E_R');
      dhEs = await relayDh(eC.dh(relay.x), 'R_x');
      kStatics = deriveHelloStatics(H, { th0, clientEphemeral, dhEe, dhEs });
      const statics = await backend.xchachaSeal(
        kStatics,
        nonce,
        encodeHelloStatics({ version: this.#version, clientX: identity.x, clientEd: identity.ed }),
        helloStaticsAd({ relayX: relay.x, th0, clientEphemeral }),
      );
      dhSe = await relayDh(backend.x25519(identity.xSecret, challenge.relayEphemeral), 'E_R');
      const kProof = deriveHelloProof(H, { kStatics, dhSe, clientX: identity.x, clientEd: identity.ed });
      this.#kProof = kProof;
      const proof = await backend.xchachaSeal(
        kProof,
        nonce,
        encodeHelloProof({ clientTime: now() }),
        helloProofAd({ relayX: relay.x, clientX: identity.x, th0, clientEphemeral }),
      );
      const payload = encodeHello({ type: HandshakeType.hello, clientEphemeral, statics, proof });
      hBind = deriveHelloBind(H, { key: kProof });
      const sigMessage = signatureMessageHello(H, hBind, { relayX: relay.x, clientX: identity.x, th0, nonce, payload });
      const sig = await backend.ed25519Sign(identity.edSeed, sigMessage);
      const hello = buildFrame({ nonce, kind: FrameKind.handshake, payload, sig });
      this.transcript.th1 = deriveTranscriptHello(H, { previous: th0, frame: hello });
      return hello;
    } finally {
      eC.destroy();
      erase(dhEe, dhEs, dhSe, kStatics, hBind);
    }
  }

  async #welcome(frameBytes: Uint8Array): Promise<{ session: SessionKeys; welcome: WelcomeBody }> {
    const { backend, identity, relay } = this.#o;
    const frame = decodeHandshake(frameBytes);
    let welcome;
    try {
      welcome = decodeWelcome(frame.payload);
    } catch (cause) {
      throw new HandshakeError('UNEXPECTED_MESSAGE', 'expected WELCOME', { cause });
    }
    const th1 = this.transcript.th1!;
    const kProof = this.#kProof!;
    const kWelcome = deriveWelcomeKey(H, { th1, kProof });
    const wBind = deriveWelcomeBind(H, { key: kWelcome });
    try {
      const message = signatureMessageWelcome(H, wBind, { relayX: relay.x, clientX: identity.x, th1, nonce: frame.nonce, payload: frame.payload });
      if (!(await backend.ed25519Verify(relay.ed, message, frame.sig))) {
        throw new HandshakeError('BAD_RELAY', 'WELCOME does not verify with the pinned relay key');
      }
      let body: WelcomeBody;
      try {
        const plain = await backend.xchachaOpen(kWelcome, frame.nonce, welcome.sealed, welcomeAd({ relayX: relay.x, clientX: identity.x, th1 }));
        body = decodeWelcomeBody(plain);
      } catch (cause) {
        throw new HandshakeError('BAD_RELAY', 'WELCOME does not open (key confirmation failed)', { cause });
      }
      const th2 = deriveTranscriptWelcome(H, { previous: th1, frame: frameBytes });
      this.transcript.th2 = th2;
      const session = deriveSessionKeys(this.#version, identity, relay, th2, kWelcome);
      return { session, welcome: body };
    } finally {
      erase(kWelcome, wBind, kProof);
      this.#kProof = undefined;
    }
  }
}

/** Decodes a frame that must be a handshake frame with a zero route (UNEXPECTED_MESSAGE). */
function decodeHandshake(frameBytes: Uint8Array): Frame {
  let frame: Frame;
  try {
    frame = decodeFrame(frameBytes);
  } catch (cause) {
    throw new HandshakeError('UNEXPECTED_MESSAGE', 'the frame does not decode', { cause });
  }
  if (!isHandshakeFrame(frame)) throw new HandshakeError('UNEXPECTED_MESSAGE', 'not a handshake frame with a zero route');
  return frame;
}

/** X25519 with a key the relay supplied or the client pinned: a rejected key is BAD_RELAY. */
async function relayDh(dh: Promise<Uint8Array>, what: string): Promise<Uint8Array> {
  try {
    return await dh;
  } catch (cause) {
    throw new HandshakeError('BAD_RELAY', `the relay's ${what} is rejected`, { cause });
  }
}
