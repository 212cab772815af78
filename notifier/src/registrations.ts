/**
 * The registrations: wake tag → where to push (a Web Push subscription or an FCM token), plus
 * the sender that registered it and when. Kept in memory and persisted in the data folder as
 * a snapshot (`registrations.json`) and a journal (`registrations.log`, one JSON line per change).
 *
 * - Every change is appended to the journal and fsynced before the call returns. The calls are
 *   synchronous on purpose: the engine emits a received message, then queues its `delivered`
 *   receipt; a registration stored inside the listener is on disk before the client hears it
 *   arrived. A torn last line (a crash mid-append) is ignored on open.
 * - On open and whenever the journal outgrows the snapshot, the snapshot is rewritten
 *   atomically (temporary file, fsync, rename, fsync of the folder) and the journal emptied.
 *   Replaying a journal over a newer snapshot is harmless: every entry is idempotent.
 * - Files are 0600: a subscription's keys let anyone push to that device.
 *
 * Bounds (limits.ts): maxRegistrations in all and maxRegistrationsPerSender per sender, the
 * oldest forgotten first; `expire` forgets registrations not renewed within their TTL.
 */
import { closeSync, constants, existsSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { NotifierError } from './errors.ts';
import type { Subscription } from './push.ts';

export interface Registration {
  /** Hex of the wake tag. */
  tag: string;
  sub: Subscription;
  /** Hex key of the sender (the engine's contact key) that registered it. */
  owner: string;
  /** When it was registered or last renewed (ms). */
  at: number;
}

type Entry = { p: Registration } | { d: string } | { s: [string, number] } | { f: string };

interface Snapshot {
  format: 'parley-notifier-registrations';
  version: 1;
  registrations: Registration[];
  seen: Record<string, number>;
}

const SNAPSHOT = 'registrations.json';
const JOURNAL = 'registrations.log';
const FILE_MODE = 0o600;
/** Compact once the journal has this many entries more than the snapshot has registrations. */
const COMPACT_SLACK = 1024;

export interface StoreOptions {
  maxRegistrations: number;
  maxPerSender: number;
  /** fsync after every change (default true). Off only in tests. */
  fsync?: boolean;
}

export class RegistrationStore {
  readonly #dir: string;
  readonly #o: StoreOptions;
  /** tag → registration, oldest (least recently renewed) first. */
  readonly #byTag = new Map<string, Registration>();
  readonly #byOwner = new Map<string, Set<string>>();
  /** sender → last time it sent us anything (ms). */
  readonly #seen = new Map<string, number>();
  #fd: number;
  #entries = 0;

  private constructor(dir: string, o: StoreOptions) {
    this.#dir = dir;
    this.#o = o;
    this.#fd = -1;
  }

  /** Opens the store in `dir` (created 0700), replays the journal and compacts. STORE error if unreadable. */
  static open(dir: string, o: StoreOptions): RegistrationStore {
    const s = new RegistrationStore(dir, o);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      s.#load();
      s.#compact();
    } catch (e) {
      if (e instanceof NotifierError) throw e;
      throw new NotifierError('STORE', `registration store in ${dir}: ${(e as Error).message}`, { cause: e });
    }
    return s;
  }

  get size(): number {
    return this.#byTag.size;
  }

  get(tag: string): Registration | undefined {
    return this.#byTag.get(tag);
  }

  all(): Registration[] {
    return [...this.#byTag.values()];
  }

  /** Adds or renews a registration; returns those forgotten to stay within the bounds. */
  put(r: Registration): Registration[] {
    const evict = new Set<string>();
    const others = [...(this.#byOwner.get(r.owner) ?? [])].filter((t) => t !== r.tag);
    for (let i = 0; others.length - i >= this.#o.maxPerSender; i++) evict.add(others[i]!);
    let left = this.#byTag.size - evict.size - (this.#byTag.has(r.tag) ? 1 : 0);
    for (const t of this.#byTag.keys()) {
      if (left < this.#o.maxRegistrations) break;
      if (t === r.tag || evict.has(t)) continue;
      evict.add(t);
      left--;
    }
    const evicted = [...evict].map((t) => this.#byTag.get(t)!);
    this.#commit([...evicted.map((e): Entry => ({ d: e.tag })), { d: r.tag }, { p: r }, { s: [r.owner, r.at] }]);
    return evicted;
  }

  /** Forgets a tag; false if it was not there. */
  delete(tag: string): boolean {
    if (!this.#byTag.has(tag)) return false;
    this.#commit([{ d: tag }]);
    return true;
  }

  /** Forgets a tag only if it still holds `sub` (a push service said it is gone; it may have been renewed since). */
  deleteIfSame(tag: string, sub: Subscription): boolean {
    const r = this.#byTag.get(tag);
    if (!r || JSON.stringify(r.sub) !== JSON.stringify(sub)) return false;
    return this.delete(tag);
  }

  /** Records that a sender was active (it keeps its engine state while active). */
  seen(owner: string, at: number): void {
    if ((this.#seen.get(owner) ?? -1) >= at) return;
    this.#commit([{ s: [owner, at] }]);
  }

  lastSeen(owner: string): number | undefined {
    return this.#seen.get(owner);
  }

  /** Registrations a sender holds. */
  registrationsOf(owner: string): number {
    return this.#byOwner.get(owner)?.size ?? 0;
  }

  /** Senders we know of, with how many registrations they hold. */
  senders(): { owner: string; lastSeen: number; registrations: number }[] {
    return [...this.#seen].map(([owner, lastSeen]) => ({ owner, lastSeen, registrations: this.#byOwner.get(owner)?.size ?? 0 }));
  }

  /** Forgets a sender and its registrations. */
  forgetSender(owner: string): void {
    const entries: Entry[] = [...(this.#byOwner.get(owner) ?? [])].map((tag) => ({ d: tag }));
    entries.push({ f: owner });
    this.#commit(entries);
  }

  /** Forgets registrations not renewed since `cutoff` (ms); returns them. */
  expire(cutoff: number): Registration[] {
    const old = [...this.#byTag.values()].filter((r) => r.at < cutoff);
    if (old.length > 0) this.#commit(old.map((r) => ({ d: r.tag })));
    return old;
  }

  close(): void {
    if (this.#fd >= 0) closeSync(this.#fd);
    this.#fd = -1;
  }

  #commit(entries: Entry[]): void {
    if (this.#fd < 0) throw new NotifierError('STORE', 'the registration store is closed');
    for (const e of entries) this.#apply(e);
    try {
      writeSync(this.#fd, entries.map((e) => JSON.stringify(e) + '\n').join(''));
      if (this.#o.fsync !== false) fdatasyncSync(this.#fd);
    } catch (e) {
      throw new NotifierError('STORE', `cannot append to ${JOURNAL}: ${(e as Error).message}`, { cause: e });
    }
    this.#entries += entries.length;
    if (this.#entries > this.#byTag.size + COMPACT_SLACK) this.#compact();
  }

  #apply(e: Entry): void {
    if ('p' in e) {
      const r = e.p;
      this.#byTag.delete(r.tag);
      this.#byTag.set(r.tag, r);
      let set = this.#byOwner.get(r.owner);
      if (!set) this.#byOwner.set(r.owner, (set = new Set()));
      set.add(r.tag);
    } else if ('d' in e) {
      const r = this.#byTag.get(e.d);
      if (!r) return;
      this.#byTag.delete(e.d);
      const set = this.#byOwner.get(r.owner);
      set?.delete(e.d);
      if (set?.size === 0) this.#byOwner.delete(r.owner);
    } else if ('s' in e) {
      this.#seen.set(e.s[0], Math.max(this.#seen.get(e.s[0]) ?? 0, e.s[1]));
    } else {
      this.#seen.delete(e.f);
    }
  }

  #load(): void {
    const snap = join(this.#dir, SNAPSHOT);
    if (existsSync(snap)) {
      const o = JSON.parse(readFileSync(snap, 'utf8')) as Partial<Snapshot>;
      if (o.format !== 'parley-notifier-registrations' || o.version !== 1 || !Array.isArray(o.registrations)) {
        throw new NotifierError('STORE', `${snap} is not a version 1 registration snapshot`);
      }
      for (const r of o.registrations) this.#apply({ p: r });
      for (const [owner, at] of Object.entries(o.seen ?? {})) this.#apply({ s: [owner, at] });
    }
    const journal = join(this.#dir, JOURNAL);
    if (!existsSync(journal)) return;
    const lines = readFileSync(journal, 'utf8').split('\n');
    lines.pop(); // '' after the last newline, or a torn write
    lines.forEach((line, i) => {
      try {
        this.#apply(JSON.parse(line) as Entry);
      } catch (e) {
        throw new NotifierError('STORE', `${journal} line ${i + 1} is not a journal entry`, { cause: e });
      }
    });
  }

  /** Writes the snapshot atomically and starts an empty journal. */
  #compact(): void {
    const snap: Snapshot = { format: 'parley-notifier-registrations', version: 1, registrations: [...this.#byTag.values()], seen: Object.fromEntries(this.#seen) };
    const path = join(this.#dir, SNAPSHOT);
    const tmp = `${path}.tmp`;
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    try {
      writeFileSync(fd, JSON.stringify(snap));
      if (this.#o.fsync !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    this.#syncDir();
    if (this.#fd < 0) this.#fd = openSync(join(this.#dir, JOURNAL), constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND, FILE_MODE);
    ftruncateSync(this.#fd, 0);
    if (this.#o.fsync !== false) fsyncSync(this.#fd);
    this.#entries = 0;
  }

  #syncDir(): void {
    if (this.#o.fsync === false || process.platform === 'win32') return;
    const fd = openSync(this.#dir, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } catch {
      // some file systems refuse fsync on a folder; the rename is still atomic
    } finally {
      closeSync(fd);
    }
  }
}
