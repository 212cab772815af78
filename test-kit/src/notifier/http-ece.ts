/**
 * `http_ece` (encrypted content-encoding for HTTP, RFC 8188; the implementation the `web-push`
 * package uses), typed for the parts the tests use: the decryptor independent of the notifier's
 * own RFC 8291 code. The package ships no types.
 */
import type { ECDH } from 'node:crypto';
// @ts-expect-error TS7016: http_ece has no declaration file; httpEce below types what the tests call
import untyped from 'http_ece';

export interface EceParams {
  version: 'aes128gcm' | 'aesgcm';
  privateKey?: ECDH;
  dh?: string | Buffer;
  authSecret?: string | Buffer;
  salt?: string | Buffer;
  key?: Buffer;
  rs?: number;
  keyid?: string;
}

export const httpEce = untyped as { encrypt(buffer: Buffer, params: EceParams): Buffer; decrypt(buffer: Buffer, params: EceParams): Buffer };
