/**
 * The KEM block (spec sessions, "the KEM block"): a chain's ML-KEM fields ride on its first
 * message only, so a same-direction message carries a small header; a new chain whose first
 * message has not arrived is refused (KEM_MISSING) without a state change and opens after the
 * first one; a message of the contact on an older chain re-arms the sending chain, whose
 * messages then carry the block until the next DH step. Header sizes depend on the chain
 * position only, never on the message type. A refused open wipes the secrets of its working copy.
 */
import { MessageType, RatchetKem, ReceiptStatus, decodeFrame, decodeRatchet } from '@parley/generated';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/index.ts';
import { nodeBackend } from '../../src/crypto/node.ts';
import { makeEnvelope } from '../../src/protocol/envelope.ts';
import { cloneState, encodeEnvelopeRatchet, openRatchetFrame, parseState, sealRatchetFrame, serializeState, type RatchetDeps } from '../../src/protocol/ratchet/index.ts';
import { fixedRandom } from '../protocol/_helpers.ts';
import { codeOf, openAt, receive, send, startPair, T0, type Party } from './_conversation.ts';

const backend = nodeBackend;
const hexOf = (p: Party) => toHex(serializeState(p.state));
const headerLength = (frame: Uint8Array) => decodeRatchet(decodeFrame(frame).payload).header.length;

describe('the KEM block of a chain', () => {
  it('rides on the first message of each chain only; later same-direction headers are small and the same for every message type', async () => {
    const { a, b } = await startPair(backend, 'block');
    const first = await send(a, b, 'a0');
    const second = await send(a, b, 'a1');
    expect((await openAt(b, a, first)).header.kem).toBe(RatchetKem.key);
    await receive(b, a, first);
    expect((await openAt(b, a, second)).header.kem).toBe(RatchetKem.none);
    await receive(b, a, second);
    const reply = await send(b, a, 'b0');
    expect((await openAt(a, b, reply)).header.kem).toBe(RatchetKem.keyCiphertext);
    await receive(a, b, reply);
    expect((await openAt(a, b, await send(b, a, 'b1'))).header.kem).toBe(RatchetKem.none);
    // A receipt and a text of the same bucket: frames of the same length (the header does not tell types apart).
    const text = makeEnvelope({ type: MessageType.text, body: { text: 'ok', replyTo: new Uint8Array(16) }, sentAt: T0 });
    const receipt = makeEnvelope({ type: MessageType.receipt, body: { status: ReceiptStatus.delivered, ids: [{ id: new Uint8Array(16) }] }, sentAt: T0 });
    const seal = (env: typeof text) => sealRatchetFrame({ deps: b.deps, sender: b.me, recipient: a.me, state: b.state, envelope: env });
    const [ft, fr] = [await seal(text), await seal(receipt)];
    expect(ft.frame.length).toBe(fr.frame.length);
    expect(headerLength(ft.frame)).toBe(headerLength(fr.frame));
    expect(headerLength(ft.frame)).toBeLessThan(100);
    expect(headerLength(reply)).toBeGreaterThan(2000);
  });

  it('a new chain without its block is refused (KEM_MISSING) without a state change, and opens once its first message arrived', async () => {
    const { a, b } = await startPair(backend, 'missing');
    const m0 = await send(a, b, 'm0');
    const m1 = await send(a, b, 'm1');
    const m2 = await send(a, b, 'm2');
    const before = hexOf(b);
    expect(await codeOf(openAt(b, a, m2))).toBe('KEM_MISSING');
    expect(await codeOf(openAt(b, a, m1))).toBe('KEM_MISSING');
    expect(hexOf(b)).toBe(before);
    expect(await receive(b, a, m0)).toBe('m0');
    expect(await receive(b, a, m2)).toBe('m2');
    expect(await receive(b, a, m1)).toBe('m1');
  });

  it('a message of the contact on an older chain re-arms the sending chain: its next messages carry the block until the next step', async () => {
    const { a, b } = await startPair(backend, 'rearm');
    expect(await receive(b, a, await send(a, b, 'a0'))).toBe('a0');
    expect(await receive(a, b, await send(b, a, 'b0'))).toBe('b0');
    // A's new chain: its first message (the block) is held back by the network.
    const held = await send(a, b, 'held');
    const plain = await send(a, b, 'plain');
    expect((await openAt(b, a, held)).header.kem).toBe(RatchetKem.keyCiphertext);
    expect(headerLength(plain)).toBeLessThan(100);
    expect(a.state.kemRearm).toBe(0);
    // B, still on its chain, writes: A sees a message of B's current chain after sealing its own.
    expect(await receive(a, b, await send(b, a, 'crossing'))).toBe('crossing');
    expect(a.state.kemRearm).toBe(1);
    const rearmed = await send(a, b, 'rearmed');
    const again = await send(a, b, 'again');
    // B takes the step from a re-armed message alone; the held and plain ones open after it.
    const o = await openAt(b, a, again);
    expect(o.header.kem).toBe(RatchetKem.keyCiphertext);
    expect(o.step).toBe('dh');
    expect(await receive(b, a, again)).toBe('again');
    expect(await receive(b, a, plain)).toBe('plain');
    expect(await receive(b, a, rearmed)).toBe('rearmed');
    expect(await receive(b, a, held)).toBe('held');
    // B answers on a new chain: A's next chain starts disarmed.
    expect(await receive(a, b, await send(b, a, 'turn'))).toBe('turn');
    expect(a.state.kemRearm).toBe(0);
    await send(a, b, 'n0');
    expect(headerLength(await send(a, b, 'n1'))).toBeLessThan(100);
  });

  it('a refused open wipes the secrets its working copy drew and derived (body refused after a DH step)', async () => {
    const { a, b } = await startPair(backend, 'wipe');
    const drawn: Uint8Array[] = [];
    const stream = fixedRandom('wipe bob step');
    const deps: RatchetDeps = { backend, now: () => T0, random: (n) => { const v = stream(n); drawn.push(v); return v; } };
    // A seals its first message from a state whose chain key was replaced: the header opens
    // (header keys are intact), B takes the DH step, and the body does not open.
    const forged = cloneState(a.state);
    forged.sendChain = new Uint8Array(32).fill(7);
    const bad = await sealRatchetFrame({ deps: a.deps, sender: a.me, recipient: b.me, state: forged, envelope: encodeEnvelopeRatchet(makeEnvelope({ type: MessageType.text, body: { text: 'x', replyTo: new Uint8Array(16) }, sentAt: T0 })) });
    const before = hexOf(b);
    expect(await codeOf(openRatchetFrame({ deps, me: b.me, candidates: [{ contact: a.me, state: b.state }], frame: bad.frame }))).toBe('DECRYPT_FAILED');
    expect(hexOf(b)).toBe(before);
    // The step drew B's new ratchet secret (32), the encapsulation randomness m (32) and a KEM seed (64): all zero now.
    expect(drawn.map((v) => v.length)).toEqual([32, 32, 64]);
    for (const v of drawn) expect(v.every((x) => x === 0)).toBe(true);
  });
});

describe('states parsed from stored bytes', () => {
  it('own their bytes: wiping the stored buffer after parsing changes neither the state nor the states derived from it', async () => {
    const { a, b } = await startPair(backend, 'owned');
    await receive(b, a, await send(a, b, 'one'));
    const two = await send(b, a, 'two');
    const twoB = await send(b, a, 'two-b');
    await receive(a, b, two); // A stepped: its new chain (ratchet key, KEM block) is not sent yet
    const stored = serializeState(a.state);
    a.state = parseState(stored);
    expect(await receive(a, b, twoB)).toBe('two-b'); // a state derived from the parsed one
    stored.fill(0); // the caller wipes or reuses the buffer it read
    const three = await send(a, b, 'three'); // carries the chain's ratchet key and KEM block
    expect((await openAt(b, a, three)).header.kem).toBe(RatchetKem.keyCiphertext);
    expect(await receive(b, a, three)).toBe('three');
  });
});
