/**
 * The TLS baseline for the sessions bench, in its own process: a Node `https` server that
 * accepts TLS 1.3 only, with the certificate and key files named on the command line, and a
 * `ws` server on it that accepts WebSocket upgrades (no application protocol). IPC: `{ ready:
 * { port } }` once listening; 'stop' exits.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { WebSocketServer } from 'ws';

const [certFile, keyFile] = process.argv.slice(2) as [string, string];
const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.3' });
const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false });
wss.on('connection', (ws) => ws.on('error', () => {}));
server.on('tlsClientError', () => {});
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
process.send!({ ready: { port: (server.address() as { port: number }).port } });
process.on('message', (m) => {
  if (m === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
