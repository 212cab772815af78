/**
 * The contacts in memory and their records (`c/<key>`): the lookup every part uses. Who becomes
 * a contact, and how (invites, first contact, accepts, key changes), is contacts.ts's job.
 */
import { EngineError } from './errors.ts';
import type { ContactLookup } from './parts.ts';
import { K, listRecords, putRecord } from './records.ts';
import type { Store, StoreOp } from './storage.ts';
import type { Contact } from './types.ts';

export class ContactList implements ContactLookup {
  readonly #store: Store;
  readonly #byKey = new Map<string, Contact>();

  constructor(store: Store) {
    this.#store = store;
  }

  async load(): Promise<void> {
    for (const [, c] of await listRecords<Contact>(this.#store, K.contacts)) this.#byKey.set(c.key, c);
  }

  /** Snapshots of every contact. */
  all(): Contact[] {
    return [...this.#byKey.values()].map(snapshot);
  }

  /** The contact's own object (the parts change it, then write `putOp`). */
  get(key: string): Contact | undefined {
    return this.#byKey.get(key);
  }

  has(key: string): boolean {
    return this.#byKey.has(key);
  }

  /** The contact, or UNKNOWN_CONTACT; `states` limits which states are accepted. */
  require(key: string, states?: readonly Contact['state'][]): Contact {
    const c = this.#byKey.get(key);
    if (!c) throw new EngineError('UNKNOWN_CONTACT', `no contact ${key}`);
    if (states && !states.includes(c.state)) throw new EngineError('UNKNOWN_CONTACT', `contact ${key} is ${c.state}, not ${states.join(' or ')}`);
    return c;
  }

  byId(idHex: string): Contact[] {
    return [...this.#byKey.values()].filter((c) => c.id === idHex);
  }

  /** Contacts in `state`, counted (for the cap on pending requests). */
  count(state: Contact['state']): number {
    let n = 0;
    for (const c of this.#byKey.values()) if (c.state === state) n++;
    return n;
  }

  putOp(c: Contact): StoreOp {
    return putRecord(K.contact(c.key), c);
  }

  /** After the contact's record landed. */
  set(c: Contact): void {
    this.#byKey.set(c.key, c);
  }

  delete(key: string): Contact | undefined {
    const c = this.#byKey.get(key);
    this.#byKey.delete(key);
    return c;
  }
}

/** A copy for events and callers (the list's own objects stay private). */
export function snapshot(c: Contact): Contact {
  return { ...c, x: c.x.slice(), ed: c.ed.slice() };
}
