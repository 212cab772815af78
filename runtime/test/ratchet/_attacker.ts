/**
 * What an attacker holding key material can do with recorded frames (tests only): open the
 * header and body of a frame that a state sent, from the state's own sending chain.
 */
import { decodeFrame, decodeRatchet, decodeRatchetHeader, ratchetBodyAd } from '@parley/generated';
import type { CryptoBackend } from '../../src/crypto/index.ts';
import { kdfChain, type RatchetState } from '../../src/protocol/ratchet/index.ts';

/** The plaintext of `frame` (sent by the holder of `state`) if the state's sending chain still reaches it, else undefined. */
export async function openOwnSent(backend: CryptoBackend, state: RatchetState, frame: Uint8Array, senderX: Uint8Array, recipientX: Uint8Array): Promise<Uint8Array | undefined> {
  if (state.sendHeader.length === 0) return undefined;
  const f = decodeFrame(frame);
  const p = decodeRatchet(f.payload);
  let header;
  try {
    header = decodeRatchetHeader(await backend.xchachaOpen(state.sendHeader, f.nonce, p.header, new Uint8Array(0))); // headers have no associated data
  } catch {
    return undefined;
  }
  // The chain key in the state is the one for message sendCount.
  if (header.number < state.sendCount) return undefined;
  let ck = state.sendChain;
  for (let n = state.sendCount; n < header.number; n++) ck = kdfChain(ck).next;
  try {
    return await backend.xchachaOpen(kdfChain(ck).messageKey, f.nonce, p.body, ratchetBodyAd({ senderX, recipientX, header: p.header }));
  } catch {
    return undefined;
  }
}
