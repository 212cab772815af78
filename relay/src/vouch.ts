/**
 * Mailbox secrets (spec/DESIGN.md, "Relay abuse bounds"; spec controls
 * `register_mailbox_secret`, `present_mailbox_tokens`). A client registers a random secret;
 * the relay keeps only its token key, per key pair, in memory. A sender presents tokens it got
 * end to end from recipients; a token that matches one of the registered keys of the id's
 * holders makes the sender's frames to that id "vouched for" for the rest of its session, and
 * they go to the contacts' share of the mailbox (mailbox.ts). The relay never stores who
 * vouched for whom beyond a session, and never answers whether a token matched.
 *
 * Registrations outlive their connection (the mailbox matters while the client is offline) for
 * `ttlMs` after the client was last connected, and are bounded in number; the oldest go first.
 */
import type { Clock } from './ratelimit.ts';
import { mailboxToken, mailboxTokenKey, mailboxTokensEqual } from './runtime.ts';

export interface VouchLimits {
  /** How long a registration outlives the client's last session. */
  ttlMs: number;
  /** Registrations remembered. */
  maxSecrets: number;
}

interface Registration {
  id: string;
  tokenKey: Uint8Array;
  /** Last registration or session end of the holder. */
  at: number;
}

export class MailboxSecrets {
  /** holder (key pair) -> registration, oldest first. */
  readonly #byHolder = new Map<string, Registration>();
  /** id -> holders with a registration. */
  readonly #byId = new Map<string, Set<string>>();

  constructor(
    readonly limits: VouchLimits,
    readonly clock: Clock = Date.now,
  ) {}

  /** Sets (all-zero: removes) the secret of key pair `holder` (id `id`); the old tokens stop working. */
  register(id: string, holder: string, secret: Uint8Array): void {
    this.#remove(holder);
    if (secret.every((b) => b === 0) || this.limits.maxSecrets === 0) return;
    while (this.#byHolder.size >= this.limits.maxSecrets) this.#remove(this.#byHolder.keys().next().value as string);
    this.#byHolder.set(holder, { id, tokenKey: mailboxTokenKey(secret), at: this.clock() });
    let set = this.#byId.get(id);
    if (set === undefined) this.#byId.set(id, (set = new Set()));
    set.add(holder);
  }

  /** The holder's session ended (or began): its registration lives `ttlMs` from now. */
  touch(holder: string): void {
    const r = this.#byHolder.get(holder);
    if (r === undefined) return;
    this.#byHolder.delete(holder); // re-insert: the map stays in age order
    r.at = this.clock();
    this.#byHolder.set(holder, r);
  }

  /** True if `token` is the token of the presenter (x, ed) under a live secret of a holder of `id`. */
  check(id: string, presenterX: Uint8Array, presenterEd: Uint8Array, token: Uint8Array): boolean {
    const set = this.#byId.get(id);
    if (set === undefined) return false;
    const cutoff = this.clock() - this.limits.ttlMs;
    let ok = false;
    for (const holder of set) {
      const r = this.#byHolder.get(holder)!;
      if (r.at <= cutoff) continue;
      // Every holder is checked (no early exit): the time taken does not say which matched.
      if (mailboxTokensEqual(mailboxToken(r.tokenKey, { x: presenterX, ed: presenterEd }), token)) ok = true;
    }
    return ok;
  }

  /** Forgets registrations older than the TTL (call periodically). */
  sweep(): void {
    const cutoff = this.clock() - this.limits.ttlMs;
    for (const [holder, r] of this.#byHolder) {
      if (r.at > cutoff) break;
      this.#remove(holder);
    }
  }

  get size(): number {
    return this.#byHolder.size;
  }

  #remove(holder: string): void {
    const r = this.#byHolder.get(holder);
    if (r === undefined) return;
    r.tokenKey.fill(0);
    this.#byHolder.delete(holder);
    const set = this.#byId.get(r.id)!;
    set.delete(holder);
    if (set.size === 0) this.#byId.delete(r.id);
  }
}
