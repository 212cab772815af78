/**
 * Ratchet vectors (generated/vectors/ratchet*.json, written by runtime/scripts/gen-ratchet.ts;
 * its `conventions` member describes them) turned into conformance cases. Every case carries
 * the state it starts from (structs.ratchet_state, hex) and every random draw, so an
 * implementation answers from the request alone. The ops are defined in
 * spec/conformance/PROTOCOL.md.
 *
 *   frames[]   → ratchet/seal/<label>   (op seal_ratchet: frame and new state byte-exact)
 *                ratchet/open/<label>   (op open_ratchet: plaintext, new state and step)
 *   invalid[]  → ratchet/open/<label>   (op open_ratchet: error code)
 *   reset      → ratchet/reset/offer, ratchet/reset/answer, ratchet/reset/accept
 *                (ops offer_session, answer_session, accept_session: frames and states byte-exact)
 */
import { ConformanceError } from './errors.ts';

/** The ops ratchet vectors need (PROTOCOL.md, "Ratchet ops"). */
export const SESSION_RATCHET_OPS = ['offer_session', 'answer_session', 'accept_session'] as const;
export type SessionRatchetOp = (typeof SESSION_RATCHET_OPS)[number];
export const RATCHET_OPS = ['seal_ratchet', 'open_ratchet', ...SESSION_RATCHET_OPS] as const;
export type RatchetOp = (typeof RATCHET_OPS)[number];

export interface RatchetCase {
  name: string;
  op: RatchetOp;
  request: Record<string, unknown>;
  expect: { kind: 'result'; result: Record<string, unknown> } | { kind: 'error'; code: string };
}

type Entry = Record<string, unknown>;
const isObject = (x: unknown): x is Entry => typeof x === 'object' && x !== null && !Array.isArray(x);
const HEX = /^(?:[0-9a-f]{2})*$/;

export function isRatchetDocument(doc: Entry): boolean {
  return Array.isArray(doc.frames) && isObject(doc.start);
}

export function ratchetCases(stem: string, doc: Entry, file: string): RatchetCase[] {
  const fail = (where: string, what: string): never => {
    throw new ConformanceError('CONF_VECTORS', `${file}: ${where}: ${what}`);
  };
  const hex = (e: Entry, key: string, where: string): string => {
    const v = e[key];
    return typeof v === 'string' && HEX.test(v) ? v : fail(where, `"${key}" must be lowercase hex`);
  };
  const hexList = (e: Entry, key: string, where: string): string[] => {
    const v = e[key];
    return Array.isArray(v) && v.every((x) => typeof x === 'string' && HEX.test(x)) ? (v as string[]) : fail(where, `"${key}" must be a list of hex strings`);
  };
  const str = (e: Entry, key: string, where: string): string => {
    const v = e[key];
    return typeof v === 'string' && v !== '' ? v : fail(where, `"${key}" must be a non-empty string`);
  };
  const start = isObject(doc.start) ? doc.start : fail('(top level)', '"start" must be an object');
  const parties = new Map<string, { seed: string; x25519: string; ed25519: string }>();
  for (const [name, key] of [['alice', 'a'], ['bob', 'b']] as const) {
    const p = isObject(start[key]) ? (start[key] as Entry) : fail('start', `"${key}" must be an object`);
    parties.set(name, { seed: hex(p, 'seed', `start.${key}`), x25519: hex(p, 'x', `start.${key}`), ed25519: hex(p, 'ed', `start.${key}`) });
  }
  const party = (e: Entry, key: string, where: string) => parties.get(str(e, key, where)) ?? fail(where, `"${key}": no party "${String(e[key])}"`);
  const now = typeof doc.now === 'number' ? doc.now : fail('(top level)', '"now" must be a number');
  const cases: RatchetCase[] = [];
  const list = (key: string): Entry[] => {
    const v = doc[key];
    if (v === undefined) return [];
    return Array.isArray(v) && v.every(isObject) ? (v as Entry[]) : fail('(top level)', `"${key}" must be an array of objects`);
  };
  list('frames').forEach((f, i) => {
    const where = `frames[${i}]`;
    const label = str(f, 'label', where);
    const from = party(f, 'from', where);
    const to = party(f, 'to', where);
    cases.push({
      name: `${stem}/seal/${label}`,
      op: 'seal_ratchet',
      request: { op: 'seal_ratchet', sender_seed: from.seed, recipient: { x25519: to.x25519, ed25519: to.ed25519 }, state: hex(f, 'sender_state_before', where), plaintext: hex(f, 'plaintext', where), random: hexList(f, 'sender_random', where), now },
      expect: { kind: 'result', result: { frame: hex(f, 'frame', where), state: hex(f, 'sender_state_after', where) } },
    });
    cases.push({
      name: `${stem}/open/${label}`,
      op: 'open_ratchet',
      request: { op: 'open_ratchet', recipient_seed: to.seed, sender: { x25519: from.x25519, ed25519: from.ed25519 }, state: hex(f, 'receiver_state_before', where), frame: hex(f, 'frame', where), random: hexList(f, 'receiver_random', where), now },
      expect: { kind: 'result', result: { plaintext: hex(f, 'plaintext', where), state: hex(f, 'receiver_state_after', where), step: str(f, 'open_step', where) } },
    });
  });
  list('invalid').forEach((c, i) => {
    const where = `invalid[${i}]`;
    const from = party(c, 'from', where);
    const to = party(c, 'to', where);
    cases.push({
      name: `${stem}/open/${str(c, 'label', where)}`,
      op: 'open_ratchet',
      request: { op: 'open_ratchet', recipient_seed: to.seed, sender: { x25519: from.x25519, ed25519: from.ed25519 }, state: hex(c, 'receiver_state', where), frame: hex(c, 'frame', where), random: [], now },
      expect: { kind: 'error', code: str(c, 'error', where) },
    });
  });
  if (doc.reset !== undefined) cases.push(...resetCases(stem, doc.reset, now, parties, { hex, hexList, fail }));
  return cases;
}

type Party = { seed: string; x25519: string; ed25519: string };

/** The session reset: B's offer, A's answer (from its old session), B's acceptance. */
function resetCases(
  stem: string,
  reset: unknown,
  now: number,
  parties: Map<string, Party>,
  h: { hex: (e: Entry, key: string, where: string) => string; hexList: (e: Entry, key: string, where: string) => string[]; fail: (where: string, what: string) => never },
): RatchetCase[] {
  if (!isObject(reset)) return h.fail('reset', 'must be an object');
  const sub = (key: string): Entry => (isObject(reset[key]) ? (reset[key] as Entry) : h.fail('reset', `"${key}" must be an object`));
  const int = (e: Entry, key: string, where: string): number => (Number.isSafeInteger(e[key]) ? (e[key] as number) : h.fail(where, `"${key}" must be an integer`));
  const offer = sub('offer');
  const answer = sub('answer');
  const alice = parties.get('alice')!;
  const bob = parties.get('bob')!;
  const keys = (p: Party) => ({ x25519: p.x25519, ed25519: p.ed25519 });
  const offerSentAt = int(offer, 'sent_at', 'reset.offer');
  const offerFrame = h.hex(offer, 'frame', 'reset.offer');
  const answerFrame = h.hex(answer, 'frame', 'reset.answer');
  const ephemeral = h.hex(offer, 'ephemeral_secret', 'reset.offer');
  return [
    {
      name: `${stem}/reset/offer`,
      op: 'offer_session',
      request: { op: 'offer_session', sender_seed: bob.seed, recipient: keys(alice), session_op: 'reset_offer', msg_id: h.hex(offer, 'msg_id', 'reset.offer'), sent_at: offerSentAt, random: [ephemeral], nonce: h.hex(offer, 'nonce', 'reset.offer') },
      expect: { kind: 'result', result: { frame: offerFrame } },
    },
    {
      name: `${stem}/reset/answer`,
      op: 'answer_session',
      request: { op: 'answer_session', recipient_seed: alice.seed, sender: keys(bob), frame: offerFrame, state: h.hex(answer, 'a_state_before', 'reset.answer'), random: h.hexList(answer, 'random', 'reset.answer'), msg_id: h.hex(answer, 'msg_id', 'reset.answer'), sent_at: int(answer, 'sent_at', 'reset.answer'), nonce: h.hex(answer, 'nonce', 'reset.answer'), now: offerSentAt },
      expect: { kind: 'result', result: { frame: answerFrame, state: h.hex(reset, 'a_state', 'reset') } },
    },
    {
      name: `${stem}/reset/accept`,
      op: 'accept_session',
      request: { op: 'accept_session', recipient_seed: bob.seed, sender: keys(alice), frame: answerFrame, offer: { session_op: 'reset_offer', ephemeral_secret: ephemeral, msg_id: h.hex(offer, 'msg_id', 'reset.offer'), sent_at: offerSentAt }, now: Math.max(now, offerSentAt) },
      expect: { kind: 'result', result: { state: h.hex(reset, 'b_state', 'reset') } },
    },
  ];
}
