/**
 * Messages between the coordinator (main.ts) and its load processes (worker.ts), over the
 * child_process IPC channel. Every request carries an `rid`; the worker answers with the same
 * `rid`. Clients are named by their global index; contacts by the hex of their X25519 key.
 */

export interface RelayAddress {
  url: string;
  /** A cluster's node URLs (the engine fails over between them); unset: `url` alone. */
  endpoints?: string[];
  /** Hex of the relay's pinned X25519 and Ed25519 public keys. */
  x: string;
  ed: string;
}

/** One abrupt disconnect: `cut` closes the TCP socket under a running engine (no bye) and
 * refuses reconnects while offline; `restart` cuts, stops the engine, and starts a new one on
 * the same store. `at` is wall-clock ms. */
export interface Disconnect {
  client: number;
  at: number;
  offlineMs: number;
  mode: 'cut' | 'restart';
}

export type ToWorker =
  | { t: 'init'; rid: number; clients: number[]; relay: RelayAddress; seed: number; concurrency: number }
  | { t: 'connect'; rid: number; deadline: number }
  | { t: 'invite'; rid: number; edges: { e: number; a: number }[] }
  | { t: 'add'; rid: number; deadline: number; items: { e: number; b: number; link: string }[] }
  | { t: 'load'; rid: number; rate: number; fileShare: number; disconnects: Disconnect[] }
  /** Kill `k` is about to happen; `node`: only clients online on that node URL are hit. */
  | { t: 'kill'; rid: number; k: number; node?: string }
  | { t: 'drain'; rid: number }
  | { t: 'status'; rid: number }
  | { t: 'report'; rid: number }
  | { t: 'exit'; rid: number };

export interface WorkerStatus {
  online: number;
  clients: number;
  outbox: number;
  /** Sends queued in clients, not yet in an outbox. */
  pending: number;
  filesInFlight: number;
  textsSent: number;
  textsReceived: number;
}

/** Received from one sender: distinct seqs, highest seq, shown twice, arrived after a later one. */
export interface PairRecv {
  distinct: number;
  max: number;
  dup: number;
  ooo: number;
}

export interface ClientRecord {
  index: number;
  key: string;
  /** Recipient key → texts sent (seqs 1..n) / files sent. */
  texts: Record<string, number>;
  files: Record<string, number>;
  /** Sender key → what arrived. */
  textsIn: Record<string, PairRecv>;
  filesIn: Record<string, PairRecv>;
  /** Texts and files that did not parse or whose bytes were wrong. */
  bad: number;
  /** History check: incoming texts stored twice, and incoming texts the history lacks. */
  historyDup: number;
  historyMissing: number;
  outbox: number;
  /** Outbox frames the client's engines put on the wire again (Engine.outboxResends, summed). */
  resends: number;
  fileFailures: string[];
  engineErrors: string[];
  /** A few texts shown after a later one from the same sender. */
  oooSamples: string[];
  /**
   * The protection of each accepted contact's conversation at the end (Engine.protection): v2
   * sessions, of which post-quantum (an ML-KEM secret in the root), and v1 (static keys).
   */
  sessions: SessionCount;
}

/** Conversation ends by protocol version (one per client and accepted contact). */
export interface SessionCount {
  v2: number;
  postQuantum: number;
  v1: number;
}

export interface WorkerReport {
  clients: ClientRecord[];
  /** First arrivals of texts: [sentAt (wall clock ms), send-to-display latency ms] pairs, flattened. */
  latencies: number[];
  /** Why clients went offline (close code and reason, or the failure), counted. */
  offline: Record<string, number>;
  offered: number;
  skipped: number;
  sendFailures: Record<string, number>;
  dropped: Record<string, number>;
  /** Per kill: clients watched (online, not in a deliberate disconnect) and when each was back (ms, wall clock). */
  reconnects: { k: number; watched: number; onlineAt: number[] }[];
  disconnects: { cut: number; restart: number };
  /** CPU time of the load process, ms. */
  cpuMs: number;
}

export type FromWorker =
  | { t: 'ok'; rid: number; keys?: Record<number, string> }
  | { t: 'links'; rid: number; links: { e: number; link: string }[] }
  | { t: 'added'; rid: number; done: number[]; failed: { e: number; error: string }[] }
  | { t: 'status'; rid: number; status: WorkerStatus }
  | { t: 'report'; rid: number; report: WorkerReport }
  | { t: 'error'; rid: number; error: string }
  | { t: 'crash'; error: string };
