/**
 * Rule vectors (generated/vectors/rules*.json, written by runtime/scripts/gen-frames.ts; its
 * `conventions` member describes them) turned into conformance cases, one request per vector:
 *
 *   keys.x25519[]               → rules/keys/x25519/<name>        (op x25519: shared, or BAD_KEY)
 *   keys.ed25519[]              → rules/keys/ed25519/<name>       (op ed25519_verify: valid)
 *   replay[]                    → rules/replay/<name>             (op replay_window: each step's result and floor)
 *   invites.valid[], invalid[]  → rules/invites/<name>            (op parse_invite: fields, or BAD_INVITE)
 *   invites.expiry.checks[]     → rules/invites/expiry/<now>      (op parse_invite)
 *   derived.relay_fingerprint[] → rules/derived/relay_fingerprint/<name>
 *   derived.safety_number[]     → rules/derived/safety_number/<name>
 *   derived.file_digest[]       → rules/derived/file_digest/<name>
 *   order.valid[], invalid[]    → rules/order/<name>              (op read_order: order, or BAD_MESSAGE)
 *   handshake_failures.client[] → rules/handshake/client/<name>   (op handshake_client: BAD_RELAY)
 *   handshake_failures.relay[]  → rules/handshake/relay/<name>    (op handshake_relay: {} or HANDSHAKE_FAILED)
 *
 * The ops and their members are defined in spec/conformance/PROTOCOL.md, "Rule ops".
 */
import { ConformanceError } from './errors.ts';

/** The ops rule vectors need, in the order PROTOCOL.md documents them. */
export const RULE_OPS = [
  'x25519',
  'ed25519_verify',
  'replay_window',
  'parse_invite',
  'relay_fingerprint',
  'safety_number',
  'file_digest',
  'read_order',
  'handshake_client',
  'handshake_relay',
] as const;
export type RuleOp = (typeof RULE_OPS)[number];

/** The sections of a rule vector file. */
export const RULE_SECTIONS = ['keys', 'replay', 'invites', 'derived', 'order', 'handshake_failures'] as const;

export interface RuleCase {
  name: string;
  op: RuleOp;
  request: Record<string, unknown>;
  expect: { kind: 'result'; result: Record<string, unknown> } | { kind: 'error'; code: string };
}

type Entry = Record<string, unknown>;
const isObject = (x: unknown): x is Entry => typeof x === 'object' && x !== null && !Array.isArray(x);

/** True if the document has at least one rule section. */
export function isRuleDocument(doc: Entry): boolean {
  return RULE_SECTIONS.some((s) => doc[s] !== undefined);
}

/** The cases of one rule vector file; `stem` is its name without .json (`rules`). */
export function ruleCases(stem: string, doc: Entry, file: string): RuleCase[] {
  const fail = (where: string, what: string): never => {
    throw new ConformanceError('CONF_VECTORS', `${file}: ${where}: ${what}`);
  };
  const obj = (e: Entry, key: string, where: string): Entry => (isObject(e[key]) ? (e[key] as Entry) : fail(where, `"${key}" must be an object`));
  const list = (e: Entry, key: string, where: string): Entry[] => {
    const v = e[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every(isObject)) fail(where, `"${key}" must be an array of objects`);
    return v as Entry[];
  };
  const str = (e: Entry, key: string, where: string): string => (typeof e[key] === 'string' && e[key] !== '' ? (e[key] as string) : fail(where, `"${key}" must be a non-empty string`));
  const pick = (e: Entry, keys: string[], where: string): Entry => {
    const out: Entry = {};
    for (const k of keys) out[k] = e[k] === undefined ? fail(where, `"${k}" is missing`) : e[k];
    return out;
  };
  const cases: RuleCase[] = [];
  const add = (section: string, e: Entry, where: string, op: RuleOp, request: Entry, expect: RuleCase['expect'], name = str(e, 'name', where)) =>
    cases.push({ name: `${stem}/${section}/${name}`, op, request: { op, ...request }, expect });
  const errorOr = (e: Entry, where: string, result: () => Entry): RuleCase['expect'] =>
    e.error !== undefined ? { kind: 'error', code: str(e, 'error', where) } : { kind: 'result', result: result() };

  if (isObject(doc.keys)) {
    const keys = doc.keys;
    const secret = str(keys, 'x25519_secret', 'keys');
    list(keys, 'x25519', 'keys').forEach((c, i) => {
      const w = `keys.x25519[${i}]`;
      add('keys/x25519', c, w, 'x25519', { secret, public_key: str(c, 'public_key', w) }, errorOr(c, w, () => ({ shared: str(c, 'shared', w) })));
    });
    list(keys, 'ed25519', 'keys').forEach((c, i) => {
      const w = `keys.ed25519[${i}]`;
      add('keys/ed25519', c, w, 'ed25519_verify', pick(c, ['public_key', 'message', 'signature'], w), { kind: 'result', result: { valid: c.valid === true } });
    });
  }
  list(doc, 'replay', '(top level)').forEach((c, i) => {
    const w = `replay[${i}]`;
    const steps = list(c, 'steps', w);
    add('replay', c, w, 'replay_window', { ...pick(c, ['window_ms', 'max_skew_ms', 'max_ids', 'window'], w), steps: steps.map((s, j) => pick(s, ['msg_id', 'sent_at', 'now'], `${w}.steps[${j}]`)) }, {
      kind: 'result',
      result: { steps: steps.map((s, j) => ({ result: str(s, 'result', `${w}.steps[${j}]`), floor: s.floor_after })) },
    });
  });
  if (isObject(doc.invites)) {
    const inv = doc.invites;
    for (const [k, c] of [...list(inv, 'valid', 'invites').map((c) => ['valid', c] as const), ...list(inv, 'invalid', 'invites').map((c) => ['invalid', c] as const)]) {
      const w = `invites.${k}`;
      add('invites', c, w, 'parse_invite', { invite: str(c, 'hex', w), now: typeof c.now === 'number' ? c.now : doc.now }, errorOr(c, w, () => ({ fields: obj(c, 'fields', w) })));
    }
    if (isObject(inv.expiry)) {
      const x = inv.expiry;
      list(x, 'checks', 'invites.expiry').forEach((c, i) => {
        const w = `invites.expiry.checks[${i}]`;
        const expect: RuleCase['expect'] = c.result === 'ok' ? { kind: 'result', result: { fields: obj(x, 'fields', 'invites.expiry') } } : { kind: 'error', code: str(c, 'result', w) };
        add('invites/expiry', c, w, 'parse_invite', { invite: str(x, 'hex', 'invites.expiry'), now: c.now }, expect, String(c.now));
      });
    }
  }
  if (isObject(doc.derived)) {
    const d = doc.derived;
    list(d, 'relay_fingerprint', 'derived').forEach((c, i) => {
      const w = `derived.relay_fingerprint[${i}]`;
      add('derived/relay_fingerprint', c, w, 'relay_fingerprint', pick(c, ['relay_x', 'relay_ed'], w), { kind: 'result', result: pick(c, ['bytes', 'text'], w) });
    });
    list(d, 'safety_number', 'derived').forEach((c, i) => {
      const w = `derived.safety_number[${i}]`;
      add('derived/safety_number', c, w, 'safety_number', pick(c, ['a', 'b'], w), { kind: 'result', result: pick(c, ['number', 'fingerprint', 'qr'], w) });
    });
    list(d, 'file_digest', 'derived').forEach((c, i) => {
      const w = `derived.file_digest[${i}]`;
      add('derived/file_digest', c, w, 'file_digest', pick(c, ['content'], w), { kind: 'result', result: pick(c, ['digest'], w) });
    });
  }
  if (isObject(doc.order)) {
    for (const k of ['valid', 'invalid'] as const) {
      list(doc.order, k, 'order').forEach((c, i) => {
        const w = `order.${k}[${i}]`;
        add('order', c, w, 'read_order', { envelope: str(obj(c, 'envelope', w), 'hex', w) }, errorOr(c, w, () => ({ order: c.order ?? null })));
      });
    }
  }
  if (isObject(doc.handshake_failures)) {
    const h = doc.handshake_failures;
    list(h, 'client', 'handshake_failures').forEach((c, i) => {
      const w = `handshake_failures.client[${i}]`;
      const request = pick(c, ['client_seed', 'pinned_relay', 'client_ephemeral_secret', 'hello_nonce', 'client_time', 'challenge'], w);
      if (c.welcome !== undefined) request.welcome = c.welcome;
      add('handshake/client', c, w, 'handshake_client', request, errorOr(c, w, () => ({})));
    });
    list(h, 'relay', 'handshake_failures').forEach((c, i) => {
      const w = `handshake_failures.relay[${i}]`;
      add('handshake/relay', c, w, 'handshake_relay', pick(c, ['relay_seed', 'relay_ephemeral_secret', 'challenge_nonce', 'welcome_nonce', 'relay_time', 'hello_at', 'hello'], w), errorOr(c, w, () => ({})));
    });
  }
  if (!cases.length) fail('(top level)', `no cases in any of the sections ${RULE_SECTIONS.join(', ')}`);
  return cases;
}
