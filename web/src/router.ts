/**
 * A small path router on the History API (the relay serves index.html for any path without a
 * file extension). Routes: / (conversations), /c/<key>, /contact/<key>, /add, /requests,
 * /settings. Invite links use the fragment (#invite=...), which App reads once and removes.
 */
import { createSignal } from 'solid-js';

export type Route =
  | { name: 'home' }
  | { name: 'chat'; key: string }
  | { name: 'contact'; key: string }
  | { name: 'add' }
  | { name: 'requests' }
  | { name: 'settings' };

const KEY = /^[0-9a-f]{64}$/;

export function parseRoute(path: string): Route {
  const parts = path.split('/').filter(Boolean);
  const [a, b] = parts;
  if (a === 'c' && b && KEY.test(b)) return { name: 'chat', key: b };
  if (a === 'contact' && b && KEY.test(b)) return { name: 'contact', key: b };
  if (a === 'add' || a === 'requests' || a === 'settings') return { name: a };
  return { name: 'home' };
}

export function createRouter(win: Window = window) {
  const [path, setPath] = createSignal(win.location.pathname);
  win.addEventListener('popstate', () => setPath(win.location.pathname));
  return {
    route: () => parseRoute(path()),
    path,
    navigate(to: string, o: { replace?: boolean } = {}): void {
      if (to === win.location.pathname) return;
      if (o.replace) win.history.replaceState(null, '', to);
      else win.history.pushState(null, '', to);
      setPath(to);
    },
    back(): void {
      if (win.history.length > 1) win.history.back();
      else this.navigate('/', { replace: true });
    },
  };
}

export type Router = ReturnType<typeof createRouter>;
