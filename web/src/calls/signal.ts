/**
 * Call signalling messages (spec call_invite ... call_bye) as envelope bodies, built from the
 * generated enums and constants only, and the few rules both ends must agree on:
 * - keys and call ids travel as bytes and are handled here as lower-case hex;
 * - within a pair, the one whose X25519 key sorts lower sends the offer (bytes compared in
 *   order, which is what comparing equal-length lower-case hex strings does);
 * - ICE servers come from the relay's TURN answer (coturn REST credentials), nothing built in.
 */
import {
  CALL_ID_SIZE,
  KEY_SIZE,
  MAX_ICE_BYTES,
  MAX_ICE_MID_BYTES,
  MAX_SDP_BYTES,
  MessageType,
  SdpType,
  type CallByeReason,
  type CallMedia,
  type CallRejectReason,
  type EnvelopeBody,
  type TurnCredentials,
} from '@parley/generated';

/** The call messages (the engine hands every other non-history type to the UI as well). */
export const CALL_TYPES: ReadonlySet<number> = new Set([
  MessageType.callInvite,
  MessageType.callAccept,
  MessageType.callReject,
  MessageType.callJoin,
  MessageType.callSdp,
  MessageType.callIce,
  MessageType.callBye,
]);

type CallTypeName = 'callInvite' | 'callAccept' | 'callReject' | 'callJoin' | 'callSdp' | 'callIce' | 'callBye';
export type CallMessage = Extract<EnvelopeBody, { type: (typeof MessageType)[CallTypeName] }>;

export function isCallMessage(m: EnvelopeBody): m is CallMessage {
  return CALL_TYPES.has(m.type);
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(h: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(h)) throw new RangeError(`not lower-case hex: ${h.slice(0, 16)}`);
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A fresh random call id (CALL_ID_SIZE bytes). */
export function newCallId(random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): Uint8Array {
  return random(CALL_ID_SIZE);
}

/** True if `me` sends the offer to `peer` (spec: the lower X25519 key offers). */
export function isOfferer(me: string, peer: string): boolean {
  return me < peer;
}

export const isKeyHex = (k: string): boolean => k.length === KEY_SIZE * 2 && /^[0-9a-f]+$/.test(k);

const id = (callId: string) => fromHex(callId);

export const msg = {
  invite: (callId: string, media: CallMedia, roster: readonly string[]): CallMessage => ({
    type: MessageType.callInvite,
    body: { callId: id(callId), media, roster: roster.map((k) => ({ key: fromHex(k) })) },
  }),
  accept: (callId: string): CallMessage => ({ type: MessageType.callAccept, body: { callId: id(callId) } }),
  reject: (callId: string, reason: CallRejectReason): CallMessage => ({ type: MessageType.callReject, body: { callId: id(callId), reason } }),
  join: (callId: string): CallMessage => ({ type: MessageType.callJoin, body: { callId: id(callId) } }),
  bye: (callId: string, reason: CallByeReason): CallMessage => ({ type: MessageType.callBye, body: { callId: id(callId), reason } }),
  sdp: (callId: string, type: 'offer' | 'answer', sdp: string): CallMessage => {
    if (new TextEncoder().encode(sdp).length > MAX_SDP_BYTES) throw new RangeError(`an SDP of more than ${MAX_SDP_BYTES} bytes`);
    return { type: MessageType.callSdp, body: { callId: id(callId), sdpType: SdpType[type], sdp } };
  },
  /** undefined when the candidate does not fit the spec's bounds (it is then not sent). */
  ice: (callId: string, c: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null }): CallMessage | undefined => {
    const mid = c.sdpMid ?? '';
    const enc = new TextEncoder();
    if (enc.encode(c.candidate).length > MAX_ICE_BYTES || enc.encode(mid).length > MAX_ICE_MID_BYTES) return undefined;
    return { type: MessageType.callIce, body: { callId: id(callId), candidate: c.candidate, sdpMid: mid, mlineIndex: c.sdpMLineIndex ?? 0 } };
  },
};

/** The call id of any call message, hex. */
export function callIdOf(m: CallMessage): string {
  return toHex(m.body.callId);
}

/**
 * RTCIceServer entries from the relay's TURN answer: stun: URLs without credentials, turn:
 * and turns: URLs with the short-lived username and password.
 */
export function iceServersFrom(t: TurnCredentials | undefined): RTCIceServer[] {
  if (!t) return [];
  const urls = t.urls.map((u) => u.url);
  const stun = urls.filter((u) => /^stuns?:/i.test(u));
  const turn = urls.filter((u) => /^turns?:/i.test(u));
  const out: RTCIceServer[] = [];
  if (stun.length) out.push({ urls: stun });
  if (turn.length) out.push({ urls: turn, username: t.username, credential: t.password });
  return out;
}
