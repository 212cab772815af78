/**
 * The relay's well-known document (spec documents.well_known, served at WELL_KNOWN_PATH): built
 * by the relay and parsed by every client through these two functions, so there is one reading
 * of it. Parsing checks the document against the generated rules (checkWellKnownDocument: the
 * zod schema's rules without zod, which would be most of the web app's crypto worker), then what
 * rules cannot: the fingerprint must be relay_fingerprint of the keys the document publishes. A
 * client pins those keys, and people compare the fingerprint, so a document whose two disagree is
 * refused (WellKnownError FINGERPRINT_MISMATCH), never shown.
 *
 * The document may list several endpoints: the URLs of relay nodes that share the relay's
 * identity (spec documents.well_known endpoints, at most MAX_RELAY_ENDPOINTS). A client tries
 * them in random order (engine/endpoints.ts); without the member the one endpoint is `url`.
 */
import { MAX_RELAY_ENDPOINTS, PROTOCOL_VERSION, WELL_KNOWN_PATH, WELL_KNOWN_PROTOCOL, WellKnownDocumentRules, checkWellKnownDocument, type WellKnownDocument } from '@parley/generated';
import { fromHex, toHex } from '../crypto/index.ts';
import { relayFingerprint } from './relay-fingerprint.ts';

export type { WellKnownDocument };

export type WellKnownErrorCode =
  /** Not JSON, or not an object with the spec's members. */
  | 'BAD_DOCUMENT'
  /** `protocol` is not WELL_KNOWN_PROTOCOL: another service's document. */
  | 'WRONG_PROTOCOL'
  /** `versions` does not include the version this client speaks. */
  | 'NO_COMMON_VERSION'
  /** `fingerprint` is not relay_fingerprint of `relay_x` and `relay_ed`. */
  | 'FINGERPRINT_MISMATCH'
  /**
   * `endpoints` is not 1 to MAX_RELAY_ENDPOINTS distinct ws(s) URLs, or lists a cleartext ws://
   * endpoint for a relay whose `url` is wss:// (a document must not downgrade its own transport).
   */
  | 'BAD_ENDPOINTS'
  /**
   * buildWellKnown: the URL to publish is no ws:// or wss:// URL the document can carry (a relay
   * that builds it from a request's Host header answers 400: the request was wrong, not the relay).
   */
  | 'BAD_URL';


export class WellKnownError extends Error {
  override readonly name = 'WellKnownError';
  readonly code: WellKnownErrorCode;
  /** What the document said, for a client's own wording: its protocol member, its versions. */
  readonly got: { protocol?: unknown; versions?: unknown };

  constructor(code: WellKnownErrorCode, message: string, options?: { cause?: unknown; got?: { protocol?: unknown; versions?: unknown } }) {
    super(`${WELL_KNOWN_PATH}: ${message}`, options);
    this.code = code;
    this.got = options?.got ?? {};
  }
}

export function isWellKnownError(e: unknown, code?: WellKnownErrorCode): e is WellKnownError {
  return e instanceof WellKnownError && (code === undefined || e.code === code);
}

/** A relay as a client pins it from a checked document. */
export interface WellKnownRelay {
  /** ws:// or wss:// */
  url: string;
  /** The URLs to connect to (1 to MAX_RELAY_ENDPOINTS, distinct): the document's endpoints, or [url]. */
  endpoints: string[];
  x: Uint8Array;
  ed: Uint8Array;
  /** Lowercase hex of `x` and `ed`. */
  xHex: string;
  edHex: string;
  /** relay_fingerprint of the keys (equal to the published one: it was checked). */
  fingerprint: string;
  versions: number[];
}

/** The document a relay publishes (relay/src/server.ts). Throws WellKnownError BAD_URL for a URL no client would accept. */
export function buildWellKnown(relay: { url: string; endpoints?: readonly string[]; x: Uint8Array; ed: Uint8Array; versions?: readonly number[] }): WellKnownDocument {
  const doc: WellKnownDocument = {
    protocol: WELL_KNOWN_PROTOCOL,
    versions: [...(relay.versions ?? [PROTOCOL_VERSION])],
    url: relay.url,
    endpoints: [...(relay.endpoints ?? [relay.url])],
    relay_x: toHex(relay.x),
    relay_ed: toHex(relay.ed),
    fingerprint: relayFingerprint(relay.x, relay.ed),
  };
  // what we publish must be what every client accepts
  const checked = checkWellKnownDocument(doc);
  if (checked.success) return checked.data;
  const { issue } = checked;
  throw new WellKnownError(issue.path[0] === 'url' ? 'BAD_URL' : 'BAD_DOCUMENT', `cannot publish ${issue.path.join('.') || 'the document'}: ${issue.message}`);
}

/**
 * Parses and checks a well-known document (its JSON text or the parsed value). `version` is
 * the protocol version the client speaks (default PROTOCOL_VERSION). Throws WellKnownError.
 */
export function parseWellKnown(input: unknown, o: { version?: number } = {}): WellKnownRelay {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new WellKnownError('BAD_DOCUMENT', 'not JSON', { cause });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new WellKnownError('BAD_DOCUMENT', 'not a JSON object');
  const raw = value as Record<string, unknown>;
  // These two first, so another service's document, or a relay of another version, says so.
  if (raw.protocol !== WELL_KNOWN_PROTOCOL) {
    throw new WellKnownError('WRONG_PROTOCOL', `protocol must be "${WELL_KNOWN_PROTOCOL}", got ${JSON.stringify(raw.protocol)?.slice(0, 40) ?? 'nothing'}`, { got: { protocol: raw.protocol } });
  }
  const version = o.version ?? PROTOCOL_VERSION;
  if (!Array.isArray(raw.versions) || !raw.versions.includes(version)) {
    const offered = Array.isArray(raw.versions) ? raw.versions.slice(0, 8).map((v) => JSON.stringify(v)).join(', ') : 'none';
    throw new WellKnownError('NO_COMMON_VERSION', `the relay offers protocol versions ${offered || 'none'}; this client speaks version ${version}`, { got: { versions: raw.versions } });
  }
  if (raw.endpoints !== undefined) {
    // its own code, so a relay operator's list mistake is told apart from a broken document
    const issue = WellKnownDocumentRules.endpoints(raw.endpoints);
    if (issue) {
      throw new WellKnownError('BAD_ENDPOINTS', `endpoints${issue.path.length > 0 ? '.' + issue.path.join('.') : ''}: ${issue.message} (1 to ${MAX_RELAY_ENDPOINTS} distinct ws:// or wss:// URLs)`);
    }
    if (typeof raw.url === 'string' && raw.url.startsWith('wss://')) {
      const clear = (raw.endpoints as string[]).find((u) => u.startsWith('ws://'));
      if (clear !== undefined) throw new WellKnownError('BAD_ENDPOINTS', `the relay is wss:// but lists the cleartext endpoint ${clear.slice(0, 80)}`);
    }
  }
  const parsed = checkWellKnownDocument(value);
  if (!parsed.success) {
    const { issue } = parsed;
    throw new WellKnownError('BAD_DOCUMENT', `${issue.path.join('.') || 'document'}: ${issue.message}`);
  }
  const doc = parsed.data;
  const x = fromHex(doc.relay_x);
  const ed = fromHex(doc.relay_ed);
  const fingerprint = relayFingerprint(x, ed);
  if (fingerprint !== doc.fingerprint) {
    throw new WellKnownError('FINGERPRINT_MISMATCH', `the published fingerprint ${doc.fingerprint} is not the fingerprint of the published keys (${fingerprint})`);
  }
  return { url: doc.url, endpoints: doc.endpoints ?? [doc.url], x, ed, xHex: doc.relay_x, edHex: doc.relay_ed, fingerprint, versions: doc.versions };
}
