/**
 * The relay side of the handshake (spec `handshake`): a pure state machine, no I/O.
 *
 *   challenge()            → CHALLENGE (the challenge epoch's E_R and signature, and a fresh
 *                            nonce for this connection: handshake-epoch.ts)
 *   onHello(HELLO)         → the client's proven keys; every check of the spec's hello step,
 *                            each failing with HandshakeError HANDSHAKE_FAILED and a `reason`
 *                            for logs (the client only sees close code handshake_failed)
 *   welcome({ ... })       → WELCOME and the session keys
 *
 * Exactly one HELLO is accepted, within HANDSHAKE_TIMEOUT_MS of CHALLENGE. A replayed HELLO
 * fails on any other connection because the CHALLENGE's nonce, hence th0, differs (and E_R too
 * in another epoch). e_R is a key pair made inside the backend (`x25519Ephemeral`), shared by
 * the connections of one challenge epoch when the relay passes `epochs` (else made for this
 * handshake alone) and released when onHello ends; k_proof, k_welcome and the session secret
 * are erased when welcome ends (or on any failure).
 */
import {
  BYTE_RATE_PER_SECOND,
  FRAME_RATE_PER_SECOND,
  FrameKind,
  HANDSHAKE_TIMEOUT_MS,
  ID_SIZE,
  MAX_FRAME_SIZE,
  NONCE_SIZE,
  PROTOCOL_VERSION,
  decodeFrame,
  decodeHello,
  decodeHelloProof,
  decodeHelloStatics,
  deriveHelloBind,
  deriveHelloProof,
  deriveHelloStatics,
  deriveTranscriptChallenge,
  deriveTranscriptHello,
  deriveTranscriptWelcome,
  deriveWelcomeBind,
  deriveWelcomeKey,
  encodeWelcome,
  encodeWelcomeBody,
  helloProofAd,
  helloStaticsAd,
  HandshakeType,
  signatureMessageHello,
  signatureMessageWelcome,
  welcomeAd,
  type Hello,
} from '@parley/generated';
import { ed25519PointAcceptable } from '../crypto/_rules.ts';
import type { CryptoBackend } from '../crypto/index.ts';
import { H } from './_blake3.ts';
import { HandshakeError, isHandshakeError, type HandshakeFailReason } from './errors.ts';
import { buildFrame } from './frame.ts';
import { makeEpoch, type ChallengeEpoch, type ChallengeEpochs } from './handshake-epoch.ts';
import { defaults, deriveSessionKeys, erase, isHandshakeFrame, newEphemeral, type HandshakeOptions, type SessionKeys, type Transcript } from './handshake.ts';
import type { Identity } from './identity.ts';

export interface RelayHandshakeOptions extends HandshakeOptions {
  backend: CryptoBackend;
  /** The relay's own identity (R_x, R_ed and their secrets). */
  relay: Identity;
  /** Versions the relay offers (default [PROTOCOL_VERSION]); the same as `epochs` was given. */
  versions?: readonly number[];
  /**
   * The relay's challenge epochs (one E_R and CHALLENGE signature per CHALLENGE_EPOCH_MS).
   * Without them, or with injected `random` (vectors), this handshake makes an epoch of its own.
   */
  epochs?: ChallengeEpochs;
}

/** The limits a WELCOME announces (defaults: the spec's constants). */
export interface WelcomeLimits {
  maxFrameSize: number;
  frameRate: number;
  byteRate: number;
}

export const DEFAULT_WELCOME_LIMITS: Readonly<WelcomeLimits> = Object.freeze({
  maxFrameSize: MAX_FRAME_SIZE,
  frameRate: FRAME_RATE_PER_SECOND,
  byteRate: BYTE_RATE_PER_SECOND,
});

/** The client's keys, proven by HELLO. */
export interface HelloResult {
  clientX: Uint8Array;
  clientEd: Uint8Array;
  clientId: Uint8Array;
}

type State = 'start' | 'challenged' | 'busy' | 'hello-ok' | 'done' | 'failed';

function failed(reason: HandshakeFailReason, message: string, cause?: unknown): HandshakeError {
  return new HandshakeError('HANDSHAKE_FAILED', message, { reason, cause });
}

export class RelayHandshake {
  readonly #o: Required<HandshakeOptions> & RelayHandshakeOptions;
  readonly #versions: readonly number[];
  #state: State = 'start';
  #epoch: ChallengeEpoch | undefined;
  #challengeAt = 0;
  #version = 0;
  #kProof: Uint8Array | undefined;
  #client: HelloResult | undefined;
  readonly transcript: Transcript = {};

  readonly #injectedRandom: boolean;

  constructor(options: RelayHandshakeOptions) {
    this.#o = { ...options, ...defaults(options) };
    this.#versions = options.versions ?? [PROTOCOL_VERSION];
    this.#injectedRandom = options.random !== undefined;
  }

  /** When HELLO must have arrived (ms since the epoch); the relay closes with idle_timeout after it. */
  get deadline(): number {
    return this.#challengeAt + HANDSHAKE_TIMEOUT_MS;
  }

  /** The first message: CHALLENGE, the epoch's payload signed with R_ed, with this connection's nonce. */
  async challenge(): Promise<Uint8Array> {
    this.#enter('start');
    const { backend, relay, random, now } = this.#o;
    try {
      const epoch = await this.#takeEpoch();
      if (this.#state !== 'busy') {
        epoch.release(); // destroy() was called meanwhile
        throw failed('OUT_OF_ORDER', 'handshake abandoned during CHALLENGE');
      }
      this.#epoch = epoch;
      this.#challengeAt = now();
      // Per connection: the nonce makes this CHALLENGE, hence th0 and everything HELLO binds, unique.
      const nonce = random(NONCE_SIZE);
      const frame = buildFrame({ nonce, kind: FrameKind.handshake, payload: epoch.payload, sig: epoch.sig });
      this.transcript.th0 = deriveTranscriptChallenge(H, { frame });
      this.#state = 'challenged';
      return frame;
    } catch (e) {
      throw this.#fail(e);
    }
  }

  /** Checks HELLO (every check of the spec's hello step). Throws HandshakeError HANDSHAKE_FAILED. */
  async onHello(frameBytes: Uint8Array): Promise<HelloResult> {
    if (this.#state !== 'challenged') {
      const was = this.#state;
      throw this.#fail(failed('OUT_OF_ORDER', `HELLO in state ${was}: exactly one HELLO after CHALLENGE`));
    }
    this.#state = 'busy';
    try {
      if (this.#o.now() > this.deadline) throw failed('TIMEOUT', `HELLO later than ${HANDSHAKE_TIMEOUT_MS} ms after CHALLENGE`);
      const result = await this.#hello(frameBytes);
      this.#client = result;
      this.#state = 'hello-ok';
      return result;
    } catch (e) {
      throw this.#fail(isHandshakeError(e) ? e : failed('MALFORMED', 'HELLO rejected', e));
    } finally {
      this.#epoch?.release();
      this.#epoch = undefined;
    }
  }

  /** The last message: WELCOME with the limits and the mailbox count, and the session keys. */
  async welcome(args: { mailboxPending: number; limits?: Partial<WelcomeLimits> }): Promise<{ frame: Uint8Array; session: SessionKeys }> {
    this.#enter('hello-ok');
    const { backend, relay, random, now } = this.#o;
    const client = this.#client!;
    const th1 = this.transcript.th1!;
    const kProof = this.#kProof!;
    const limits = { ...DEFAULT_WELCOME_LIMITS, ...args.limits };
    const kWelcome = deriveWelcomeKey(H, { th1, kProof });
    const wBind = deriveWelcomeBind(H, { key: kWelcome });
    try {
      const nonce = random(NONCE_SIZE);
      const body = encodeWelcomeBody({ relayTime: now(), ...limits, mailboxPending: args.mailboxPending });
      const sealed = await backend.xchachaSeal(kWelcome, nonce, body, welcomeAd({ relayX: relay.x, clientX: client.clientX, th1 }));
      const payload = encodeWelcome({ type: HandshakeType.welcome, sealed });
      const message = signatureMessageWelcome(H, wBind, { relayX: relay.x, clientX: client.clientX, th1, nonce, payload });
      const sig = await backend.ed25519Sign(relay.edSeed, message);
      const frame = buildFrame({ nonce, kind: FrameKind.handshake, payload, sig });
      const th2 = deriveTranscriptWelcome(H, { previous: th1, frame });
      this.transcript.th2 = th2;
      const session = deriveSessionKeys(this.#version, { x: client.clientX, ed: client.clientEd }, relay, th2, kWelcome);
      this.#state = 'done';
      return { frame, session };
    } catch (e) {
      throw this.#fail(e);
    } finally {
      erase(kWelcome, wBind, kProof);
      this.#kProof = undefined;
    }
  }

  /** Abandons the handshake (timeout, closed socket): erases e_R and k_proof. */
  destroy(): void {
    this.#fail(undefined);
  }

  #enter(expected: State): void {
    if (this.#state !== expected) {
      const was = this.#state;
      throw this.#fail(failed('OUT_OF_ORDER', `handshake step out of order (state ${was})`));
    }
    this.#state = 'busy';
  }

  #fail(e: unknown): unknown {
    this.#state = 'failed';
    this.#epoch?.release();
    erase(this.#kProof);
    this.#epoch = undefined;
    this.#kProof = undefined;
    return e;
  }

  /** The relay's current epoch, or one for this handshake alone (e_R from injected `random` for vectors). */
  async #takeEpoch(): Promise<ChallengeEpoch> {
    const { backend, relay, random, now, epochs } = this.#o;
    if (epochs !== undefined && !this.#injectedRandom) return epochs.take();
    const eR = await newEphemeral(backend, this.#injectedRandom ? random : undefined);
    try {
      const at = now();
      const epoch = await makeEpoch(backend, relay, this.#versions, eR, at);
      epoch.take(at);
      epoch.retire(); // e_R goes when this handshake releases it
      return epoch;
    } catch (e) {
      eR.destroy();
      throw e;
    }
  }

  async #hello(frameBytes: Uint8Array): Promise<HelloResult> {
    const { backend, relay } = this.#o;
    const eR = this.#epoch!.eR;
    const th0 = this.transcript.th0!;
    // The frame decodes, kind is handshake, route is zero, type is hello.
    let hello: Hello;
    let frame;
    try {
      frame = decodeFrame(frameBytes);
      hello = decodeHello(frame.payload);
    } catch (cause) {
      throw failed('MALFORMED', 'HELLO does not decode', cause);
    }
    if (!isHandshakeFrame(frame)) throw failed('MALFORMED', 'not a handshake frame with a zero route');
    const clientEphemeral = hello.clientEphemeral;
    let dhEe, dhEs, dhSe, kStatics, hBind;
    try {
      // E_C is canonical and not of low order; statics opens.
      dhEe = await dhOr(eR.dh(clientEphemeral), 'BAD_EPHEMERAL', 'E_C');
      dhEs = await dhOr(backend.x25519(relay.xSecret, clientEphemeral), 'BAD_EPHEMERAL', 'E_C');
      kStatics = deriveHelloStatics(H, { th0, clientEphemeral, dhEe, dhEs });
      const staticsPlain = await openOr(backend, kStatics, frame.nonce, hello.statics, helloStaticsAd({ relayX: relay.x, th0, clientEphemeral }), 'STATICS');
      let statics;
      try {
        statics = decodeHelloStatics(staticsPlain);
      } catch (cause) {
        throw failed('MALFORMED', 'HELLO statics do not decode', cause);
      }
      // version offered; C_x canonical and not of low order; C_ed not of small order.
      if (!this.#versions.includes(statics.version)) throw failed('VERSION', `version ${statics.version} was not offered`);
      const { clientX, clientEd } = statics;
      dhSe = await dhOr(eR.dh(clientX), 'BAD_STATIC_KEY', 'C_x');
      if (!ed25519PointAcceptable(clientEd, 0)) throw failed('BAD_STATIC_KEY', 'C_ed is non-canonical or of small order');
      // proof opens: the client holds c_x.
      const kProof = deriveHelloProof(H, { kStatics, dhSe, clientX, clientEd });
      this.#kProof = kProof;
      const proofPlain = await openOr(backend, kProof, frame.nonce, hello.proof, helloProofAd({ relayX: relay.x, clientX, th0, clientEphemeral }), 'PROOF');
      try {
        decodeHelloProof(proofPlain); // client_time: logged by the caller if at all, never trusted
      } catch (cause) {
        throw failed('MALFORMED', 'HELLO proof does not decode', cause);
      }
      // The signature verifies with C_ed.
      hBind = deriveHelloBind(H, { key: kProof });
      const message = signatureMessageHello(H, hBind, { relayX: relay.x, clientX, th0, nonce: frame.nonce, payload: frame.payload });
      if (!(await backend.ed25519Verify(clientEd, message, frame.sig))) throw failed('SIGNATURE', 'HELLO does not verify with C_ed');
      this.transcript.th1 = deriveTranscriptHello(H, { previous: th0, frame: frameBytes });
      this.#version = statics.version;
      return { clientX: clientX.slice(), clientEd: clientEd.slice(), clientId: clientX.slice(0, ID_SIZE) };
    } finally {
      erase(dhEe, dhEs, dhSe, kStatics, hBind);
    }
  }
}

async function dhOr(dh: Promise<Uint8Array>, reason: HandshakeFailReason, what: string): Promise<Uint8Array> {
  try {
    return await dh;
  } catch (cause) {
    throw failed(reason, `${what} is non-canonical or of low order`, cause);
  }
}

async function openOr(
  backend: CryptoBackend,
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  ad: Uint8Array,
  reason: HandshakeFailReason,
): Promise<Uint8Array> {
  try {
    return await backend.xchachaOpen(key, nonce, ciphertext, ad);
  } catch (cause) {
    throw failed(reason, `HELLO ${reason.toLowerCase()} does not open`, cause);
  }
}
