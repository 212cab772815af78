/**
 * The rule ops of the TypeScript reference adapter (spec/conformance/PROTOCOL.md, "Rule ops"),
 * each a few lines on @parley/runtime: key and signature checks, the replay window, invite
 * parsing, the relay fingerprint, safety numbers, file digests, the order extension and the two
 * sides of a failing handshake. adapters/typescript.ts dispatches to them.
 */
import type { CryptoBackend } from '@parley/runtime/crypto';
import type { RuleOp } from '../rules.ts';

type Request = Record<string, unknown>;
type Answer = Record<string, unknown>;

/** The request helpers adapters/typescript.ts defines (each fails with BAD_REQUEST). */
export interface Args {
  hex(req: Request, key: string): Uint8Array;
  int(req: Request, key: string): number;
  obj(req: Request, key: string): Request;
  list(req: Request, key: string): unknown[];
  keys(v: unknown, what: string): { x: Uint8Array; ed: Uint8Array };
  toJson(v: unknown): unknown;
  toHex(b: Uint8Array): string;
  /** Randomness handing out the named values in order. */
  injected(values: [string, Uint8Array][]): (n: number) => Uint8Array;
}

export async function loadRuleOps(backend: CryptoBackend, a: Args): Promise<(op: RuleOp, req: Request) => Promise<Answer>> {
  const [P, C, E, G] = await Promise.all([import('@parley/runtime/protocol'), import('@parley/runtime/crypto'), import('@parley/runtime/engine'), import('@parley/generated')]);
  const ops: Record<RuleOp, (req: Request) => Promise<Answer>> = {
    /** X(secret, public_key) under rules.x25519_keys; a rejected key is BAD_KEY. */
    async x25519(req) {
      try {
        return { shared: a.toHex(await backend.x25519(a.hex(req, 'secret'), a.hex(req, 'public_key'))) };
      } catch (e) {
        if (C.isCryptoError(e, 'NON_CANONICAL') || C.isCryptoError(e, 'LOW_ORDER')) throw new P.OpenError('BAD_KEY', e.message);
        throw e;
      }
    },

    /** Strict verification (rules.ed25519_signatures). */
    async ed25519_verify(req) {
      return { valid: await backend.ed25519Verify(a.hex(req, 'public_key'), a.hex(req, 'message'), a.hex(req, 'signature')) };
    },

    /** A window restored from `window`, then each step checked in order. */
    async replay_window(req) {
      const state = a.obj(req, 'window');
      const ids = a.list(state, 'ids').map((x) => [a.toHex(a.hex(x as Request, 'msg_id')), a.int(x as Request, 'sent_at')]);
      const w = P.ReplayWindow.fromJSON(
        { format: 'parley-replay-window', version: 1, floor: a.int(state, 'floor'), ids },
        { windowMs: a.int(req, 'window_ms'), maxSkewMs: a.int(req, 'max_skew_ms'), maxIds: a.int(req, 'max_ids') },
      );
      const steps = [];
      for (const s of a.list(req, 'steps')) {
        const step = s as Request;
        let result: string;
        try {
          result = w.check(a.hex(step, 'msg_id'), a.int(step, 'sent_at'), a.int(step, 'now'));
        } catch (e) {
          if (!P.isOpenError(e)) throw e;
          result = e.code;
        }
        steps.push({ result, floor: w.floor });
      }
      return { steps };
    },

    /** Parse and check an invite (v1, or v2 by its first byte) at clock `now` (BAD_INVITE). */
    async parse_invite(req) {
      const bytes = a.hex(req, 'invite');
      const now = a.int(req, 'now');
      return { fields: a.toJson(bytes[0] === G.SESSION_VERSION ? P.parseInviteV2(bytes, now) : P.parseInvite(bytes, now)) };
    },

    async relay_fingerprint(req) {
      const x = a.hex(req, 'relay_x');
      const ed = a.hex(req, 'relay_ed');
      const text = P.relayFingerprint(x, ed);
      return { bytes: text.replace(/-/g, ''), text };
    },

    async safety_number(req) {
      const k1 = a.keys(req.a, 'a');
      const k2 = a.keys(req.b, 'b');
      const qr = P.safetyQr(k1, k2);
      return { number: P.safetyNumber(k1, k2), fingerprint: a.toHex(qr.subarray(1)), qr: a.toHex(qr) };
    },

    async file_digest(req) {
      return { digest: a.toHex(E.fileDigest(a.hex(req, 'content'))) };
    },

    /** The order mark of an envelope (null if none applies); BAD_MESSAGE if malformed. */
    async read_order(req) {
      return { order: E.readOrder(P.decodeEnvelopeChecked(a.hex(req, 'envelope'))) ?? null };
    },

    /** The client receives CHALLENGE (and WELCOME, if given) pinning `pinned_relay`. */
    async handshake_client(req) {
      const identity = await P.identityFromSeed(backend, a.hex(req, 'client_seed'));
      const ch = new P.ClientHandshake({
        backend,
        identity,
        relay: a.keys(req.pinned_relay, 'pinned_relay'),
        now: () => a.int(req, 'client_time'),
        random: a.injected([['client_ephemeral_secret', a.hex(req, 'client_ephemeral_secret')], ['hello_nonce', a.hex(req, 'hello_nonce')]]),
      });
      const hello = await ch.onChallenge(a.hex(req, 'challenge'));
      if (req.welcome === undefined) return { hello: a.toHex(hello) };
      await ch.onWelcome(a.hex(req, 'welcome'));
      return {};
    },

    /** The relay sends CHALLENGE at relay_time, then receives HELLO at hello_at. */
    async handshake_relay(req) {
      const relay = await P.identityFromSeed(backend, a.hex(req, 'relay_seed'));
      let clock = a.int(req, 'relay_time');
      const rh = new P.RelayHandshake({
        backend,
        relay,
        now: () => clock,
        random: a.injected([['relay_ephemeral_secret', a.hex(req, 'relay_ephemeral_secret')], ['challenge_nonce', a.hex(req, 'challenge_nonce')], ['welcome_nonce', a.hex(req, 'welcome_nonce')]]),
      });
      await rh.challenge();
      clock = a.int(req, 'hello_at');
      await rh.onHello(a.hex(req, 'hello'));
      return {};
    },
  };
  return (op, req) => ops[op](req);
}
