/**
 * `wschat bridge`: JSON Lines for scripts and AI agents. Commands come in on stdin, one JSON
 * object a line; events and results go out on stdout, one a line (schema.ts, cli/AGENTS.md).
 * Commands run one after another in arrival order. A line that is not JSON, not a known command
 * or too long gets an `error` event and is skipped: the bridge never stops because of input.
 */
import { basename } from 'node:path';
import type { Writable } from 'node:stream';
import { FILE_CHUNK_SIZE } from '@parley/generated';
import { V1_PROTECTION, type Contact, type ConversationProtection } from '@parley/runtime/engine';
import { acceptRequest, requestContact } from '../actions.ts';
import { findContact } from '../contacts.ts';
import { UnknownIdError, classify, scrub } from '../errors.ts';
import { inviteOptions } from '../invites.ts';
import { writeJson } from '../output.ts';
import { Reader } from '../reader.ts';
import { detectMime } from '../mime.ts';
import { readSendable } from '../sendable.ts';
import type { Session } from '../session.ts';
import { readLines } from './lines.ts';
import { Pending } from './pending.ts';
import { CommandSchema, MAX_LINE_BYTES, describeIssues, type Command, type OutEvent } from './schema.ts';

type Result = Extract<OutEvent, { type: 'result' }>['data'];

function info(c: Contact): { id: string; name: string; state: Contact['state']; verified: boolean; protection: ConversationProtection } {
  return { id: c.id, name: c.name, state: c.state, verified: c.verified, protection: c.protection ?? V1_PROTECTION };
}

export class Bridge {
  readonly #s: Session;
  readonly #out: Writable;
  readonly #timeoutMs: number;
  readonly #reader: Reader;
  readonly #pending: Pending;
  #queue: Promise<void> = Promise.resolve();

  constructor(session: Session, out: Writable, timeoutMs: number) {
    this.#s = session;
    this.#out = out;
    this.#timeoutMs = timeoutMs;
    this.#reader = new Reader(session, (e) => this.emit(e), { autoHandle: false, state: true });
    this.#pending = new Pending(session.engine);
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

  /**
   * After stdin ended: waits until what this bridge queued went on the wire to the relay (texts,
   * file offers, every chunk of a transfer), at most the timeout. Returns false, after an
   * `error` event (TIMEOUT) that says what stays queued, if the time ran out.
   */
  async drain(): Promise<boolean> {
    const ok = await this.#pending.settle(Date.now() + this.#timeoutMs);
    if (!ok) {
      const { messages, files } = this.#pending.counts;
      this.error('TIMEOUT', `standard input ended, but after ${Math.round(this.#timeoutMs / 1000)} s ${messages} message(s) and ${files} file transfer(s) had not reached the relay; they stay queued and go out with the next wschat run`);
    }
    await this.stop();
    return ok;
  }

  /** Stops reading events (no waiting: a signal, or after drain). */
  async stop(): Promise<void> {
    this.#pending.dispose();
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
        const send = async (): Promise<{ id: string }> => ({ id: (await engine.sendText(to.key, c.text, { ...(c.replyTo ? { replyTo: c.replyTo } : {}), ...(c.silent ? { silent: true } : {}) })).id });
        // to a contact who has not accepted, it waits in the outbox: nothing to wait for at the end
        return to.state === 'accepted' ? this.#pending.track(send) : send();
      }
      case 'file': {
        const to = findContact(engine, c.to, ['accepted', 'requested']);
        const { path, bytes } = await readSendable(c.path);
        const offer = async (): Promise<{ id: string; fileId: string; file: { fileId: string; totalChunks: number } }> => {
          const name = c.name ?? basename(path);
          const r = await engine.sendFile(to.key, { name, mime: c.mime ?? detectMime(name, bytes), bytes });
          return { ...r, file: { fileId: r.fileId, totalChunks: Math.ceil(bytes.length / FILE_CHUNK_SIZE) } };
        };
        const r = to.state === 'accepted' ? await this.#pending.track(offer) : await offer();
        return { id: r.id, fileId: r.fileId };
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
        const inv = await engine.createInvite(inviteOptions(c.uses ?? 1, c.ttl, { uses: 'uses', ttl: 'ttl' }));
        return { link: inv.link, expiresAt: inv.expiresAt * 1000, maxUses: inv.maxUses }; // the invite counts seconds; JSON interfaces, ms
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
