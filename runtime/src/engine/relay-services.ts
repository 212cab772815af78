/**
 * What the engine asks of the relay itself, over control frames (spec control_type):
 * - the wake tag: a random WAKE_TAG_SIZE tag registered after every handshake (register_wake)
 *   and rotated at least every WAKE_TAG_ROTATE_MS, so the notifier cannot link wakes for long;
 *   the app gives the same tag, end to end, to the notifier (push_register_*);
 * - TURN credentials (turn_request → turn_credentials, or a control ERROR), with a timeout;
 * - ring (wake an offline callee for a call);
 * - what the relay sends on its own: shutdown (reconnect no sooner than it says),
 *   mailbox_drained (`synced`), errors, and wake (for the notifier, which is a client too).
 */
import { ControlType, WAKE_TAG_ROTATE_MS, WAKE_TAG_SIZE, type ControlMessage, type TurnCredentials } from '@parley/generated';
import { fromHex } from '../crypto/index.ts';
import { EngineError } from './errors.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './limits.ts';
import { report, unref, type Clock, type Emit, type Wire } from './parts.ts';
import { K, getRecord, putRecord } from './records.ts';
import type { Store } from './storage.ts';
import type { Contact } from './types.ts';

interface WakeTag {
  tag: Uint8Array;
  createdAt: number;
}

interface Pending {
  resolve(c: TurnCredentials): void;
  reject(e: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** What the relay services use. */
export interface RelayServicesDeps {
  clock: Clock;
  emit: Emit;
  store: Store;
  wire: Pick<Wire, 'send' | 'delayNextReconnect'>;
  /** Register the wake tag after each handshake (EngineOptions.registerWake). */
  registerWake: boolean;
}

export class RelayServices {
  readonly #ctx: RelayServicesDeps;
  readonly #register: boolean;
  #wake: WakeTag | undefined;
  #rotateTimer: ReturnType<typeof setTimeout> | undefined;
  #turn: Pending[] = [];

  constructor(deps: RelayServicesDeps) {
    this.#ctx = deps;
    this.#register = deps.registerWake;
  }

  async load(): Promise<void> {
    this.#wake = await getRecord<WakeTag>(this.#ctx.store, K.wakeTag);
    if (!this.#wake || this.#due()) await this.rotate(false);
    this.#schedule();
  }

  /** The current wake tag (give it to the notifier with the push subscription). */
  get wakeTag(): { tag: Uint8Array; createdAt: number } | undefined {
    return this.#wake && { tag: this.#wake.tag.slice(), createdAt: this.#wake.createdAt };
  }

  /** A new random tag: stored, registered with the relay when online, announced by `wake-tag`. */
  async rotate(register = true): Promise<void> {
    const ctx = this.#ctx;
    const next: WakeTag = { tag: ctx.clock.randomBytes(WAKE_TAG_SIZE), createdAt: ctx.clock.now() };
    await ctx.store.batch([putRecord(K.wakeTag, next)]);
    this.#wake = next;
    ctx.emit('wake-tag', { tag: next.tag.slice(), createdAt: next.createdAt });
    if (register) this.#registerNow();
    this.#schedule();
  }

  /** After each handshake: rotate if due, then register the tag. */
  online(): void {
    if (this.#due()) void this.rotate().catch((err) => report(this.#ctx.emit, 'wake tag', err));
    else this.#registerNow();
  }

  /** Asks the relay for TURN credentials; TIMEOUT, RELAY_ERROR, NOT_CONNECTED or STOPPED otherwise. */
  requestTurn(timeoutMs: number = DEFAULT_REQUEST_TIMEOUT_MS): Promise<TurnCredentials> {
    return new Promise((resolve, reject) => {
      const p: Pending = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#turn = this.#turn.filter((x) => x !== p);
          reject(new EngineError('TIMEOUT', `no TURN credentials within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      if (!this.#control({ type: ControlType.turnRequest, body: {} })) {
        clearTimeout(p.timer);
        reject(new EngineError('NOT_CONNECTED', 'not connected to the relay'));
        return;
      }
      this.#turn.push(p);
    });
  }

  /** Asks the relay to wake an offline contact for a call (NOT_CONNECTED if offline). */
  ring(c: Contact): void {
    if (!this.#control({ type: ControlType.ring, body: { recipient: fromHex(c.id) } })) {
      throw new EngineError('NOT_CONNECTED', 'not connected to the relay');
    }
  }

  onControl(m: ControlMessage): void {
    const ctx = this.#ctx;
    switch (m.type) {
      case ControlType.turnCredentials: {
        const p = this.#turn.shift();
        if (p) {
          clearTimeout(p.timer);
          p.resolve(m.body);
        }
        ctx.emit('turn-credentials', m.body);
        return;
      }
      case ControlType.error: {
        if (m.body.request === ControlType.turnRequest) {
          const p = this.#turn.shift();
          if (p) {
            clearTimeout(p.timer);
            p.reject(new EngineError('RELAY_ERROR', `the relay refused TURN credentials (error ${m.body.code})`));
          }
        }
        ctx.emit('relay-error', { code: m.body.code, request: m.body.request });
        return;
      }
      case ControlType.shutdown:
        ctx.wire.delayNextReconnect(m.body.retryAfterMs);
        return;
      case ControlType.mailboxDrained:
        ctx.emit('synced', { delivered: m.body.delivered });
        return;
      case ControlType.wake:
        ctx.emit('wake', { tag: m.body.tag.slice(), reason: m.body.reason });
        return;
      default:
        ctx.emit('dropped', { kind: 'control', code: 'BAD_MESSAGE', message: `control type ${m.type} is not sent to clients` });
    }
  }

  /** Rejects waiting requests (the engine stops or the connection went down). */
  stop(): void {
    clearTimeout(this.#rotateTimer);
    for (const p of this.#turn.splice(0)) {
      clearTimeout(p.timer);
      p.reject(new EngineError('STOPPED', 'the engine stopped'));
    }
  }

  #due(): boolean {
    return !this.#wake || this.#ctx.clock.now() - this.#wake.createdAt >= WAKE_TAG_ROTATE_MS;
  }

  #schedule(): void {
    clearTimeout(this.#rotateTimer);
    if (!this.#wake) return;
    const delay = Math.max(0, this.#wake.createdAt + WAKE_TAG_ROTATE_MS - this.#ctx.clock.now());
    // setTimeout takes at most 2^31 - 1 ms; WAKE_TAG_ROTATE_MS is well below it
    this.#rotateTimer = unref(setTimeout(() => void this.rotate().catch((err) => report(this.#ctx.emit, 'wake tag', err)), delay));
  }

  #registerNow(): void {
    if (this.#register && this.#wake) this.#control({ type: ControlType.registerWake, body: { tag: this.#wake.tag } });
  }

  #control(message: ControlMessage): boolean {
    return this.#ctx.wire.send({ size: 0, build: (s) => s.sealControl(message) });
  }
}
