/**
 * Which received messages the user has seen (`listen`, `chat`) or an agent acknowledged
 * (`bridge` ack). Any wschat process that is online receives and stores messages (the engine
 * acknowledges them to the sender), including `send` or `contact add`; whatever none of the
 * readers has handled yet is shown as a backlog the next time one starts. Nothing is lost
 * between processes, and nothing is shown twice.
 *
 * Per contact: `floor`, the history seq up to which everything was handled, and `ids`, handled
 * messages above it (acknowledged out of order). Paths of saved files are kept until handled.
 */
import { promises as fs } from 'node:fs';
import type { Engine, HistoryItem } from '@parley/runtime/engine';
import { writeKeyFile } from '@parley/runtime/node';
import { z } from 'zod';
import { INBOX_FILE, type Home } from './home.ts';

/** Handled ids kept above a contact's floor: bounds inbox.json when acks come out of order. */
const MAX_IDS_PER_CONTACT = 10_000;
/** Saved-file paths kept for the backlog: bounds inbox.json if files are never handled. */
const MAX_SAVED_FILES = 10_000;

const InboxSchema = z.object({
  version: z.literal(1),
  contacts: z.record(z.string(), z.object({ floor: z.number(), ids: z.array(z.string()) })),
  files: z.record(z.string(), z.string()),
});
type InboxState = z.infer<typeof InboxSchema>;

/** A history item that is a message for the user: a text, or a file that arrived. */
export function isIncoming(item: HistoryItem): boolean {
  if (item.dir !== 'in') return false;
  if (item.kind === 'text') return true;
  return item.kind === 'file' && item.file?.state === 'received';
}

export class Inbox {
  readonly #path: string;
  #state: InboxState;
  #dirty = false;
  #flushing: Promise<void> = Promise.resolve();

  private constructor(path: string, state: InboxState) {
    this.#path = path;
    this.#state = state;
  }

  static async load(home: Home): Promise<Inbox> {
    const path = home.path(INBOX_FILE);
    let state: InboxState = { version: 1, contacts: {}, files: {} };
    try {
      const parsed = InboxSchema.safeParse(JSON.parse(await fs.readFile(path, 'utf8')));
      if (parsed.success) state = parsed.data;
    } catch {
      // a missing or unreadable inbox means: nothing handled yet
    }
    return new Inbox(path, state);
  }

  /** Messages no reader has handled, oldest first, across contacts. */
  async backlog(engine: Engine): Promise<HistoryItem[]> {
    const out: HistoryItem[] = [];
    for (const c of engine.contacts()) {
      if (c.state !== 'accepted') continue;
      const mark = this.#state.contacts[c.key] ?? { floor: 0, ids: [] };
      const ids = new Set(mark.ids);
      for (const item of await engine.history(c.key)) {
        if (isIncoming(item) && item.seq > mark.floor && !ids.has(item.id)) out.push(item);
      }
    }
    return out.sort((a, b) => a.seq - b.seq);
  }

  isHandled(contact: string, item: HistoryItem): boolean {
    const mark = this.#state.contacts[contact];
    return mark !== undefined && (item.seq <= mark.floor || mark.ids.includes(item.id));
  }

  handled(contact: string, ids: readonly string[]): void {
    const mark = (this.#state.contacts[contact] ??= { floor: 0, ids: [] });
    for (const id of ids) {
      if (!mark.ids.includes(id)) mark.ids.push(id);
      delete this.#state.files[id];
    }
    if (mark.ids.length > MAX_IDS_PER_CONTACT) mark.ids.splice(0, mark.ids.length - MAX_IDS_PER_CONTACT);
    this.#dirty = true;
  }

  /** Remembers where a received file was saved (the offer's message id names it). */
  saved(id: string, path: string): void {
    this.#state.files[id] = path;
    const keys = Object.keys(this.#state.files);
    if (keys.length > MAX_SAVED_FILES) delete this.#state.files[keys[0]!];
    this.#dirty = true;
  }

  savedPath(id: string): string | undefined {
    return this.#state.files[id];
  }

  /**
   * Raises each floor over handled messages (needs the engine's history), then writes the file.
   * Flushes run one at a time (the interval's and the final one overlap otherwise, and the older
   * snapshot could be renamed over the newer), and marks made while one runs are kept: each
   * contact's handled ids are read after its history (never a copy from before the wait), and
   * the file is marked clean before its snapshot, so a later mark makes it dirty again.
   */
  flush(engine: Engine): Promise<void> {
    const run = this.#flushing.then(() => this.#flushOnce(engine));
    this.#flushing = run.catch(() => undefined);
    return run;
  }

  async #flushOnce(engine: Engine): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    try {
      const known = new Set(engine.contacts().map((c) => c.key));
      for (const [key, mark] of Object.entries(this.#state.contacts)) {
        if (!known.has(key)) {
          delete this.#state.contacts[key];
          continue;
        }
        const history = await engine.history(key);
        const ids = new Set(mark.ids);
        for (const item of history) {
          if (item.seq <= mark.floor) continue;
          // a file still arriving holds the floor: it becomes a message when it is complete
          if (item.dir === 'in' && item.kind === 'file' && item.file?.state === 'receiving') break;
          if (!isIncoming(item)) continue;
          if (!ids.has(item.id)) break;
          mark.floor = item.seq;
          ids.delete(item.id);
        }
        mark.ids = [...ids];
      }
      await writeKeyFile(this.#path, JSON.stringify(this.#state));
    } catch (err) {
      this.#dirty = true; // written next time
      throw err;
    }
  }
}
