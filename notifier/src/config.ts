/**
 * Notifier configuration: defaults, then environment variables, then command-line flags (flags
 * win), each value validated with zod. A bad value raises ConfigError naming the env variable
 * or flag it came from; main.ts prints it and exits with code 2.
 */
import { join } from 'node:path';
import { KEY_SIZE, MAX_RELAY_ENDPOINTS } from '@parley/generated';
import { z } from 'zod';
import { readSettings, settingsHelp as formatSettings, type Setting } from '@parley/runtime/node';
import { MAX_WEBPUSH_ORIGINS } from './client.ts';
import { ConfigError } from './errors.ts';
import { DEFAULT_LIMITS, LIMIT_RANGES, type Limits, validateLimits } from './limits.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The push services browsers use today; `*.` matches any subdomain. */
export const DEFAULT_WEBPUSH_ORIGINS: readonly string[] = [
  'https://fcm.googleapis.com',
  'https://*.push.services.mozilla.com',
  'https://*.notify.windows.com',
  'https://web.push.apple.com',
  'https://*.push.apple.com',
];

/** FCM HTTP v1 send endpoint; `{project}` is the service account's project_id. */
export const DEFAULT_FCM_ENDPOINT = 'https://fcm.googleapis.com/v1/projects/{project}/messages:send';

export interface FcmConfig {
  /** Path of the service-account JSON (from the Firebase console). */
  serviceAccountFile: string;
  /** Send endpoint; `{project}` is replaced. */
  endpoint: string;
  /** OAuth token endpoint; default the service account's token_uri. */
  tokenUri: string | undefined;
}

export interface NotifierConfig {
  /**
   * The relay and its pinned public keys; `endpoints`: its nodes (RELAY_URL listing several, or
   * the well-known document's endpoints), dialled in random order with failover.
   */
  relay: { url: string; endpoints?: string[]; x: Uint8Array; ed: Uint8Array } | undefined;
  /** RELAY_WELL_KNOWN: where `relay` comes from at start when it is not given (relay-bootstrap.ts). */
  relayWellKnown?: string;
  /** Data folder: keys, engine state, registrations, the published invite. */
  dataDir: string;
  keyFile: string;
  vapidKeyFile: string;
  /** Where `notifier.json` (keys, VAPID key, current invite) is written for clients. */
  publishFile: string;
  /** VAPID `sub` claim: a mailto: or https: URL where push services can reach the operator. */
  vapidSubject: string | undefined;
  /** Origins a Web Push endpoint may have (`https://host`, `https://*.host`, `http://127.0.0.1:port`). */
  webPushOrigins: string[];
  fcm: FcmConfig | undefined;
  logLevel: LogLevel;
  limits: Limits;
}

const key = z
  .string()
  .regex(/^[0-9a-fA-F]+$/, 'must be hex')
  .refine((s) => s.length === KEY_SIZE * 2, `must be ${KEY_SIZE * 2} hex digits`);
const nonEmpty = z.string().min(1, 'must not be empty');
const origins = z
  .string()
  .transform((s) => s.split(',').map((u) => u.trim()).filter((u) => u.length > 0))
  .pipe(
    z
      .array(z.string().regex(/^https?:\/\/(\*\.)?[a-z0-9.-]+(:\d+)?$/i, 'each origin must be scheme://host[:port], optionally with *. before the host'))
      .min(1, 'needs at least one origin')
      .max(MAX_WEBPUSH_ORIGINS, `at most ${MAX_WEBPUSH_ORIGINS} origins (notifier.json lists them)`),
  );
const intIn = (lo: number, hi: number) =>
  z.string().trim().regex(/^\d+$/, 'must be a whole number').transform(Number).pipe(z.number().int().min(lo, `must be at least ${lo}`).max(hi, `must be at most ${hi}`));

const BASE_SETTINGS: Setting[] = [
  {
    key: 'relayUrl',
    env: 'RELAY_URL',
    flag: 'relay-url',
    schema: z
      .string()
      .transform((s) => s.split(',').map((u) => u.trim()).filter((u) => u.length > 0))
      .pipe(
        z
          .array(z.string().regex(/^wss?:\/\/\S+$/, 'must be a ws:// or wss:// URL (each, comma-separated)'))
          .min(1, 'must be a ws:// or wss:// URL')
          .max(MAX_RELAY_ENDPOINTS, `at most ${MAX_RELAY_ENDPOINTS} URLs (the nodes of one relay)`)
          .refine((l) => new Set(l).size === l.length, 'lists a URL twice'),
      ),
    doc: "the relay to connect to (several nodes of one relay: comma-separated, tried in random order)",
  },
  { key: 'relayX', env: 'RELAY_X', flag: 'relay-x', schema: key, doc: "the relay's X25519 public key (pinned), hex" },
  { key: 'relayEd', env: 'RELAY_ED', flag: 'relay-ed', schema: key, doc: "the relay's Ed25519 public key (pinned), hex" },
  { key: 'relayWellKnown', env: 'RELAY_WELL_KNOWN', flag: 'relay-well-known', schema: z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL'), doc: "instead of RELAY_URL, RELAY_X, RELAY_ED: the relay's web address; its /.well-known/parley.json is read at start (keys and fingerprint checked)" },
  { key: 'dataDir', env: 'NOTIFIER_DATA', flag: 'data', schema: nonEmpty, doc: 'data folder (default ./.notifier)' },
  { key: 'keyFile', env: 'NOTIFIER_KEY_FILE', flag: 'key-file', schema: nonEmpty, doc: 'identity key file (default <data>/notifier.key)' },
  { key: 'vapidKeyFile', env: 'VAPID_KEY_FILE', flag: 'vapid-key-file', schema: nonEmpty, doc: 'VAPID key file (default <data>/vapid.key)' },
  { key: 'publishFile', env: 'NOTIFIER_PUBLISH', flag: 'publish', schema: nonEmpty, doc: 'where notifier.json goes (default <data>/notifier.json)' },
  { key: 'vapidSubject', env: 'VAPID_SUBJECT', flag: 'vapid-subject', schema: z.string().regex(/^(mailto:\S+@\S+|https:\/\/\S+)$/, 'must be a mailto: or https: URL'), doc: 'VAPID contact (mailto: or https:)' },
  { key: 'webPushOrigins', env: 'WEBPUSH_ALLOWED_ORIGINS', flag: 'webpush-allowed-origins', schema: origins, doc: 'comma-separated origins a Web Push endpoint may have' },
  { key: 'fcmServiceAccount', env: 'FCM_SERVICE_ACCOUNT', flag: 'fcm-service-account', schema: nonEmpty, doc: 'FCM service-account JSON file (enables FCM)' },
  { key: 'fcmEndpoint', env: 'FCM_ENDPOINT', flag: 'fcm-endpoint', schema: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL'), doc: 'FCM send endpoint ({project} is replaced)' },
  { key: 'fcmTokenUri', env: 'FCM_TOKEN_URI', flag: 'fcm-token-uri', schema: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL'), doc: "OAuth token endpoint (default the service account's token_uri)" },
  { key: 'logLevel', env: 'LOG_LEVEL', flag: 'log-level', schema: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }), doc: 'pino log level' },
];

/** Env and flag names of each limit: NOTIFIER_<NAME> and its kebab form. */
export const LIMIT_NAMES: { readonly [K in keyof Limits]: string } = {
  wakeMinIntervalMs: 'WAKE_MIN_INTERVAL_MS',
  callWakesPerMinute: 'CALL_WAKES_PER_MINUTE',
  maxRegistrations: 'MAX_REGISTRATIONS',
  maxRegistrationsPerSender: 'MAX_REGISTRATIONS_PER_SENDER',
  maxSenders: 'MAX_SENDERS',
  registrationTtlMs: 'REGISTRATION_TTL_MS',
  senderTtlMs: 'SENDER_TTL_MS',
  pushTimeoutMs: 'PUSH_TIMEOUT_MS',
  maxConcurrentPushes: 'MAX_CONCURRENT_PUSHES',
  maxQueuedPushes: 'MAX_QUEUED_PUSHES',
  messageTtlS: 'MESSAGE_TTL_S',
  callTtlS: 'CALL_TTL_S',
  inviteMaxUses: 'INVITE_MAX_USES',
  inviteTtlS: 'INVITE_TTL_S',
  invites: 'INVITES',
};

const LIMIT_SETTINGS: Setting[] = (Object.keys(LIMIT_NAMES) as (keyof Limits)[]).map((k) => ({
  key: k,
  env: 'NOTIFIER_' + LIMIT_NAMES[k],
  flag: LIMIT_NAMES[k].toLowerCase().replaceAll('_', '-'),
  schema: intIn(LIMIT_RANGES[k][0], LIMIT_RANGES[k][1]),
  doc: `limit (default ${DEFAULT_LIMITS[k]})`,
}));

export const SETTINGS: readonly Setting[] = [...BASE_SETTINGS, ...LIMIT_SETTINGS];

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

/**
 * Builds the config from the environment and the flags (`--name value` or `--name=value`).
 * Relay settings and the VAPID subject are optional here (keygen needs neither); `requireRun`
 * checks them before the notifier starts.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): NotifierConfig {
  const values = readSettings(SETTINGS, env, argv, (source, message) => new ConfigError(source, message));
  const { get } = values;

  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const k of Object.keys(LIMIT_NAMES) as (keyof Limits)[]) {
    const v = get<number>(k);
    if (v !== undefined) limits[k] = v;
  }
  validateLimits(limits);

  const urls = get<string[]>('relayUrl');
  const url = urls?.[0];
  const x = get<string>('relayX');
  const ed = get<string>('relayEd');
  const given = [url, x, ed].filter((v) => v !== undefined).length;
  if (given !== 0 && given !== 3) throw new ConfigError(values.source('relayUrl') ?? values.source('relayX') ?? 'RELAY_ED', 'RELAY_URL, RELAY_X and RELAY_ED go together');
  const wellKnown = get<string>('relayWellKnown');
  if (wellKnown !== undefined && given !== 0) throw new ConfigError(values.source('relayWellKnown')!, 'give RELAY_WELL_KNOWN or RELAY_URL, RELAY_X and RELAY_ED, not both');

  const fcmFile = get<string>('fcmServiceAccount');
  for (const k of ['fcmEndpoint', 'fcmTokenUri']) {
    if (fcmFile === undefined && values.source(k) !== undefined) throw new ConfigError(values.source(k)!, 'needs FCM_SERVICE_ACCOUNT');
  }
  const dataDir = get<string>('dataDir') ?? '.notifier';
  return {
    relay: urls !== undefined && url !== undefined ? { url, ...(urls.length > 1 ? { endpoints: urls } : {}), x: hex(x!), ed: hex(ed!) } : undefined,
    ...(wellKnown !== undefined ? { relayWellKnown: wellKnown } : {}),
    dataDir,
    keyFile: get<string>('keyFile') ?? join(dataDir, 'notifier.key'),
    vapidKeyFile: get<string>('vapidKeyFile') ?? join(dataDir, 'vapid.key'),
    publishFile: get<string>('publishFile') ?? join(dataDir, 'notifier.json'),
    vapidSubject: get<string>('vapidSubject'),
    webPushOrigins: get<string[]>('webPushOrigins') ?? [...DEFAULT_WEBPUSH_ORIGINS],
    fcm: fcmFile !== undefined ? { serviceAccountFile: fcmFile, endpoint: get<string>('fcmEndpoint') ?? DEFAULT_FCM_ENDPOINT, tokenUri: get<string>('fcmTokenUri') } : undefined,
    logLevel: get<LogLevel>('logLevel') ?? 'info',
    limits,
  };
}

/** The settings `start` cannot do without. */
export function requireRun(c: NotifierConfig): asserts c is NotifierConfig & { relay: NonNullable<NotifierConfig['relay']>; vapidSubject: string } {
  if (c.relay === undefined) throw new ConfigError('RELAY_URL', 'is required (with RELAY_X and RELAY_ED), or RELAY_WELL_KNOWN');
  if (c.vapidSubject === undefined) throw new ConfigError('VAPID_SUBJECT', 'is required (mailto: or https:)');
}

/** One line per setting for `notifier --help` and the README. */
export function settingsHelp(): string {
  return formatSettings(SETTINGS, 32, 38);
}
