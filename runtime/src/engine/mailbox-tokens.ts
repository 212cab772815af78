/**
 * Mailbox tokens (spec/DESIGN.md, "Relay abuse bounds"): how the engine gets its contacts'
 * frames into the contacts' share of its mailbox at the relay, out of strangers' reach.
 * - A random mailbox secret (MAILBOX_SECRET_SIZE), kept in the store, registered with the relay
 *   after every handshake (register_mailbox_secret).
 * - Each accepted contact gets, end to end and durably (through the outbox), its token
 *   KH(DK(mailbox token, secret), contact_x || contact_ed) in a silent mailbox_token message,
 *   once per secret.
 * - Tokens received from contacts are kept and presented to the relay after every handshake,
 *   before anything queued goes out (present_mailbox_tokens, MAILBOX_TOKENS_PER_PRESENT at a
 *   time, at most MAILBOX_TOKENS_PER_SESSION), and at once when a new one arrives.
 * `rotate()` draws a new secret: every token handed out so far stops working at the relay and
 * each contact is sent its new one.
 */
import {
  ControlType,
  MAILBOX_SECRET_SIZE,
  MAILBOX_TOKENS_PER_PRESENT,
  MAILBOX_TOKENS_PER_SESSION,
  MessageType,
  type ControlMessage,
} from '@parley/generated';
import { fromHex } from '../crypto/index.ts';
import { mailboxToken, mailboxTokenKey } from '../protocol/mailbox-token.ts';
import type { ContactLookup, Clock, Emit, MessageHandler, EnvelopeOf, Send, Wire } from './parts.ts';
import { report } from './parts.ts';
import { K, getRecord, putRecord } from './records.ts';
import type { Store } from './storage.ts';
import type { Contact } from './types.ts';

/** What mailbox tokens use of the other parts (wired in wiring.ts). */
export interface MailboxTokenDeps {
  clock: Clock;
  emit: Emit;
  store: Store;
  contacts: ContactLookup;
  wire: Pick<Wire, 'online' | 'send'>;
  send: Pick<Send, 'sendDurable'>;
}

/** The envelope flag of a message that is never shown (spec envelope.flags bit 0). */
const SILENT = 0x01;

interface Secret {
  secret: Uint8Array;
  createdAt: number;
}

interface Tokens {
  /** Contact key -> the token it gave us for its mailbox. */
  in: Record<string, Uint8Array>;
  /** Contact key -> createdAt of the secret whose token we sent it. */
  sent: Record<string, number>;
}

export class MailboxTokens {
  readonly #d: MailboxTokenDeps;
  #secret: Secret | undefined;
  #tokens: Tokens = { in: {}, sent: {} };

  constructor(d: MailboxTokenDeps) {
    this.#d = d;
  }

  async load(): Promise<void> {
    const d = this.#d;
    this.#secret = await getRecord<Secret>(d.store, K.mailboxSecret);
    this.#tokens = (await getRecord<Tokens>(d.store, K.mailboxTokens)) ?? { in: {}, sent: {} };
    if (!this.#secret) await this.rotate(false);
  }

  /** After each handshake, before queued frames go out: register the secret, present the tokens, send ours. */
  online(): void {
    const secret = this.#secret;
    if (secret) this.#control({ type: ControlType.registerMailboxSecret, body: { secret: secret.secret } });
    const contacts = this.#d.contacts.all().filter((c) => c.state === 'accepted' && this.#tokens.in[c.key] !== undefined);
    this.#present(contacts.slice(0, MAILBOX_TOKENS_PER_SESSION));
    for (const c of this.#d.contacts.all()) if (c.state === 'accepted') this.sendTo(c.key);
  }

  /** A new secret: old tokens stop working; registered now if online; each contact gets its new token. */
  async rotate(announce = true): Promise<void> {
    const d = this.#d;
    this.#secret = { secret: d.clock.randomBytes(MAILBOX_SECRET_SIZE), createdAt: d.clock.now() };
    await d.store.batch([putRecord(K.mailboxSecret, this.#secret)]);
    if (announce && d.wire.online) this.online();
  }

  /** Sends contact `key` its token for the current secret, unless it has it (durable: resent until acknowledged). */
  sendTo(key: string): void {
    const c = this.#d.contacts.get(key);
    const secret = this.#secret;
    if (!c || c.state !== 'accepted' || !secret || this.#tokens.sent[key] === secret.createdAt) return;
    this.#tokens.sent[key] = secret.createdAt;
    const token = mailboxToken(mailboxTokenKey(secret.secret), { x: c.x, ed: c.ed });
    void (async () => {
      await this.#d.send.sendDurable(c, { type: MessageType.mailboxToken, body: { token } }, { flags: SILENT });
      await this.#save();
    })().catch((err) => {
      delete this.#tokens.sent[key];
      report(this.#d.emit, 'mailbox token', err);
    });
  }

  /** Contact `c` sent us its token: kept, and presented at once when online. */
  async received(c: Contact, token: Uint8Array): Promise<void> {
    this.#tokens.in[c.key] = token.slice();
    await this.#save();
    if (this.#d.wire.online) this.#present([c]);
  }

  #present(contacts: Contact[]): void {
    for (let i = 0; i < contacts.length; i += MAILBOX_TOKENS_PER_PRESENT) {
      const tokens = contacts.slice(i, i + MAILBOX_TOKENS_PER_PRESENT).map((c) => ({ recipient: fromHex(c.id), token: this.#tokens.in[c.key]! }));
      this.#control({ type: ControlType.presentMailboxTokens, body: { tokens } });
    }
  }

  async #save(): Promise<void> {
    await this.#d.store.batch([putRecord(K.mailboxTokens, this.#tokens)]);
  }

  #control(message: ControlMessage): boolean {
    return this.#d.wire.send({ size: 0, build: (s) => s.sealControl(message) });
  }

  /** The receive path's handler of mailbox_token messages: silent (no `message` event). */
  handler(): MessageHandler<EnvelopeOf<typeof MessageType.mailboxToken>> {
    return {
      event: false,
      act: ({ contact, env }, act) => {
        const token = env.body.token;
        act.after.push(() => this.received(contact, token));
      },
    };
  }
}
