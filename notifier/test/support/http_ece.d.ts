// Types for the parts of `http_ece` (encrypted content-encoding for HTTP, RFC 8188) the tests use.
declare module 'http_ece' {
  import type { ECDH } from 'node:crypto';
  interface Params {
    version: 'aes128gcm' | 'aesgcm';
    privateKey?: ECDH;
    dh?: string | Buffer;
    authSecret?: string | Buffer;
    salt?: string | Buffer;
    key?: Buffer;
    rs?: number;
    keyid?: string;
  }
  const ece: { encrypt(buffer: Buffer, params: Params): Buffer; decrypt(buffer: Buffer, params: Params): Buffer };
  export default ece;
}
