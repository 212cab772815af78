/**
 * Deadlines of one fixed duration (a socket's pending time, a connection's handshake time),
 * watched by one shared timer instead of a timer per item. A per-connection setTimeout and its
 * clearTimeout cost a Timeout object, an async resource and two list operations each: a
 * measurable share of the relay's CPU per new session (bench/results/sessions-profile.md).
 *
 * Every item gets the same duration, so insertion order is deadline order: a Map (which keeps
 * insertion order) holds them, adding and removing are one Map operation, and the check walks
 * from the oldest and stops at the first one not yet due. An item expires between `ms` and
 * `ms + tickMs` after it was added. The timer runs only while items are held (unref'd, so it
 * never keeps a process alive).
 */
export class Deadlines<T> {
  readonly #due = new Map<T, number>();
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    /** How long an item may be held before `expire` is called for it. */
    readonly ms: number,
    /** Called once for each item past its deadline, after the item was removed. */
    readonly expire: (item: T) => void,
    /** How often the deadlines are checked: an eighth of `ms`, within 10 ms..1 s. */
    tickMs = Math.max(10, Math.min(1000, Math.ceil(ms / 8))),
  ) {
    this.#tickMs = tickMs;
  }

  /** Holds `item` until `ms` from now (again from now if it was held already). */
  add(item: T, now = Date.now()): void {
    this.#due.delete(item);
    this.#due.set(item, now + this.ms);
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#check(), this.#tickMs);
      this.#timer.unref();
    }
  }

  /** Stops watching `item`; true if it was held. */
  delete(item: T): boolean {
    return this.#due.delete(item);
  }

  has(item: T): boolean {
    return this.#due.has(item);
  }

  /** The item held longest, if any. */
  oldest(): T | undefined {
    const first = this.#due.keys().next();
    return first.done === true ? undefined : first.value;
  }

  get size(): number {
    return this.#due.size;
  }

  /** Drops every item without expiring it, and the timer. */
  clear(): void {
    this.#due.clear();
    this.#stop();
  }

  #check(): void {
    const now = Date.now();
    for (const [item, due] of this.#due) {
      if (due > now) break;
      this.#due.delete(item);
      this.expire(item);
    }
    if (this.#due.size === 0) this.#stop();
  }

  #stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
