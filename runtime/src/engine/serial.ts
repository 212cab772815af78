/**
 * One lane for read-modify-write of engine state. A received frame, a user's markRead, an edit,
 * a resend timer and a receipt can each read a history record, await the store and write it back;
 * interleaved, the later write silently undoes the earlier one (a file back to "receiving", a
 * "delivered" back to "sent"). Entry points run their whole read-modify-write inside `run`; code
 * already inside must not call `run` again (it would wait for itself).
 */
export class Serial {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after everything queued before it; its result or error is passed through. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
