/**
 * An invite that cannot be used is explained in words a person can act on, whatever layer
 * refused it (the parser's reasons, the engine's relay and version checks), with the internal
 * code kept on the error for logs and --json.
 */
import { describe, expect, it } from 'vitest';
import { EngineError } from '../src/engine/errors.ts';
import { OpenError } from '../src/protocol/errors.ts';
import { parseInvite } from '../src/protocol/invite.ts';
import { InviteProblemError, inviteProblemOf, inviteProblemText } from '../src/protocol/invite-words.ts';

function problemOfParsing(text: string) {
  try {
    parseInvite(text);
  } catch (err) {
    return { problem: inviteProblemOf(new EngineError('BAD_INVITE', 'wrapped', { cause: err })), code: (err as OpenError).code };
  }
  throw new Error('parsed');
}

describe('invite problems in words', () => {
  it('typing a word, pasting a cut link, or a changed character: each gets its own sentence, no code', () => {
    expect(problemOfParsing('hello')).toEqual({ problem: 'MALFORMED', code: 'BAD_INVITE' });
    expect(problemOfParsing('http://127.0.0.1:8080/#invite=AAAA')).toEqual({ problem: 'MALFORMED', code: 'BAD_INVITE' });
    expect(inviteProblemText('MALFORMED')).toBe("This isn't a Parley invite link. Ask your contact for a new one.");
    for (const p of ['MALFORMED', 'CHECKSUM', 'EXPIRED', 'USED_UP', 'RATE', 'UNKNOWN', 'BAD_KEY', 'OTHER_RELAY', 'NEWER_VERSION'] as const) {
      expect(inviteProblemText(p)).not.toMatch(/BAD_INVITE|base64|checksum|[A-Z]{3,}_/);
      expect(inviteProblemText(p)).toMatch(/\.$/);
    }
  });

  it('finds the reason through the engine error wrapping it, and none in unrelated errors', () => {
    expect(inviteProblemOf(new EngineError('BAD_INVITE', 'x', { cause: new InviteProblemError('OTHER_RELAY', 'y') }))).toBe('OTHER_RELAY');
    expect(inviteProblemOf(new OpenError('BAD_INVITE', 'x', { reason: 'EXPIRED' }))).toBe('EXPIRED');
    expect(inviteProblemOf(new OpenError('GATE_FAILED', 'x'))).toBeUndefined();
    expect(inviteProblemOf(new Error('plain'))).toBeUndefined();
  });
});
