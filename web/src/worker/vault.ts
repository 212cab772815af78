/**
 * The identity at rest (the `vault` object store, key `identity`).
 *
 * Without a passphrase the 32-byte seed is stored as is: anyone with the unlocked device has it
 * (spec/THREAT-MODEL.md "Someone with your unlocked device"). With a passphrase it is sealed by
 * the runtime (`@parley/runtime/vault`: scrypt N = 2^17, r = 8, p = 1, 128 MiB, then
 * XChaCha20-Poly1305 bound to the public keys; its module comment documents the cost). Only the
 * seed is sealed; contacts and history are not encrypted at rest (see web/README.md).
 */
import type { Protection } from '@parley/runtime/vault';
import type { RelayInfo } from '../messages/protocol.ts';

export {
  SALT_SIZE,
  SCRYPT_MAX_N,
  SCRYPT_PARAMS,
  VaultError,
  checkNewPassphrase,
  openSeed,
  sealSeed,
  type Protection,
  type ScryptParams,
} from '@parley/runtime/vault';

export interface IdentityRecord {
  v: 1;
  name: string;
  /** Public keys and id, hex. */
  x: string;
  ed: string;
  id: string;
  /** The plain seed, when there is no passphrase. */
  seed?: Uint8Array;
  protection?: Protection;
  /** The relay pinned when the identity was created (trust on first use). */
  relay: RelayInfo;
  createdAt: number;
}
