/**
 * @parley/relay: start a relay in-process (tests, benches, main.ts).
 */
import type { DestinationStream } from 'pino';
import type { Registry } from 'prom-client';
import type { RelayConfig } from './config.ts';
import { DEFAULT_LIMITS, type Limits, validateLimits } from './limits.ts';
import { createLogger } from './logger.ts';
import type { RelayStats } from './metrics.ts';
import { createRelayCrypto } from './protocol.ts';
import { randomBytes } from './runtime.ts';
import { relayFingerprint } from './keys.ts';
import { RelayServer } from './server.ts';
import type { RelayCrypto } from './session-port.ts';
import { SEED_SIZE } from './wire.ts';

export { loadConfig, type RelayConfig } from './config.ts';
export { DEFAULT_LIMITS, type Limits } from './limits.ts';
export { ClusterError, ConfigError, KeyError, CloseError, RelayError, isRelayError } from './errors.ts';
export { relayFingerprint } from './keys.ts';
export { CLOSE } from './wire.ts';
/** The relay's protocol layer, for tests that wrap it (record or tamper with what is forwarded). */
export { createRelayCrypto } from './protocol.ts';
export type { RelayCrypto, HandshakePort, SessionPort } from './session-port.ts';

export interface StartRelayOptions extends Partial<Omit<RelayConfig, 'limits'>> {
  limits?: Partial<Limits>;
  /** The relay's identity seed; a random one if absent (tests). */
  seed?: Uint8Array;
  /** Where JSON log lines go (default stdout). */
  logDestination?: DestinationStream;
  /** Register process-wide default metrics (main.ts does). */
  defaultMetrics?: boolean;
  /** Replace the protocol layer (tests). */
  crypto?: RelayCrypto;
}

export interface RunningRelay {
  /** ws://host:port/ */
  url: string;
  /** http://host:port */
  httpUrl: string;
  port: number;
  /** http://metricsHost:metricsPort/metrics: the metrics listener (never the public port). */
  metricsUrl: string;
  publicKeys: { x: Uint8Array; ed: Uint8Array };
  metrics: Registry;
  stats: RelayStats;
  server: RelayServer;
  /** Graceful shutdown (SHUTDOWN to every client, then close). */
  close(): Promise<void>;
}

export async function startRelay(options: StartRelayOptions = {}): Promise<RunningRelay> {
  const limits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  validateLimits(limits);
  const config: RelayConfig = {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    metricsHost: options.metricsHost ?? '127.0.0.1',
    metricsPort: options.metricsPort ?? 0,
    dataDir: options.dataDir,
    keyFile: options.keyFile,
    publicUrl: options.publicUrl,
    endpoints: options.endpoints,
    notifier: options.notifier,
    turn: options.turn,
    stunUrls: options.stunUrls ?? [],
    webRoot: options.webRoot,
    notifierJson: options.notifierJson,
    redisUrl: options.redisUrl,
    trustedProxies: options.trustedProxies,
    logLevel: options.logLevel ?? 'info',
    limits,
  };
  const log = createLogger(config.logLevel, options.logDestination);
  const seed = options.seed ?? randomBytes(SEED_SIZE);
  const crypto = options.crypto ?? (await createRelayCrypto(seed));
  const fingerprint = relayFingerprint(crypto.publicX, crypto.publicEd);
  const redisUrl = config.redisUrl;
  // Loaded only for a cluster node: a single process never loads the Redis client.
  const RedisState = redisUrl === undefined ? undefined : (await import('./redis-state.ts')).RedisState;
  const server = new RelayServer({
    config,
    crypto,
    log,
    defaultMetrics: options.defaultMetrics ?? false,
    sharedState: RedisState === undefined || redisUrl === undefined ? undefined : (host) => new RedisState(host, { url: redisUrl, fingerprint }),
  });
  await server.listen();
  const bracket = (h: string) => (h.includes(':') ? `[${h}]` : h);
  const host = bracket(config.host);
  return {
    url: `ws://${host}:${server.port}/`,
    httpUrl: `http://${host}:${server.port}`,
    port: server.port,
    metricsUrl: `http://${bracket(config.metricsHost)}:${server.metricsPort}/metrics`,
    publicKeys: { x: crypto.publicX, ed: crypto.publicEd },
    metrics: server.metrics,
    stats: server.stats,
    server,
    close: () => server.close(),
  };
}
