/**
 * RFC 8291 encryption (src/ece.ts, the notifier's own code): the §5 example byte for byte, both
 * ways, and agreement with `http_ece` (the implementation the `web-push` package uses, and the
 * loopback push service). Differential: the very request body the notifier sends (web-push's
 * generateRequestDetails, webpush.ts) opens with ece.ts and with http_ece alike.
 */
import { createECDH, randomBytes, type ECDH } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PUSH_PAYLOAD_SIZE } from '@parley/generated';
import { httpEce as ece } from '@parley/test-kit/notifier';
import webpush from 'web-push';
import { describe, expect, it } from 'vitest';
import { HEADER_SIZE, P256_SCALAR_SIZE, decryptWebPush, deriveKeys, encryptWebPush } from '../src/ece.ts';
import { WakeReason, pushPayload } from '../src/push.ts';
import { WEB_PUSH_BODY_SIZE, WebPushSender } from '../src/webpush.ts';

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
  it('the notifier encrypts the example to exactly the RFC bytes', () => {
    const out = encryptWebPush({ plaintext, uaPublic: b('ua_public'), authSecret: b('auth_secret'), asPrivate: b('as_private'), salt: b('salt') });
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

  it("the RFC's message decrypts with the notifier's code and with http_ece", () => {
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

describe('agreement with http_ece (independent implementation)', () => {
  function browser() {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    return { ecdh, pub: new Uint8Array(ecdh.getPublicKey()), priv: privateKeyOf(ecdh), auth: new Uint8Array(randomBytes(16)) };
  }

  it('push payloads the notifier encrypts open with http_ece, and have one size', () => {
    const ua = browser();
    const sizes = new Set<number>();
    for (const reason of [WakeReason.message, WakeReason.call]) {
      const body = encryptWebPush({ plaintext: pushPayload(reason), uaPublic: ua.pub, authSecret: ua.auth });
      sizes.add(body.length);
      const opened = ece.decrypt(Buffer.from(body), { version: 'aes128gcm', privateKey: ua.ecdh, authSecret: Buffer.from(ua.auth) });
      expect(opened.length).toBe(PUSH_PAYLOAD_SIZE);
      expect(opened[0]).toBe(reason);
      expect(opened.subarray(1).every((x) => x === 0)).toBe(true);
    }
    expect([...sizes]).toEqual([HEADER_SIZE + PUSH_PAYLOAD_SIZE + 1 + 16]);
  });

  it("the notifier's decryption opens what web-push (http_ece) encrypts", () => {
    const ua = browser();
    const enc = webpush.encrypt(Buffer.from(ua.pub).toString('base64url'), Buffer.from(ua.auth).toString('base64url'), Buffer.from('hello from web-push'), 'aes128gcm');
    const opened = decryptWebPush({ body: enc.cipherText, uaPrivate: ua.priv, uaPublic: ua.pub, authSecret: ua.auth });
    expect(new TextDecoder().decode(opened)).toBe('hello from web-push');
  });

  it('checks its inputs at the boundary', () => {
    const ua = browser();
    expect(() => encryptWebPush({ plaintext, uaPublic: ua.pub.subarray(1), authSecret: ua.auth })).toThrow(RangeError);
    expect(() => encryptWebPush({ plaintext, uaPublic: ua.pub, authSecret: ua.auth.subarray(1) })).toThrow(RangeError);
    expect(() => encryptWebPush({ plaintext: 'x' as unknown as Uint8Array, uaPublic: ua.pub, authSecret: ua.auth })).toThrow(TypeError);
    expect(() => encryptWebPush({ plaintext, uaPublic: ua.pub, authSecret: ua.auth, recordSize: 10 })).toThrow(RangeError);
  });
});

describe("differential: the notifier's pushes (web-push) open with ece.ts and with http_ece", () => {
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

  it('a body for another subscription does not open with ece.ts', () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const other = createECDH('prime256v1');
    other.generateKeys();
    const auth = randomBytes(16);
    const { body } = sender.request({ kind: 'webpush', endpoint: 'https://fcm.googleapis.com/fcm/send/x', p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') }, WakeReason.message);
    expect(() => decryptWebPush({ body, uaPrivate: privateKeyOf(other), uaPublic: new Uint8Array(other.getPublicKey()), authSecret: new Uint8Array(auth) })).toThrow();
  });
});
