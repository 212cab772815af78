/** A Client (ui-thread/client.ts) whose api methods are given per test and whose events the test emits. */
import type { Client } from '../src/ui-thread/client.ts';
import type { Api, Remote, WorkerEvents } from '../src/messages/protocol.ts';

export function fakeClient(api: Partial<Remote<Api>>) {
  const handlers = new Map<string, Set<(d: never) => void>>();
  const client: Client = {
    api: new Proxy(api as Remote<Api>, {
      get(t, k) {
        const fn = (t as Record<string | symbol, unknown>)[k];
        if (!fn) throw new Error(`fake client: no ${String(k)}`);
        return fn;
      },
    }),
    on(event, fn) {
      let set = handlers.get(event);
      if (!set) handlers.set(event, (set = new Set()));
      set.add(fn as (d: never) => void);
      return () => set.delete(fn as (d: never) => void);
    },
  };
  const emit = <K extends keyof WorkerEvents>(event: K, data: WorkerEvents[K]) => {
    for (const fn of handlers.get(event) ?? []) (fn as (d: WorkerEvents[K]) => void)(data);
  };
  return { client, emit, listeners: (event: string) => handlers.get(event)?.size ?? 0 };
}
