/**
 * Engine events that fire before any reader listens. A command opens its session, waits until
 * the relay has handed over what it held, and only then builds its reader: receipts, contact
 * acceptances and failed transfers delivered during that wait would be gone. Messages and files
 * are not kept here: they come back as the backlog (inbox.ts), so keeping them would show them
 * twice. Bounded: past MAX_EARLY_EVENTS the oldest are dropped (a reader can still list
 * requests and history).
 */
import type { Engine, EngineEvents } from '@parley/runtime/engine';

export type EarlyEventName = 'history' | 'file-failed' | 'contact-request' | 'contact-accepted' | 'contact-request-expired';
export type EarlyEvent = { [K in EarlyEventName]: { name: K; value: EngineEvents[K] } }[EarlyEventName];

/** Events kept for the first reader; a mailbox drain of a few thousand receipts fits. */
export const MAX_EARLY_EVENTS = 4096;

export class EarlyEvents {
  readonly #kept: EarlyEvent[] = [];
  readonly #offs: (() => void)[];
  #dropped = 0;

  constructor(engine: Engine) {
    this.#offs = [
      engine.on('history', (value) => this.#keep({ name: 'history', value })),
      engine.on('file-failed', (value) => this.#keep({ name: 'file-failed', value })),
      engine.on('contact-request', (value) => this.#keep({ name: 'contact-request', value })),
      engine.on('contact-accepted', (value) => this.#keep({ name: 'contact-accepted', value })),
      engine.on('contact-request-expired', (value) => this.#keep({ name: 'contact-request-expired', value })),
    ];
  }

  #keep(e: EarlyEvent): void {
    this.#kept.push(e);
    if (this.#kept.length > MAX_EARLY_EVENTS) {
      this.#kept.shift();
      this.#dropped++;
    }
  }

  /** Stops keeping and hands over what was kept (once; later calls get nothing). */
  take(): { events: EarlyEvent[]; dropped: number } {
    for (const off of this.#offs.splice(0)) off();
    return { events: this.#kept.splice(0), dropped: this.#dropped };
  }
}
