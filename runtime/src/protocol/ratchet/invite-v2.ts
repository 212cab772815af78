/**
 * v2 invites (spec structs.invite_v2): an invite plus the owner's one-time ephemeral E_B
 * ("E_I"), the start of a v2 session without a prekey server. Same link, URI and QR forms as
 * a v1 invite; the first byte (the version) tells them apart. The owner keeps e_B with the
 * invite until it is used up or expires, then erases it.
 */
import {
  CHECKSUM_SIZE,
  INVITE_DEFAULT_TTL_S,
  INVITE_SECRET_SIZE,
  KEY_SIZE,
  SESSION_VERSION,
  decodeInviteV2,
  encodeInviteV2,
  type Invite,
  type InviteV2,
} from '@parley/generated';
import { ed25519PointAcceptable, x25519KeyProblem } from '../../crypto/_rules.ts';
import { equalBytes, randomBytes } from '../../crypto/index.ts';
import { toBase64url } from '../_base64url.ts';
import { OpenError, type InviteFailReason } from '../errors.ts';
import { checksumOf, inviteBytes, type CreateInviteArgs } from '../invite.ts';

export type { InviteV2 };

/** A new v2 invite for `ephemeral` (E_B's public key), with a fresh secret and its checksum. */
export function createInviteV2(args: CreateInviteArgs & { ephemeral: Uint8Array }): InviteV2 {
  const nowS = Math.floor((args.now ?? Date.now)() / 1000);
  const invite: InviteV2 = {
    version: SESSION_VERSION,
    ownerX: args.owner.x,
    ownerEd: args.owner.ed,
    relayX: args.relay.x,
    relayEd: args.relay.ed,
    relayUrl: args.relay.url,
    secret: (args.random ?? randomBytes)(INVITE_SECRET_SIZE),
    expiresAt: nowS + (args.ttlSeconds ?? INVITE_DEFAULT_TTL_S),
    maxUses: args.maxUses ?? 1,
    ownerEphemeral: args.ephemeral,
    name: args.name ?? '',
    checksum: new Uint8Array(CHECKSUM_SIZE),
  };
  const bytes = encodeInviteV2Bytes(invite);
  return { ...invite, checksum: bytes.slice(bytes.length - CHECKSUM_SIZE) };
}

/** Encodes a v2 invite, computing its checksum. Also the QR payload. */
export function encodeInviteV2Bytes(invite: InviteV2): Uint8Array {
  const bytes = encodeInviteV2({ ...invite, checksum: new Uint8Array(CHECKSUM_SIZE) });
  bytes.set(checksumOf(bytes), bytes.length - CHECKSUM_SIZE);
  return bytes;
}

/** base64url without padding, the text form of links and URIs. */
export function inviteV2ToText(invite: InviteV2): string {
  return toBase64url(encodeInviteV2Bytes(invite));
}

function bad(reason: InviteFailReason, message: string, cause?: unknown): OpenError {
  return new OpenError('BAD_INVITE', message, { reason, cause });
}

/** Parses and checks a v2 invite as parseInvite does a v1 one, and E_B too (BAD_INVITE with the reason). */
export function parseInviteV2(input: string | Uint8Array, nowMs: number = Date.now()): InviteV2 {
  const bytes = inviteBytes(input);
  let invite: InviteV2;
  try {
    invite = decodeInviteV2(bytes);
  } catch (cause) {
    throw bad('MALFORMED', 'the v2 invite does not decode', cause);
  }
  if (!equalBytes(checksumOf(bytes), invite.checksum)) throw bad('CHECKSUM', 'the invite checksum does not match');
  if (!/^wss?:\/\//.test(invite.relayUrl)) throw bad('MALFORMED', 'the relay URL is not ws:// or wss://');
  if (Math.floor(nowMs / 1000) > invite.expiresAt) throw bad('EXPIRED', `the invite expired at ${invite.expiresAt}`);
  for (const [what, key] of [['owner', invite.ownerX], ['relay', invite.relayX], ['owner ephemeral', invite.ownerEphemeral]] as const) {
    if (x25519KeyProblem(key) !== null) throw bad('BAD_KEY', `the ${what}'s X25519 key is non-canonical or of low order`);
  }
  for (const [what, key] of [['owner', invite.ownerEd], ['relay', invite.relayEd]] as const) {
    if (!ed25519PointAcceptable(key, 0)) throw bad('BAD_KEY', `the ${what}'s Ed25519 key is non-canonical or of small order`);
  }
  const copy = (b: Uint8Array) => b.slice(0, b.length);
  return { ...invite, ownerX: copy(invite.ownerX), ownerEd: copy(invite.ownerEd), relayX: copy(invite.relayX), relayEd: copy(invite.relayEd), secret: copy(invite.secret), ownerEphemeral: copy(invite.ownerEphemeral), checksum: copy(invite.checksum) };
}

/**
 * The v1-shaped view of a v2 invite for what only needs the shared fields (the invite book's
 * keys, uses and expiry; the first contact's statics and gate), with E_B left out.
 */
export function inviteFields(invite: InviteV2): Invite {
  const { ownerEphemeral: _e, ...rest } = invite;
  if (invite.ownerEphemeral.length !== KEY_SIZE) throw new RangeError('ownerEphemeral must be KEY_SIZE bytes');
  return rest;
}
