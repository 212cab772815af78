/**
 * `wschat bridge`: JSON Lines for scripts and AI agents. Commands come in on stdin, one JSON
 * object a line; events and results go out on stdout, one a line (schema.ts, cli/AGENTS.md).
 * Commands run one after another in arrival order. A line that is not JSON, not a known command
 * or too long gets an `error` event and is skipped: the bridge never stops because of input.
 */
import { promises as fs } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { MAX_FILE_SIZE } from '@parley/generated';
import type { Contact } from '@parley/runtime/engine';
import { acceptRequest, requestContact } from '../actions.ts';
import { findContact } from '../contacts.ts';
import { FileError, UnknownIdError, classify, scrub } from '../errors.ts';
import { writeJson } from '../output.ts';
import { Reader } from '../reader.ts';
import type { Session } from '../session.ts';
import { readLines } from './lines.ts';
import { CommandSchema, MAX_LINE_BYTES, describeIssues, type Command, type OutEvent } from './schema.ts';

type Result = Extract<OutEvent, { type: 'result' }>['data'];

function info(c: Contact): { id: string; name: string; state: Contact['state']; verified: boolean } {
  return { id: c.id, name: c.name, state: c.state, verified: c.verified };
}

export class Bridge {
  readonly #s: Session;
  readonly #out: Writable;
  readonly #timeoutMs: number;
  readonly #reader: Reader;
  readonly #unsent = new Set<string>();
  #queue: Promise<void> = Promise.resolve();

  constructor(session: Session, out: Writable, timeoutMs: number) {
    this.#s = session;
    this.#out = out;
    this.#timeoutMs = timeoutMs;
    this.#reader = new Reader(session, (e) => this.emit(e), { autoHandle: false, state: true });
    session.engine.on('sent', (e) => this.#unsent.delete(e.id));
  }

  emit(e: OutEvent): void {
    writeJson(this.#out, e);
  }

  error(code: string, message: string, cmd?: string, ref?: string): void {
    this.emit({ type: 'error', code, message: scrub(message), ...(cmd ? { cmd } : {}), ...(ref !== undefined ? { ref } : {}) });
  }

  /** Announces itself, replays the backlog, then reads commands until stdin ends. */
  async run(input: NodeJS.ReadableStream): Promise<void> {
    const s = this.#s;
    this.emit({ type: 'ready', id: s.engine.id, name: s.config.name, relay: s.config.relay.url, fingerprint: s.config.relay.fingerprint });
    await this.#reader.start();
    await new Promise<void>((done) => {
      readLines(input, MAX_LINE_BYTES, {
        line: (text) => {
          this.#queue = this.#queue.then(() => this.handle(text));
        },
        // queued like commands, so errors come out in the order of the lines
        tooLong: (bytes) => {
          this.#queue = this.#queue.then(() => this.error('LINE_TOO_LONG', `a line of ${bytes} bytes; the limit is ${MAX_LINE_BYTES}`));
        },
        end: () => done(),
      });
    });
    await this.#queue;
  }

  /** After stdin ended: lets queued messages reach the relay (bounded by the timeout). */
  async drain(): Promise<void> {
    const deadline = Date.now() + this.#timeoutMs;
    while (this.#unsent.size > 0 && this.#s.engine.state.state === 'online' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await this.#reader.stop();
  }

  async handle(text: string): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.error('BAD_JSON', 'the line is not JSON');
    }
    const ref = typeof (raw as { ref?: unknown })?.ref === 'string' ? (raw as { ref: string }).ref : undefined;
    const cmd = typeof (raw as { type?: unknown })?.type === 'string' ? (raw as { type: string }).type : undefined;
    const parsed = CommandSchema.safeParse(raw);
    if (!parsed.success) return this.error('BAD_COMMAND', describeIssues(parsed.error), cmd, ref);
    try {
      const data = await this.#run(parsed.data);
      this.emit({ type: 'result', cmd: parsed.data.type, ok: true, data, ...(ref !== undefined ? { ref } : {}) });
    } catch (err) {
      const c = classify(err);
      this.error(c.code, c.message, parsed.data.type, ref);
    }
  }

  async #run(c: Command): Promise<Result> {
    const engine = this.#s.engine;
    switch (c.type) {
      case 'send': {
        const to = findContact(engine, c.to, ['accepted', 'requested']);
        const { id } = await engine.sendText(to.key, c.text, { ...(c.replyTo ? { replyTo: c.replyTo } : {}), ...(c.silent ? { silent: true } : {}) });
        if (to.state === 'accepted') this.#unsent.add(id);
        return { id };
      }
      case 'file': {
        const to = findContact(engine, c.to, ['accepted', 'requested']);
        const path = resolve(c.path);
        const st = await fs.stat(path).catch(() => undefined);
        if (!st?.isFile()) throw new FileError(`no such file: ${path}`);
        if (st.size > MAX_FILE_SIZE) throw new FileError(`${path} is larger than ${MAX_FILE_SIZE} bytes`);
        const bytes = new Uint8Array(await fs.readFile(path).catch((err: Error) => Promise.reject(new FileError(`cannot read ${path}: ${err.message}`))));
        return engine.sendFile(to.key, { name: c.name ?? basename(path), mime: c.mime ?? '', bytes });
      }
      case 'contacts':
        return { contacts: engine.contacts().map(info) };
      case 'history': {
        const who = findContact(engine, c.contact);
        const items = await engine.history(who.key, c.limit !== undefined ? { limit: c.limit } : {});
        return {
          items: items.map((h) => ({
            id: h.id, dir: h.dir, kind: h.kind, sentAt: h.sentAt,
            ...(h.text !== undefined ? { text: h.text } : {}),
            ...(h.file ? { file: { fileId: h.file.fileId, name: h.file.name, size: h.file.size, state: h.file.state } } : {}),
            ...(h.status ? { status: h.status } : {}),
            ...(h.read !== undefined ? { read: h.read } : {}),
            ...(h.deleted ? { deleted: true } : {}),
          })),
        };
      }
      case 'ack':
      case 'read': {
        const byContact = new Map<string, string[]>();
        for (const id of c.ids) {
          const key = this.#reader.contactOf(id);
          if (!key) throw new UnknownIdError(id);
          byContact.set(key, [...(byContact.get(key) ?? []), id]);
        }
        for (const [key, ids] of byContact) {
          if (c.type === 'read' && engine.contact(key)?.state === 'accepted') await engine.markRead(key, ids);
          this.#s.inbox.handled(key, ids);
        }
        return { count: c.ids.length };
      }
      case 'invite': {
        const inv = await engine.createInvite({ maxUses: c.uses ?? 1, ...(c.ttl !== undefined ? { ttlSeconds: c.ttl } : {}) });
        return { link: inv.link, expiresAt: inv.expiresAt, maxUses: inv.maxUses };
      }
      case 'add':
        return { contact: info(await requestContact(this.#s, c.invite, { ...(c.name !== undefined ? { name: c.name } : {}), ...(c.note !== undefined ? { note: c.note } : {}) }, this.#timeoutMs)) };
      case 'accept':
        return { contact: info(await acceptRequest(this.#s, c.contact, c.name !== undefined ? { name: c.name } : {}, this.#timeoutMs)) };
      case 'reject': {
        const who = findContact(engine, c.contact, ['pending']);
        await engine.rejectContact(who.key);
        return { contact: info(who) };
      }
    }
  }
}
