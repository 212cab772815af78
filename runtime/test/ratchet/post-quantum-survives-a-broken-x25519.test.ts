/**
 * Post-quantum: simulate a break of X25519 by replacing every X25519 output inside the
 * ratchet (the four of the session start and every ratchet step) with a value the attacker
 * knows. The attacker then derives RK0, both first header keys and A's first chain, and reads
 * A's first chain (proof that the simulated break is real); from B's first reply on, every
 * root step mixed an ML-KEM-768 secret it cannot compute, and it reads nothing.
 */
import { KEY_SIZE } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { nodeBackend } from '../../src/crypto/node.ts';
import type { Identity } from '../../src/protocol/identity.ts';
import { newEphemeral, openRatchetFrame, startAsA, type RatchetDeps } from '../../src/protocol/ratchet/index.ts';
import { fixedRandom } from '../protocol/_helpers.ts';
import { openOwnSent } from './_attacker.ts';
import { receive, send, startPair, T0, type Party } from './_conversation.ts';

const backend = nodeBackend;
const KNOWN = new Uint8Array(KEY_SIZE).fill(0x42);
const brokenDh = async () => KNOWN.slice();

describe('post-quantum protection with X25519 broken', () => {
  it('an attacker who knows every X25519 output reads A\'s first chain and nothing after the first KEM step', async () => {
    const { a, b } = await startPair(backend, 'pq', { dh: brokenDh });
    // The attacker's shadow of A: A's public keys, its own secrets, the same broken DH.
    const shadowDeps: RatchetDeps = { backend, dh: brokenDh, random: fixedRandom('attacker'), now: () => T0 };
    const fakeA: Identity = { ...a.me, xSecret: new Uint8Array(KEY_SIZE).fill(1), seed: new Uint8Array(KEY_SIZE), edSeed: new Uint8Array(KEY_SIZE) };
    const eFake = await newEphemeral(shadowDeps);
    let shadow = await startAsA(shadowDeps, fakeA, eFake, b.me, b.state.dhPublic, T0);

    const readable: string[] = [];
    const unreadable: string[] = [];
    const observe = async (from: Party, to: Party, t: string) => {
      const frame = await send(from, to, t);
      expect(await receive(to, from, frame)).toBe(t); // the parties themselves are unaffected
      let got: Uint8Array | undefined;
      if (from === a) {
        got = await openOwnSent(backend, shadow, frame, a.me.x, b.me.x);
      } else {
        try {
          const o = await openRatchetFrame({ deps: shadowDeps, me: fakeA, candidates: [{ contact: b.me, state: shadow }], frame });
          shadow = o.state;
          got = o.plaintext;
        } catch {
          got = undefined;
        }
      }
      (got ? readable : unreadable).push(t);
    };
    await observe(a, b, 'a1');
    await observe(a, b, 'a2');
    await observe(a, b, 'a3');
    await observe(b, a, 'b1'); // B's first chain: its root step mixed an encapsulation to A's KEM key
    await observe(b, a, 'b2');
    await observe(a, b, 'a4');
    await observe(b, a, 'b3');
    expect(readable).toEqual(['a1', 'a2', 'a3']);
    expect(unreadable).toEqual(['b1', 'b2', 'a4', 'b3']);
  });
});
