/**
 * RFC 8291 encryption. The notifier has one implementation, the `web-push` package's (which
 * encrypts with `http_ece`); the tests have their own decryptor (@parley/test-kit, notifier/ece-decrypt.ts, on
 * node:crypto, what a user agent does). Checked: the §5 example byte for byte (http_ece called
 * as web-push calls it, with the RFC's key and salt), the decryptor against the RFC's
 * intermediate values, and the very request bodies the notifier sends (web-push's
 * generateRequestDetails, webpush.ts) opening with the decryptor and with http_ece alike.
 */
import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PUSH_PAYLOAD_SIZE } from '@parley/generated';
import { httpEce as ece } from '@parley/test-kit/notifier';
import webpush from 'web-push';
import { describe, expect, it } from 'vitest';
import { WakeReason, pushPayload } from '../src/push.ts';
import { HEADER_SIZE } from '../src/web-push-size.ts';
import { WEB_PUSH_BODY_SIZE, WebPushSender } from '../src/webpush.ts';
import { decryptWebPush, deriveKeys } from '@parley/test-kit/notifier';

const P256_SCALAR_SIZE = 32;

const V = JSON.parse(readFileSync(new URL('./vectors/rfc8291.json', import.meta.url), 'utf8')) as Record<string, string>;
const b = (k: string) => new Uint8Array(Buffer.from(V[k]!, 'base64url'));
const hex = (u: Uint8Array) => Buffer.from(u).toString('hex');
const plaintext = new TextEncoder().encode(V.plaintext);

/** The private scalar as 32 bytes: Node's ECDH drops leading zero bytes (1 key in 256). */
function privateKeyOf(ecdh: ECDH): Uint8Array {
  const k = ecdh.getPrivateKey();
  const out = new Uint8Array(P256_SCALAR_SIZE);
  out.set(k, P256_SCALAR_SIZE - k.length);
  return out;
}
describe('RFC 8291 §5 example', () => {
  it("web-push's encryptor (http_ece, called as web-push calls it) gives exactly the RFC bytes", () => {
    const as = createECDH('prime256v1');
    as.setPrivateKey(b('as_private'));
    // web-push: ece.encrypt(payload, { version, dh: ua_public, privateKey, salt, authSecret }); rs is the RFC example's
    const out = ece.encrypt(Buffer.from(plaintext), { version: 'aes128gcm', dh: V.ua_public!, privateKey: as, salt: V.salt!, authSecret: V.auth_secret!, rs: 4096 });
    expect(hex(out.subarray(0, HEADER_SIZE))).toBe(hex(b('header')));
    expect(hex(out.subarray(HEADER_SIZE))).toBe(hex(b('ciphertext')));
    expect(hex(out)).toBe(hex(b('message')));
  });

  it('the key schedule gives the RFC intermediate values', () => {
    const as = createECDH('prime256v1');
    as.setPrivateKey(b('as_private'));
    expect(hex(as.getPublicKey())).toBe(hex(b('as_public')));
    const secret = as.computeSecret(b('ua_public'));
    expect(hex(secret)).toBe(hex(b('ecdh_secret')));
    const k = deriveKeys(secret, b('auth_secret'), b('ua_public'), b('as_public'), b('salt'));
    expect(hex(k.ikm)).toBe(hex(b('ikm')));
    expect(hex(k.cek)).toBe(hex(b('cek')));
    expect(hex(k.nonce)).toBe(hex(b('nonce')));
  });

  it("the RFC's message decrypts with the test decryptor and with http_ece", () => {
    const opened = decryptWebPush({ body: b('message'), uaPrivate: b('ua_private'), uaPublic: b('ua_public'), authSecret: b('auth_secret') });
    expect(new TextDecoder().decode(opened)).toBe(V.plaintext);
    const ua = createECDH('prime256v1');
    ua.setPrivateKey(b('ua_private'));
    expect(ece.decrypt(Buffer.from(b('message')), { version: 'aes128gcm', privateKey: ua, authSecret: V.auth_secret }).toString()).toBe(V.plaintext);
  });

  it('a changed byte anywhere in the record fails to decrypt', () => {
    const m = b('message');
    for (const i of [HEADER_SIZE, HEADER_SIZE + 10, m.length - 1]) {
      const bad = m.slice();
      bad[i]! ^= 1;
      expect(() => decryptWebPush({ body: bad, uaPrivate: b('ua_private'), uaPublic: b('ua_public'), authSecret: b('auth_secret') })).toThrow();
    }
  });
});

describe("differential: the notifier's pushes (web-push) open with the test decryptor and with http_ece", () => {
  const sender = new WebPushSender({ vapid: webpush.generateVAPIDKeys(), subject: 'mailto:ops@parley.test', origins: ['https://fcm.googleapis.com'], timeoutMs: 1000, messageTtlS: 60, callTtlS: 45 });

  it('every body decrypts to the push payload with both, at one size, with a fresh key and salt each time', () => {
    const bodies = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const auth = randomBytes(16);
      const reason = i % 2 === 0 ? WakeReason.message : WakeReason.call;
      const sub = { kind: 'webpush' as const, endpoint: `https://fcm.googleapis.com/fcm/send/${i}`, p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') };
      const { body, headers } = sender.request(sub, reason);
      expect(headers['Content-Encoding']).toBe('aes128gcm');
      expect(body.length).toBe(WEB_PUSH_BODY_SIZE);
      expect(WEB_PUSH_BODY_SIZE).toBe(HEADER_SIZE + PUSH_PAYLOAD_SIZE + 1 + 16);
      const ours = decryptWebPush({ body, uaPrivate: privateKeyOf(ecdh), uaPublic: new Uint8Array(ecdh.getPublicKey()), authSecret: new Uint8Array(auth) });
      const theirs = ece.decrypt(Buffer.from(body), { version: 'aes128gcm', privateKey: ecdh, authSecret: auth });
      expect(Buffer.from(ours)).toEqual(Buffer.from(pushPayload(reason)));
      expect(theirs).toEqual(Buffer.from(pushPayload(reason)));
      bodies.add(Buffer.from(body.subarray(0, HEADER_SIZE)).toString('hex'));
    }
    expect(bodies.size).toBe(20); // salt and ephemeral key differ every time
  });

  it('a body for another subscription does not open', () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const other = createECDH('prime256v1');
    other.generateKeys();
    const auth = randomBytes(16);
    const { body } = sender.request({ kind: 'webpush', endpoint: 'https://fcm.googleapis.com/fcm/send/x', p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') }, WakeReason.message);
    expect(() => decryptWebPush({ body, uaPrivate: privateKeyOf(other), uaPublic: new Uint8Array(other.getPublicKey()), authSecret: new Uint8Array(auth) })).toThrow();
  });
});
