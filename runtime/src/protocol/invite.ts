/**
 * Invites (spec structs.invite, derivations invite_id, invite_gate, invite_psk,
 * invite_checksum; spec/DESIGN.md "First contact and invites"). An invite carries the owner's keys,
 * the relay's address and keys, a one-time secret s, expiry (seconds) and maximum uses, a name,
 * and a checksum over every preceding byte. From s: an invite id, a gate key and a PSK.
 *
 * Forms: raw bytes (also the QR payload), base64url without padding in a link's fragment
 * (`<base>#invite=<b64url>`, so no web server sees it) or in a URI (`parley:invite/<b64url>`).
 */
import {
  CHECKSUM_SIZE,
  INVITE_DEFAULT_TTL_S,
  INVITE_LINK_FRAGMENT,
  INVITE_URI_PREFIX,
  INVITE_SECRET_SIZE,
  KEY_SIZE,
  Layouts,
  PROTOCOL_VERSION,
  decodeInvite,
  deriveInviteChecksum,
  deriveInviteGate,
  deriveInviteId,
  deriveInvitePsk,
  encodeInvite,
  type Invite,
} from '@parley/generated';
import { ed25519PointAcceptable, x25519KeyProblem } from '../crypto/_rules.ts';
import { equalBytes, randomBytes } from '../crypto/index.ts';
import { abytes } from './_assert.ts';
import { fromBase64url, toBase64url } from './_base64url.ts';
import { H } from './_blake3.ts';
import { OpenError, type InviteFailReason } from './errors.ts';
import type { PublicKeys } from './identity.ts';

/** The fragment key of an invite link and the URI prefix of an invite, from the spec's strings. */
export { INVITE_LINK_FRAGMENT, INVITE_URI_PREFIX };

// The checksum is the last field: it covers every byte before it.
const lastField = Layouts.invite.fields[Layouts.invite.fields.length - 1]!;
if (lastField.id !== 'checksum' || lastField.size !== CHECKSUM_SIZE) throw new Error('invite layout: checksum must be the last field');

/** What the invite's secret derives. `gateKey` and `psk` are secret. */
export interface InviteKeys {
  readonly inviteId: Uint8Array;
  readonly gateKey: Uint8Array;
  readonly psk: Uint8Array;
}

export function inviteKeys(secret: Uint8Array): InviteKeys {
  const s = { secret: abytes(secret, 'secret', INVITE_SECRET_SIZE) };
  return Object.freeze({ inviteId: deriveInviteId(H, s), gateKey: deriveInviteGate(H, s), psk: deriveInvitePsk(H, s) });
}

export interface CreateInviteArgs {
  owner: PublicKeys;
  relay: PublicKeys & { url: string };
  /** The owner's display name (may be empty). */
  name?: string;
  /** 1 (default) for a single-use invite, at most MAX_INVITE_USES. */
  maxUses?: number;
  /** Lifetime in seconds (default INVITE_DEFAULT_TTL_S). */
  ttlSeconds?: number;
  /** Clock, ms (default Date.now). */
  now?: () => number;
  /** Randomness for the secret (default crypto randomBytes). */
  random?: (n: number) => Uint8Array;
}

/** A new invite with a fresh secret and its checksum. */
export function createInvite(args: CreateInviteArgs): Invite {
  const nowS = Math.floor((args.now ?? Date.now)() / 1000);
  const invite: Invite = {
    version: PROTOCOL_VERSION,
    ownerX: args.owner.x,
    ownerEd: args.owner.ed,
    relayX: args.relay.x,
    relayEd: args.relay.ed,
    relayUrl: args.relay.url,
    secret: (args.random ?? randomBytes)(INVITE_SECRET_SIZE),
    expiresAt: nowS + (args.ttlSeconds ?? INVITE_DEFAULT_TTL_S),
    maxUses: args.maxUses ?? 1,
    name: args.name ?? '',
    checksum: new Uint8Array(CHECKSUM_SIZE),
  };
  const bytes = encodeInviteBytes(invite);
  return { ...invite, checksum: bytes.slice(bytes.length - CHECKSUM_SIZE) };
}

/** The checksum over the encoded invite's preceding bytes. */
function checksumOf(bytes: Uint8Array): Uint8Array {
  return deriveInviteChecksum(H, { body: bytes.subarray(0, bytes.length - CHECKSUM_SIZE) });
}

/** Encodes an invite, computing its checksum (the `checksum` given is ignored). Also the QR payload. */
export function encodeInviteBytes(invite: Invite): Uint8Array {
  const bytes = encodeInvite({ ...invite, checksum: new Uint8Array(CHECKSUM_SIZE) });
  bytes.set(checksumOf(bytes), bytes.length - CHECKSUM_SIZE);
  return bytes;
}

/** The QR code payload: the invite's raw bytes. */
export function inviteQr(invite: Invite): Uint8Array {
  return encodeInviteBytes(invite);
}

/** base64url (no padding) of the encoded invite. */
export function inviteToText(invite: Invite): string {
  return toBase64url(encodeInviteBytes(invite));
}

/** `<base>#invite=<b64url>`: the invite travels in the fragment, which no web server sees. */
export function inviteLink(base: string, invite: Invite): string {
  if (base.includes('#')) throw new RangeError('the link base must not have a fragment');
  return base + INVITE_LINK_FRAGMENT + inviteToText(invite);
}

/** `parley:invite/<b64url>`. */
export function inviteUri(invite: Invite): string {
  return INVITE_URI_PREFIX + inviteToText(invite);
}

function bad(reason: InviteFailReason, message: string, cause?: unknown): OpenError {
  return new OpenError('BAD_INVITE', message, { reason, cause });
}

/** The bytes of an invite given as bytes, a link, a URI or bare base64url. */
function inviteBytes(input: string | Uint8Array): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== 'string') throw new TypeError('an invite is a string or a Uint8Array');
  let text = input.trim();
  if (text.startsWith(INVITE_URI_PREFIX)) text = text.slice(INVITE_URI_PREFIX.length);
  else {
    const at = text.indexOf(INVITE_LINK_FRAGMENT);
    if (at >= 0) text = text.slice(at + INVITE_LINK_FRAGMENT.length);
  }
  try {
    return fromBase64url(text);
  } catch (cause) {
    throw bad('MALFORMED', 'the invite is not valid base64url', cause);
  }
}

/**
 * Parses an invite from bytes, a link, a URI or base64url and checks it: codec and relay URL
 * scheme (MALFORMED), checksum (CHECKSUM), expiry against `nowMs` (EXPIRED), and that every key
 * is canonical and not of low or small order (BAD_KEY). Throws OpenError BAD_INVITE with the
 * reason.
 */
export function parseInvite(input: string | Uint8Array, nowMs: number = Date.now()): Invite {
  const bytes = inviteBytes(input);
  let invite: Invite;
  try {
    invite = decodeInvite(bytes);
  } catch (cause) {
    throw bad('MALFORMED', 'the invite does not decode', cause);
  }
  if (!equalBytes(checksumOf(bytes), invite.checksum)) throw bad('CHECKSUM', 'the invite checksum does not match');
  if (!/^wss?:\/\//.test(invite.relayUrl)) throw bad('MALFORMED', 'the relay URL is not ws:// or wss://');
  if (Math.floor(nowMs / 1000) > invite.expiresAt) throw bad('EXPIRED', `the invite expired at ${invite.expiresAt}`);
  for (const [what, key] of [['owner', invite.ownerX], ['relay', invite.relayX]] as const) {
    if (x25519KeyProblem(key) !== null) throw bad('BAD_KEY', `the ${what}'s X25519 key is non-canonical or of low order`);
  }
  for (const [what, key] of [['owner', invite.ownerEd], ['relay', invite.relayEd]] as const) {
    if (!ed25519PointAcceptable(key, 0)) throw bad('BAD_KEY', `the ${what}'s Ed25519 key is non-canonical or of small order`);
  }
  return { ...invite, ownerX: invite.ownerX.slice(), ownerEd: invite.ownerEd.slice(), relayX: invite.relayX.slice(), relayEd: invite.relayEd.slice(), secret: invite.secret.slice(), checksum: invite.checksum.slice() };
}

/** The owner's public keys in an invite. */
export function inviteOwner(invite: Invite): PublicKeys {
  return { x: abytes(invite.ownerX, 'ownerX', KEY_SIZE), ed: abytes(invite.ownerEd, 'ownerEd', KEY_SIZE) };
}
