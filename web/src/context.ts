/** Everything routes share: the worker client and the stores. Components get props instead. */
import { createContext, useContext } from 'solid-js';
import type { Client } from './ui-thread/client.ts';
import type { Contacts } from './stores/contacts.ts';
import type { Session } from './stores/session.ts';
import type { Theme } from './stores/theme.ts';
import type { Router } from './router.ts';

export interface AppCtx {
  client: Client;
  session: Session;
  contacts: Contacts;
  theme: Theme;
  router: Router;
  /** An invite opened by link (#invite=...), waiting to be used. */
  pendingInvite: () => string | undefined;
  setPendingInvite: (v: string | undefined) => void;
  /** Shows a short message in the live region. */
  toast: (message: string) => void;
}

export const AppContext = createContext<AppCtx>();

export function useApp(): AppCtx {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('useApp outside <AppContext.Provider>');
  return ctx;
}
