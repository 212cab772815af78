/**
 * A server in its own process for the bench: `bare` (the baseline: a plain `ws` forwarder,
 * first 8 bytes of a frame = recipient, forwarded verbatim, no crypto; a client registers by
 * sending its 8-byte id first) or `parley` (the real relay, limits raised for load).
 * `parley [port] [seedHex]` listens on a given port with a given identity seed, so the reconnect
 * storm (bench/sessions) can start the same relay again after killing it; with BENCH_REDIS_URL
 * it is a node of a relay cluster (cluster.bench.ts).
 * Talks to the parent over IPC: {port, x, ed} once listening; 'rss' -> {rss, heap} after a GC (heap = V8 heap used + external).
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_FRAME_SIZE, ROUTE_SIZE } from '@parley/generated';
import { startRelay } from '../src/index.ts';

const mode = process.argv[2];

async function bare(): Promise<number> {
  const byId = new Map<string, WebSocket>();
  const http = createServer();
  const wss = new WebSocketServer({ server: http, maxPayload: MAX_FRAME_SIZE, perMessageDeflate: false, clientTracking: false });
  wss.on('connection', (ws) => {
    let id: string | undefined;
    ws.on('message', (data: Buffer) => {
      if (id === undefined) {
        id = data.toString('latin1', 0, ROUTE_SIZE);
        byId.set(id, ws);
        ws.send(data); // registered
        return;
      }
      const to = byId.get(data.toString('latin1', 0, ROUTE_SIZE));
      if (to !== undefined) to.send(data);
    });
    ws.on('close', () => {
      if (id !== undefined && byId.get(id) === ws) byId.delete(id);
    });
    ws.on('error', () => {});
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  return (http.address() as { port: number }).port;
}

async function parley(): Promise<{ port: number; x: string; ed: string }> {
  const big = 1_000_000_000;
  const port = Number(process.argv[3] ?? 0);
  const seedHex = process.argv[4];
  const relay = await startRelay({
    logLevel: 'warn',
    host: '127.0.0.1',
    port,
    ...(seedHex !== undefined ? { seed: Uint8Array.from(Buffer.from(seedHex, 'hex')) } : {}),
    // A cluster node for the cluster bench (cluster.bench.ts).
    ...(process.env.BENCH_REDIS_URL !== undefined ? { redisUrl: process.env.BENCH_REDIS_URL } : {}),
    limits: {
      maxConnectionsPerAddress: 100_000,
      handshakesPerAddressPerMinute: 10_000_000,
      frameRate: big,
      frameBurst: big,
      byteRate: 0xffff_ffff,
      byteBurst: 1e12,
    },
  });
  return { port: relay.port, x: Buffer.from(relay.publicKeys.x).toString('hex'), ed: Buffer.from(relay.publicKeys.ed).toString('hex') };
}

const ready = mode === 'bare' ? { port: await bare() } : await parley();
process.send!({ ready });
process.on('message', (msg) => {
  if (msg === 'rss') {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    setTimeout(() => {
      gc?.();
      const m = process.memoryUsage();
      process.send!({ rss: m.rss, heap: m.heapUsed + m.external });
    }, 200);
  } else if (msg === 'stop') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
