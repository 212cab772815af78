/**
 * Structured JSON logs (pino). The relay never logs frame contents, keys, tags or plaintext,
 * and never an id or an address as such: `shortHash` turns one into 4 bytes of a keyed hash
 * under a key that lives only in this process, so log lines can be correlated within a run
 * but not matched against known ids or addresses.
 */
import { randomBytes } from 'node:crypto';
import { pino, type DestinationStream, type Logger } from 'pino';
import { keyedHash } from './runtime.ts';
import type { LogLevel } from './config.ts';

export type { Logger };

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const opts = {
    level,
    base: { svc: 'relay' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Defence in depth: fields that must never reach a log are redacted if someone adds them.
    redact: { paths: ['frame', 'payload', 'key', 'keys', 'seed', 'secret', 'tag', 'password'], censor: '[redacted]' },
  };
  return destination !== undefined ? pino(opts, destination) : pino(opts);
}

const LOG_HASH_KEY = new Uint8Array(randomBytes(32));
const SHORT = 4;

/** 8 hex digits of a keyed hash: correlates an id or address within one run, reveals nothing. */
export function shortHash(value: Uint8Array | string): string {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  return Buffer.from(keyedHash(LOG_HASH_KEY, bytes, SHORT)).toString('hex');
}
