/**
 * The reading side of `listen`, `chat` and `bridge`: live events plus the backlog (messages
 * received earlier but not handled), each message once. Live events that arrive while the
 * backlog is read wait, then go out without the ones the backlog already showed.
 */
import { backlogEvent, watch, type Emit, type WatchOptions } from './events.ts';
import type { OutEvent } from './bridge/schema.ts';
import type { Session } from './session.ts';

/** Message ids remembered with their contact (for ack/read and de-duplication): bounds memory. */
const MAX_REMEMBERED = 10_000;
/** How often handled marks are written to inbox.json while running. */
const FLUSH_INTERVAL_MS = 2_000;

export interface ReaderOptions extends WatchOptions {
  /** Mark messages handled as soon as they are emitted (listen, chat); the bridge waits for ack. */
  autoHandle: boolean;
}

export class Reader {
  readonly #s: Session;
  readonly #emit: Emit;
  readonly #o: ReaderOptions;
  readonly #seen = new Map<string, string>();
  #buffer: [OutEvent, string | undefined][] | undefined = [];
  #off: (() => void) | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(session: Session, emit: Emit, o: ReaderOptions) {
    this.#s = session;
    this.#emit = emit;
    this.#o = o;
  }

  /** Subscribes, emits the backlog, then what arrived meanwhile. */
  async start(): Promise<void> {
    this.#off = watch(this.#s, (e, contact) => (this.#buffer ? this.#buffer.push([e, contact]) : this.#out(e, contact)), this.#o);
    for (const item of await this.#s.inbox.backlog(this.#s.engine)) {
      if (this.#o.contact !== undefined && item.contact !== this.#o.contact) continue;
      const e = backlogEvent(this.#s, item);
      if (e) this.#out(e, item.contact);
    }
    const buffered = this.#buffer ?? [];
    this.#buffer = undefined;
    for (const [e, contact] of buffered) this.#out(e, contact);
    this.#timer = setInterval(() => void this.#s.inbox.flush(this.#s.engine).catch(() => undefined), FLUSH_INTERVAL_MS);
  }

  #out(e: OutEvent, contact: string | undefined): void {
    if ((e.type === 'message' || e.type === 'file') && contact !== undefined) {
      if (this.#seen.has(e.id)) return;
      this.#seen.set(e.id, contact);
      if (this.#seen.size > MAX_REMEMBERED) this.#seen.delete(this.#seen.keys().next().value!);
      this.#emit(e, contact);
      if (this.#o.autoHandle) this.#s.inbox.handled(contact, [e.id]);
      return;
    }
    this.#emit(e, contact);
  }

  /** The contact key of a message this reader emitted. */
  contactOf(id: string): string | undefined {
    return this.#seen.get(id);
  }

  async stop(): Promise<void> {
    this.#off?.();
    clearInterval(this.#timer);
    await this.#s.inbox.flush(this.#s.engine).catch(() => undefined);
  }
}
