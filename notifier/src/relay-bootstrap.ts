/**
 * RELAY_WELL_KNOWN: the relay from its web address. The notifier fetches the relay's
 * /.well-known/parley.json and reads it with the runtime's parseWellKnown (spec
 * documents.well_known), which refuses a document whose fingerprint is not the fingerprint of
 * its keys; the keys are then pinned like RELAY_X and RELAY_ED. Done once at start.
 */
import { WELL_KNOWN_PATH } from '@parley/generated';
import { isWellKnownError, parseWellKnown } from '@parley/runtime/protocol';
import { ConfigError } from './errors.ts';

/** Largest document read: bounds what a wrong URL can make the notifier buffer. */
export const MAX_WELL_KNOWN_BYTES = 64 * 1024;
/** How long the fetch may take before the notifier gives up starting. */
export const WELL_KNOWN_TIMEOUT_MS = 10_000;

const SETTING = 'RELAY_WELL_KNOWN';

/** The relay's URL and keys from the document at `base`; ConfigError (exit 2) if it is unusable. */
export async function relayFromWellKnown(base: string, o: { timeoutMs?: number; fetch?: typeof fetch } = {}): Promise<{ url: string; endpoints: string[]; x: Uint8Array; ed: Uint8Array }> {
  const url = new URL(WELL_KNOWN_PATH, base);
  let body: string;
  try {
    const res = await (o.fetch ?? fetch)(url, { signal: AbortSignal.timeout(o.timeoutMs ?? WELL_KNOWN_TIMEOUT_MS), redirect: 'error' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    if (Number(res.headers.get('content-length') ?? '0') > MAX_WELL_KNOWN_BYTES) throw new Error('the document is too large');
    body = await res.text();
    if (body.length > MAX_WELL_KNOWN_BYTES) throw new Error('the document is too large');
  } catch (err) {
    throw new ConfigError(SETTING, `cannot read ${url.href}: ${(err as Error).message}`);
  }
  try {
    const r = parseWellKnown(body);
    // endpoints: the relay's nodes, dialled in random order with failover (engine/endpoints.ts)
    return { url: r.url, endpoints: r.endpoints, x: r.x, ed: r.ed };
  } catch (err) {
    if (!isWellKnownError(err)) throw err;
    throw new ConfigError(SETTING, `${url.href} refused (${err.code}): ${err.message}`);
  }
}
