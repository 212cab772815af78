/**
 * The crypto worker: a dedicated Web Worker that owns the identity and runs the Engine. The UI
 * thread talks to it only through messages/protocol.ts and never holds a private key.
 *
 * Every request is answered once: `{ id, ok: true, value }` or `{ id, ok: false, error }`. Errors
 * keep their name, code, message and detail (EngineError, VaultError, RelayConfigError...).
 */
import { createApi } from './api.ts';
import { Host } from './host.ts';
import { DB_NAME, openDatabase } from './idb.ts';
import type { Api, Remote, WireError, WorkerEvent, WorkerRequest, WorkerResponse } from '../messages/protocol.ts';

/** The part of DedicatedWorkerGlobalScope used here (the DOM lib has no worker types). */
interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (ev: MessageEvent) => void): void;
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  location: { origin: string };
  navigator: Navigator;
}
const scope = self as unknown as WorkerScope;

function toWire(err: unknown): WireError {
  const e = err as { name?: unknown; message?: unknown; code?: unknown; detail?: unknown };
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.detail === 'string' ? { detail: e.detail } : {}),
  };
}

const post = (m: WorkerResponse | WorkerEvent) => scope.postMessage(m);

const ready: Promise<Remote<Api>> = (async () => {
  const db = await openDatabase(DB_NAME);
  const locks = (scope.navigator as Navigator & { locks?: unknown }).locks as ConstructorParameters<typeof Host>[0]['locks'];
  const env = import.meta.env as Record<string, string | undefined>;
  const host = new Host({
    db,
    env,
    // The Android app runs at the WebView's own origin: VITE_PARLEY_APP_ORIGIN names the web
    // deployment its invite links point to (and whose /.well-known/parley.json names the relay).
    origin: env.VITE_PARLEY_APP_ORIGIN || scope.location.origin,
    emit: post,
    ...(locks ? { locks } : {}),
  });
  return createApi(host);
})();

scope.addEventListener('message', (ev: MessageEvent) => {
  const req = ev.data as WorkerRequest;
  if (typeof req?.id !== 'number' || typeof req.method !== 'string') return;
  void (async () => {
    try {
      const api = await ready;
      const fn = api[req.method] as ((...a: unknown[]) => Promise<unknown>) | undefined;
      if (typeof fn !== 'function') throw new TypeError(`unknown method ${req.method}`);
      const value = await fn(...(req.args as unknown[]));
      post({ id: req.id, ok: true, value });
    } catch (err) {
      post({ id: req.id, ok: false, error: toWire(err) });
    }
  })();
});
