/**
 * The real relay (in this process, 127.0.0.1, port 0) recording every frame it forwarded, as the
 * relay held it. Tests prove properties on these frames (what left each wschat), not on what the
 * processes say about themselves.
 */
import { decodeFrame } from '@parley/generated';
import type { RunningRelay } from '@parley/relay';
import { observedRelay } from '@parley/test-kit/recording';

export interface Forwarded {
  kind: number;
  frame: Uint8Array;
}

/** A relay that records every frame it forwards (close it with `relay.close()`). */
export async function recordingRelay(): Promise<{ relay: RunningRelay; forwarded: Forwarded[] }> {
  const forwarded: Forwarded[] = [];
  const relay = await observedRelay((frame) => {
    const copy = frame.slice();
    forwarded.push({ kind: decodeFrame(copy).kind, frame: copy });
  });
  return { relay, forwarded };
}
