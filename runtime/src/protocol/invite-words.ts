/**
 * What a person reads when an invite cannot be used: a sentence they can act on ("ask for a new
 * one"), never the internal code and check ("BAD_INVITE: the invite is not valid base64url").
 * The code and the technical message stay on the error for `--json` output and logs; this maps
 * the reason (OpenError BAD_INVITE, found anywhere in the `cause` chain) to words, in one place
 * for the web app and wschat.
 */
import { isOpenError, type InviteFailReason } from './errors.ts';

/** Why an invite cannot be used, from the person's side: the parse reasons plus the engine's own checks. */
export type InviteProblem = InviteFailReason | 'OTHER_RELAY' | 'NEWER_VERSION';

const WORDS: Record<InviteProblem, string> = {
  MALFORMED: "This isn't a Parley invite link. Ask your contact for a new one.",
  CHECKSUM: 'This invite link is damaged (a character is missing or changed). Copy it again, or ask your contact for a new one.',
  BAD_KEY: 'This invite link is damaged. Ask your contact for a new one.',
  EXPIRED: 'This invite has expired. Ask your contact for a new one.',
  USED_UP: 'This invite was already used. Ask your contact for a new one.',
  RATE: 'Too many people used this invite just now. Try again in a minute.',
  UNKNOWN: 'This invite is no longer valid. Ask your contact for a new one.',
  OTHER_RELAY: 'This invite is for another Parley server than the one you use. Ask your contact for an invite on your server.',
  NEWER_VERSION: 'This invite comes from a newer version of Parley. Update, then open it again.',
};

/** An error meaning an invite is unusable for `problem`; `detail` is the technical message. */
export class InviteProblemError extends Error {
  override readonly name = 'InviteProblemError';
  readonly problem: InviteProblem;

  constructor(problem: InviteProblem, detail: string) {
    super(detail);
    this.problem = problem;
  }
}

/** The problem an invite error stands for, looking through its causes; undefined for other errors. */
export function inviteProblemOf(err: unknown): InviteProblem | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof InviteProblemError) return e.problem;
    if (isOpenError(e, 'BAD_INVITE')) return e.reason ?? 'MALFORMED';
  }
  return undefined;
}

/** The sentence a person reads for `problem`. */
export function inviteProblemText(problem: InviteProblem): string {
  return WORDS[problem];
}
