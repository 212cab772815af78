/**
 * Forward secrecy and post-compromise security, attacked on the frames a relay forwarded.
 *
 * Forward secrecy: a harness holding both identity seeds and both parties' current stored
 * states tries every 32-byte window of those states (and the chain step of each), the identity
 * secrets and the v1 pair keys as header and body keys of every recorded frame: nothing opens
 * but the header of the chains still current.
 *
 * Post-compromise security: an attacker with a copy of B's whole state at message n reads what
 * follows until B's next DH step (a round trip) and nothing after it.
 */
import { decodeFrame, decodeRatchet, ratchetBodyAd } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { fixedRandom } from '../protocol/_helpers.ts';
import { nodeBackend } from '../../src/crypto/node.ts';
import { derivePairKeys } from '../../src/protocol/pair.ts';
import { cloneState, kdfChain, parseState, serializeState, type RatchetState } from '../../src/protocol/ratchet/index.ts';
import { openOwnSent } from './_attacker.ts';
import { codeOf, openAt, receive, send, startPair, type Party, type Recorded } from './_conversation.ts';

const backend = nodeBackend;

async function opens(key: Uint8Array, nonce: Uint8Array, ct: Uint8Array, ad: Uint8Array): Promise<boolean> {
  try {
    await backend.xchachaOpen(key, nonce, ct, ad);
    return true;
  } catch {
    return false;
  }
}

/** Every key a harness can take from the parties' seeds and stored states. */
async function harnessKeys(a: Party, b: Party): Promise<Uint8Array[]> {
  const keys: Uint8Array[] = [];
  for (const p of [a, b]) {
    const bytes = serializeState(p.state);
    for (let i = 0; i + 32 <= bytes.length; i++) {
      const w = bytes.slice(i, i + 32);
      keys.push(w, kdfChain(w).messageKey);
    }
    keys.push(p.me.seed, p.me.xSecret, p.me.edSeed);
  }
  const pair = await derivePairKeys(backend, a.me, b.me);
  keys.push(pair.pairKey, pair.sendKey, pair.recvKey, pair.sendBind, pair.recvBind);
  return keys;
}

describe('forward secrecy on recorded frames', () => {
  it('both seeds and both current states open no body of any delivered frame, and no header of an earlier chain', async () => {
    const { a, b } = await startPair(backend, 'fs');
    const log: Recorded[] = [];
    const script: Array<[Party, Party, string]> = [
      [a, b, 'a1'], [a, b, 'a2'], [a, b, 'a3'],
      [b, a, 'b1'], [b, a, 'b2'],
      [a, b, 'a4'], [b, a, 'b3'], [b, a, 'b4'],
    ];
    for (const [from, to, t] of script) expect(await receive(to, from, await send(from, to, t, log))).toBe(t);
    // Each receiver keeps the header key of its current receiving chain (A's chain of a4 at B,
    // B's chain of b3, b4 at A) to open what may still come in it; every earlier chain is gone.
    const lastChain = new Set(['a4', 'b3', 'b4']);
    const keys = await harnessKeys(a, b);
    expect(keys.length).toBeGreaterThan(10_000);
    for (const r of log) {
      const [from, to] = r.from === 'A' ? [a, b] : [b, a];
      // The protocol path: the receiver's current state refuses every delivered frame.
      expect(await codeOf(openAt(to, from, r.frame))).toMatch(/KEY_USED|HEADER_FAILED/);
      const f = decodeFrame(r.frame);
      const p = decodeRatchet(f.payload);
      const parties = { senderX: from.me.x, recipientX: to.me.x };
      const headerAd = new Uint8Array(0); // headers have no associated data (spec structs.ratchet)
      const bodyAd = ratchetBodyAd({ ...parties, header: p.header });
      let headerOpened = false;
      for (const k of keys) {
        expect(await opens(k, f.nonce, p.body, bodyAd), `body of ${r.text}`).toBe(false);
        if (await opens(k, f.nonce, p.header, headerAd)) headerOpened = true;
      }
      expect(headerOpened, `header of ${r.text}`).toBe(lastChain.has(r.text));
    }
  }, 120_000);
});

describe('post-compromise security', () => {
  it("a copy of B's state at message n reads until B's next DH step and nothing after", async () => {
    const { a, b } = await startPair(backend, 'pcs');
    for (const t of ['a1', 'a2', 'a3']) expect(await receive(b, a, await send(a, b, t))).toBe(t);
    // The compromise: the attacker copies B's stored state, then works with its own randomness.
    const stolen: RatchetState = parseState(serializeState(b.state));
    const snapshot = cloneState(stolen);
    const eve: Party = { name: 'E', me: b.me, deps: { backend, random: fixedRandom('eve') }, state: stolen };
    const readable: string[] = [];
    const unreadable: string[] = [];
    const observe = async (from: Party, to: Party, t: string) => {
      const frame = await send(from, to, t);
      expect(await receive(to, from, frame)).toBe(t);
      let got: Uint8Array | undefined;
      if (to === b) {
        try {
          const o = await openAt(eve, a, frame);
          eve.state = o.state;
          got = o.plaintext;
        } catch {
          got = undefined;
        }
      } else {
        got = await openOwnSent(backend, snapshot, frame, b.me.x, a.me.x);
      }
      (got ? readable : unreadable).push(t);
    };
    await observe(a, b, 'a4'); // A's chain 1: readable
    await observe(b, a, 'b1'); // B's chain 1 (copied): readable
    await observe(b, a, 'b2');
    await observe(a, b, 'a5'); // A's chain 2, to B's copied ratchet and KEM keys: readable
    await observe(b, a, 'b3'); // B's chain 2: fresh secrets the attacker does not have
    await observe(a, b, 'a6');
    await observe(b, a, 'b4');
    await observe(a, b, 'a7');
    expect(readable).toEqual(['a4', 'b1', 'b2', 'a5']);
    expect(unreadable).toEqual(['b3', 'a6', 'b4', 'a7']);
  });
});
