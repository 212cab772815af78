/**
 * The UI side of the worker protocol (messages/protocol.ts): `createClient(port)` returns
 * `api`, a typed proxy whose every method posts one request and resolves with its response,
 * and `on(event, fn)` for what the worker pushes. Errors come back as `RemoteError` with the
 * worker's name, code and message (e.g. EngineError OUTBOX_FULL).
 */
import { isResponse, type Api, type FromWorker, type Remote, type WireError, type WorkerEvents, type WorkerRequest } from '../messages/protocol.ts';

export class RemoteError extends Error {
  readonly code: string | undefined;
  readonly remoteName: string;
  /** The technical reason behind `message` when that is written for people (for logs). */
  readonly detail: string | undefined;

  constructor(e: WireError) {
    super(e.message);
    this.name = 'RemoteError';
    this.remoteName = e.name;
    this.code = e.code;
    this.detail = e.detail;
  }
}

/** True if `e` came from the worker (with `code`, if given). */
export function isRemoteError(e: unknown, code?: string): e is RemoteError {
  return e instanceof RemoteError && (code === undefined || e.code === code);
}

/** The part of a Worker (or MessagePort) the client needs. */
export interface PortLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
}

type Handler<K extends keyof WorkerEvents> = (data: WorkerEvents[K]) => void;

export interface Client {
  api: Remote<Api>;
  on<K extends keyof WorkerEvents>(event: K, fn: Handler<K>): () => void;
}

export function createClient(port: PortLike): Client {
  let next = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const handlers = new Map<keyof WorkerEvents, Set<(data: never) => void>>();

  port.addEventListener('message', (ev: MessageEvent) => {
    const m = ev.data as FromWorker;
    if (isResponse(m)) {
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      if (m.ok) w.resolve(m.value);
      else w.reject(new RemoteError(m.error));
      return;
    }
    for (const fn of handlers.get(m.event) ?? []) (fn as (d: unknown) => void)(m.data);
  });

  const api = new Proxy({} as Remote<Api>, {
    get(_t, method) {
      if (typeof method !== 'string') return undefined;
      return (...args: unknown[]) =>
        new Promise((resolve, reject) => {
          const id = next++;
          waiting.set(id, { resolve, reject });
          port.postMessage({ id, method, args } as WorkerRequest);
        });
    },
  });

  return {
    api,
    on(event, fn) {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(fn as (data: never) => void);
      return () => set.delete(fn as (data: never) => void);
    },
  };
}

/** Starts the crypto worker (a separate bundle: its crypto is not part of the first load). */
export function startWorker(): Client {
  const worker = new Worker(new URL('../worker/crypto.worker.ts', import.meta.url), { type: 'module', name: 'parley-crypto' });
  return createClient(worker);
}
