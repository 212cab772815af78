/**
 * Skipped message keys (spec MAX_SKIP_PER_CHAIN, MAX_SKIPPED_KEYS, SKIPPED_KEY_MAX_AGE_MS):
 * keys derived for messages that have not arrived yet, so a late or reordered message still
 * opens. Bounded three ways, each against a different attack or leak: the jump one header may
 * announce (CPU: a forged number cannot make us derive millions of keys), the total per
 * contact (memory and state size; oldest erased first) and the age (forward secrecy: a key kept
 * forever would open a recorded frame after a compromise).
 */
import { MAX_SKIPPED_KEYS, MAX_SKIP_PER_CHAIN, SKIPPED_KEY_MAX_AGE_MS, type RatchetState, type SkippedKey } from '@parley/generated';
import { equalBytes } from '../../crypto/index.ts';
import { RatchetError } from './errors.ts';
import { kdfChain } from './kdf.ts';

/** Throws JUMP_TOO_LARGE if reaching `until` from `from` skips more than MAX_SKIP_PER_CHAIN keys. */
export function checkJump(from: number, until: number, what: string): void {
  if (until - from > MAX_SKIP_PER_CHAIN) {
    throw new RatchetError('JUMP_TOO_LARGE', `${what}: a jump of ${until - from} messages (at most ${MAX_SKIP_PER_CHAIN})`);
  }
}

/**
 * Derives and stores the receiving chain's keys up to (not including) `until`, advancing
 * recvCount and recvChain; the chain's old keys are overwritten as it goes.
 */
export function skipUntil(s: RatchetState, until: number, now: number): void {
  if (s.recvChain.length === 0) return;
  checkJump(s.recvCount, until, 'header');
  while (s.recvCount < until) {
    const { messageKey, next } = kdfChain(s.recvChain);
    s.recvChain.fill(0);
    s.recvChain = next;
    s.skipped.push({ headerKey: s.recvHeader.slice(), number: s.recvCount, messageKey, storedAt: now });
    s.recvCount++;
  }
  while (s.skipped.length > MAX_SKIPPED_KEYS) erase(s.skipped.shift()!);
}

/** True if a stored key is older than SKIPPED_KEY_MAX_AGE_MS (pruneSkipped would erase it). */
export function hasExpired(s: RatchetState, now: number): boolean {
  return s.skipped.some((k) => now - k.storedAt > SKIPPED_KEY_MAX_AGE_MS);
}

/** Erases keys older than SKIPPED_KEY_MAX_AGE_MS. */
export function pruneSkipped(s: RatchetState, now: number): void {
  if (!hasExpired(s, now)) return; // the usual case: nothing to erase
  const keep: SkippedKey[] = [];
  for (const k of s.skipped) {
    if (now - k.storedAt > SKIPPED_KEY_MAX_AGE_MS) erase(k);
    else keep.push(k);
  }
  s.skipped = keep;
}

/** The distinct header keys of the stored skipped keys, oldest first. */
export function skippedHeaderKeys(s: RatchetState): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const k of s.skipped) if (!out.some((h) => equalBytes(h, k.headerKey))) out.push(k.headerKey);
  return out;
}

/** Removes and returns the key of message `number` under `headerKey`, or undefined. */
export function takeSkipped(s: RatchetState, headerKey: Uint8Array, number: number): Uint8Array | undefined {
  const i = s.skipped.findIndex((k) => k.number === number && equalBytes(k.headerKey, headerKey));
  if (i < 0) return undefined;
  const [k] = s.skipped.splice(i, 1);
  k!.headerKey.fill(0);
  return k!.messageKey;
}

function erase(k: SkippedKey): void {
  k.headerKey.fill(0);
  k.messageKey.fill(0);
}
