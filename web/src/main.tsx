/**
 * Entry point: starts the crypto worker (a separate bundle), renders the app, and registers the
 * service worker (production builds) that serves the shell offline.
 */
import { render } from 'solid-js/web';
import { App } from './App.tsx';
import { startWorker } from './ui-thread/client.ts';
import { isNative } from './ui-thread/native.ts';
import './styles.css';

const client = startWorker();
render(() => <App client={client} />, document.getElementById('root')!);

// Not in the Android app: its files are local already, and its pushes come through FCM.
if (import.meta.env.PROD && 'serviceWorker' in navigator && !isNative()) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((err) => console.warn('service worker not registered:', err));
  });
}
