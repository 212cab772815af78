/**
 * Message Encryption for Web Push, RFC 8291, in the `aes128gcm` content coding of RFC 8188,
 * one record, on node:crypto: the notifier's own implementation, which reproduces the RFC 8291
 * §5 worked example byte for byte (encryption takes the ephemeral key and salt as inputs) and
 * opens what the notifier sends. Pushes themselves are made by the `web-push` package
 * (webpush.ts), which always draws its own key and salt and so cannot be checked against the
 * RFC's bytes directly; ece.test.ts checks that its bodies open with `decryptWebPush` (what a
 * user agent does) and with `http_ece` alike.
 */
import { createCipheriv, createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';

/** RFC 8291 §3.1: uncompressed P-256 points; §3.2: a 16-byte authentication secret. */
export const P256_POINT_SIZE = 65;
export const P256_SCALAR_SIZE = 32;
export const AUTH_SECRET_SIZE = 16;
/** RFC 8188 §2.1: salt, record size, key id length; §2: AES-128-GCM key, nonce and tag. */
export const SALT_SIZE = 16;
const RS_SIZE = 4;
const KEY_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** RFC 8188 §2: the padding delimiter of the last record. */
const LAST_RECORD = 0x02;
/** RFC 8291 §4: the record size push services accept; the whole message is one record. */
export const DEFAULT_RECORD_SIZE = 4096;
/** Header bytes of a Web Push message: salt, rs, idlen and the 65-byte key id (RFC 8291 §4). */
export const HEADER_SIZE = SALT_SIZE + RS_SIZE + 1 + P256_POINT_SIZE;
/** Body bytes of a one-record message with `n` plaintext bytes: header, plaintext, delimiter, tag. */
export const oneRecordSize = (n: number): number => HEADER_SIZE + n + 1 + TAG_BYTES;

const enc = new TextEncoder();
const WEBPUSH_INFO = enc.encode('WebPush: info\0');
const CEK_INFO = enc.encode('Content-Encoding: aes128gcm\0');
const NONCE_INFO = enc.encode('Content-Encoding: nonce\0');

export interface EncryptArgs {
  plaintext: Uint8Array;
  /** The subscription's `p256dh` (ua_public). */
  uaPublic: Uint8Array;
  /** The subscription's `auth`. */
  authSecret: Uint8Array;
  /** Inject only in tests: the application server's ephemeral secret (as_private) and the salt. */
  asPrivate?: Uint8Array;
  salt?: Uint8Array;
  recordSize?: number;
}

/** RFC 8291 §3.4 + RFC 8188 §2: the body of a push message (header ‖ one record). */
export function encryptWebPush(a: EncryptArgs): Uint8Array {
  abytes(a.plaintext, 'plaintext');
  abytes(a.uaPublic, 'uaPublic', P256_POINT_SIZE);
  abytes(a.authSecret, 'authSecret', AUTH_SECRET_SIZE);
  const salt = a.salt === undefined ? randomBytes(SALT_SIZE) : abytes(a.salt, 'salt', SALT_SIZE);
  const rs = a.recordSize ?? DEFAULT_RECORD_SIZE;
  const recordLen = a.plaintext.length + 1 + TAG_BYTES;
  if (!Number.isInteger(rs) || rs < recordLen || rs > 0xffffffff) throw new RangeError(`recordSize must hold one record of ${recordLen} bytes, got ${rs}`);
  const ecdh = createECDH('prime256v1');
  if (a.asPrivate === undefined) ecdh.generateKeys();
  else ecdh.setPrivateKey(abytes(a.asPrivate, 'asPrivate', P256_SCALAR_SIZE));
  const asPublic = ecdh.getPublicKey();
  const { cek, nonce } = deriveKeys(ecdh.computeSecret(a.uaPublic), a.authSecret, a.uaPublic, asPublic, salt);
  const cipher = createCipheriv('aes-128-gcm', cek, nonce);
  // RFC 8188 §2: plaintext ‖ 0x02 (the last and only record), no further padding
  const body = Buffer.concat([cipher.update(a.plaintext), cipher.update(Uint8Array.of(LAST_RECORD)), cipher.final(), cipher.getAuthTag()]);
  const header = Buffer.alloc(HEADER_SIZE);
  header.set(salt, 0);
  header.writeUInt32BE(rs, SALT_SIZE);
  header[SALT_SIZE + RS_SIZE] = P256_POINT_SIZE;
  header.set(asPublic, SALT_SIZE + RS_SIZE + 1);
  cek.fill(0);
  return new Uint8Array(Buffer.concat([header, body]));
}

export interface DecryptArgs {
  body: Uint8Array;
  /** The user agent's secret (ua_private) and public key (ua_public), and the auth secret. */
  uaPrivate: Uint8Array;
  uaPublic: Uint8Array;
  authSecret: Uint8Array;
}

/** The user agent's side: opens a one-record aes128gcm push message. Throws Error if it does not open. */
export function decryptWebPush(a: DecryptArgs): Uint8Array {
  abytes(a.body, 'body');
  abytes(a.uaPrivate, 'uaPrivate', P256_SCALAR_SIZE);
  abytes(a.uaPublic, 'uaPublic', P256_POINT_SIZE);
  abytes(a.authSecret, 'authSecret', AUTH_SECRET_SIZE);
  if (a.body.length < HEADER_SIZE + TAG_BYTES + 1) throw new Error('push message: shorter than a header and one record');
  const b = Buffer.from(a.body.buffer, a.body.byteOffset, a.body.byteLength);
  const salt = b.subarray(0, SALT_SIZE);
  const rs = b.readUInt32BE(SALT_SIZE);
  const idlen = b[SALT_SIZE + RS_SIZE]!;
  if (idlen !== P256_POINT_SIZE) throw new Error(`push message: key id is ${idlen} bytes, RFC 8291 §4 requires ${P256_POINT_SIZE}`);
  const asPublic = b.subarray(SALT_SIZE + RS_SIZE + 1, HEADER_SIZE);
  const record = b.subarray(HEADER_SIZE);
  if (record.length > rs) throw new Error('push message: more than one record (RFC 8291 §4 allows one)');
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(a.uaPrivate);
  const { cek, nonce } = deriveKeys(ecdh.computeSecret(asPublic), a.authSecret, a.uaPublic, asPublic, salt);
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - TAG_BYTES)), decipher.final()]);
  cek.fill(0);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== LAST_RECORD) throw new Error('push message: bad padding delimiter');
  return new Uint8Array(padded.subarray(0, end));
}

/**
 * RFC 8291 §3.4: IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" ‖ 0 ‖ ua_public ‖ as_public, 32);
 * RFC 8188 §2.2-2.3: CEK = HKDF(salt, IKM, "Content-Encoding: aes128gcm" ‖ 0, 16), NONCE likewise (12).
 */
export function deriveKeys(ecdhSecret: Uint8Array, authSecret: Uint8Array, uaPublic: Uint8Array, asPublic: Uint8Array, salt: Uint8Array): { ikm: Buffer; cek: Buffer; nonce: Buffer } {
  const keyInfo = Buffer.concat([WEBPUSH_INFO, uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, CEK_INFO, KEY_BYTES));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, NONCE_INFO, NONCE_BYTES));
  return { ikm, cek, nonce };
}

function abytes(v: unknown, name: string, size?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (size !== undefined && v.length !== size) throw new RangeError(`${name} must be ${size} bytes, got ${v.length}`);
  return v;
}
