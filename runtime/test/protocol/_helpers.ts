/**
 * Shared fixtures of the protocol tests: the backends every suite runs against (noble and
 * node), a spy backend that records which primitives ran (to prove a check happened before any
 * decryption), fixed identities, deterministic randomness and a connected client/relay pair.
 */
import { MessageType, type Envelope } from '@parley/generated';
import type { CryptoBackend } from '../../src/crypto/backend.ts';
import { keyedHash, utf8 } from '../../src/crypto/index.ts';
import { nobleBackend } from '../../src/crypto/noble.ts';
import { nodeBackend } from '../../src/crypto/node.ts';
import { ClientHandshake } from '../../src/protocol/handshake-client.ts';
import { RelayHandshake } from '../../src/protocol/handshake-relay.ts';
import { identityFromSeed, type Identity } from '../../src/protocol/identity.ts';
import { makeEnvelope } from '../../src/protocol/envelope.ts';
import { ClientSession, RelaySession } from '../../src/protocol/session.ts';

/** The protocol suites run against the reference and the native backend. */
export const BACKENDS: readonly CryptoBackend[] = [nobleBackend, nodeBackend];

export type Primitive = keyof Omit<CryptoBackend, 'name'>;

/** A backend that counts calls per primitive and forwards them. */
export interface SpyBackend extends CryptoBackend {
  readonly calls: Record<Primitive, number>;
  reset(): void;
}

export function spy(inner: CryptoBackend): SpyBackend {
  const calls = {
    x25519PublicKey: 0,
    x25519: 0,
    x25519Ephemeral: 0,
    ed25519PublicKey: 0,
    ed25519Sign: 0,
    ed25519Verify: 0,
    xchachaSeal: 0,
    xchachaSealSync: 0,
    xchachaOpen: 0,
  } satisfies Record<Primitive, number>;
  const wrap =
    <K extends Primitive>(k: K) =>
    (...args: unknown[]) => {
      calls[k]++;
      return (inner[k] as (...a: unknown[]) => unknown)(...args);
    };
  return {
    name: inner.name,
    calls,
    reset() {
      for (const k of Object.keys(calls) as Primitive[]) calls[k] = 0;
    },
    x25519PublicKey: wrap('x25519PublicKey'),
    x25519: wrap('x25519'),
    // An ephemeral's DHs count as x25519 calls.
    async x25519Ephemeral(secret?: Uint8Array) {
      calls.x25519Ephemeral++;
      const e = await inner.x25519Ephemeral(secret);
      return {
        publicKey: e.publicKey,
        dh: (pub: Uint8Array) => {
          calls.x25519++;
          return e.dh(pub);
        },
        destroy: () => e.destroy(),
      };
    },
    ed25519PublicKey: wrap('ed25519PublicKey'),
    ed25519Sign: wrap('ed25519Sign'),
    ed25519Verify: wrap('ed25519Verify'),
    xchachaSeal: wrap('xchachaSeal'),
    xchachaSealSync: wrap('xchachaSealSync'),
    xchachaOpen: wrap('xchachaOpen'),
  } as SpyBackend;
}

/** A fixed 32-byte seed from a label (test fixtures only). */
export function seedOf(label: string): Uint8Array {
  return keyedHash(new Uint8Array(32), utf8(`parley test seed ${label}`), 32);
}

/** Deterministic "randomness" from a label: a counter-mode keyed hash (test fixtures only). */
export function fixedRandom(label: string): (n: number) => Uint8Array {
  const key = keyedHash(new Uint8Array(32), utf8(`parley test random ${label}`), 32);
  let counter = 0;
  return (n) => keyedHash(key, utf8(String(counter++)), n);
}

export async function identity(backend: CryptoBackend, label: string): Promise<Identity> {
  return identityFromSeed(backend, seedOf(label));
}

/** A text envelope at a fixed time. */
export function textEnvelope(text: string, sentAt = 1_700_000_000_000, msgId?: Uint8Array): Envelope {
  return makeEnvelope({ type: MessageType.text, body: { text, replyTo: new Uint8Array(16) }, sentAt, ...(msgId ? { msgId } : {}) });
}

export interface Connected {
  client: ClientSession;
  relay: RelaySession;
}

/** Runs a full handshake between a client identity and a relay identity. */
export async function connect(backend: CryptoBackend, client: Identity, relay: Identity): Promise<Connected> {
  const rh = new RelayHandshake({ backend, relay });
  const ch = new ClientHandshake({ backend, identity: client, relay: { x: relay.x, ed: relay.ed } });
  const hello = await ch.onChallenge(await rh.challenge());
  await rh.onHello(hello);
  const { frame, session: relaySide } = await rh.welcome({ mailboxPending: 0 });
  const { session: clientSide } = await ch.onWelcome(frame);
  return { client: new ClientSession(backend, clientSide, client.edSeed), relay: new RelaySession(backend, relaySide, relay.edSeed) };
}

/**
 * Sends a sealed frame from one connection to another through the relay's in-place path:
 * the sender masks it, the relay unmasks it and re-masks it for the recipient.
 */
export function forward(frame: Uint8Array, from: Connected, to: Connected, recipientId: Uint8Array): Uint8Array {
  const wire = from.client.route(frame.slice(), recipientId);
  const route = from.relay.unmaskIncoming(wire);
  if (Buffer.compare(route.id, recipientId) !== 0) throw new Error('relay unmasked another id');
  return to.relay.deliver(wire, from.relay.clientId);
}
