import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { turnCredentials } from '../src/turn.ts';

describe('turnCredentials', () => {
  const cfg = { secret: 'a-very-long-shared-secret', turnUrls: ['turn:turn.example:3478'], stunUrls: ['stun:stun.example:3478'] };

  it("follows coturn's REST scheme: expiry:random, base64 HMAC-SHA1", () => {
    const now = 1_700_000_000_000;
    const c = turnCredentials(cfg, 3600, now);
    const [expiry, random] = c.username.split(':');
    expect(Number(expiry)).toBe(1_700_000_000 + 3600);
    expect(random).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(c.password).toBe(createHmac('sha1', cfg.secret).update(c.username).digest('base64'));
    expect(c.urls).toEqual(['stun:stun.example:3478', 'turn:turn.example:3478']);
    expect(c.ttlSeconds).toBe(3600);
  });

  it('uses a fresh random username each time', () => {
    expect(turnCredentials(cfg, 60).username).not.toBe(turnCredentials(cfg, 60).username);
  });
});
