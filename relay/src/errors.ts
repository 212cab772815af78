/**
 * The relay's errors. Each class sets `name` and carries a stable code; `isRelayError`
 * guards them. Close codes on the wire come from the spec's `close_code` enum (CLOSE below).
 */
import { CLOSE, type CloseName } from './wire.ts';

export type RelayErrorCode = 'CONFIG' | 'KEY' | 'CLUSTER' | 'CLOSE';

export class RelayError extends Error {
  override name = 'RelayError';
  constructor(
    readonly code: RelayErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Raised if a setting (env variable or flag) has a bad value. Exit code 2. */
export class ConfigError extends RelayError {
  override name = 'ConfigError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super('CONFIG', `${setting}: ${problem}`);
  }
}

/** Raised if the relay key file is missing, unreadable, malformed or all zero. Exit code 2. */
export class KeyError extends RelayError {
  override name = 'KeyError';
  constructor(message: string) {
    super('KEY', message);
  }
}

/** Raised if a cluster node cannot join: Redis unreachable at start, or other relay keys than the cluster's. Exit code 2. */
export class ClusterError extends RelayError {
  override name = 'ClusterError';
  constructor(message: string) {
    super('CLUSTER', message);
  }
}

/**
 * Raised inside a connection when it must close: carries the close code name. Never sent
 * as text: the close reason on the wire is empty, so a prober learns only the code.
 */
export class CloseError extends RelayError {
  override name = 'CloseError';
  constructor(
    readonly close: CloseName,
    /** For the log only. */
    readonly detail: string,
  ) {
    super('CLOSE', `${close}: ${detail}`);
  }

  get closeCode(): number {
    return CLOSE[this.close];
  }
}

export function isRelayError(e: unknown): e is RelayError {
  return e instanceof RelayError;
}
