/**
 * What every push carries and what a push service's answer means, shared by webpush.ts and
 * fcm.ts. The payload is the generated `push_payload` encoding (spec structs.push_payload):
 * PUSH_PAYLOAD_SIZE bytes saying only "message" or "call", so every push has one size.
 */
import { PUSH_PAYLOAD_SIZE, WakeReason, WakeReasonNames, encodePushPayload } from '@parley/generated';

export { WakeReason };

/** The constant-size plaintext of a push. */
export function pushPayload(reason: WakeReason): Uint8Array {
  const bytes = encodePushPayload({ reason, padding: PUSH_PAYLOAD_SIZE - 1 });
  if (bytes.length !== PUSH_PAYLOAD_SIZE) throw new Error('push_payload is not PUSH_PAYLOAD_SIZE bytes');
  return bytes;
}

/** `message` or `call`: the spec's name of a wake reason (Web Push Topic, logs). */
export function reasonName(reason: WakeReason): string {
  return WakeReasonNames[reason]!;
}

export type PushResult =
  /** the push service took it */
  | { outcome: 'sent'; status: number }
  /** the subscription or token no longer exists: forget the registration */
  | { outcome: 'gone'; status: number }
  /** anything else (rate limited, server error, timeout, network): the registration stays */
  | { outcome: 'failed'; status?: number; reason: string };

/** A registration's delivery address. Binary values are base64url (as browsers give them). */
export type Subscription =
  | { kind: 'webpush'; endpoint: string; p256dh: string; auth: string }
  | { kind: 'fcm'; token: string };

export interface PushSender<S extends Subscription = Subscription> {
  send(sub: S, reason: WakeReason): Promise<PushResult>;
}

/** Maps a thrown fetch error (abort, timeout, refused) to a failed result. */
export function networkFailure(e: unknown): PushResult {
  const err = e as { name?: string; cause?: { code?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return { outcome: 'failed', reason: 'timeout' };
  return { outcome: 'failed', reason: err?.cause?.code ?? err?.name ?? 'network' };
}
