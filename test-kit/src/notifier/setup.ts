/**
 * Shared helpers of the notifier's end-to-end tests (and the web app's push test): a real relay
 * (@parley/relay) on 127.0.0.1,
 * port 0, whose notifier is ours; runtime engines over real WebSockets with FileStores in
 * temporary folders; a notifier config pointing Web Push at the loopback push service.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine, generateIdentity, pickBackend, type EngineEvents, type Identity, type Store } from '@parley/runtime';
import { FileStore, NodeWsTransport } from '@parley/runtime/node';
import { startRelay, type Limits as RelayLimits, type RunningRelay } from '@parley/relay';
import { DEFAULT_LIMITS, type Limits, type NotifierConfig } from '@parley/notifier';

/** Everything a test started, closed in reverse order by `cleanup`. */
export class Scope {
  readonly #closers: (() => Promise<unknown>)[] = [];

  add<T>(closer: () => Promise<unknown>, value: T): T {
    this.#closers.push(closer);
    return value;
  }

  async dir(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'parley-notifier-'));
    return this.add(() => rm(d, { recursive: true, force: true }), d);
  }

  async cleanup(): Promise<void> {
    for (const c of this.#closers.splice(0).reverse()) await c().catch(() => undefined);
  }
}

export async function relayFor(scope: Scope, notifierX: Uint8Array, limits: Partial<RelayLimits> = {}): Promise<RunningRelay> {
  const r = await startRelay({ host: '127.0.0.1', port: 0, logLevel: 'silent', notifier: { kind: 'key', x: notifierX }, limits: { shutdownRetryAfterMs: 0, ...limits } });
  return scope.add(() => r.close(), r);
}

export function notifierConfig(dir: string, relay: RunningRelay, pushOrigin: string, limits: Partial<Limits> = {}): NotifierConfig {
  return {
    relay: { url: relay.url, x: relay.publicKeys.x, ed: relay.publicKeys.ed },
    dataDir: dir,
    keyFile: join(dir, 'notifier.key'),
    vapidKeyFile: join(dir, 'vapid.key'),
    publishFile: join(dir, 'notifier.json'),
    vapidSubject: 'mailto:ops@parley.test',
    webPushOrigins: [pushOrigin],
    fcm: undefined,
    logLevel: 'debug',
    limits: { ...DEFAULT_LIMITS, ...limits },
  };
}

export interface Client {
  engine: Engine;
  identity: Identity;
  store: Store;
}

/** An engine on the relay, started and online. */
/** `endpoints`: the relay's nodes (default: the relay's one URL), dialled in random order with failover. */
export async function client(scope: Scope, relay: RunningRelay, name: string, o: { identity?: Identity; store?: Store; registerWake?: boolean; listen?: (e: Engine) => void; endpoints?: string[] } = {}): Promise<Client> {
  const identity = o.identity ?? (await generateIdentity(await pickBackend()));
  const store = o.store ?? (await FileStore.open(join(await scope.dir(), 'state'), { fsync: false }));
  const engine = new Engine({
    identity,
    relay: { url: o.endpoints?.[0] ?? relay.url, endpoints: o.endpoints, x: relay.publicKeys.x, ed: relay.publicKeys.ed },
    store,
    transport: new NodeWsTransport(),
    displayName: name,
    random: () => 0.01,
    registerWake: o.registerWake ?? true,
  });
  scope.add(() => engine.stop(), undefined);
  o.listen?.(engine);
  await engine.start();
  await online(engine);
  return { engine, identity, store };
}

export async function online(engine: Engine, timeoutMs = 10_000): Promise<void> {
  await until(() => engine.state.state === 'online', timeoutMs, 'online');
}

/** Polls `pred` every 20 ms; rejects after timeoutMs naming `what`. */
export async function until(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The next event of a kind, with a bounded wait. */
export function next<K extends keyof EngineEvents>(engine: Engine, event: K, filter?: (v: EngineEvents[K]) => boolean, timeoutMs = 10_000): Promise<EngineEvents[K]> {
  return Promise.race([
    engine.next(event, filter),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out waiting for ${String(event)}`)), timeoutMs).unref()),
  ]);
}

/** A invites B; both end up accepted contacts. Returns each side's key for the other. */
export async function befriend(a: Client, b: Client): Promise<{ aSeesB: string; bSeesA: string }> {
  const inv = await b.engine.createInvite({ maxUses: 1 });
  const request = next(b.engine, 'contact-request');
  const added = await a.engine.addContact(inv.text);
  const { contact } = await request;
  const accepted = next(a.engine, 'contact-accepted');
  await b.engine.acceptContact(contact.key);
  await accepted;
  return { aSeesB: added.key, bSeesA: contact.key };
}

/** Collects pino lines (JSON) written by the notifier. */
export function logSink(): { write(s: string): void; lines: string[] } {
  const lines: string[] = [];
  return { write: (s: string) => void lines.push(s), lines };
}
