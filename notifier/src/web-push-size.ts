/**
 * The size of a Web Push body (RFC 8291 §4, the `aes128gcm` coding of RFC 8188): a header (salt,
 * record size, key id length, the 65-byte ephemeral key) and one record (plaintext, the 0x02
 * delimiter, the AES-GCM tag). The encryption itself is the `web-push` package's (webpush.ts);
 * the notifier checks every body against this size so that all pushes have one size. The tests
 * open what web-push sends with their own decryptor (test-kit/src/notifier/ece-decrypt.ts) and http_ece.
 */

/** RFC 8291 §3.1: an uncompressed P-256 point. */
export const P256_POINT_SIZE = 65;
/** RFC 8188 §2.1: salt, record size (u32) and key id length (u8). */
const SALT_SIZE = 16;
const RS_SIZE = 4;
const IDLEN_SIZE = 1;
/** RFC 8188 §2: the AES-128-GCM tag of a record, and the last record's padding delimiter. */
const TAG_SIZE = 16;
const DELIMITER_SIZE = 1;
/** Header bytes of a Web Push message: salt, rs, idlen and the key id. */
export const HEADER_SIZE = SALT_SIZE + RS_SIZE + IDLEN_SIZE + P256_POINT_SIZE;
/** Body bytes of a one-record message with `n` plaintext bytes: header, plaintext, delimiter, tag. */
export const oneRecordSize = (n: number): number => HEADER_SIZE + n + DELIMITER_SIZE + TAG_SIZE;
