/**
 * Vite build of the web app. The crypto worker is its own bundle (ES module worker), routes
 * other than the list are lazy chunks, and build/precache.ts writes dist/sw.js with the list
 * of every built file after the build. `npm run dev` proxies /.well-known/parley.json to a
 * local relay (PARLEY_DEV_RELAY, default http://127.0.0.1:8080).
 */
import { defineConfig, type Plugin } from 'vite';
import solid from 'vite-plugin-solid';
import { browserRuntime } from './build/browser-runtime.ts';
import { precache } from './build/precache.ts';
import { quietHarmlessWarnings } from './build/quiet-warnings.ts';

export default defineConfig({
  // vite-plugin-solid is typed against the workspace root's Vite; the plugin object is the same.
  plugins: [solid() as unknown as Plugin, browserRuntime(), precache()],
  worker: { format: 'es', plugins: () => [browserRuntime()] },
  build: {
    target: 'es2022',
    manifest: true,
    sourcemap: false,
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    // build/quiet-warnings.ts says which warnings are silenced and why (Vite routes the worker
    // bundle's warnings through this handler too)
    rollupOptions: { onwarn: quietHarmlessWarnings },
  },
  server: {
    // changeOrigin: the relay derives the WebSocket URL it publishes from the Host header.
    proxy: { '/.well-known': { target: process.env.PARLEY_DEV_RELAY ?? 'http://127.0.0.1:8080', changeOrigin: true } },
  },
});
