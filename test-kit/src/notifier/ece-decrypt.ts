/**
 * The test side of RFC 8291: what a user agent does with a push body, written independently of
 * web-push and of http_ece (which web-push encrypts with), on node:crypto. The tests open every
 * body the notifier sends with it, and check it against the RFC's §5 example.
 */
import { createDecipheriv, createECDH, hkdfSync } from 'node:crypto';

const P256_POINT_SIZE = 65;
const P256_SCALAR_SIZE = 32;
const AUTH_SECRET_SIZE = 16;
const SALT_SIZE = 16;
const RS_SIZE = 4;
const HEADER_SIZE = SALT_SIZE + RS_SIZE + 1 + P256_POINT_SIZE;
const TAG_BYTES = 16;
const LAST_RECORD = 0x02;

const enc = new TextEncoder();
const WEBPUSH_INFO = enc.encode('WebPush: info\0');
const CEK_INFO = enc.encode('Content-Encoding: aes128gcm\0');
const NONCE_INFO = enc.encode('Content-Encoding: nonce\0');

/**
 * RFC 8291 §3.4: IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" ‖ 0 ‖ ua_public ‖ as_public, 32);
 * RFC 8188 §2.2-2.3: CEK = HKDF(salt, IKM, "Content-Encoding: aes128gcm" ‖ 0, 16), NONCE likewise (12).
 */
export function deriveKeys(ecdhSecret: Uint8Array, authSecret: Uint8Array, uaPublic: Uint8Array, asPublic: Uint8Array, salt: Uint8Array): { ikm: Buffer; cek: Buffer; nonce: Buffer } {
  const keyInfo = Buffer.concat([WEBPUSH_INFO, uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, CEK_INFO, 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, NONCE_INFO, 12));
  return { ikm, cek, nonce };
}

export interface DecryptArgs {
  body: Uint8Array;
  /** The user agent's secret (ua_private, 32 bytes) and public key (ua_public), and the auth secret. */
  uaPrivate: Uint8Array;
  uaPublic: Uint8Array;
  authSecret: Uint8Array;
}

/** Opens a one-record aes128gcm push message; throws if it does not open. */
export function decryptWebPush(a: DecryptArgs): Uint8Array {
  if (a.uaPrivate.length !== P256_SCALAR_SIZE || a.uaPublic.length !== P256_POINT_SIZE || a.authSecret.length !== AUTH_SECRET_SIZE) {
    throw new RangeError('push keys: a 32-byte scalar, a 65-byte point and a 16-byte auth secret');
  }
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
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== LAST_RECORD) throw new Error('push message: bad padding delimiter');
  return new Uint8Array(padded.subarray(0, end));
}
