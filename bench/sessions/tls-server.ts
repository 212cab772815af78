/**
 * The TLS baseline for the sessions bench, in its own process: a Node `https` server that
 * accepts TLS 1.3 only, with the certificate and key files named on the command line, and a
 * `ws` server on it that accepts WebSocket upgrades (no application protocol). With a third
 * argument, a CA certificate file, it also asks every client for a certificate and accepts only
 * those that CA signed (mutual TLS: the server then verifies a client signature per connection,
 * as the Parley relay does). IPC: `{ ready: { port } }` once listening; 'stop' exits.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { WebSocketServer } from 'ws';

const [certFile, keyFile, clientCa] = process.argv.slice(2) as [string, string, string | undefined];
const server = createServer({
  cert: readFileSync(certFile),
  key: readFileSync(keyFile),
  minVersion: 'TLSv1.3',
  ...(clientCa !== undefined ? { requestCert: true, rejectUnauthorized: true, ca: readFileSync(clientCa) } : {}),
});
const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false });
wss.on('connection', (ws) => ws.on('error', () => {}));
server.on('tlsClientError', () => {});
await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
process.send!({ ready: { port: (server.address() as { port: number }).port } });
process.on('message', (m) => {
  if (m === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
