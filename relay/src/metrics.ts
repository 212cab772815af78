/**
 * Prometheus metrics (prom-client), one registry per relay instance. The hot path bumps
 * plain numbers in `RelayStats`; the registry reads them when scraped, so forwarding a frame
 * costs two additions, not a metric lookup.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** Why a frame or a connection was dropped (label `reason` of parley_relay_drops_total). */
export const DROP_REASONS = [
  'rate_limited',
  'too_large',
  'malformed_frame',
  'slow_reader',
  'too_many_connections',
  'mailbox_full',
  'mailbox_sender_share',
  'mailbox_global',
  'mailbox_expired',
  'wake_rate_limited',
  'wake_no_notifier',
  'idle_timeout',
  /** A socket sent no complete HTTP request or upgrade within PENDING_TIMEOUT_MS. */
  'pending_timeout',
  /** A pending socket (no request yet) destroyed, the oldest, to admit a new one at MAX_PENDING_CONNECTIONS. */
  'pending_evicted',
  /** ws closed the socket itself: too many fragments or buffered parts of one message (its 1008). */
  'ws_too_many_parts',
  /** The socket ended without a close frame and without the relay closing it (ws reports 1006). */
  'socket_aborted',
  /** Over MAILBOX_IDENTITY_MAX_BYTES: the sender key pair holds too much across all mailboxes. */
  'mailbox_identity',
  /** Over MAILBOX_SOURCE_MAX_BYTES: the sender's source address holds too much across all mailboxes. */
  'mailbox_source',
  /** The recipient's strangers' share (1/MAILBOX_STRANGER_SHARE_DIVISOR) is full. */
  'mailbox_strangers',
  /** A queued frame of the heaviest source dropped to make room at MAILBOX_GLOBAL_MAX_BYTES. */
  'mailbox_evicted',
  /** A TURN credential request over its key pair's or its address's rate. */
  'turn_rate_limited',
  /** A cluster node could not route a frame: Redis unreachable, or too many frames waiting for it. */
  'cluster_unavailable',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export const HANDSHAKE_FAILURES = ['invalid', 'timeout'] as const;
export type HandshakeFailure = (typeof HANDSHAKE_FAILURES)[number];

export class RelayStats {
  framesForwarded = 0;
  bytesForwarded = 0;
  framesQueued = 0;
  controlFrames = 0;
  handshakes = 0;
  wakesSent = 0;
  turnCredentials = 0;
  /** Frames this cluster node published to another node / received from one. */
  crossNodeOut = 0;
  crossNodeIn = 0;
  readonly drops: Record<DropReason, number> = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
  readonly handshakeFailures: Record<HandshakeFailure, number> = { invalid: 0, timeout: 0 };
}

export interface Gauges {
  connections(): { handshake: number; session: number };
  mailboxFrames(): number;
  mailboxBytes(): number;
  mailboxes(): number;
}

/** A cluster node's view of the whole cluster (redis-state.ts, refreshed every second). */
export interface ClusterGauges {
  nodes: number;
  connections: number;
  framesForwarded: number;
  crossNodeFrames: number;
  mailbox: { frames: number; bytes: number; mailboxes: number };
  redisRttMs: number;
}

export function createMetrics(stats: RelayStats, gauges: Gauges, withDefaults = true, cluster?: () => ClusterGauges): Registry {
  const register = new Registry();
  const p = 'parley_relay_';
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name: p + name,
      help,
      registers: [register],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  new Gauge({
    name: p + 'connections',
    help: 'Open WebSocket connections, by state (handshake: before WELCOME; session: after).',
    labelNames: ['state'],
    registers: [register],
    collect() {
      const c = gauges.connections();
      this.set({ state: 'handshake' }, c.handshake);
      this.set({ state: 'session' }, c.session);
    },
  });
  counter('frames_forwarded_total', 'Frames delivered to a recipient connection (live or from a mailbox).', () => stats.framesForwarded);
  counter('bytes_forwarded_total', 'Bytes of the frames delivered to recipient connections.', () => stats.bytesForwarded);
  counter('frames_queued_total', 'Frames queued in a mailbox for an offline id.', () => stats.framesQueued);
  counter('control_frames_total', 'Control frames received from clients and verified.', () => stats.controlFrames);
  counter('handshakes_total', 'Handshakes completed.', () => stats.handshakes);
  counter('wakes_sent_total', 'WAKE control messages sent to the notifier.', () => stats.wakesSent);
  counter('turn_credentials_total', 'TURN credentials handed out.', () => stats.turnCredentials);
  new Counter({
    name: p + 'drops_total',
    help: 'Frames or connections dropped, by reason.',
    labelNames: ['reason'],
    registers: [register],
    collect() {
      this.reset();
      for (const r of DROP_REASONS) this.inc({ reason: r }, stats.drops[r]);
    },
  });
  new Counter({
    name: p + 'handshake_failures_total',
    help: 'Handshakes that failed (invalid HELLO, or none within the timeout).',
    labelNames: ['reason'],
    registers: [register],
    collect() {
      this.reset();
      for (const r of HANDSHAKE_FAILURES) this.inc({ reason: r }, stats.handshakeFailures[r]);
    },
  });
  new Gauge({
    name: p + 'mailbox_frames',
    help: 'Frames held in mailboxes for offline ids.',
    registers: [register],
    collect() {
      this.set(gauges.mailboxFrames());
    },
  });
  new Gauge({
    name: p + 'mailbox_bytes',
    help: 'Bytes held in mailboxes (with the per-frame bookkeeping charge).',
    registers: [register],
    collect() {
      this.set(gauges.mailboxBytes());
    },
  });
  new Gauge({
    name: p + 'mailboxes',
    help: 'Ids with a non-empty mailbox.',
    registers: [register],
    collect() {
      this.set(gauges.mailboxes());
    },
  });
  if (cluster !== undefined) {
    counter('cross_node_frames_sent_total', 'Frames this node published to another node for a holder there.', () => stats.crossNodeOut);
    counter('cross_node_frames_received_total', 'Frames another node published to this one.', () => stats.crossNodeIn);
    const gauge = (name: string, help: string, read: (c: ClusterGauges) => number) =>
      new Gauge({
        name: p + name,
        help,
        registers: [register],
        collect() {
          this.set(read(cluster()));
        },
      });
    gauge('redis_rtt_seconds', 'Round-trip time of the last PING to Redis.', (c) => c.redisRttMs / 1000);
    gauge('cluster_nodes', 'Nodes of the cluster seen alive in Redis.', (c) => c.nodes);
    gauge('cluster_connections', 'Open connections on all nodes of the cluster.', (c) => c.connections);
    gauge('cluster_frames_forwarded', 'Frames forwarded by all nodes (sum of their counters).', (c) => c.framesForwarded);
    gauge('cluster_cross_node_frames', 'Frames published from one node to another, all nodes.', (c) => c.crossNodeFrames);
  }
  if (withDefaults) collectDefaultMetrics({ register, prefix: p });
  return register;
}
