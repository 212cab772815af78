/**
 * Where the relay is and which keys it must prove: from `--relay http(s)://` (bootstrapped from
 * the relay's /.well-known/parley.json), from a ws(s) URL with both public keys (flags or
 * WSCHAT_RELAY, WSCHAT_SERVER_X_PUB, WSCHAT_SERVER_ED_PUB), or from an invite. Whatever the
 * source, the keys are pinned in config.json and every handshake must prove them.
 */
import { KEY_SIZE, PROTOCOL_VERSION, WELL_KNOWN_PATH, WELL_KNOWN_PROTOCOL } from '@parley/generated';
import { fromHex, toHex } from '@parley/runtime/crypto';
import { isWellKnownError, parseAnyInvite, parseWellKnown, relayFingerprint, type WellKnownRelay } from '@parley/runtime/protocol';
import { BadInviteError, BadUsageError, RelayUnreachableError, WrongRelayKeyError } from './errors.ts';
import type { Config } from './home.ts';

/** Largest well-known document read: bounds what a wrong URL can make us buffer. */
const MAX_WELL_KNOWN_BYTES = 64 * 1024;

export type PinnedRelay = Config['relay'];

function keyHex(value: string, what: string): string {
  const v = value.trim().toLowerCase();
  if (!/^[0-9a-f]*$/.test(v) || v.length !== KEY_SIZE * 2) throw new BadUsageError(`${what} must be ${KEY_SIZE * 2} hex digits`);
  return v;
}

function pin(url: string, xHex: string, edHex: string, endpoints?: readonly string[]): PinnedRelay {
  if (!/^wss?:\/\/[^\s]+$/.test(url)) throw new BadUsageError(`the relay URL must be ws:// or wss://, got ${JSON.stringify(url)}`);
  const x = keyHex(xHex, 'the relay X25519 key');
  const ed = keyHex(edHex, 'the relay Ed25519 key');
  const pinned: PinnedRelay = { url, x, ed, fingerprint: relayFingerprint(fromHex(x), fromHex(ed)) };
  // only a relay of several nodes (or one whose node is not its url) needs the list kept
  if (endpoints !== undefined && (endpoints.length !== 1 || endpoints[0] !== url)) pinned.endpoints = [...endpoints];
  return pinned;
}

/**
 * Why a fetch failed, as precisely as Node says it: fetch itself only says "fetch failed", and
 * the reason (ECONNREFUSED, ENOTFOUND, a bad port, a closed socket) sits in its `cause`, or in
 * the `errors` of an AggregateError when several addresses were tried.
 */
export function fetchFailure(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: unknown };
  if (e?.name === 'TimeoutError') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  let cause = (e?.cause ?? e) as (Error & { code?: string; errors?: unknown[] }) | undefined;
  if (cause && !cause.code && Array.isArray(cause.errors) && cause.errors.length > 0) cause = cause.errors[0] as typeof cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const message = typeof cause?.message === 'string' && cause.message !== '' ? cause.message : undefined;
  if (code && message) return message.includes(code) ? message : `${message} (${code})`;
  return code ?? message ?? String(err);
}

/** Fetches and checks /.well-known/parley.json of an http(s) base URL. */
export async function bootstrap(base: string, timeoutMs: number): Promise<PinnedRelay> {
  let url: URL;
  try {
    url = new URL(WELL_KNOWN_PATH, base);
  } catch {
    throw new BadUsageError(`not a URL: ${JSON.stringify(base)}`);
  }
  let body: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const len = Number(res.headers.get('content-length') ?? '0');
    if (len > MAX_WELL_KNOWN_BYTES) throw new Error('the document is too large');
    body = await res.text();
    if (body.length > MAX_WELL_KNOWN_BYTES) throw new Error('the document is too large');
  } catch (err) {
    throw new RelayUnreachableError(`relay unreachable: ${url.href} (${fetchFailure(err, timeoutMs)})`);
  }
  let doc: WellKnownRelay;
  try {
    // the runtime's one reading of the document (spec documents.well_known), fingerprint checked
    doc = parseWellKnown(body, { version: PROTOCOL_VERSION });
  } catch (err) {
    if (!isWellKnownError(err)) throw err;
    switch (err.code) {
      case 'FINGERPRINT_MISMATCH':
        throw new WrongRelayKeyError(`${url.href}: the published fingerprint does not match the published keys`);
      case 'WRONG_PROTOCOL':
        throw new RelayUnreachableError(`${url.href} is not a Parley relay document (protocol ${JSON.stringify(err.got.protocol)?.slice(0, 40) ?? 'missing'}, expected "${WELL_KNOWN_PROTOCOL}")`);
      case 'NO_COMMON_VERSION': {
        const versions = Array.isArray(err.got.versions) ? err.got.versions : [];
        const offered = versions.length > 0 ? `protocol version${versions.length > 1 ? 's' : ''} ${versions.slice(0, 8).join(', ')}` : 'no protocol version';
        throw new RelayUnreachableError(`${url.href} offers ${offered}; this wschat speaks version ${PROTOCOL_VERSION}`);
      }
      case 'BAD_DOCUMENT':
      case 'BAD_URL': // buildWellKnown's; a parse never gives it
        throw new RelayUnreachableError(`${url.href} is not a Parley relay document (${err.message})`);
      case 'BAD_ENDPOINTS':
        throw new RelayUnreachableError(`${url.href} lists relay endpoints this wschat cannot use (${err.message})`);
    }
  }
  return pin(doc.url, doc.xHex, doc.edHex, doc.endpoints);
}

/** How long a session's background refresh of the relay's endpoints may take. */
export const ENDPOINTS_REFRESH_TIMEOUT_MS = 5_000;

/** How long closing a session waits for a refresh still under way before aborting it. */
export const ENDPOINTS_REFRESH_CLOSE_GRACE_MS = 2_000;

/**
 * The pinned relay with the endpoints its well-known document lists now (nodes come and go), or
 * undefined when nothing changed or the document cannot be used: unreachable, refused by
 * parseWellKnown, or publishing other keys (never followed: the pinned keys stay, and the
 * handshake says BAD_RELAY if the relay really changed). Read from the pinned URL's http(s) form.
 */
export async function refreshedEndpoints(relay: PinnedRelay, o: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<PinnedRelay | undefined> {
  const timeoutMs = o.timeoutMs ?? ENDPOINTS_REFRESH_TIMEOUT_MS;
  let doc: WellKnownRelay;
  try {
    const url = new URL(WELL_KNOWN_PATH, relay.url.replace(/^ws/, 'http'));
    const signal = o.signal ? AbortSignal.any([o.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs);
    const res = await fetch(url, { signal, redirect: 'error' });
    if (!res.ok || Number(res.headers.get('content-length') ?? '0') > MAX_WELL_KNOWN_BYTES) return undefined;
    const body = await res.text();
    if (body.length > MAX_WELL_KNOWN_BYTES) return undefined;
    doc = parseWellKnown(body, { version: PROTOCOL_VERSION });
  } catch {
    return undefined; // the pinned list stays; connecting reports what is wrong
  }
  if (doc.xHex !== relay.x || doc.edHex !== relay.ed) return undefined;
  const now = pin(relay.url, relay.x, relay.ed, doc.endpoints);
  const before = relay.endpoints ?? [relay.url];
  const after = now.endpoints ?? [now.url];
  if (before.length === after.length && before.every((u, i) => u === after[i])) return undefined;
  return now;
}

export interface RelaySources {
  relay?: string | undefined;
  relayUrl?: string | undefined;
  relayX?: string | undefined;
  relayEd?: string | undefined;
  invite?: string | undefined;
  fingerprint?: string | undefined;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
}

/**
 * Resolves the relay to pin. Flags win over the environment; an invite brings its own relay.
 * A given fingerprint must match (WRONG_RELAY_KEY otherwise).
 */
export async function resolveRelay(s: RelaySources): Promise<{ relay: PinnedRelay; source: string }> {
  if (s.relay !== undefined && s.relayUrl !== undefined) throw new BadUsageError('give --relay or --relay-url, not both');
  // when flags name the relay, the environment's keys would belong to another one
  const flagged = s.relay !== undefined || s.relayUrl !== undefined || s.invite !== undefined;
  const x = s.relayX ?? (flagged ? undefined : s.env.WSCHAT_SERVER_X_PUB);
  const ed = s.relayEd ?? (flagged ? undefined : s.env.WSCHAT_SERVER_ED_PUB);
  if ((x === undefined) !== (ed === undefined)) throw new BadUsageError('give both relay keys (--relay-x and --relay-ed), or neither');
  let result: { relay: PinnedRelay; source: string };
  const where = s.relay ?? s.relayUrl ?? (s.invite === undefined ? s.env.WSCHAT_RELAY : undefined);
  if (s.invite !== undefined && (s.relay !== undefined || s.relayUrl !== undefined || x !== undefined || ed !== undefined)) {
    throw new BadUsageError('--invite brings its own relay; do not combine it with --relay, --relay-url or relay keys');
  }
  if (s.invite !== undefined) {
    let inv;
    try {
      inv = parseAnyInvite(s.invite);
    } catch (err) {
      throw new BadInviteError(`bad invite: ${(err as Error).message}`, { cause: err });
    }
    result = { relay: pin(inv.relayUrl, toHex(inv.relayX), toHex(inv.relayEd)), source: 'the invite' };
  } else if (where === undefined) {
    throw new BadUsageError('no relay: use --relay http://HOST:PORT, or --relay-url ws://... with --relay-x and --relay-ed, or --invite, or set WSCHAT_RELAY');
  } else if (/^https?:\/\//.test(where)) {
    const relay = await bootstrap(where, s.timeoutMs);
    if (x !== undefined && (keyHex(x, 'the relay X25519 key') !== relay.x || keyHex(ed!, 'the relay Ed25519 key') !== relay.ed)) {
      throw new WrongRelayKeyError(`the keys published at ${where} are not the keys you gave`);
    }
    result = { relay, source: new URL(WELL_KNOWN_PATH, where).href };
  } else {
    if (x === undefined) throw new BadUsageError(`a ws:// relay URL needs its keys: --relay-x and --relay-ed (or WSCHAT_SERVER_X_PUB and WSCHAT_SERVER_ED_PUB), or bootstrap with --relay http://HOST:PORT`);
    result = { relay: pin(where, x, ed!), source: 'the given keys' };
  }
  if (s.fingerprint !== undefined && normalise(s.fingerprint) !== normalise(result.relay.fingerprint)) {
    throw new WrongRelayKeyError(`the relay's fingerprint is ${result.relay.fingerprint}, not ${s.fingerprint}`);
  }
  return result;
}

function normalise(fp: string): string {
  return fp.toLowerCase().replace(/[^0-9a-f]/g, '');
}
