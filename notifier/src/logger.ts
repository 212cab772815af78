/**
 * Structured JSON logs (pino). The notifier never logs a wake tag, a push endpoint, an FCM
 * token, an access token or a sender's key: `ref` turns one into 4 bytes of a keyed hash under
 * a key that lives only in this process, so lines correlate within a run but cannot be matched
 * against the relay's logs or a known value. `serviceOf` names the push service (its host)
 * without the endpoint's path, which is the subscription's secret address.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.ts';

export type { Logger };

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const opts = {
    level,
    base: { svc: 'notifier' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Defence in depth: fields that must never reach a log are redacted if someone adds them.
    redact: { paths: ['tag', 'endpoint', 'token', 'accessToken', 'auth', 'p256dh', 'key', 'seed', 'secret', 'payload'], censor: '[redacted]' },
  };
  return destination !== undefined ? pino(opts, destination) : pino(opts);
}

const LOG_KEY = randomBytes(32);

/** 8 hex digits of a keyed hash of a tag, token or key: correlates within one run, reveals nothing. */
export function ref(value: Uint8Array | string): string {
  return createHmac('sha256', LOG_KEY).update(value).digest('hex').slice(0, 8);
}

/** The host of a push endpoint (which push service), never its path. */
export function serviceOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return 'invalid';
  }
}
