/**
 * WAKE handling (spec control `wake` {tag, reason}, relay to the notifier): look the tag up,
 * apply the per-tag limits, and push through the registration's service. Pushes run at most
 * maxConcurrentPushes at a time with at most maxQueuedPushes waiting; a wake beyond that is
 * dropped (the relay wakes the tag again when the next frame is queued). A push service that
 * says the subscription is gone (404/410, FCM UNREGISTERED) removes the registration, unless it
 * was renewed with another subscription meanwhile.
 */
import { WAKE_TAG_SIZE, isWakeReason, type WakeReason } from '@parley/generated';
import { toHex } from '@parley/runtime';
import type { Limits } from './limits.ts';
import { ref, serviceOf, type Logger } from './logger.ts';
import { reasonName, type PushResult, type PushSender, type Subscription } from './push.ts';
import type { WakeLimiter } from './ratelimit.ts';
import type { Registration, RegistrationStore } from './registrations.ts';

export interface WakeStats {
  /** WAKEs received. */
  wakes: number;
  /** for a tag nobody registered (or a malformed WAKE) */
  unknown: number;
  /** refused by the per-tag limits */
  limited: number;
  /** dropped because the queue was full */
  dropped: number;
  sent: number;
  /** registrations removed because the push service said they are gone */
  gone: number;
  failed: number;
}

export interface WakeDeps {
  store: RegistrationStore;
  limiter: WakeLimiter;
  webpush: PushSender<Extract<Subscription, { kind: 'webpush' }>>;
  fcm: PushSender<Extract<Subscription, { kind: 'fcm' }>> | undefined;
  limits: Pick<Limits, 'maxConcurrentPushes' | 'maxQueuedPushes'>;
  log: Logger;
}

interface Job {
  reg: Registration;
  reason: WakeReason;
}

export class WakeHandler {
  readonly stats: WakeStats = { wakes: 0, unknown: 0, limited: 0, dropped: 0, sent: 0, gone: 0, failed: 0 };
  readonly #d: WakeDeps;
  readonly #queue: Job[] = [];
  #active = 0;
  #idle: (() => void)[] = [];

  constructor(deps: WakeDeps) {
    this.#d = deps;
  }

  /** A WAKE from the relay. Never throws; the push happens in the background. */
  onWake(tagBytes: Uint8Array, reason: number): void {
    const d = this.#d;
    this.stats.wakes++;
    if (tagBytes.length !== WAKE_TAG_SIZE || !isWakeReason(reason)) {
      this.stats.unknown++;
      return;
    }
    const tag = toHex(tagBytes);
    const reg = d.store.get(tag);
    if (!reg || (reg.sub.kind === 'fcm' && !d.fcm)) {
      this.stats.unknown++;
      d.log.debug({ tag_ref: ref(tag) }, 'wake for an unregistered tag');
      return;
    }
    if (!d.limiter.allow(tag, reason)) {
      this.stats.limited++;
      d.log.debug({ tag_ref: ref(tag), reason: reasonName(reason) }, 'wake rate-limited');
      return;
    }
    if (this.#active >= d.limits.maxConcurrentPushes) {
      if (this.#queue.length >= d.limits.maxQueuedPushes) {
        this.stats.dropped++;
        d.log.warn({ tag_ref: ref(tag) }, 'push queue full: wake dropped');
        return;
      }
      this.#queue.push({ reg, reason });
      return;
    }
    this.#run({ reg, reason });
  }

  /** Pushes waiting or in flight. */
  get pending(): number {
    return this.#active + this.#queue.length;
  }

  /** Resolves once no push is waiting or in flight. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #run(job: Job): void {
    this.#active++;
    void this.#push(job).finally(() => {
      this.#active--;
      const next = this.#queue.shift();
      if (next) this.#run(next);
      else if (this.#active === 0) for (const f of this.#idle.splice(0)) f();
    });
  }

  async #push({ reg, reason }: Job): Promise<void> {
    const d = this.#d;
    const sub = reg.sub;
    const log = { tag_ref: ref(reg.tag), reason: reasonName(reason), service: sub.kind === 'webpush' ? serviceOf(sub.endpoint) : 'fcm' };
    let r: PushResult;
    try {
      r = sub.kind === 'webpush' ? await d.webpush.send(sub, reason) : await d.fcm!.send(sub, reason);
    } catch (e) {
      r = { outcome: 'failed', reason: (e as Error).message };
    }
    if (r.outcome === 'sent') {
      this.stats.sent++;
      d.log.debug({ ...log, status: r.status }, 'pushed');
    } else if (r.outcome === 'gone') {
      this.stats.gone++;
      try {
        if (d.store.deleteIfSame(reg.tag, sub)) d.limiter.forget(reg.tag);
        d.log.info({ ...log, status: r.status }, 'push service says the subscription is gone: registration removed');
      } catch (e) {
        d.log.error({ ...log, err: (e as Error).message }, 'cannot remove a gone registration');
      }
    } else {
      this.stats.failed++;
      d.log.warn({ ...log, status: r.status, why: r.reason }, 'push failed');
    }
  }
}
