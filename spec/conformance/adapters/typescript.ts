/**
 * The reference adapter: Parley's own TypeScript implementation behind the conformance protocol
 * of PROTOCOL.md. It is both what `npm run conformance` is tested with and an example for
 * implementers: read a length-prefixed JSON request, call your code, write the answer.
 *
 *   npm run conformance -- npx tsx spec/conformance/adapters/typescript.ts
 *
 * `decode` and `encode` use the generated codec (generated/src/index.ts); until it exists the
 * adapter falls back to the reference interpreter (spec/generator/interp.ts) and says so in its hello
 * answer. The frame ops (handshake, seal_/open_ peer, control and first_contact) use the
 * runtime's protocol layer (@parley/runtime/protocol) on the crypto backend pickBackend() chooses
 * (PARLEY_CRYPTO=noble|node|webcrypto forces one); they are offered only if the runtime loads.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ControlMessage, Envelope } from '@parley/generated';
import type { CryptoBackend } from '@parley/runtime/crypto';
import type { PublicKeys, SessionKeys } from '@parley/runtime/protocol';
import { FRAME_OPS, type FrameOp } from '../frames.ts';
import { RULE_OPS, type RuleOp } from '../rules.ts';
import { loadRuleOps } from './typescript-rules.ts';
import { DEFAULT_MAX_MESSAGE_BYTES, encodeMessage, isFramingError, MessageReader } from '../framing.ts';
import { RATCHET_OPS, type RatchetOp } from '../ratchet.ts';
import { sessionOps } from './typescript-sessions.ts';

const here = dirname(fileURLToPath(import.meta.url));
const GENERATED_INDEX = resolve(here, '../../../generated/src/index.ts');

/** What the adapter needs from a codec. */
export interface Codec {
  name: string;
  decode(struct: string, bytes: Uint8Array): unknown;
  encode(struct: string, value: unknown): Uint8Array;
}

/** Raised by the adapter itself (not the codec) for requests it cannot serve. */
class AdapterError extends Error {
  constructor(
    readonly code: 'UNKNOWN_STRUCT' | 'UNSUPPORTED_OP' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

/** `relay_error_body` → `RelayErrorBody`, the generated codec's naming. */
function pascal(id: string): string {
  const camel = id.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

type Fn = (x: unknown) => unknown;

/** The generated codec when it exists, else the interpreter. */
export async function loadCodec(): Promise<Codec> {
  if (existsSync(GENERATED_INDEX)) {
    const mod = (await import(pathToFileURL(GENERATED_INDEX).href)) as Record<string, unknown>;
    const fn = (name: string): Fn => {
      const f = mod[name];
      if (typeof f !== 'function') throw new AdapterError('UNKNOWN_STRUCT', `generated codec has no ${name}`);
      return f as Fn;
    };
    return {
      name: 'parley-ts (generated codec)',
      decode: (struct, bytes) => fn(`decode${pascal(struct)}`)(bytes),
      encode: (struct, value) => fn(`encode${pascal(struct)}`)(value) as Uint8Array,
    };
  }
  const { loadSpecFile } = await import('../../generator/load.ts');
  const { decodeWith, encodeWith } = await import('../../generator/interp.ts');
  const ir = loadSpecFile(resolve(here, '../../protocol.yaml'));
  const known = (struct: string) => {
    if (!ir.structs.some((s) => s.id === struct)) throw new AdapterError('UNKNOWN_STRUCT', `no struct ${struct}`);
    return struct;
  };
  return {
    name: 'parley-ts (reference interpreter: generated/src/index.ts not found)',
    decode: (struct, bytes) => decodeWith(ir, known(struct), bytes),
    encode: (struct, value) => encodeWith(ir, known(struct), value as Parameters<typeof encodeWith>[2]),
  };
}

/** Codec values → the vectors' JSON convention: bytes become {"$bytes": hex}. */
export function toJson(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

/** The vectors' JSON convention → codec values. */
export function fromJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(fromJson);
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    if (typeof o.$bytes === 'string' && Object.keys(o).length === 1) return hexBytes(o.$bytes);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fromJson(x)]));
  }
  return v;
}

function hexBytes(hex: string): Uint8Array {
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw new AdapterError('BAD_REQUEST', 'hex must be an even number of hex digits');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

const toHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

type Request = Record<string, unknown>;
type Answer = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Request members (PROTOCOL.md, "Frame ops"): each getter fails with BAD_REQUEST.

function member(req: Request, key: string): unknown {
  const v = req[key];
  if (v === undefined) throw new AdapterError('BAD_REQUEST', `"${key}" is missing`);
  return v;
}

function hexArg(req: Request, key: string): Uint8Array {
  const v = member(req, key);
  if (typeof v !== 'string') throw new AdapterError('BAD_REQUEST', `"${key}" must be a hex string`);
  return hexBytes(v);
}

function intArg(req: Request, key: string): number {
  const v = member(req, key);
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new AdapterError('BAD_REQUEST', `"${key}" must be a non-negative integer`);
  return v as number;
}

function objArg(req: Request, key: string): Request {
  const v = member(req, key);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new AdapterError('BAD_REQUEST', `"${key}" must be an object`);
  return v as Request;
}

function listArg(req: Request, key: string): unknown[] {
  const v = member(req, key);
  if (!Array.isArray(v)) throw new AdapterError('BAD_REQUEST', `"${key}" must be an array`);
  return v;
}

/** `{ "x25519": hex, "ed25519": hex }` → public keys. */
function keysOf(v: unknown, what: string): PublicKeys {
  if (typeof v !== 'object' || v === null) throw new AdapterError('BAD_REQUEST', `${what} must be { x25519, ed25519 }`);
  return { x: hexArg(v as Request, 'x25519'), ed: hexArg(v as Request, 'ed25519') };
}

const keysJson = (k: PublicKeys) => ({ x25519: toHex(k.x), ed25519: toHex(k.ed) });

/** Randomness that hands out the request's injected values in order, each of the asked length. */
function injected(values: [string, Uint8Array][]): (n: number) => Uint8Array {
  let i = 0;
  return (n) => {
    const next = values[i++];
    if (next === undefined) throw new AdapterError('BAD_REQUEST', `more randomness asked for than injected (${n} bytes)`);
    if (next[1].length !== n) throw new AdapterError('BAD_REQUEST', `"${next[0]}" must be ${n} bytes, got ${next[1].length}`);
    return next[1].slice();
  };
}

// ---------------------------------------------------------------------------------------------
// The frame ops, on @parley/runtime/protocol.

export interface FrameOps {
  /** The crypto backend's name, for the hello answer. */
  backend: string;
  run(op: FrameOp | RatchetOp | RuleOp, req: Request): Promise<Answer>;
}

/** The frame ops on the runtime, or null if the runtime cannot be loaded (no generated codec yet). */
export async function loadFrameOps(backendOverride?: CryptoBackend): Promise<FrameOps | null> {
  let P: typeof import('@parley/runtime/protocol');
  let C: typeof import('@parley/runtime/crypto');
  let G: typeof import('@parley/generated');
  let E: typeof import('@parley/runtime/engine');
  try {
    [P, C, G, E] = await Promise.all([import('@parley/runtime/protocol'), import('@parley/runtime/crypto'), import('@parley/generated'), import('@parley/runtime/engine')]);
  } catch (e) {
    process.stderr.write(`adapter-ts: frame ops unavailable, the runtime does not load: ${(e as Error).message}\n`);
    return null;
  }
  const backend = backendOverride ?? (await C.pickBackend());
  const identity = (req: Request, key: string) => P.identityFromSeed(backend, hexArg(req, key));
  const idOf = (k: PublicKeys) => P.idOf(k.x);
  const sameId = (k: PublicKeys, id: Uint8Array) => C.equalBytes(idOf(k), id);
  const contacts = (req: Request) => listArg(req, 'contacts').map((c, i) => keysOf(c, `contacts[${i}]`));
  /** Unmasks a delivered frame in place at the request's r2c key and counter. */
  const unmask = (req: Request, frame: Uint8Array) => P.unmaskFrame(new P.RouteDirection(hexArg(req, 'r2c_key'), intArg(req, 'r2c_counter')), frame);
  /** Masks a sealed frame in place for `id` (null: the relay) at the given route key and counter. */
  const mask = (key: Uint8Array, counter: number, frame: Uint8Array, id: Uint8Array | null) => new P.RouteDirection(key).maskWith(counter, frame, id);

  /** The control ops' view of a session: the request's keys and both parties' public keys. */
  const session = async (req: Request) => {
    const [client, relay] = await Promise.all([identity(req, 'client_seed'), identity(req, 'relay_seed')]);
    const s = objArg(req, 'session');
    const d = member(req, 'direction');
    if (d !== 'client_to_relay' && d !== 'relay_to_client') throw new AdapterError('BAD_REQUEST', '"direction" must be client_to_relay or relay_to_client');
    const keys: SessionKeys = {
      version: s.version === undefined ? G.PROTOCOL_VERSION : intArg(s, 'version'),
      clientX: client.x,
      clientEd: client.ed,
      clientId: client.id,
      relayX: relay.x,
      relayEd: relay.ed,
      routeC2r: hexArg(s, 'route_c2r'),
      routeR2c: hexArg(s, 'route_r2c'),
      controlC2r: hexArg(s, 'control_c2r'),
      controlR2c: hexArg(s, 'control_r2c'),
      controlBind: hexArg(s, 'control_bind'),
      th2: new Uint8Array(G.HASH_SIZE), // identifies a session in logs; no control frame uses it
    };
    const toRelay = d === 'client_to_relay';
    return { keys, toRelay, direction: toRelay ? G.Direction.clientToRelay : G.Direction.relayToClient, routeKey: toRelay ? keys.routeC2r : keys.routeR2c, signerSeed: toRelay ? client.edSeed : relay.edSeed };
  };

  /** The request's `random` list as a random source: each call takes the next draw, of the size asked. */
  const draws = (req: Request) => {
    const q = listArg(req, 'random').map((h, i) => {
      if (typeof h !== 'string') throw new AdapterError('BAD_REQUEST', `random[${i}] must be hex`);
      return hexBytes(h);
    });
    return (n: number) => {
      const v = q.shift();
      if (v === undefined || v.length !== n) throw new AdapterError('BAD_REQUEST', `"random" has no draw of ${n} bytes left`);
      return v;
    };
  };

  const ops: Record<FrameOp | RatchetOp, (req: Request) => Promise<Answer>> = {
    /** Both sides of the handshake with injected randomness and clocks. */
    async handshake(req) {
      const [client, relay] = await Promise.all([identity(req, 'client_seed'), identity(req, 'relay_seed')]);
      const versions = listArg(req, 'versions').map((v) => {
        if (!Number.isInteger(v)) throw new AdapterError('BAD_REQUEST', '"versions" must hold integers');
        return v as number;
      });
      const body = objArg(req, 'welcome_body');
      const relayTime = intArg(req, 'relay_time');
      const clientTime = intArg(req, 'client_time');
      const rh = new P.RelayHandshake({
        backend,
        relay,
        versions,
        now: () => relayTime,
        random: injected([['relay_ephemeral_secret', hexArg(req, 'relay_ephemeral_secret')], ['challenge_nonce', hexArg(req, 'challenge_nonce')], ['welcome_nonce', hexArg(req, 'welcome_nonce')]]),
      });
      const ch = new P.ClientHandshake({
        backend,
        identity: client,
        relay: { x: relay.x, ed: relay.ed },
        versions,
        now: () => clientTime,
        random: injected([['client_ephemeral_secret', hexArg(req, 'client_ephemeral_secret')], ['hello_nonce', hexArg(req, 'hello_nonce')]]),
      });
      const challenge = await rh.challenge();
      const hello = await ch.onChallenge(challenge);
      await rh.onHello(hello);
      const limits = { maxFrameSize: intArg(body, 'maxFrameSize'), frameRate: intArg(body, 'frameRate'), byteRate: intArg(body, 'byteRate') };
      const w = await rh.welcome({ mailboxPending: intArg(body, 'mailboxPending'), limits });
      const c = await ch.onWelcome(w.frame);
      const s = c.session;
      const sessionJson = (k: SessionKeys) => ({ version: k.version, route_c2r: toHex(k.routeC2r), route_r2c: toHex(k.routeR2c), control_c2r: toHex(k.controlC2r), control_r2c: toHex(k.controlR2c), control_bind: toHex(k.controlBind) });
      if (JSON.stringify(sessionJson(s)) !== JSON.stringify(sessionJson(w.session))) throw new Error('the relay and the client derived different session keys');
      const t = ch.transcript;
      return {
        frames: { challenge: toHex(challenge), hello: toHex(hello), welcome: toHex(w.frame) },
        th0: toHex(t.th0!),
        th1: toHex(t.th1!),
        th2: toHex(t.th2!),
        welcome_body: toJson(c.welcome),
        session: sessionJson(s),
      };
    },

    /** Seal (encrypt, sign), then mask the route for the recipient at c2r_key/c2r_counter. */
    async seal_peer(req) {
      const sender = await identity(req, 'sender_seed');
      const recipient = keysOf(member(req, 'recipient'), '"recipient"');
      const frame = await P.sealPeer({ backend, sender, recipient, envelope: fromJson(objArg(req, 'envelope')) as Envelope, nonce: hexArg(req, 'nonce') });
      mask(hexArg(req, 'c2r_key'), intArg(req, 'c2r_counter'), frame, idOf(recipient));
      return { frame: toHex(frame) };
    },

    /** Unmask, look up contacts by id, open in receive_order, then the replay window. */
    async open_peer(req) {
      const me = await identity(req, 'recipient_seed');
      const known = contacts(req);
      const now = intArg(req, 'now');
      const seen = listArg(req, 'seen_msg_ids').map((s, i) => {
        if (typeof s !== 'object' || s === null) throw new AdapterError('BAD_REQUEST', `seen_msg_ids[${i}] must be { msg_id, sent_at }`);
        return { msgId: hexArg(s as Request, 'msg_id'), sentAt: intArg(s as Request, 'sent_at') };
      });
      const frame = hexArg(req, 'frame');
      const route = unmask(req, frame);
      const opened = await P.openPeer({ backend, me, candidates: known.filter((k) => sameId(k, route.id)), frame });
      const window = new P.ReplayWindow();
      for (const s of seen) window.check(s.msgId, s.sentAt, now);
      if (window.check(opened.envelope.msgId, opened.envelope.sentAt, now) === 'duplicate') throw new P.OpenError('REPLAYED', 'the message id is in the replay window');
      E.readOrder(opened.envelope); // receive_order's order step: BAD_MESSAGE
      return { sender_id: toHex(route.id), sender: keysJson(opened.sender), envelope: toJson(opened.envelope) };
    },

    /** v2: seal one message from the given session state with the given random draws (the nonce). */
    async seal_ratchet(req) {
      const sender = await identity(req, 'sender_seed');
      const recipient = keysOf(member(req, 'recipient'), '"recipient"');
      const deps = { backend, random: draws(req), now: () => intArg(req, 'now') };
      const sealed = await P.sealRatchetFrame({ deps, sender, recipient, state: P.parseState(hexArg(req, 'state')), envelope: hexArg(req, 'plaintext') });
      return { frame: toHex(sealed.frame), state: toHex(P.serializeState(sealed.state)) };
    },

    /** v2: open a ratchet frame from the given state (random draws for a DH step: ratchet secret, encapsulation, KEM seed). */
    async open_ratchet(req) {
      const me = await identity(req, 'recipient_seed');
      const sender = keysOf(member(req, 'sender'), '"sender"');
      const deps = { backend, random: draws(req), now: () => intArg(req, 'now') };
      const opened = await P.openRatchetFrame({ deps, me, candidates: [{ contact: sender, state: P.parseState(hexArg(req, 'state')) }], frame: hexArg(req, 'frame') });
      return { plaintext: toHex(opened.plaintext), state: toHex(P.serializeState(opened.state)), step: opened.step };
    },

    ...sessionOps(P, G, backend, { identity, keysOf, member, hex: hexArg, int: intArg, obj: objArg, draws, toHex, badRequest: (m) => new AdapterError('BAD_REQUEST', m) }),

    /** Seal with the session's keys for the direction, then mask the route to id 0 at `counter`. */
    async seal_control(req) {
      const s = await session(req);
      const counter = intArg(req, 'counter');
      const message = fromJson(objArg(req, 'message')) as ControlMessage;
      const frame = await P.sealControlFrame({ backend, keys: s.keys, direction: s.direction, counter, message, signerSeed: s.signerSeed, nonce: hexArg(req, 'nonce') });
      mask(s.routeKey, counter, frame, null);
      return { frame: toHex(frame) };
    },

    /** Unmask at `counter` (a control frame must be addressed to id 0), then open. */
    async open_control(req) {
      const s = await session(req);
      const frame = hexArg(req, 'frame');
      const route = P.unmaskFrame(new P.RouteDirection(s.routeKey, intArg(req, 'counter')), frame);
      if (route.kind !== G.FrameKind.control) throw new P.OpenError('BAD_KIND', `kind ${route.kind} where a control frame was expected`);
      const message = await P.openControlFrame({ backend, keys: s.keys, direction: s.direction, counter: route.counter, frame });
      return { message: toJson(message) };
    },

    /** Build from the invite with the injected ephemeral and nonce, then mask for the invite's owner. */
    async seal_first_contact(req) {
      const sender = await identity(req, 'sender_seed');
      const invite = P.parseInvite(hexArg(req, 'invite'), intArg(req, 'now'));
      const frame = await P.createFirstContact({
        backend,
        sender,
        invite,
        envelope: fromJson(objArg(req, 'envelope')) as Envelope,
        ephemeralSecret: hexArg(req, 'ephemeral_secret'),
        nonce: hexArg(req, 'nonce'),
      });
      mask(hexArg(req, 'c2r_key'), intArg(req, 'c2r_counter'), frame, idOf(P.inviteOwner(invite)));
      return { frame: toHex(frame) };
    },

    /** Unmask, then first_contact_order with the invite used invite_uses times. */
    async open_first_contact(req) {
      const me = await identity(req, 'recipient_seed');
      const now = intArg(req, 'now');
      const book = new P.InviteBook();
      book.add(P.parseInvite(hexArg(req, 'invite'), now)).uses = intArg(req, 'invite_uses');
      const known = contacts(req);
      const frame = hexArg(req, 'frame');
      const route = unmask(req, frame);
      const opened = await P.openFirstContact({ backend, me, book, frame, routeId: route.id, contactsWithId: known.filter((k) => sameId(k, route.id)), now });
      return { sender_id: toHex(opened.sender.id), sender: keysJson(opened.sender), envelope: toJson(opened.envelope) };
    },
  };
  const rules = await loadRuleOps(backend, { hex: hexArg, int: intArg, obj: objArg, list: listArg, keys: keysOf, toJson, toHex, injected });
  return { backend: backend.name, run: (op, req) => (isRuleOp(op) ? rules(op, req) : ops[op](req)) };
}

// ---------------------------------------------------------------------------------------------
// Dispatch.

const CODEC_OPS = ['decode', 'encode'];

const isFrameOp = (op: unknown): op is FrameOp | RatchetOp => ([...FRAME_OPS, ...RATCHET_OPS] as readonly unknown[]).includes(op);
const isRuleOp = (op: unknown): op is RuleOp => (RULE_OPS as readonly unknown[]).includes(op);

/** Answers one request; never throws (every failure is an answer). */
export function createHandler(codec: Codec, frames: FrameOps | null = null): (req: Request) => Promise<Answer> {
  const ops = [...CODEC_OPS, ...(frames ? [...FRAME_OPS, ...RATCHET_OPS, ...RULE_OPS] : [])];
  const name = frames ? `${codec.name.replace(/\)$/, '')}, runtime on ${frames.backend} crypto)` : codec.name;
  return async (req) => {
    const id = req.id;
    try {
      const struct = () => {
        if (typeof req.struct !== 'string') throw new AdapterError('BAD_REQUEST', 'struct must be a string');
        return req.struct;
      };
      switch (req.op) {
        case 'hello':
          return { id, ok: true, name, version: '0.1.0', ops };
        case 'decode': {
          if (typeof req.hex !== 'string') throw new AdapterError('BAD_REQUEST', 'hex must be a string');
          return { id, ok: true, fields: toJson(codec.decode(struct(), hexBytes(req.hex))) };
        }
        case 'encode': {
          if (typeof req.fields !== 'object' || req.fields === null) throw new AdapterError('BAD_REQUEST', 'fields must be an object');
          return { id, ok: true, hex: toHex(codec.encode(struct(), fromJson(req.fields))) };
        }
        default:
          if (frames && (isFrameOp(req.op) || isRuleOp(req.op))) return { id, ok: true, result: await frames.run(req.op, req) };
          throw new AdapterError('UNSUPPORTED_OP', `op ${String(req.op)} is not supported`);
      }
    } catch (e) {
      return { id, ok: false, error: errorOf(e) };
    }
  };
}

/**
 * An error as an answer: a codec error keeps its code and offset; the runtime's OpenError and
 * HandshakeError and RatchetError keep their spec code (errors.open, errors.handshake, errors.ratchet); anything else is INTERNAL
 * (never what a vector expects).
 */
function errorOf(e: unknown): Record<string, unknown> {
  const err = e as { code?: unknown; offset?: unknown; message?: unknown };
  if (e instanceof AdapterError) return { code: e.code, message: e.message };
  if (e instanceof Error && typeof err.code === 'string' && typeof err.offset === 'number') return { code: err.code, offset: err.offset, message: e.message };
  if (e instanceof Error && (e.name === 'OpenError' || e.name === 'HandshakeError' || e.name === 'RatchetError') && typeof err.code === 'string') return { code: err.code, message: e.message };
  return { code: 'INTERNAL', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

/**
 * Reads requests from stdin and writes answers to stdout, in order, until stdin closes. The
 * handler may be asynchronous; answers are written one after another in request order.
 */
export function serve(handle: (req: Request) => Answer | Promise<Answer>, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): void {
  const reader = new MessageReader(maxBytes);
  let queue = Promise.resolve();
  process.stdin.on('data', (chunk: Buffer) => {
    let requests;
    try {
      requests = reader.push(chunk);
    } catch (e) {
      // A request over the limit: the stream cannot be resynchronised. Say why, then stop.
      process.stdout.write(encodeMessage({ id: null, ok: false, error: { code: 'REQUEST_TOO_LARGE', message: (e as Error).message } }));
      process.exit(1);
    }
    for (const r of requests) {
      queue = queue.then(async () => {
        let answer: Answer;
        try {
          answer = isFramingError(r) ? { id: null, ok: false, error: { code: 'BAD_REQUEST', message: r.message } } : await handle(r);
        } catch (e) {
          answer = { id: isFramingError(r) ? null : r.id, ok: false, error: { code: 'INTERNAL', message: String(e) } };
        }
        process.stdout.write(encodeMessage(answer));
      });
    }
  });
  // When stdin ends nothing is left to wait for and the process exits on its own.
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) serve(createHandler(await loadCodec(), await loadFrameOps()));
