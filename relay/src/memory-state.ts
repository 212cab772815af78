/**
 * The shared state of a single relay process, in its memory (the default, `npm start` without
 * RELAY_REDIS_URL): the routing table is the node's own router, and mailboxes, wake tags, mailbox
 * secrets and TURN limits are the in-memory structures of mailbox.ts, wake.ts, vouch.ts and
 * ratelimit.ts. Everything is synchronous, as it was before the cluster existed.
 */
import type { Connection } from './connection.ts';
import { Mailboxes } from './mailbox.ts';
import { KeyedBuckets } from './ratelimit.ts';
import type { MailboxGauges, SharedState, StateHost } from './shared-state.ts';
import { MailboxSecrets } from './vouch.ts';
import { WakeRegistry, type WakeKind } from './wake.ts';
import { ID_SIZE, KEY_SIZE } from './wire.ts';

export class MemoryState implements SharedState {
  readonly ready = true;
  readonly mailboxes: Mailboxes;
  readonly wake: WakeRegistry;
  readonly secrets: MailboxSecrets;
  /** TURN requests per key pair and per source address: reconnecting or fresh key pairs do not reset them. */
  readonly #turnByHolder: KeyedBuckets;
  readonly #turnBySource: KeyedBuckets;
  /** id -> sessions holding a token for it that matched no secret yet (Connection.vouch.waiting). */
  readonly #awaitingSecret = new Map<string, Set<Connection>>();

  constructor(readonly host: StateHost) {
    const L = host.limits;
    this.mailboxes = new Mailboxes({
      maxFrames: L.mailboxMaxFrames,
      maxBytes: L.mailboxMaxBytes,
      ttlMs: L.mailboxTtlMs,
      globalMaxBytes: L.mailboxGlobalMaxBytes,
      senderShareDivisor: L.mailboxSenderShareDivisor,
      strangerShareDivisor: L.mailboxStrangerShareDivisor,
      identityMaxBytes: L.mailboxIdentityMaxBytes,
      sourceMaxBytes: L.mailboxSourceMaxBytes,
      entryOverhead: L.mailboxEntryOverhead,
    });
    this.wake = new WakeRegistry(L);
    this.secrets = new MailboxSecrets({ ttlMs: L.mailboxTtlMs, maxSecrets: L.maxMailboxSecrets });
    this.#turnByHolder = new KeyedBuckets(L.turnRequestsPerMinute);
    this.#turnBySource = new KeyedBuckets(L.turnRequestsPerAddressPerMinute);
  }

  async start(): Promise<void> {}

  bind(conn: Connection): { bound: boolean; mailbox: Uint8Array[] } {
    return { bound: true, mailbox: this.mailboxes.take(conn.idKey) };
  }

  restore(conn: Connection, frames: Uint8Array[]): void {
    // Put back as they were taken (WELCOME failed): counted as vouched, from the relay itself.
    for (const f of frames) this.mailboxes.put(conn.idKey, 'restored', 'restored', true, f);
  }

  route(from: Connection, frame: Buffer): void {
    const idKey = frame.toString('latin1', 0, ID_SIZE);
    const holders = this.host.router.holders(idKey);
    if (holders === undefined) return this.#enqueue(idKey, from, frame);
    const n = holders.length;
    // Each recipient gets the sender's id in the route, masked for its connection; the last
    // one gets the received buffer itself (no copy in the common single-holder case).
    for (let i = 0; i < n - 1; i++) holders[i]!.deliver(Buffer.from(frame), from.id);
    holders[n - 1]!.deliver(frame, from.id);
  }

  #enqueue(idKey: string, from: Connection, frame: Buffer): void {
    const stats = this.host.stats;
    // The route holds the sender's id until delivery; the mailbox keeps its own copy (the
    // received buffer may be a view into a larger socket chunk), so writing in place is fine.
    from.id.copy(frame, 0);
    const vouched = from.vouch?.ids.has(idKey) ?? false;
    const drop = this.mailboxes.put(idKey, from.holderKey, from.address, vouched, frame);
    stats.drops.mailbox_evicted += this.mailboxes.takeEvictedCount();
    if (drop !== undefined) {
      stats.drops[drop]++;
      return;
    }
    stats.framesQueued++;
    this.#wakeId(idKey, 'message');
  }

  #wakeId(idKey: string, reason: WakeKind): void {
    const stats = this.host.stats;
    const { tags, limited } = this.wake.due(idKey, reason);
    stats.drops.wake_rate_limited += limited;
    if (tags.length === 0) return;
    const notifiers = this.#notifierConnections();
    if (notifiers.length === 0) {
      stats.drops.wake_no_notifier += tags.length;
      return;
    }
    for (const tag of tags) {
      for (const n of notifiers) n.sendControl({ type: 'wake', tag, reason });
      stats.wakesSent++;
    }
  }

  #notifierConnections(): Connection[] {
    return notifierConnections(this.host);
  }

  unbound(_conn: Connection): void {}

  touch(conn: Connection): void {
    this.secrets.touch(conn.holderKey);
  }

  registerWake(conn: Connection, tag: Uint8Array): void {
    this.wake.register(conn.idKey, conn.holderKey, tag);
  }

  ring(idKey: string): void {
    if (this.host.router.holders(idKey) === undefined) this.#wakeId(idKey, 'call');
  }

  registerSecret(conn: Connection, secret: Uint8Array): void {
    this.secrets.register(conn.idKey, conn.holderKey, secret);
    const waiting = this.#awaitingSecret.get(conn.idKey);
    if (waiting !== undefined) for (const c of waiting) this.#vouchIfValid(c, conn.idKey, c.vouch!.waiting.get(conn.idKey)!);
  }

  presentTokens(conn: Connection, tokens: { recipient: Uint8Array; token: Uint8Array }[]): void {
    for (const { recipient, token } of tokens) this.#vouchIfValid(conn, Buffer.from(recipient).toString('latin1'), token);
  }

  /** Vouches `conn` for `idKey` if `token` matches a registered secret; else keeps it waiting for one. */
  #vouchIfValid(conn: Connection, idKey: string, token: Uint8Array): void {
    const vouch = conn.vouch!;
    // holderKey = latin1(X25519 key) ‖ latin1(Ed25519 key)
    const keys = Buffer.from(conn.holderKey, 'latin1');
    const ok = this.secrets.check(idKey, keys.subarray(0, KEY_SIZE), keys.subarray(KEY_SIZE), token);
    let waiting = this.#awaitingSecret.get(idKey);
    if (ok) {
      vouch.ids.add(idKey);
      if (vouch.waiting.delete(idKey)) {
        waiting?.delete(conn);
        if (waiting?.size === 0) this.#awaitingSecret.delete(idKey);
      }
      return;
    }
    vouch.waiting.set(idKey, token);
    if (waiting === undefined) this.#awaitingSecret.set(idKey, (waiting = new Set()));
    waiting.add(conn);
  }

  forget(conn: Connection): void {
    forgetWaiting(this.#awaitingSecret, conn);
  }

  turnAllowed(conn: Connection): boolean {
    // Both buckets are spent only when both have a token: one key pair's requests do not
    // drain its address's bucket once its own is empty, nor its own bucket while its address
    // is refused (the Redis state does the same in one script).
    return this.#turnByHolder.takeBoth(this.#turnBySource, conn.holderKey, conn.address);
  }

  sweep(): void {
    this.mailboxes.sweep();
    this.host.stats.drops.mailbox_expired += this.mailboxes.takeExpiredCount();
    this.wake.sweep();
    this.secrets.sweep();
    this.#turnByHolder.sweep();
    this.#turnBySource.sweep();
  }

  mailboxGauges(): MailboxGauges {
    return { frames: this.mailboxes.frames, bytes: this.mailboxes.bytes, mailboxes: this.mailboxes.mailboxes };
  }

  async close(): Promise<void> {
    this.mailboxes.clear();
  }
}

/** This node's connections of the configured notifier (NOTIFIER_ID: a key, or any holder of an id). */
export function notifierConnections(host: StateHost): Connection[] {
  const ref = host.notifier;
  if (ref === undefined) return [];
  const idKey = Buffer.from(ref.kind === 'key' ? ref.x.subarray(0, ID_SIZE) : ref.id).toString('latin1');
  const holders = host.router.holders(idKey) ?? [];
  if (ref.kind === 'id') return [...holders];
  // holderKey = latin1(X25519 key) ‖ latin1(Ed25519 key)
  const x = Buffer.from(ref.x).toString('latin1');
  return holders.filter((h) => h.holderKey.startsWith(x));
}

/** Drops `conn` from the sessions waiting for a secret of the ids it presented tokens for. */
export function forgetWaiting(awaiting: Map<string, Set<Connection>>, conn: Connection): void {
  for (const idKey of conn.vouch?.waiting.keys() ?? []) {
    const waiting = awaiting.get(idKey);
    waiting?.delete(conn);
    if (waiting?.size === 0) awaiting.delete(idKey);
  }
}
