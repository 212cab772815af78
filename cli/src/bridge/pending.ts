/**
 * What the bridge (or `chat`) queued that has not gone on the wire to the relay yet: texts and
 * file offers (by message id) and file transfers (by file id, until their last chunk went out).
 * When stdin ends, they wait until this is empty before they stop the engine, because stopping drops
 * whatever the connection had not written yet (the outbox keeps it, but only a later wschat run
 * would send it). Messages to contacts who have not accepted are not tracked: they cannot go
 * out before the accept, however long we wait.
 */
import type { Engine } from '@parley/runtime/engine';

export interface Queued {
  /** The message id of the text or file offer. */
  id: string;
  /** A file transfer: its id and chunk count. */
  file?: { fileId: string; totalChunks: number };
}

export class Pending {
  readonly #unsent = new Set<string>();
  /** file id → chunks put on the wire so far, for transfers not fully sent */
  readonly #files = new Map<string, { sent: number; total: number }>();
  /**
   * While `track` runs: what went out (or failed) meanwhile. Sending starts before the engine's
   * call returns (a file's offer and first chunks leave while later chunks are still sealed), so
   * events that come before we know the ids must not be missed.
   */
  #window: { sent: Set<string>; chunks: Map<string, number>; failed: Set<string> } | undefined;
  readonly #offs: (() => void)[];
  #wake: (() => void) | undefined;

  constructor(engine: Engine) {
    this.#offs = [
      engine.on('sent', (e) => {
        this.#window?.sent.add(e.id);
        if (this.#unsent.delete(e.id)) this.#wake?.();
      }),
      engine.on('file-progress', (p) => {
        if (p.direction !== 'out') return;
        const sent = p.sent ?? p.chunks;
        if (this.#window) this.#window.chunks.set(p.fileId, Math.max(sent, this.#window.chunks.get(p.fileId) ?? 0));
        const f = this.#files.get(p.fileId);
        if (!f) return;
        f.sent = Math.max(f.sent, sent);
        if (f.sent >= f.total) {
          this.#files.delete(p.fileId);
          this.#wake?.();
        }
      }),
      // a transfer the receiver refused or cancelled will not send more (the bridge reports it as file-failed)
      engine.on('file-failed', (f) => {
        if (f.direction !== 'out') return;
        this.#window?.failed.add(f.fileId);
        if (this.#files.delete(f.fileId)) this.#wake?.();
      }),
    ];
  }

  /** Runs `act` (which queues one message or file) and tracks what it queued until it is sent. */
  async track<T extends Queued>(act: () => Promise<T>): Promise<T> {
    const window = { sent: new Set<string>(), chunks: new Map<string, number>(), failed: new Set<string>() };
    this.#window = window;
    try {
      const q = await act();
      if (!window.sent.has(q.id)) this.#unsent.add(q.id);
      if (q.file && !window.failed.has(q.file.fileId)) {
        const sent = window.chunks.get(q.file.fileId) ?? 0;
        if (sent < q.file.totalChunks) this.#files.set(q.file.fileId, { sent, total: q.file.totalChunks });
      }
      return q;
    } finally {
      this.#window = undefined;
    }
  }

  /** Messages and file transfers still waiting to go out. */
  get counts(): { messages: number; files: number } {
    return { messages: this.#unsent.size, files: this.#files.size };
  }

  get empty(): boolean {
    return this.#unsent.size === 0 && this.#files.size === 0;
  }

  /** Resolves true once everything went out, false at `deadline` (ms, Date.now clock). */
  async settle(deadline: number): Promise<boolean> {
    while (!this.empty) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
    return true;
  }

  dispose(): void {
    this.#offs.forEach((off) => off());
  }
}
