/**
 * Short-lived TURN credentials in coturn's REST scheme ("TURN REST API",
 * draft-uberti-behave-turn-rest-00; coturn `use-auth-secret`):
 *   username = "<expiry unix seconds>:<random>"   (never the client's id: STUN usernames
 *                                                  travel in the clear)
 *   password = base64(HMAC-SHA1(shared secret, username))
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { TurnConfig } from './config.ts';

export interface TurnCredentials {
  username: string;
  password: string;
  ttlSeconds: number;
  urls: string[];
}

/** Random bytes in the username: unlinkable between requests. */
const USERNAME_RANDOM_BYTES = 12;

export function turnCredentials(config: TurnConfig, ttlSeconds: number, nowMs: number = Date.now()): TurnCredentials {
  const expiry = Math.floor(nowMs / 1000) + ttlSeconds;
  const username = `${expiry}:${randomBytes(USERNAME_RANDOM_BYTES).toString('base64url')}`;
  const password = createHmac('sha1', config.secret).update(username).digest('base64');
  return { username, password, ttlSeconds, urls: [...config.stunUrls, ...config.turnUrls] };
}
