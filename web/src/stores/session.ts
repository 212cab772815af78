/**
 * createSession: the identity's status (none, locked, ready, busy) and the relay connection.
 * Actions call the worker; a failed action leaves the state as it was and rethrows.
 */
import { createStore } from 'solid-js/store';
import type { Client } from '../ui-thread/client.ts';
import type { ConnectionState, CreateOptions, IdentityStatus } from '../messages/protocol.ts';

export type SessionStatus = IdentityStatus | { state: 'loading' } | { state: 'error'; message: string };

export interface SessionState {
  status: SessionStatus;
  connection: ConnectionState;
  /** The page's network state (navigator.onLine). */
  online: boolean;
}

export function createSession(client: Client, online = true) {
  const [state, setState] = createStore<SessionState>({ status: { state: 'loading' }, connection: { state: 'stopped' }, online });
  client.on('state', (s) => setState('connection', s));

  const afterOpen = async (s: IdentityStatus): Promise<IdentityStatus> => {
    setState('status', s);
    if (s.state === 'ready') setState('connection', await client.api.connection());
    return s;
  };

  return {
    state,
    /** Asks the worker for the identity's status (opens an identity without passphrase). */
    async load(): Promise<void> {
      try {
        await afterOpen(await client.api.status());
      } catch (err) {
        setState('status', { state: 'error', message: (err as Error).message });
        throw err;
      }
    },
    create: async (o: CreateOptions) => afterOpen(await client.api.create(o)),
    unlock: async (passphrase: string) => afterOpen(await client.api.unlock({ passphrase })),
    trustRelay: async () => afterOpen(await client.api.trustRelay()),
    reconnect: () => client.api.reconnect(),
    /** The page went on or offline: the worker closes or reopens its socket. */
    async setOnline(value: boolean): Promise<void> {
      setState('online', value);
      await client.api.setOnline({ online: value });
    },
  };
}

export type Session = ReturnType<typeof createSession>;
