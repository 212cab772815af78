/**
 * The session-control ops of the TypeScript adapter (PROTOCOL.md, "Ratchet ops"): the three peer
 * frames of a v2 session reset (or upgrade), replayed from ratchet.json's `reset` section with
 * every random draw injected. Split from typescript.ts, which passes its request getters in.
 */
import type { PublicKeys } from '@parley/runtime/protocol';
import type { SessionRatchetOp } from '../ratchet.ts';

type Request = Record<string, unknown>;
type Answer = Record<string, unknown>;

export interface SessionHelpers {
  identity: (req: Request, key: string) => ReturnType<typeof import('@parley/runtime/protocol').identityFromSeed>;
  keysOf: (v: unknown, what: string) => PublicKeys;
  member: (req: Request, key: string) => unknown;
  hex: (req: Request, key: string) => Uint8Array;
  int: (req: Request, key: string) => number;
  obj: (req: Request, key: string) => Request;
  draws: (req: Request) => (n: number) => Uint8Array;
  toHex: (b: Uint8Array) => string;
  badRequest: (message: string) => Error;
}

export function sessionOps(
  P: typeof import('@parley/runtime/protocol'),
  G: typeof import('@parley/generated'),
  backend: import('@parley/runtime/crypto').CryptoBackend,
  h: SessionHelpers,
): Record<SessionRatchetOp, (req: Request) => Promise<Answer>> {
  const offerOp = (req: Request) => {
    const op = h.member(req, 'session_op');
    if (op === 'reset_offer') return G.SessionOp.resetOffer;
    if (op === 'upgrade_offer') return G.SessionOp.upgradeOffer;
    throw h.badRequest('"session_op" must be reset_offer or upgrade_offer');
  };
  const controlEnvelope = (body: import('@parley/generated').SessionControl, req: Request) =>
    P.makeEnvelope({ type: G.MessageType.session, body, sentAt: h.int(req, 'sent_at'), msgId: h.hex(req, 'msg_id') });
  /** Opens a peer frame carrying session control from `sender`. */
  const openControl = async (me: Awaited<ReturnType<SessionHelpers['identity']>>, sender: PublicKeys, frame: Uint8Array) => {
    const opened = await P.openPeer({ backend, me, candidates: [sender], frame });
    if (opened.envelope.type !== G.MessageType.session) throw new P.OpenError('BAD_MESSAGE', 'not a session control message');
    return opened.envelope;
  };
  return {
    /** The offerer: its fresh ephemeral (random[0]) in a session control envelope, sealed in a peer frame. */
    async offer_session(req) {
      const sender = await h.identity(req, 'sender_seed');
      const recipient = h.keysOf(h.member(req, 'recipient'), '"recipient"');
      const deps = { backend, random: h.draws(req), now: () => h.int(req, 'sent_at') };
      const offer = await P.createOffer(deps, offerOp(req), { msgId: h.hex(req, 'msg_id'), sentAt: h.int(req, 'sent_at') });
      const frame = await P.sealPeer({ backend, sender, recipient, envelope: controlEnvelope(offer.body, req), nonce: h.hex(req, 'nonce') });
      return { frame: h.toHex(frame) };
    },
    /** The answerer: opens the offer, answers it from its current session (`state`, "" for none), seals the answer. */
    async answer_session(req) {
      const me = await h.identity(req, 'recipient_seed');
      const sender = h.keysOf(h.member(req, 'sender'), '"sender"');
      const env = await openControl(me, sender, h.hex(req, 'frame'));
      if (env.type !== G.MessageType.session) throw h.badRequest('unreachable');
      const stored = h.hex(req, 'state');
      const policy = { session: stored.length === 0 ? undefined : P.parseState(stored), pending: undefined, lastResetAt: undefined };
      const deps = { backend, random: h.draws(req), now: () => h.int(req, 'now') };
      const answered = await P.answerOffer(deps, me, sender, env.body, env, policy, h.int(req, 'now'));
      const frame = await P.sealPeer({ backend, sender: me, recipient: sender, envelope: controlEnvelope(answered.body, req), nonce: h.hex(req, 'nonce') });
      return { frame: h.toHex(frame), state: h.toHex(P.serializeState(answered.state)) };
    },
    /** The offerer again: opens the answer and starts its session from its pending offer. */
    async accept_session(req) {
      const me = await h.identity(req, 'recipient_seed');
      const sender = h.keysOf(h.member(req, 'sender'), '"sender"');
      const env = await openControl(me, sender, h.hex(req, 'frame'));
      if (env.type !== G.MessageType.session) throw h.badRequest('unreachable');
      const o = h.obj(req, 'offer');
      const secret = h.hex(o, 'ephemeral_secret');
      const pending = { op: offerOp(o), ephemeral: { secret, publicKey: await backend.x25519PublicKey(secret) }, msgId: h.hex(o, 'msg_id'), sentAt: h.int(o, 'sent_at') };
      const deps = { backend, now: () => h.int(req, 'now') };
      const accepted = await P.acceptAnswer(deps, me, sender, env.body, { session: undefined, pending, lastResetAt: undefined }, h.int(req, 'now'));
      return { state: h.toHex(P.serializeState(accepted.state)) };
    },
  };
}
