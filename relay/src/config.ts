/**
 * Relay configuration: defaults, then environment variables, then command-line flags, each
 * value validated with zod. A bad value raises ConfigError naming the setting (the env
 * variable or flag it came from); main.ts prints it and exits with code 2.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { readSettings, settingsHelp as formatSettings, type Setting } from '@parley/runtime/node';
import { ConfigError } from './errors.ts';
import { DEFAULT_LIMITS, LIMIT_RANGES, type Limits, validateLimits } from './limits.ts';
import { ID_SIZE, KEY_SIZE, MAX_RELAY_ENDPOINTS, MAX_TURN_FIELD_BYTES, MAX_TURN_URLS, MAX_URL_BYTES, NOTIFIER_JSON_PATH, WELL_KNOWN_PATH } from './wire.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The notifier peer: a full X25519 key (exact) or an id (any holder of it). */
export type NotifierRef = { kind: 'key'; x: Uint8Array } | { kind: 'id'; id: Uint8Array };

export interface TurnConfig {
  secret: string;
  turnUrls: string[];
  stunUrls: string[];
}

export interface RelayConfig {
  port: number;
  host: string;
  /** The metrics listener (Prometheus text at /metrics): never the public listener, never to be exposed. */
  metricsHost: string;
  /** Its port (0: any free port). */
  metricsPort: number;
  /** Data folder (PARLEY_DATA); the relay key lives here unless keyFile says otherwise. */
  dataDir: string | undefined;
  /** Explicit key file; a missing explicit key file is never generated. */
  keyFile: string | undefined;
  /** ws:// or wss:// URL published at WELL_KNOWN_PATH; derived from the request if unset. */
  publicUrl: string | undefined;
  /**
   * The ws(s) URLs of every node sharing this relay's identity, published in WELL_KNOWN_PATH
   * (spec documents.well_known endpoints; RELAY_ENDPOINTS). Unset: the one URL above.
   */
  endpoints?: string[] | undefined;
  notifier: NotifierRef | undefined;
  /** TURN REST secret and URLs; undefined when TURN is not configured. */
  turn: TurnConfig | undefined;
  stunUrls: string[];
  /**
   * Built web app served on the same port when the folder exists (WEB_ROOT); unset: none. The
   * relay never guesses where another package's build is: `npm start` passes `--web-root web/dist`.
   */
  webRoot: string | undefined;
  /** A notifier.json file (the notifier's NOTIFIER_PUBLISH) served at NOTIFIER_JSON_PATH. */
  notifierJson?: string | undefined;
  /** redis:// URL of the cluster's shared state (RELAY_REDIS_URL); unset: this process alone, in memory. */
  redisUrl?: string | undefined;
  /**
   * Addresses of load balancers in front of the relay (RELAY_TRUSTED_PROXIES): for connections
   * from them the source is the last X-Forwarded-For address, and the accept-time per-source cap
   * does not apply to the proxy itself. Empty: every peer address is the source.
   */
  trustedProxies?: string[] | undefined;
  logLevel: LogLevel;
  limits: Limits;
}

/** The metrics listener's defaults: loopback only, on the port Prometheus exporters commonly use. */
export const DEFAULT_METRICS_HOST = '127.0.0.1';
export const DEFAULT_METRICS_PORT = 9464;

const hexBytes = (sizes: number[]) =>
  z
    .string()
    .regex(/^[0-9a-fA-F]*$/, 'must be hex')
    .refine((s) => sizes.includes(s.length / 2), `must be ${sizes.map((n) => n * 2).join(' or ')} hex digits`);

const urlList = (schemes: string[]) =>
  z
    .string()
    .transform((s) => s.split(',').map((u) => u.trim()).filter((u) => u.length > 0))
    .pipe(
      z.array(
        z
          .string()
          .max(MAX_TURN_FIELD_BYTES, `each URL must be at most ${MAX_TURN_FIELD_BYTES} bytes`)
          .refine((u) => schemes.some((p) => u.startsWith(p + ':')), `each URL must start with ${schemes.map((p) => p + ':').join(' or ')}`),
      ),
    );

const intIn = (lo: number, hi: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(lo, `must be at least ${lo}`).max(hi, `must be at most ${hi}`));

const BASE_SETTINGS: Setting[] = [
  { key: 'port', env: 'PORT', flag: 'port', schema: intIn(0, 65535), doc: 'TCP port (0: any free port)' },
  { key: 'host', env: 'HOST', flag: 'host', schema: z.string().min(1, 'must not be empty'), doc: 'address to bind' },
  {
    key: 'metricsHost',
    env: 'METRICS_HOST',
    flag: 'metrics-host',
    schema: z.string().min(1, 'must not be empty'),
    doc: 'address of the metrics listener (keep it private)',
  },
  { key: 'metricsPort', env: 'METRICS_PORT', flag: 'metrics-port', schema: intIn(0, 65535), doc: 'port of the metrics listener (0: any free port)' },
  { key: 'dataDir', env: 'PARLEY_DATA', flag: 'data', schema: z.string().min(1, 'must not be empty'), doc: 'data folder (relay key file)' },
  { key: 'keyFile', env: 'RELAY_KEY_FILE', flag: 'key-file', schema: z.string().min(1, 'must not be empty'), doc: 'relay key file (default <data>/relay.key)' },
  {
    key: 'publicUrl',
    env: 'PUBLIC_URL',
    flag: 'public-url',
    schema: z.string().regex(/^wss?:\/\/[^\s]+$/, 'must be a ws:// or wss:// URL'),
    doc: `WebSocket URL published in ${WELL_KNOWN_PATH}`,
  },
  {
    key: 'endpoints',
    env: 'RELAY_ENDPOINTS',
    flag: 'endpoints',
    schema: z
      .string()
      .transform((s) => s.split(',').map((u) => u.trim()).filter((u) => u.length > 0))
      .pipe(
        z
          .array(z.string().regex(/^wss?:\/\/[^\s]+$/, 'each must be a ws:// or wss:// URL').refine((u) => Buffer.byteLength(u) <= MAX_URL_BYTES, `each must be at most ${MAX_URL_BYTES} bytes`))
          .min(1, 'must list at least one URL')
          .max(MAX_RELAY_ENDPOINTS, `at most ${MAX_RELAY_ENDPOINTS} URLs`)
          .refine((l) => new Set(l).size === l.length, 'lists a URL twice'),
      ),
    doc: `comma-separated ws(s):// URLs of the relay's nodes, published in ${WELL_KNOWN_PATH} (default: the public URL)`,
  },
  { key: 'notifierId', env: 'NOTIFIER_ID', flag: 'notifier-id', schema: hexBytes([KEY_SIZE, ID_SIZE]), doc: "notifier's X25519 key (or id) in hex" },
  { key: 'turnSecret', env: 'TURN_SECRET', flag: 'turn-secret', schema: z.string().min(16, 'must be at least 16 characters'), doc: 'coturn static-auth-secret' },
  { key: 'turnUrls', env: 'TURN_URLS', flag: 'turn-urls', schema: urlList(['turn', 'turns']), doc: 'comma-separated turn: URLs' },
  { key: 'stunUrls', env: 'STUN_URLS', flag: 'stun-urls', schema: urlList(['stun', 'stuns']), doc: 'comma-separated stun: URLs' },
  {
    key: 'redisUrl',
    env: 'RELAY_REDIS_URL',
    flag: 'redis-url',
    schema: z.string().regex(/^rediss?:\/\/[^\s]+$/, 'must be a redis:// or rediss:// URL'),
    doc: 'join a relay cluster sharing state in this Redis (default: none, one process in memory)',
  },
  {
    key: 'trustedProxies',
    env: 'RELAY_TRUSTED_PROXIES',
    flag: 'trusted-proxies',
    schema: z
      .string()
      .transform((s) => s.split(',').map((a) => a.trim()).filter((a) => a.length > 0))
      .pipe(z.array(z.string().refine((a) => isIP(a) !== 0, 'each entry must be an IP address'))),
    doc: 'comma-separated load balancer addresses whose X-Forwarded-For names the client (default: none)',
  },
  { key: 'webRoot', env: 'WEB_ROOT', flag: 'web-root', schema: z.string().min(1, 'must not be empty'), doc: 'built web app to serve (default: none)' },
  { key: 'notifierJson', env: 'NOTIFIER_JSON', flag: 'notifier-json', schema: z.string().min(1, 'must not be empty'), doc: `the notifier's notifier.json, served at ${NOTIFIER_JSON_PATH}` },
  {
    key: 'logLevel',
    env: 'LOG_LEVEL',
    flag: 'log-level',
    schema: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }),
    doc: 'pino log level',
  },
];

/** Env and flag names of each limit: the spec constant's name (prefixed RELAY_) and its kebab form. */
export const LIMIT_NAMES: { readonly [K in keyof Limits]: string } = {
  maxFrameSize: 'MAX_FRAME_SIZE',
  frameRate: 'FRAME_RATE_PER_SECOND',
  frameBurst: 'FRAME_BURST',
  byteRate: 'BYTE_RATE_PER_SECOND',
  byteBurst: 'BYTE_BURST',
  sendBufferMaxBytes: 'SEND_BUFFER_MAX_BYTES',
  handshakeTimeoutMs: 'HANDSHAKE_TIMEOUT_MS',
  pingIntervalMs: 'PING_INTERVAL_MS',
  idleTimeoutMs: 'IDLE_TIMEOUT_MS',
  maxConnectionsPerAddress: 'MAX_CONNECTIONS_PER_ADDRESS',
  handshakesPerAddressPerMinute: 'HANDSHAKES_PER_ADDRESS_PER_MINUTE',
  maxConnections: 'MAX_CONNECTIONS',
  fdReserve: 'FD_RESERVE',
  maxPendingConnections: 'MAX_PENDING_CONNECTIONS',
  pendingTimeoutMs: 'PENDING_TIMEOUT_MS',
  maxKeypairsPerId: 'MAX_KEYPAIRS_PER_ID',
  mailboxMaxFrames: 'MAILBOX_MAX_FRAMES',
  mailboxMaxBytes: 'MAILBOX_MAX_BYTES',
  mailboxTtlMs: 'MAILBOX_TTL_MS',
  mailboxGlobalMaxBytes: 'MAILBOX_GLOBAL_MAX_BYTES',
  mailboxSenderShareDivisor: 'MAILBOX_SENDER_SHARE_DIVISOR',
  mailboxStrangerShareDivisor: 'MAILBOX_STRANGER_SHARE_DIVISOR',
  mailboxIdentityMaxBytes: 'MAILBOX_IDENTITY_MAX_BYTES',
  mailboxSourceMaxBytes: 'MAILBOX_SOURCE_MAX_BYTES',
  mailboxEntryOverhead: 'MAILBOX_ENTRY_OVERHEAD',
  mailboxTokensPerSession: 'MAILBOX_TOKENS_PER_SESSION',
  maxMailboxSecrets: 'MAX_MAILBOX_SECRETS',
  wakeMinIntervalMs: 'WAKE_MIN_INTERVAL_MS',
  wakeMaxRegistrations: 'WAKE_MAX_REGISTRATIONS',
  wakeRegistrationTtlMs: 'WAKE_REGISTRATION_TTL_MS',
  turnCredentialTtlS: 'TURN_CREDENTIAL_TTL_S',
  turnRequestsPerMinute: 'TURN_REQUESTS_PER_MINUTE',
  turnRequestsPerAddressPerMinute: 'TURN_REQUESTS_PER_ADDRESS_PER_MINUTE',
  ringsPerMinute: 'RINGS_PER_MINUTE',
  maxPendingControl: 'MAX_PENDING_CONTROL',
  closeGraceMs: 'CLOSE_GRACE_MS',
  shutdownRetryAfterMs: 'SHUTDOWN_RETRY_AFTER_MS',
};

const LIMIT_SETTINGS: Setting[] = (Object.keys(LIMIT_NAMES) as (keyof Limits)[]).map((key) => ({
  key,
  env: 'RELAY_' + LIMIT_NAMES[key],
  flag: LIMIT_NAMES[key].toLowerCase().replaceAll('_', '-'),
  schema: intIn(LIMIT_RANGES[key][0], LIMIT_RANGES[key][1]),
  doc: `limit (default ${DEFAULT_LIMITS[key]})`,
}));

export const SETTINGS: readonly Setting[] = [...BASE_SETTINGS, ...LIMIT_SETTINGS];

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

/**
 * Builds the config from the environment and the flags (flags win). `argv` holds only the
 * flags (`--name value` or `--name=value`). Throws ConfigError naming the bad setting.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): RelayConfig {
  const values = readSettings(SETTINGS, env, argv, (source, message) => new ConfigError(source, message));
  const { get } = values;

  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_NAMES) as (keyof Limits)[]) {
    const v = get<number>(key);
    if (v !== undefined) limits[key] = v;
  }
  try {
    validateLimits(limits);
  } catch (e) {
    const key = (Object.keys(LIMIT_NAMES) as (keyof Limits)[]).find((k) => (e as Error).message.startsWith(k));
    const src = key !== undefined ? (values.source(key) ?? 'RELAY_' + LIMIT_NAMES[key]) : 'limits';
    throw new ConfigError(src, (e as Error).message);
  }

  const notifierHex = get<string>('notifierId');
  const notifier: NotifierRef | undefined =
    notifierHex === undefined
      ? undefined
      : notifierHex.length === KEY_SIZE * 2
        ? { kind: 'key', x: hex(notifierHex) }
        : { kind: 'id', id: hex(notifierHex) };

  const stunUrls = get<string[]>('stunUrls') ?? [];
  const turnUrls = get<string[]>('turnUrls') ?? [];
  const turnSecret = get<string>('turnSecret');
  if (turnSecret !== undefined && turnUrls.length === 0) {
    throw new ConfigError(values.source('turnSecret')!, 'is set but TURN_URLS is empty');
  }
  if (turnUrls.length > 0 && turnSecret === undefined) {
    throw new ConfigError(values.source('turnUrls')!, 'needs TURN_SECRET');
  }
  if (stunUrls.length + turnUrls.length > MAX_TURN_URLS) {
    throw new ConfigError(
      values.source('turnUrls') ?? values.source('stunUrls')!,
      `at most ${MAX_TURN_URLS} STUN and TURN URLs in total`,
    );
  }

  return {
    port: get<number>('port') ?? 8080,
    host: get<string>('host') ?? '127.0.0.1',
    metricsHost: get<string>('metricsHost') ?? DEFAULT_METRICS_HOST,
    metricsPort: get<number>('metricsPort') ?? DEFAULT_METRICS_PORT,
    dataDir: get<string>('dataDir'),
    keyFile: get<string>('keyFile'),
    publicUrl: get<string>('publicUrl'),
    endpoints: get<string[]>('endpoints'),
    notifier,
    turn: turnSecret !== undefined ? { secret: turnSecret, turnUrls, stunUrls } : undefined,
    stunUrls,
    webRoot: get<string>('webRoot'),
    notifierJson: get<string>('notifierJson'),
    redisUrl: get<string>('redisUrl'),
    trustedProxies: get<string[]>('trustedProxies') ?? [],
    logLevel: get<LogLevel>('logLevel') ?? 'info',
    limits,
  };
}

/** One line per setting for `relay --help` and the README. */
export function settingsHelp(): string {
  return formatSettings(SETTINGS, 36, 40);
}
