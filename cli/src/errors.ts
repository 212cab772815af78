/**
 * wschat's errors: every failure a user can meet has a stable code and a documented exit code
 * (cli/README.md "Exit codes"). User mistakes extend clipanion's UsageError, so clipanion and
 * we print them as one line without a stack trace.
 */
import { isEngineError, type EngineErrorCode } from '@parley/runtime/engine';
import { isKeyFileError } from '@parley/runtime/node';
import { inviteProblemOf, inviteProblemText } from '@parley/runtime/protocol';
import { UsageError as ClipanionUsageError } from 'clipanion';

/** Exit codes, one per kind of failure (the table in cli/README.md). */
export const EXIT = {
  ok: 0,
  /** an unexpected internal failure (a bug): the message says what */
  internal: 1,
  /** bad arguments or options, an ambiguous contact, a contact in the wrong state */
  usage: 2,
  /** no identity in the home folder (run `wschat init`) */
  notInitialised: 3,
  /** an invite that does not parse, expired, or names another relay */
  badInvite: 4,
  /** no contact matches the name or id prefix */
  unknownContact: 5,
  /** the relay cannot be reached (connection refused, DNS, HTTP bootstrap failed) */
  relayUnreachable: 6,
  /** the relay does not hold the pinned keys (handshake BAD_RELAY, fingerprint mismatch) */
  wrongRelayKey: 7,
  /** a file is missing, unreadable, too large, or cannot be written */
  fileError: 8,
  /** a wait (relay took it, delivered, connect) did not finish in time */
  timeout: 9,
  /** another wschat process is using the same home folder */
  busy: 10,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** What each exit code means, for `wschat --help` (cli/README.md "Exit codes" says the same). */
export const EXIT_MEANING: Record<ExitCode, string> = {
  0: 'success',
  1: 'a bug: the message says what failed (WSCHAT_DEBUG=1 prints the stack)',
  2: 'wrong arguments or options, a name matching several contacts, a contact in the wrong state, init over an existing identity',
  3: 'no identity in the home folder: run wschat init',
  4: 'the invite does not parse, its checksum fails, it expired, or it is for another relay',
  5: 'no contact matches the name or id prefix',
  6: 'the relay cannot be reached, or its well-known document is missing, not Parley, or not for this protocol version (send keeps the text queued and says so)',
  7: 'the relay does not hold the pinned keys, or its fingerprint is not the --fingerprint given',
  8: 'a file is missing, unreadable or too large, cannot be written, or a key file has unsafe permissions',
  9: 'the awaited step did not happen within --timeout; what was queued stays queued',
  10: 'another wschat process uses the same home folder',
};

/** The stable codes printed in `--json` errors and in bridge `error` events. */
export type CliErrorCode =
  | 'USAGE'
  | 'AMBIGUOUS_CONTACT'
  | 'UNKNOWN_ID'
  | 'NOT_INITIALISED'
  | 'ALREADY_INITIALISED'
  | 'BAD_INVITE'
  | 'UNKNOWN_CONTACT'
  | 'RELAY_UNREACHABLE'
  | 'WRONG_RELAY_KEY'
  | 'FILE_ERROR'
  | 'TIMEOUT'
  | 'BUSY'
  | 'INTERNAL';

export const EXIT_OF: Record<CliErrorCode, ExitCode> = {
  USAGE: EXIT.usage,
  AMBIGUOUS_CONTACT: EXIT.usage,
  UNKNOWN_ID: EXIT.usage,
  ALREADY_INITIALISED: EXIT.usage,
  NOT_INITIALISED: EXIT.notInitialised,
  BAD_INVITE: EXIT.badInvite,
  UNKNOWN_CONTACT: EXIT.unknownContact,
  RELAY_UNREACHABLE: EXIT.relayUnreachable,
  WRONG_RELAY_KEY: EXIT.wrongRelayKey,
  FILE_ERROR: EXIT.fileError,
  TIMEOUT: EXIT.timeout,
  BUSY: EXIT.busy,
  INTERNAL: EXIT.internal,
};

/** A user mistake (clipanion prints it without a stack). */
export class CliUsageError extends ClipanionUsageError {
  readonly code: CliErrorCode;
  readonly exitCode: ExitCode;

  constructor(code: CliErrorCode, message: string) {
    super(message);
    this.name = 'CliUsageError';
    this.code = code;
    this.exitCode = EXIT_OF[code];
  }
}

/** raised if arguments or options are wrong */
export class BadUsageError extends CliUsageError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** raised if a name or id prefix matches more than one contact */
export class AmbiguousContactError extends CliUsageError {
  constructor(ref: string, candidates: readonly string[]) {
    super('AMBIGUOUS_CONTACT', `"${ref}" matches ${candidates.length} contacts (${candidates.join(', ')}); use a longer id prefix`);
  }
}

/** raised if a bridge `ack` or `read` names a message the bridge did not emit */
export class UnknownIdError extends CliUsageError {
  constructor(id: string) {
    super('UNKNOWN_ID', `no message ${id} was emitted by this bridge`);
  }
}

/** raised if no contact matches */
export class UnknownContactError extends CliUsageError {
  constructor(ref: string) {
    super('UNKNOWN_CONTACT', `no contact "${ref}" (see wschat contact list)`);
  }
}

/** raised if the home folder holds no identity */
export class NotInitialisedError extends CliUsageError {
  constructor(home: string) {
    super('NOT_INITIALISED', `no identity in ${home}; run wschat init first`);
  }
}

/** raised if `init` finds an identity already */
export class AlreadyInitialisedError extends CliUsageError {
  constructor(home: string) {
    super('ALREADY_INITIALISED', `${home} already holds an identity (use another --home, or --force to replace it)`);
  }
}

/** raised if an invite is not usable (`cause`: the parse error, whose reason picks the words shown) */
export class BadInviteError extends CliUsageError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('BAD_INVITE', message);
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}

/** raised if a file to send is missing or unreadable, or a received one cannot be written */
export class FileError extends CliUsageError {
  constructor(message: string) {
    super('FILE_ERROR', message);
  }
}

/** A failure of the environment rather than of the user (relay, time). */
export class CliError extends Error {
  readonly code: CliErrorCode;
  readonly exitCode: ExitCode;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = EXIT_OF[code];
  }
}

/** raised if the relay cannot be reached within the connect timeout */
export class RelayUnreachableError extends CliError {
  constructor(message: string) {
    super('RELAY_UNREACHABLE', message);
  }
}

/**
 * raised by `send` if the relay cannot be reached: the text stays in the outbox (id `id`) and
 * goes out with the next command that connects
 */
export class QueuedOfflineError extends RelayUnreachableError {
  readonly id: string;

  constructor(unreachable: string, id: string) {
    super(`${unreachable}; the message is queued (id ${id}) and will be sent when the relay is reachable: run wschat listen or any command that connects (do not send it again)`);
    this.id = id;
  }
}

/** raised if the relay does not prove the pinned keys (handshake BAD_RELAY) */
export class WrongRelayKeyError extends CliError {
  constructor(message: string) {
    super('WRONG_RELAY_KEY', message);
  }
}

/** raised if a wait ran out of time */
export class TimeoutError extends CliError {
  constructor(message: string) {
    super('TIMEOUT', message);
  }
}

/** raised if another process holds the home folder's lock */
export class BusyError extends CliError {
  constructor(message: string) {
    super('BUSY', message);
  }
}

/** How engine errors that reach the user are reported. */
const ENGINE_CODES: Partial<Record<EngineErrorCode, CliErrorCode>> = {
  BAD_INVITE: 'BAD_INVITE',
  UNKNOWN_CONTACT: 'UNKNOWN_CONTACT',
  CONTACT_EXISTS: 'USAGE',
  NOT_ALLOWED: 'USAGE',
  TOO_LARGE: 'USAGE',
  OUTBOX_FULL: 'USAGE',
  NOT_CONNECTED: 'RELAY_UNREACHABLE',
  TIMEOUT: 'TIMEOUT',
};

/**
 * The code and exit code of any error (unknown errors are INTERNAL). An unusable invite gets
 * words a person can act on (runtime's invite-words) as its message; the technical message
 * stays as `detail` for --json output and logs, next to the stable code.
 */
export function classify(err: unknown): { code: CliErrorCode; exitCode: ExitCode; message: string; detail?: string } {
  const c = classifyRaw(err);
  const problem = inviteProblemOf(err);
  if (problem !== undefined) return { code: 'BAD_INVITE', exitCode: EXIT.badInvite, message: inviteProblemText(problem), detail: scrub(c.message) };
  return { ...c, message: scrub(c.message) };
}

/** Hex runs as long as a key are cut in messages: keys never reach the output. */
export function scrub(message: string): string {
  return message.replace(/[0-9a-f]{40,}/gi, (h) => `${h.slice(0, 16)}…`);
}

function classifyRaw(err: unknown): { code: CliErrorCode; exitCode: ExitCode; message: string } {
  if (err instanceof CliUsageError || err instanceof CliError) return { code: err.code, exitCode: err.exitCode, message: err.message };
  if (err instanceof ClipanionUsageError) return { code: 'USAGE', exitCode: EXIT.usage, message: err.message };
  if (isEngineError(err)) {
    const code = ENGINE_CODES[err.code] ?? 'INTERNAL';
    return { code, exitCode: EXIT_OF[code], message: err.message };
  }
  if (isKeyFileError(err)) return { code: 'FILE_ERROR', exitCode: EXIT.fileError, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', exitCode: EXIT.internal, message: `internal error: ${message}` };
}
