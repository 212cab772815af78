/**
 * The state relay nodes would share if there were several (spec/DESIGN.md "Relay cluster"):
 * who holds which id, the mailboxes, wake tags, mailbox secrets and the rate limits that guard a
 * recipient or follow a key pair across reconnects. One process keeps it in memory
 * (memory-state.ts, the default); nodes of a cluster keep it in Redis (redis-state.ts).
 *
 * What stays on the node either way: its sockets, the local part of the routing table (which of
 * this node's connections holds an id), per-connection buckets, backpressure.
 */
import type { Connection } from './connection.ts';
import type { Limits } from './limits.ts';
import type { Logger } from './logger.ts';
import type { ClusterGauges, RelayStats } from './metrics.ts';
import type { Router } from './router.ts';
import type { NotifierRef } from './config.ts';

/** What a state implementation needs from the node around it (server.ts). */
export interface StateHost {
  readonly limits: Limits;
  readonly stats: RelayStats;
  readonly log: Logger;
  /** This node's live, bound connections by id. */
  readonly router: Router<Connection>;
  readonly notifier: NotifierRef | undefined;
  /** Every connection of this node (to close them when the shared state is lost). */
  allConnections(): Iterable<Connection>;
}

export interface MailboxGauges {
  frames: number;
  bytes: number;
  mailboxes: number;
}

export interface SharedState {
  /** False while the shared state cannot be reached: the node refuses sessions (healthz 503). */
  readonly ready: boolean;
  /** Connects (Redis) and checks that this node may join; the memory state has nothing to do. */
  start(): Promise<void>;
  /**
   * `conn` was bound locally (its id's holders on this node include it). Binds it in the shared
   * routing table and returns its mailbox, oldest first; `bound: false` when the id already has
   * the maximum of key pairs elsewhere (the caller unbinds it locally).
   */
  bind(conn: Connection): { bound: boolean; mailbox: Uint8Array[] } | Promise<{ bound: boolean; mailbox: Uint8Array[] }>;
  /** Puts frames back into the mailbox of a connection whose WELCOME failed. */
  restore(conn: Connection, frames: Uint8Array[]): void;
  /** Routes a frame whose route holds the recipient id: to its holders wherever they are, else to its mailbox. */
  route(from: Connection, frame: Buffer): void;
  /** `conn` (if bound) left this node. */
  unbound(conn: Connection): void;
  /** The session of `conn` began or ended (its mailbox secret's TTL counts from now). */
  touch(conn: Connection): void;
  registerWake(conn: Connection, tag: Uint8Array): void | Promise<void>;
  /** RING for `idKey`: wakes it for a call when no holder is connected anywhere. */
  ring(idKey: string): void | Promise<void>;
  registerSecret(conn: Connection, secret: Uint8Array): void | Promise<void>;
  presentTokens(conn: Connection, tokens: { recipient: Uint8Array; token: Uint8Array }[]): void | Promise<void>;
  /** `conn` is gone: forget whatever this node keeps about it. */
  forget(conn: Connection): void;
  /** Spends a TURN credential request of the key pair and of its address (both or neither). */
  turnAllowed(conn: Connection): boolean | Promise<boolean>;
  /** Periodic expiry. */
  sweep(): void;
  /** Mailbox contents of this state (the whole cluster's for Redis, read at the last update). */
  mailboxGauges(): MailboxGauges;
  /** A cluster node's view of the whole cluster (metrics); absent for a single process. */
  clusterGauges?(): ClusterGauges;
  close(): Promise<void>;
}
