/**
 * The double ratchet carries a conversation in both directions, with DH and KEM steps at every
 * direction change; late, reordered and lost messages open at every bound; a jump beyond
 * MAX_SKIP_PER_CHAIN is refused without a state change; replays are refused; stored state stays
 * under 8 KiB without skipped keys and erases used keys.
 */
import {
  MAX_SKIPPED_KEYS,
  MAX_SKIP_PER_CHAIN,
  RatchetKem,
  SKIPPED_KEY_MAX_AGE_MS,
  decodeFrame,
  decodeRatchet,
} from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/index.ts';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { nodeBackend } from '../../src/crypto/node.ts';
import { parseState, protectionOf, serializeState } from '../../src/protocol/ratchet/index.ts';
import { codeOf, openAt, receive, send, startPair, T0, type Party } from './_conversation.ts';

const backend = nodeBackend;

function hexOf(s: Party): string {
  return toHex(serializeState(s.state));
}

describe('a v2 conversation', () => {
  it('A→B ×3, B→A ×2, A→B: every message opens, with a DH and KEM step at each direction change', async () => {
    const { a, b } = await startPair(backend);
    expect(protectionOf(a.state).postQuantum).toBe(false);
    const steps: string[] = [];
    for (const t of ['a1', 'a2', 'a3']) {
      const f = await send(a, b, t);
      const o = await openAt(b, a, f);
      steps.push(o.step);
      expect(await receive(b, a, f)).toBe(t);
    }
    expect(steps).toEqual(['dh', 'chain', 'chain']);
    // A's first chain publishes a KEM key only; B's first chain answers it: PQ from here.
    expect(protectionOf(b.state).postQuantum).toBe(true);
    const f4 = await send(b, a, 'b1');
    expect(decodeRatchet(decodeFrame(f4).payload).header.length).toBeGreaterThan(2000);
    const o4 = await openAt(a, b, f4);
    expect(o4.step).toBe('dh');
    expect(o4.header.kem).toBe(RatchetKem.keyCiphertext);
    expect(await receive(a, b, f4)).toBe('b1');
    expect(await receive(a, b, await send(b, a, 'b2'))).toBe('b2');
    const f6 = await send(a, b, 'a4');
    expect((await openAt(b, a, f6)).header.kem).toBe(RatchetKem.keyCiphertext);
    expect(await receive(b, a, f6)).toBe('a4');
    expect(protectionOf(a.state).postQuantum).toBe(true);
  });

  it('noble and Node backends produce the same frames and states from the same randomness (differential)', async () => {
    const run = async (be: typeof backend) => {
      const { a, b } = await startPair(be, 'diff');
      const frames: string[] = [];
      for (const [from, to, t] of [[a, b, 'x'], [b, a, 'y'], [a, b, 'z']] as const) {
        const f = await send(from, to, t);
        frames.push(toHex(f));
        expect(await receive(to, from, f)).toBe(t);
      }
      return { frames, a: hexOf(a), b: hexOf(b) };
    };
    expect(await run(nobleBackend)).toEqual(await run(nodeBackend));
  });

  it('a late message opens from its skipped key, a reordered pair opens in either order, a lost one costs nothing', async () => {
    const { a, b } = await startPair(backend, 'order');
    const [m0, m1, m2, m3] = [await send(a, b, 'm0'), await send(a, b, 'm1'), await send(a, b, 'm2'), await send(a, b, 'm3')];
    expect(await receive(b, a, m0)).toBe('m0');
    expect(await receive(b, a, m3)).toBe('m3'); // m1, m2 skipped
    expect(b.state.skipped.length).toBe(2);
    expect(await receive(b, a, m2)).toBe('m2'); // reordered pair, second first
    expect(await receive(b, a, m1)).toBe('m1');
    expect(b.state.skipped.length).toBe(0);
    // B answers; A's next chain's first message (the one with the KEM block) is late: the second
    // is refused without a state change (KEM_MISSING) and opens after the outbox's resend.
    expect(await receive(a, b, await send(b, a, 'r0'))).toBe('r0');
    const late = await send(a, b, 'late-first');
    const afterLoss = await send(a, b, 'after-loss');
    const before = hexOf(b);
    expect(await codeOf(openAt(b, a, afterLoss))).toBe('KEM_MISSING');
    expect(hexOf(b)).toBe(before);
    expect(await receive(b, a, late)).toBe('late-first');
    expect(await receive(b, a, afterLoss)).toBe('after-loss');
    // A message of B's previous chain arriving after B's chain changed opens from a skipped key.
    expect(await receive(a, b, await send(b, a, 'chain-start'))).toBe('chain-start');
    const old = await send(b, a, 'old-chain');
    expect(await receive(a, b, await send(b, a, 'same-chain'))).toBe('same-chain');
    expect(await receive(b, a, await send(a, b, 'turn'))).toBe('turn');
    const newer = await send(b, a, 'new-chain');
    expect(await receive(a, b, newer)).toBe('new-chain');
    expect(await receive(a, b, old)).toBe('old-chain');
  });

  it('a replayed frame is refused (KEY_USED) and changes nothing', async () => {
    const { a, b } = await startPair(backend, 'replay');
    expect(await receive(b, a, await send(a, b, 'first'))).toBe('first');
    const f0 = await send(a, b, 'once');
    const f1 = await send(a, b, 'twice');
    expect(await receive(b, a, f1)).toBe('twice');
    expect(await receive(b, a, f0)).toBe('once'); // from the skipped store
    const before = hexOf(b);
    expect(await codeOf(openAt(b, a, f1))).toBe('KEY_USED');
    expect(await codeOf(openAt(b, a, f0))).toBe('KEY_USED');
    expect(hexOf(b)).toBe(before);
  });

  it(`a jump of exactly MAX_SKIP_PER_CHAIN (${MAX_SKIP_PER_CHAIN}) opens; one more is refused (JUMP_TOO_LARGE) without a state change`, async () => {
    const { a, b } = await startPair(backend, 'jump');
    expect(await receive(b, a, await send(a, b, 'first'))).toBe('first');
    const frames: Uint8Array[] = [];
    for (let i = 0; i <= MAX_SKIP_PER_CHAIN + 1; i++) frames.push(await send(a, b, `n${i}`));
    // b.recvCount is 1: frames[i] is message i + 1. frames[MAX + 1] would skip MAX + 1 keys.
    const before = hexOf(b);
    expect(await codeOf(openAt(b, a, frames[MAX_SKIP_PER_CHAIN + 1]!))).toBe('JUMP_TOO_LARGE');
    expect(hexOf(b)).toBe(before);
    expect(await receive(b, a, frames[MAX_SKIP_PER_CHAIN]!)).toBe(`n${MAX_SKIP_PER_CHAIN}`);
    expect(b.state.skipped.length).toBe(MAX_SKIP_PER_CHAIN);
    expect(await receive(b, a, frames[0]!)).toBe('n0');
    expect(await receive(b, a, frames[MAX_SKIP_PER_CHAIN + 1]!)).toBe(`n${MAX_SKIP_PER_CHAIN + 1}`);
  }, 60_000);

  it('a new chain announcing too large a previous-chain remainder is refused without a state change', async () => {
    const { a, b } = await startPair(backend, 'pn');
    expect(await receive(b, a, await send(a, b, 'first'))).toBe('first');
    expect(await receive(a, b, await send(b, a, 'reply'))).toBe('reply');
    // B sends MAX + 1 more in its chain, none delivered; then A's... no: A must hear B's new chain.
    for (let i = 0; i <= MAX_SKIP_PER_CHAIN; i++) await send(b, a, `lost${i}`);
    expect(await receive(b, a, await send(a, b, 'turn'))).toBe('turn');
    const next = await send(b, a, 'next chain'); // PN = MAX + 2, A has received 1
    const before = hexOf(a);
    expect(await codeOf(openAt(a, b, next))).toBe('JUMP_TOO_LARGE');
    expect(hexOf(a)).toBe(before);
  }, 60_000);

  it(`skipped keys are capped at MAX_SKIPPED_KEYS (${MAX_SKIPPED_KEYS}) per contact, oldest erased, and expire after SKIPPED_KEY_MAX_AGE_MS`, async () => {
    let now = T0;
    const { a, b } = await startPair(backend, 'cap', { now: () => now });
    const firstFrames: Uint8Array[] = [];
    // Three chains of A, each leaving MAX_SKIP_PER_CHAIN keys skipped at B (its first message,
    // which carries the KEM block, arrives; the next MAX_SKIP_PER_CHAIN do not).
    for (let chain = 0; chain < 3; chain++) {
      const frames: Uint8Array[] = [];
      for (let i = 0; i <= MAX_SKIP_PER_CHAIN + 1; i++) frames.push(await send(a, b, `c${chain}m${i}`));
      firstFrames.push(frames[1]!);
      expect(await receive(b, a, frames[0]!)).toBe(`c${chain}m0`);
      expect(await receive(b, a, frames[MAX_SKIP_PER_CHAIN + 1]!)).toBe(`c${chain}m${MAX_SKIP_PER_CHAIN + 1}`);
      expect(await receive(a, b, await send(b, a, `turn${chain}`))).toBe(`turn${chain}`);
    }
    expect(b.state.skipped.length).toBe(MAX_SKIPPED_KEYS);
    // The oldest chain's keys were erased first; the newest chain's first message still opens.
    expect(await codeOf(openAt(b, a, firstFrames[0]!))).toMatch(/HEADER_FAILED|KEY_USED/);
    expect(await receive(b, a, firstFrames[2]!)).toBe('c2m1');
    // Stored state grows by the skipped keys (reported by the bench) and stays decodable.
    expect(parseState(serializeState(b.state)).skipped.length).toBe(MAX_SKIPPED_KEYS - 1);
    now += SKIPPED_KEY_MAX_AGE_MS + 1;
    expect(await codeOf(openAt(b, a, firstFrames[1]!))).toMatch(/HEADER_FAILED|KEY_USED/);
  }, 120_000);

  it('stored state is under 8 KiB per contact, round-trips, and no longer holds used message keys or old chain keys', async () => {
    const { a, b } = await startPair(backend, 'erase');
    const chainKeys: string[] = [];
    for (let i = 0; i < 3; i++) {
      chainKeys.push(toHex(a.state.sendChain));
      await receive(b, a, await send(a, b, `e${i}`));
    }
    await receive(a, b, await send(b, a, 'back'));
    await receive(b, a, await send(a, b, 'again'));
    for (const p of [a, b]) {
      const bytes = serializeState(p.state);
      expect(bytes.length).toBeLessThan(8 * 1024);
      expect(toHex(serializeState(parseState(bytes)))).toBe(toHex(bytes));
      const hex = toHex(bytes);
      for (const k of chainKeys) expect(hex.includes(k)).toBe(false);
    }
    expect(await codeOf(Promise.resolve().then(() => parseState(serializeState(a.state).subarray(0, 100))))).toBe('BAD_STATE');
  });
});
