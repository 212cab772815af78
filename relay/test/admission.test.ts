/** Accept-time admission in isolation, on real sockets: each bound at its value. */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Admission, type AdmissionDrop, type AdmissionLimits } from '../src/admission.ts';
import { sleep } from './helpers/relay.ts';

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

async function admitting(limits: AdmissionLimits): Promise<{ port: number; admission: Admission; drops: AdmissionDrop[] }> {
  const drops: AdmissionDrop[] = [];
  const admission = new Admission(limits, (why) => drops.push(why));
  server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    admission.accept(s);
    // A socket that says anything is "settled" (stands for a complete request).
    s.once('data', () => admission.settled(s));
  });
  await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
  return { port: (server!.address() as { port: number }).port, admission, drops };
}

/** Connects from `localAddress`; resolves with the socket and a promise of its close. */
async function dial(port: number, localAddress: string, say?: string): Promise<{ s: Socket; closed: Promise<void> }> {
  const s = connect({ port, host: '127.0.0.1', localAddress });
  sockets.push(s);
  s.on('error', () => {});
  const closed = new Promise<void>((r) => s.on('close', () => r()));
  await new Promise<void>((r) => s.once('connect', () => r()));
  if (say !== undefined) s.write(say);
  await sleep(30);
  return { s, closed };
}

describe('Admission', () => {
  it('holds one source to maxPerSource, counting silent sockets, and frees the slot on close', async () => {
    const { port, admission, drops } = await admitting({ maxPerSource: 2, maxTotal: 100, maxPending: 100, pendingTimeoutMs: 10_000 });
    const a = await dial(port, '127.0.11.1');
    await dial(port, '127.0.11.1');
    const third = await dial(port, '127.0.11.1');
    await third.closed;
    expect(drops).toEqual(['too_many_connections']);
    await dial(port, '127.0.11.2'); // another source
    expect(admission.total).toBe(3);
    a.s.destroy();
    await sleep(50);
    const again = await dial(port, '127.0.11.1');
    expect(again.s.destroyed).toBe(false);
    expect(admission.total).toBe(3);
  });

  it('at maxPending the oldest pending socket makes room; settled sockets are never evicted', async () => {
    const { port, admission, drops } = await admitting({ maxPerSource: 100, maxTotal: 100, maxPending: 2, pendingTimeoutMs: 10_000 });
    const talker = await dial(port, '127.0.12.1', 'GET / HTTP/1.1\r\n\r\n');
    const oldest = await dial(port, '127.0.12.2');
    await dial(port, '127.0.12.3');
    expect(admission.pending).toBe(2);
    await dial(port, '127.0.12.4');
    await oldest.closed;
    expect(drops).toEqual(['pending_evicted']);
    expect(admission.pending).toBe(2);
    expect(talker.s.destroyed).toBe(false);
    expect(admission.total).toBe(3);
  });

  it('at maxTotal a new socket evicts the oldest pending one, or is refused when none is pending', async () => {
    const { port, admission, drops } = await admitting({ maxPerSource: 100, maxTotal: 2, maxPending: 100, pendingTimeoutMs: 10_000 });
    await dial(port, '127.0.13.1', 'x');
    const silent = await dial(port, '127.0.13.2');
    await dial(port, '127.0.13.3', 'x');
    await silent.closed;
    expect(drops).toEqual(['pending_evicted']);
    const refused = await dial(port, '127.0.13.4');
    await refused.closed;
    expect(drops).toEqual(['pending_evicted', 'too_many_connections']);
    expect(admission.total).toBe(2);
  });

  it('destroys a socket still pending after pendingTimeoutMs', async () => {
    const { port, drops } = await admitting({ maxPerSource: 100, maxTotal: 100, maxPending: 100, pendingTimeoutMs: 200 });
    const t0 = Date.now();
    const silent = await dial(port, '127.0.14.1');
    const talker = await dial(port, '127.0.14.2', 'hi');
    await silent.closed;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
    expect(drops).toEqual(['pending_timeout']);
    expect(talker.s.destroyed).toBe(false);
  });
});
