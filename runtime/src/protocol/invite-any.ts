/**
 * Reading an invite of either version for what only needs the shared fields (owner, relay,
 * name, expiry): apps preview an invite and pin its relay before the engine uses it. A v2
 * invite (spec invite_v2, first byte SESSION_VERSION) is checked in full, its ephemeral
 * included, then seen through `inviteFields`.
 */
import { SESSION_VERSION, type Invite } from '@parley/generated';
import { inviteBytes, parseInvite } from './invite.ts';
import { inviteFields, parseInviteV2 } from './ratchet/invite-v2.ts';

/** parseInvite for v1 and v2 invites (OpenError BAD_INVITE with the reason, as parseInvite). */
export function parseAnyInvite(input: string | Uint8Array, nowMs: number = Date.now()): Invite {
  const bytes = inviteBytes(input);
  return bytes[0] === SESSION_VERSION ? inviteFields(parseInviteV2(bytes, nowMs)) : parseInvite(bytes, nowMs);
}
