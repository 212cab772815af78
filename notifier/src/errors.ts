/**
 * The notifier's errors: one class with a stable code, a subclass per concern that needs its
 * own fields, and a guard. Command-line mistakes (CONFIG, KEYS) exit with code 2. Browser-safe
 * (client.ts raises NOTIFIER_INFO and REFUSED): no Node imports.
 */

export type NotifierErrorCode =
  /** raised if a setting (env variable or flag) has a bad value or a needed one is missing */
  | 'CONFIG'
  /** raised if a key file is missing, unreadable, not 0600 or malformed */
  | 'KEYS'
  /** raised if the registration store cannot be read or written */
  | 'STORE'
  /** raised if the FCM token endpoint refuses the service account or answers nonsense */
  | 'FCM_AUTH'
  /** raised (client.ts) if notifier.json cannot be fetched or is not a valid document */
  | 'NOTIFIER_INFO'
  /** raised (client.ts) if the notifier's published policy says it would refuse a registration */
  | 'REFUSED';

export class NotifierError extends Error {
  override name = 'NotifierError';
  constructor(
    readonly code: NotifierErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A bad setting; `setting` names the env variable or flag it came from. */
export class ConfigError extends NotifierError {
  override name = 'ConfigError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super('CONFIG', `${setting}: ${problem}`);
  }
}

/** notifier.json could not be fetched (`status`: the HTTP status, if there was an answer) or is malformed. */
export class NotifierInfoError extends NotifierError {
  override name = 'NotifierInfoError';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super('NOTIFIER_INFO', message, options);
  }
}

export function isNotifierError(e: unknown, code?: NotifierErrorCode): e is NotifierError {
  return e instanceof NotifierError && (code === undefined || e.code === code);
}
