/**
 * Two parties with a v2 session, a relay that records every frame it forwards, and helpers to
 * send and receive through the real seal/open code (tests only).
 */
import { MessageType, type Envelope } from '@parley/generated';
import type { CryptoBackend } from '../../src/crypto/index.ts';
import { makeEnvelope } from '../../src/protocol/envelope.ts';
import type { Identity } from '../../src/protocol/identity.ts';
import {
  newEphemeral,
  openRatchetFrame,
  sealRatchetFrame,
  startAsA,
  startAsB,
  supersedeState,
  type OpenedRatchet,
  type RatchetDeps,
  type RatchetState,
} from '../../src/protocol/ratchet/index.ts';
import { fixedRandom, identity } from '../protocol/_helpers.ts';

export const T0 = 1_800_000_000_000;

export interface Party {
  name: string;
  me: Identity;
  deps: RatchetDeps;
  state: RatchetState;
}

export interface Recorded {
  from: string;
  to: string;
  frame: Uint8Array;
  text: string;
}

/** A text envelope with a distinct id per text. */
export function text(s: string, at = T0): Envelope {
  let h = 0;
  const id = new Uint8Array(16);
  for (let i = 0; i < s.length; i++) id[i % 16] = (h = (h * 31 + s.charCodeAt(i)) & 0xff);
  id[15] = s.length & 0xff;
  return makeEnvelope({ type: MessageType.text, body: { text: s, replyTo: new Uint8Array(16) }, sentAt: at, msgId: id });
}

/** A and B with a fresh session (B published E_B; A sends first), deterministic randomness. */
export async function startPair(backend: CryptoBackend, label = 'conv', extra: Partial<RatchetDeps> = {}): Promise<{ a: Party; b: Party }> {
  const clock = { now: T0 };
  const depsOf = (who: string): RatchetDeps => ({ backend, random: fixedRandom(`${label} ${who}`), now: () => clock.now, ...extra });
  const aId = await identity(backend, `${label} alice`);
  const bId = await identity(backend, `${label} bob`);
  const da = depsOf('alice');
  const db = depsOf('bob');
  const eB = await newEphemeral(db);
  const eA = await newEphemeral(da);
  const a = { name: 'A', me: aId, deps: da, state: await startAsA(da, aId, eA, bId, eB.publicKey, T0) };
  const b = { name: 'B', me: bId, deps: db, state: await startAsB(db, bId, eB, aId, eA.publicKey, T0) };
  return { a, b };
}

/** Seals `s` from `from` to `to`, commits the sender's new state, records the frame. */
export async function send(from: Party, to: Party, s: string, log?: Recorded[]): Promise<Uint8Array> {
  const { frame, state } = await sealRatchetFrame({ deps: from.deps, sender: from.me, recipient: to.me, state: from.state, envelope: text(s) });
  supersedeState(from.state, state);
  from.state = state;
  log?.push({ from: from.name, to: to.name, frame: frame.slice(), text: s });
  return frame;
}

/** Opens `frame` at `to`, commits its new state, returns the text. */
export async function receive(to: Party, from: Party, frame: Uint8Array): Promise<string> {
  const opened = await openAt(to, from, frame);
  supersedeState(to.state, opened.state);
  to.state = opened.state;
  const env = opened.envelope;
  if (env.type !== MessageType.text) throw new Error('not a text');
  return env.body.text;
}

/** Opens without committing (the state of `to` stays as it was). */
export function openAt(to: Party, from: Party, frame: Uint8Array): Promise<OpenedRatchet<Identity>> {
  return openRatchetFrame({ deps: to.deps, me: to.me, candidates: [{ contact: from.me, state: to.state }], frame });
}

/** The error code a promise rejects with ('' if it resolves). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return '';
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}
