/**
 * Frame vectors (generated/vectors/frames*.json, written by runtime/scripts/gen-frames.ts; its
 * `conventions` member describes them) turned into conformance cases. Every case is a request an
 * implementation can answer from the request alone: seeds, public keys, connection keys,
 * counters, injected randomness and clocks, and the frame bytes. Parties named in a vector
 * ("recipient": "bob") are resolved through the file's `parties`; the keys of a control case
 * through the handshake of its client; the invite of an invalid first-contact case is the valid
 * case's. The ops and their members are defined in spec/conformance/PROTOCOL.md.
 *
 *   handshake[]            → frames/handshake/<name>           (op handshake)
 *   peer.valid[]           → frames/peer/seal/<name>           (op seal_peer, frame_sent byte-exact)
 *                            frames/peer/open/<name>           (op open_peer, sender and envelope)
 *   peer.invalid[]         → frames/peer/open/<name>           (op open_peer, error)
 *   control.valid[]        → frames/control/seal/<name>, frames/control/open/<name>
 *   control.invalid[]      → frames/control/open/<name>
 *   first_contact.valid[]  → frames/first_contact/seal/<name>, frames/first_contact/open/<name>
 *   first_contact.invalid[]→ frames/first_contact/open/<name>
 */
import { ConformanceError } from './errors.ts';

/** The ops frame vectors need, in the order PROTOCOL.md documents them. */
export const FRAME_OPS = ['handshake', 'seal_peer', 'open_peer', 'seal_control', 'open_control', 'seal_first_contact', 'open_first_contact'] as const;
export type FrameOp = (typeof FRAME_OPS)[number];

/** The sections of a frame vector file, in the order their cases run. */
export const FRAME_SECTIONS = ['handshake', 'peer', 'control', 'first_contact'] as const;

export interface FrameCase {
  name: string;
  op: FrameOp;
  request: Record<string, unknown>;
  expect: { kind: 'result'; result: Record<string, unknown> } | { kind: 'error'; code: string; stage?: string };
}

type Entry = Record<string, unknown>;

const isObject = (x: unknown): x is Entry => typeof x === 'object' && x !== null && !Array.isArray(x);
const HEX = /^(?:[0-9a-f]{2})*$/;

/** Reads members of one vector, failing with CONF_VECTORS and the vector's place in the file. */
class Reader {
  constructor(
    readonly file: string,
    readonly where: string,
    readonly e: Entry,
  ) {}

  fail(what: string): never {
    throw new ConformanceError('CONF_VECTORS', `${this.file}: ${this.where}: ${what}`);
  }

  has(key: string): boolean {
    return this.e[key] !== undefined;
  }

  obj(key: string): Reader {
    const v = this.e[key];
    if (!isObject(v)) this.fail(`"${key}" must be an object`);
    return new Reader(this.file, `${this.where}.${key}`, v);
  }

  hex(key: string): string {
    const v = this.e[key];
    if (typeof v !== 'string' || !HEX.test(v)) this.fail(`"${key}" must be lowercase hex`);
    return v;
  }

  str(key: string): string {
    const v = this.e[key];
    if (typeof v !== 'string' || v === '') this.fail(`"${key}" must be a non-empty string`);
    return v;
  }

  int(key: string): number {
    const v = this.e[key];
    if (!Number.isSafeInteger(v) || (v as number) < 0) this.fail(`"${key}" must be a non-negative integer`);
    return v as number;
  }

  list(key: string): unknown[] {
    const v = this.e[key];
    if (!Array.isArray(v)) this.fail(`"${key}" must be an array`);
    return v;
  }

  /** `{ x25519, ed25519 }` public keys (a seed member, if any, is left out). */
  keys(key: string): { x25519: string; ed25519: string } {
    const k = this.obj(key);
    return { x25519: k.hex('x25519'), ed25519: k.hex('ed25519') };
  }

  /** A list of `{ x25519, ed25519 }`. */
  keyList(key: string): { x25519: string; ed25519: string }[] {
    return this.list(key).map((k, i) => {
      if (!isObject(k)) this.fail(`"${key}[${i}]" must be an object`);
      const r = new Reader(this.file, `${this.where}.${key}[${i}]`, k);
      return { x25519: r.hex('x25519'), ed25519: r.hex('ed25519') };
    });
  }
}

interface Party {
  seed: string;
  x25519: string;
  ed25519: string;
  id: string;
}

/** True if the document has at least one frame section. */
export function isFrameDocument(doc: Entry): boolean {
  return FRAME_SECTIONS.some((s) => doc[s] !== undefined);
}

/** The cases of one frame vector file; `stem` is its name without .json (`frames`). */
export function frameCases(stem: string, doc: Entry, file: string): { cases: FrameCase[]; notes: string[] } {
  const top = new Reader(file, '(top level)', doc);
  const notes: string[] = [];
  for (const k of Object.keys(doc)) {
    if (Array.isArray(doc[k]) || (isObject(doc[k]) && (Array.isArray(doc[k].valid) || Array.isArray(doc[k].invalid)))) {
      if (!(FRAME_SECTIONS as readonly string[]).includes(k)) notes.push(`${file}: skipped section "${k}": not one the runner knows`);
    }
  }
  let parties: Map<string, Party> | undefined;
  /** The party named by member `key` of r (or, with `name`, that party), from "parties". */
  const party = (r: Reader, key: string, name = r.str(key)): Party => {
    if (!parties) {
      const all = top.obj('parties');
      parties = new Map(Object.keys(all.e).map((n) => {
        const p = all.obj(n);
        return [n, { seed: p.hex('seed'), x25519: p.hex('x25519'), ed25519: p.hex('ed25519'), id: p.hex('id') }];
      }));
    }
    return parties.get(name) ?? r.fail(`"${key}": no party "${name}" in "parties"`);
  };
  /** The receivers' clock of cases that do not give their own. */
  const now = () => top.int('now');

  const cases: FrameCase[] = [];
  const entries = (section: string, list: 'valid' | 'invalid' | null): Reader[] => {
    if (doc[section] === undefined) return [];
    const raw = list === null ? top.list(section) : top.obj(section).has(list) ? top.obj(section).list(list) : [];
    const path = list === null ? section : `${section}.${list}`;
    return raw.map((x, i) => {
      const e = isObject(x) ? x : top.fail(`${path}[${i}] must be an object`);
      const r = new Reader(file, `${path}[${i}]`, e);
      return new Reader(file, `${path}[${i}] (${r.str('name')})`, e);
    });
  };
  const name = (section: string, verb: string | null, r: Reader) => [stem, section, ...(verb ? [verb] : []), r.str('name')].join('/');
  /** `error` is a code (frames.json) or `{ code }`; `stage` names the receive step that raises it. */
  const error = (r: Reader) => {
    const code = isObject(r.e.error) ? r.obj('error').str('code') : r.str('error');
    return { kind: 'error' as const, code, ...(r.has('stage') ? { stage: r.str('stage') } : {}) };
  };

  // handshake: both sides with injected randomness; every frame, transcript hash and key.
  const sessions = new Map<string, Record<string, unknown>>();
  for (const h of entries('handshake', null)) {
    const i = h.obj('inputs');
    const body = h.obj('welcome_body');
    const s = h.obj('session');
    const session = { version: s.int('version'), route_c2r: s.hex('route_c2r'), route_r2c: s.hex('route_r2c'), control_c2r: s.hex('control_c2r'), control_r2c: s.hex('control_r2c'), control_bind: s.hex('control_bind') };
    const client = h.str('client');
    if (!sessions.has(client)) sessions.set(client, session);
    const f = h.obj('frames');
    cases.push({
      name: name('handshake', null, h),
      op: 'handshake',
      request: {
        op: 'handshake',
        client_seed: h.hex('client_seed'),
        relay_seed: h.hex('relay_seed'),
        versions: i.list('versions'),
        relay_ephemeral_secret: i.hex('relay_ephemeral_secret'),
        challenge_nonce: i.hex('challenge_nonce'),
        relay_time: i.int('relay_time'),
        client_ephemeral_secret: i.hex('client_ephemeral_secret'),
        hello_nonce: i.hex('hello_nonce'),
        client_time: i.int('client_time'),
        welcome_nonce: i.hex('welcome_nonce'),
        welcome_body: body.e,
      },
      expect: {
        kind: 'result',
        result: { frames: { challenge: f.hex('challenge'), hello: f.hex('hello'), welcome: f.hex('welcome') }, th0: h.hex('th0'), th1: h.hex('th1'), th2: h.hex('th2'), welcome_body: body.e, session },
      },
    });
  }

  // peer: seal byte-exact as sent, open as delivered; invalid frames fail with their error.
  for (const c of entries('peer', 'valid')) {
    const route = c.obj('route');
    const sender = c.obj('sender_keys');
    const envelope = c.obj('envelope').obj('fields').e;
    cases.push({
      name: name('peer', 'seal', c),
      op: 'seal_peer',
      request: { op: 'seal_peer', sender_seed: sender.hex('seed'), recipient: c.keys('recipient_keys'), nonce: c.hex('nonce'), envelope, c2r_key: route.hex('c2r_key'), c2r_counter: route.int('c2r_counter') },
      expect: { kind: 'result', result: { frame: c.hex('frame_sent') } },
    });
    cases.push({
      name: name('peer', 'open', c),
      op: 'open_peer',
      request: { op: 'open_peer', recipient_seed: c.obj('recipient_keys').hex('seed'), contacts: [c.keys('sender_keys')], r2c_key: route.hex('r2c_key'), r2c_counter: route.int('r2c_counter'), now: now(), seen_msg_ids: [], frame: c.hex('frame_delivered') },
      expect: { kind: 'result', result: { sender_id: party(c, 'sender').id, sender: c.keys('sender_keys'), envelope } },
    });
  }
  for (const c of entries('peer', 'invalid')) {
    const seen = c.has('seen_msg_ids')
      ? c.list('seen_msg_ids').map((s, i) => {
          const r = new Reader(file, `${c.where}.seen_msg_ids[${i}]`, isObject(s) ? s : c.fail(`seen_msg_ids[${i}] must be an object`));
          return { msg_id: r.hex('msg_id'), sent_at: r.int('sent_at') };
        })
      : [];
    cases.push({
      name: name('peer', 'open', c),
      op: 'open_peer',
      request: { op: 'open_peer', recipient_seed: party(c, 'recipient').seed, contacts: c.keyList('contacts'), r2c_key: c.hex('r2c_key'), r2c_counter: c.int('r2c_counter'), now: c.int('now'), seen_msg_ids: seen, frame: c.hex('frame_delivered') },
      expect: error(c),
    });
  }

  // control: the session keys of the client's handshake; seal byte-exact (masked), open.
  const sessionOf = (c: Reader) => {
    return sessions.get(c.str('client')) ?? c.fail(`no handshake of client "${c.str('client')}" to take the session keys from`);
  };
  const relaySeed = (c: Reader) => (c.has('relay_seed') ? c.hex('relay_seed') : party(c, 'relay_seed', 'relay').seed);
  const clientSeed = (c: Reader) => (c.has('client_seed') ? c.hex('client_seed') : party(c, 'client').seed);
  const direction = (c: Reader) => {
    const d = c.str('direction');
    return d === 'client_to_relay' || d === 'relay_to_client' ? d : c.fail(`"direction" must be client_to_relay or relay_to_client, got ${d}`);
  };
  for (const c of entries('control', 'valid')) {
    const common = { client_seed: clientSeed(c), relay_seed: relaySeed(c), session: sessionOf(c), direction: direction(c), counter: c.int('counter') };
    const message = c.obj('message').e;
    cases.push({
      name: name('control', 'seal', c),
      op: 'seal_control',
      request: { op: 'seal_control', ...common, nonce: c.hex('nonce'), message },
      expect: { kind: 'result', result: { frame: c.hex('frame') } },
    });
    cases.push({
      name: name('control', 'open', c),
      op: 'open_control',
      request: { op: 'open_control', ...common, frame: c.hex('frame') },
      expect: { kind: 'result', result: { message } },
    });
  }
  for (const c of entries('control', 'invalid')) {
    cases.push({
      name: name('control', 'open', c),
      op: 'open_control',
      request: { op: 'open_control', client_seed: clientSeed(c), relay_seed: relaySeed(c), session: sessionOf(c), direction: direction(c), counter: c.int('counter'), frame: c.hex('frame') },
      expect: error(c),
    });
  }

  // first contact: seal with the injected ephemeral and nonce; open with a fresh invite book.
  const fcValid = entries('first_contact', 'valid');
  for (const c of fcValid) {
    const route = c.obj('route');
    const envelope = c.obj('envelope').obj('fields').e;
    const invite = c.obj('invite').hex('hex');
    cases.push({
      name: name('first_contact', 'seal', c),
      op: 'seal_first_contact',
      request: { op: 'seal_first_contact', sender_seed: c.obj('sender_keys').hex('seed'), invite, now: now(), envelope, ephemeral_secret: c.hex('ephemeral_secret'), nonce: c.hex('nonce'), c2r_key: route.hex('c2r_key'), c2r_counter: route.int('c2r_counter') },
      expect: { kind: 'result', result: { frame: c.hex('frame_sent') } },
    });
    cases.push({
      name: name('first_contact', 'open', c),
      op: 'open_first_contact',
      request: { op: 'open_first_contact', recipient_seed: c.obj('recipient_keys').hex('seed'), invite, invite_uses: 0, contacts: [], r2c_key: route.hex('r2c_key'), r2c_counter: route.int('r2c_counter'), now: now(), frame: c.hex('frame_delivered') },
      expect: { kind: 'result', result: { sender_id: party(c, 'sender').id, sender: c.keys('sender_keys'), envelope } },
    });
  }
  for (const c of entries('first_contact', 'invalid')) {
    const invite = fcValid[0]?.obj('invite').hex('hex') ?? c.fail('an invalid first contact needs the invite of first_contact.valid[0]');
    cases.push({
      name: name('first_contact', 'open', c),
      op: 'open_first_contact',
      request: { op: 'open_first_contact', recipient_seed: party(c, 'recipient').seed, invite, invite_uses: c.int('invite_uses'), contacts: c.keyList('contacts_with_id'), r2c_key: c.hex('r2c_key'), r2c_counter: c.int('r2c_counter'), now: c.int('now'), frame: c.hex('frame_delivered') },
      expect: error(c),
    });
  }
  if (!cases.length) top.fail(`no cases in any of the sections ${FRAME_SECTIONS.join(', ')}`);
  return { cases, notes };
}
