/**
 * Which relay the app talks to, in this order:
 *   1. the build's settings: VITE_PARLEY_RELAY_URL, VITE_PARLEY_RELAY_X, VITE_PARLEY_RELAY_ED
 *      (all three, keys as hex), for an app hosted apart from its relay;
 *   2. otherwise the relay serving the app: same-origin `/.well-known/parley.json` (spec
 *      documents.well_known), read by the runtime's parseWellKnown: a document for another
 *      protocol, without our PROTOCOL_VERSION, or whose fingerprint is not the fingerprint of
 *      its keys is refused rather than pinned (the fingerprint shown is the one computed here).
 * The result is pinned with the identity (worker/vault.ts); a relay that later publishes other
 * keys is reported, never followed silently.
 */
import { KEY_SIZE, MAX_RELAY_ENDPOINTS, PROTOCOL_VERSION, WELL_KNOWN_PATH } from '@parley/generated';
import { fromHex, isWellKnownError, parseWellKnown, relayFingerprint, type WellKnownErrorCode } from '@parley/runtime';
import type { RelayInfo } from '../messages/protocol.ts';

export class RelayConfigError extends Error {
  override readonly name = 'RelayConfigError';
  readonly code = 'RELAY_CONFIG';
  /** For a refused well-known document: why (FINGERPRINT_MISMATCH: its keys and fingerprint disagree). */
  readonly reason: WellKnownErrorCode | undefined;

  constructor(message: string, options?: { cause?: unknown; reason?: WellKnownErrorCode }) {
    super(message, options);
    this.reason = options?.reason;
  }
}

export interface RelayEnv {
  VITE_PARLEY_RELAY_URL?: string;
  VITE_PARLEY_RELAY_X?: string;
  VITE_PARLEY_RELAY_ED?: string;
}

const HEX_KEY = new RegExp(`^[0-9a-f]{${KEY_SIZE * 2}}$`);

function checked(url: unknown, x: unknown, ed: unknown, where: string): { url: string; x: string; ed: string } {
  if (typeof url !== 'string' || !/^wss?:\/\/\S+$/.test(url)) throw new RelayConfigError(`${where}: url must be a ws:// or wss:// URL`);
  const hx = typeof x === 'string' ? x.toLowerCase() : '';
  const he = typeof ed === 'string' ? ed.toLowerCase() : '';
  if (!HEX_KEY.test(hx) || !HEX_KEY.test(he)) throw new RelayConfigError(`${where}: relay keys must be ${KEY_SIZE * 2} hex digits`);
  return { url, x: hx, ed: he };
}

/**
 * The relay from build-time settings, or undefined if none are set. VITE_PARLEY_RELAY_URL may
 * list several nodes of one relay, comma-separated (at most MAX_RELAY_ENDPOINTS): the first is
 * its URL, all are its endpoints.
 */
export function relayFromEnv(env: RelayEnv): RelayInfo | undefined {
  const { VITE_PARLEY_RELAY_URL: urls, VITE_PARLEY_RELAY_X: x, VITE_PARLEY_RELAY_ED: ed } = env;
  if (!urls && !x && !ed) return undefined;
  const list = (urls ?? '').split(',').map((u) => u.trim()).filter((u) => u.length > 0);
  if (list.length > MAX_RELAY_ENDPOINTS || new Set(list).size !== list.length) {
    throw new RelayConfigError(`VITE_PARLEY_RELAY_URL: at most ${MAX_RELAY_ENDPOINTS} distinct URLs`);
  }
  for (const u of list.slice(1)) checked(u, x, ed, 'VITE_PARLEY_RELAY_URL');
  const r = checked(list[0], x, ed, 'VITE_PARLEY_RELAY_*');
  // the fingerprint people compare is computed from the keys pinned, never taken from elsewhere
  return { ...r, ...(list.length > 1 ? { endpoints: list } : {}), fingerprint: relayFingerprint(fromHex(r.x), fromHex(r.ed)), source: 'env' };
}

/** Parses a `/.well-known/parley.json` document; RelayConfigError if it is not one this app can use. */
export function relayFromWellKnown(doc: unknown): RelayInfo {
  try {
    const r = parseWellKnown(doc, { version: PROTOCOL_VERSION });
    return { url: r.url, endpoints: r.endpoints, x: r.xHex, ed: r.edHex, fingerprint: r.fingerprint, source: 'well-known' };
  } catch (err) {
    if (!isWellKnownError(err)) throw err;
    throw new RelayConfigError(err.message, { cause: err, reason: err.code });
  }
}

/**
 * The relay this build talks to. Rejects with RelayConfigError when the build has no settings
 * and the origin publishes no usable document (or the network is down: callers fall back to the
 * pinned relay).
 */
export async function resolveRelay(env: RelayEnv, origin: string, fetchFn: typeof fetch = fetch): Promise<RelayInfo> {
  const fromEnv = relayFromEnv(env);
  if (fromEnv) return fromEnv;
  let res: Response;
  try {
    res = await fetchFn(new URL(WELL_KNOWN_PATH, origin).href, { cache: 'no-store', headers: { accept: 'application/json' } });
  } catch (cause) {
    throw new RelayConfigError(`cannot reach ${WELL_KNOWN_PATH}: ${(cause as Error).message}`);
  }
  if (!res.ok) throw new RelayConfigError(`${WELL_KNOWN_PATH} answered ${res.status}`);
  let doc: unknown;
  try {
    doc = await res.json();
  } catch {
    throw new RelayConfigError(`${WELL_KNOWN_PATH} is not JSON`);
  }
  return relayFromWellKnown(doc);
}

/** True if two relays list the same nodes (the pinned copy is then up to date). */
export function sameEndpoints(a: RelayInfo, b: RelayInfo): boolean {
  const ea = a.endpoints ?? [a.url];
  const eb = b.endpoints ?? [b.url];
  return ea.length === eb.length && ea.every((u, i) => u === eb[i]);
}

/** True if two relays have the same keys (the URL may move). */
export function sameRelayKeys(a: RelayInfo, b: RelayInfo): boolean {
  return a.x === b.x && a.ed === b.ed;
}
