/**
 * Challenge epochs, relay side (spec `handshake` step challenge, CHALLENGE_EPOCH_MS;
 * spec/DESIGN.md "Relay sessions and handshake cost"). One epoch is an ephemeral key pair
 * e_R, E_R, the relay's clock when it began, the CHALLENGE payload and the one signature over
 * it; every connection opened within CHALLENGE_EPOCH_MS of its start shares them, so a new
 * session costs the relay no key generation and no signature for its CHALLENGE. Freshness per
 * connection comes from the CHALLENGE frame's own random nonce, which th0 (the hash of the
 * whole frame) carries into every key and signature of HELLO and WELCOME.
 *
 * e_R lives as long as a handshake may still use it: an epoch is retired CHALLENGE_EPOCH_MS
 * after it began (by a timer, so an idle relay does not keep it), destroyed when its last
 * handshake has released it, and at the latest HANDSHAKE_TIMEOUT_MS after its last CHALLENGE
 * (a HELLO after that fails the relay's timeout check anyway).
 */
import {
  CHALLENGE_EPOCH_MS,
  HANDSHAKE_TIMEOUT_MS,
  HandshakeType,
  PROTOCOL_VERSION,
  deriveChallengeBind,
  encodeChallenge,
  signatureMessageChallenge,
} from '@parley/generated';
import type { CryptoBackend, X25519Ephemeral } from '../crypto/index.ts';
import { H } from './_blake3.ts';
import { newEphemeral } from './handshake.ts';
import type { Identity } from './identity.ts';

/** One challenge epoch. `take()` by each handshake that sends its CHALLENGE, `release()` once. */
export class ChallengeEpoch {
  #users = 0;
  #retired = false;
  #destroyed = false;
  /** When the last CHALLENGE of this epoch was built (ms): e_R is needed until this + HANDSHAKE_TIMEOUT_MS. */
  #lastUse: number;

  constructor(
    /** e_R: the epoch's ephemeral key pair (its secret stays in the backend). */
    readonly eR: X25519Ephemeral,
    /** relay_time of the CHALLENGE: the relay's clock when the epoch began. */
    readonly startedAt: number,
    /** The CHALLENGE payload (versions, E_R, relay_time). */
    readonly payload: Uint8Array,
    /** The relay's signature over challenge_signed (the payload, not a nonce). */
    readonly sig: Uint8Array,
  ) {
    this.#lastUse = startedAt;
  }

  /** A handshake uses this epoch for its CHALLENGE at `now`. */
  take(now: number): void {
    if (this.#destroyed) throw new Error('challenge epoch already erased');
    this.#users++;
    if (now > this.#lastUse) this.#lastUse = now;
  }

  /** The handshake no longer needs e_R (HELLO verified, failed or abandoned). */
  release(): void {
    if (this.#users > 0) this.#users--;
    if (this.#retired && this.#users === 0) this.erase();
  }

  /** A newer epoch exists: e_R goes once no handshake holds it. */
  retire(): void {
    this.#retired = true;
    if (this.#users === 0) this.erase();
  }

  /** Destroys e_R now (whoever still holds the epoch fails its HELLO). */
  erase(): void {
    this.#destroyed = true;
    this.eR.destroy();
  }

  /** True once no HELLO for this epoch can be accepted any more (its users only wait for the timeout). */
  expired(now: number): boolean {
    return now > this.#lastUse + HANDSHAKE_TIMEOUT_MS;
  }
}

export interface ChallengeEpochsOptions {
  backend: CryptoBackend;
  /** The relay's identity (R_x, R_ed and their secrets). */
  relay: Identity;
  /** Versions the relay offers (default [PROTOCOL_VERSION]). */
  versions?: readonly number[];
  /** Clock, ms since the Unix epoch (default Date.now). */
  now?: () => number;
  /** How long one epoch serves new connections (default CHALLENGE_EPOCH_MS; tests shorten it, never above the spec's). */
  epochMs?: number;
}

/** The relay's current challenge epoch, made afresh every CHALLENGE_EPOCH_MS (on demand: none while idle). */
export class ChallengeEpochs {
  readonly #o: ChallengeEpochsOptions;
  readonly #now: () => number;
  readonly #epochMs: number;
  #current: ChallengeEpoch | undefined;
  #pending: Promise<ChallengeEpoch> | undefined;
  /** Retired epochs still held by a handshake, dropped at their expiry at the latest. */
  #retired: ChallengeEpoch[] = [];
  #closed = false;

  constructor(options: ChallengeEpochsOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#epochMs = Math.min(options.epochMs ?? CHALLENGE_EPOCH_MS, CHALLENGE_EPOCH_MS);
  }

  /** The epoch for a CHALLENGE built now (taken: the caller must `release()` it). */
  async take(): Promise<ChallengeEpoch> {
    const now = this.#now();
    const cur = this.#current;
    let epoch: ChallengeEpoch;
    if (cur !== undefined && now - cur.startedAt < this.#epochMs && now >= cur.startedAt) epoch = cur;
    else epoch = await (this.#pending ??= this.#next(now));
    epoch.take(this.#now());
    return epoch;
  }

  /** Erases every epoch's e_R (relay shutdown); later `take()` calls fail. */
  destroy(): void {
    this.#closed = true;
    this.#current?.erase();
    this.#current = undefined;
    for (const e of this.#retired) e.erase();
    this.#retired = [];
  }

  #retire(epoch: ChallengeEpoch): void {
    epoch.retire();
    this.#retired.push(epoch);
    // Erased by HANDSHAKE_TIMEOUT_MS after its last CHALLENGE whoever still holds it (held by
    // a handshake nobody destroyed); the sweep in #next catches it earlier under load.
    unrefd(setTimeout(() => {
      const i = this.#retired.indexOf(epoch);
      if (i >= 0) this.#retired.splice(i, 1);
      epoch.erase();
    }, HANDSHAKE_TIMEOUT_MS + 1));
  }

  async #next(now: number): Promise<ChallengeEpoch> {
    try {
      if (this.#closed) throw new Error('challenge epochs destroyed');
      const { backend, relay } = this.#o;
      const eR = await newEphemeral(backend, undefined);
      let epoch: ChallengeEpoch;
      try {
        epoch = await makeEpoch(backend, relay, this.#o.versions ?? [PROTOCOL_VERSION], eR, now);
      } catch (e) {
        eR.destroy();
        throw e;
      }
      if (this.#closed) {
        eR.destroy();
        throw new Error('challenge epochs destroyed');
      }
      const old = this.#current;
      this.#current = epoch;
      if (old !== undefined) this.#retire(old);
      // Retire it on time even if no connection comes to replace it.
      unrefd(setTimeout(() => {
        if (this.#current !== epoch) return;
        this.#current = undefined;
        this.#retire(epoch);
      }, this.#epochMs));
      // Retired epochs past their last possible HELLO go now, whoever still holds them.
      const t = this.#now();
      this.#retired = this.#retired.filter((e) => {
        if (!e.expired(t)) return true;
        e.erase();
        return false;
      });
      return epoch;
    } finally {
      this.#pending = undefined;
    }
  }
}

/** Timers of the epochs never keep a process alive (Node); browsers have no unref. */
function unrefd(t: ReturnType<typeof setTimeout>): void {
  (t as { unref?: () => void }).unref?.();
}

/** The CHALLENGE payload and signature of an epoch of `eR` that begins at `startedAt`. */
export async function makeEpoch(
  backend: CryptoBackend,
  relay: Identity,
  versions: readonly number[],
  eR: X25519Ephemeral,
  startedAt: number,
): Promise<ChallengeEpoch> {
  const payload = encodeChallenge({ type: HandshakeType.challenge, versions: [...versions], relayEphemeral: eR.publicKey, relayTime: startedAt });
  const bind = deriveChallengeBind(H, { relayX: relay.x, relayEd: relay.ed });
  const sig = await backend.ed25519Sign(relay.edSeed, signatureMessageChallenge(H, bind, { relayX: relay.x, payload }));
  return new ChallengeEpoch(eR, startedAt, payload, sig);
}
