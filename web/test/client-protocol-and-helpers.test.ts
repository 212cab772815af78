/**
 * The typed worker protocol over a real MessageChannel (ui-thread/client.ts against the same
 * dispatch shape as crypto.worker.ts), the offline gate of the transport, notifications,
 * routes, and QR codes that the decoder reads back.
 */
import decodeQR from 'qr/decode.js';
import type { Socket, Transport } from '@parley/runtime';
import { describe, expect, it } from 'vitest';
import { parseRoute } from '../src/router.ts';
import { qrMatrix, qrPath } from '../src/ui-thread/qr.ts';
import { createClient, isRemoteError } from '../src/ui-thread/client.ts';
import { notifyIncoming, type NotifyEnv } from '../src/ui-thread/notify.ts';
import type { WorkerRequest } from '../src/messages/protocol.ts';
import { GatedTransport, OFFLINE_CLOSE_CODE } from '../src/worker/transport.ts';

describe('the worker protocol', () => {
  it('answers each request by id, rethrows errors with their code, and delivers events', async () => {
    const { port1, port2 } = new MessageChannel();
    port2.onmessage = (ev: MessageEvent) => {
      const req = ev.data as WorkerRequest;
      if (req.method === 'connection') port2.postMessage({ id: req.id, ok: true, value: { state: 'stopped' } });
      else port2.postMessage({ id: req.id, ok: false, error: { name: 'EngineError', code: 'UNKNOWN_CONTACT', message: 'no contact' } });
      port2.postMessage({ event: 'synced', data: { delivered: 3 } });
    };
    const client = createClient(port1 as unknown as Parameters<typeof createClient>[0]);
    port1.start();
    const synced = new Promise((r) => client.on('synced', r));
    expect(await client.api.connection()).toEqual({ state: 'stopped' });
    const err = await client.api.contacts().catch((e: unknown) => e);
    expect(isRemoteError(err, 'UNKNOWN_CONTACT')).toBe(true);
    expect((err as Error).message).toBe('no contact');
    expect(await synced).toEqual({ delivered: 3 });
    port1.close();
  });
});

function fakeSocket(): Socket & { closed?: [number, string] } {
  let onClose: ((c: number, r: string) => void) | undefined;
  const s: Socket & { closed?: [number, string] } = {
    send() {},
    close(code = 1000, reason = '') {
      s.closed = [code, reason];
      onClose?.(code, reason);
    },
    onMessage() {},
    onClose(cb) {
      onClose = cb;
    },
  };
  return s;
}

describe('GatedTransport', () => {
  it('closes its sockets when the page goes offline and refuses to connect until online', async () => {
    const inner: Transport = { connect: async () => fakeSocket() };
    const t = new GatedTransport(inner);
    const s = await t.connect('ws://x/');
    const closed = new Promise<[number, string]>((r) => s.onClose((c, why) => r([c, why])));
    t.setOnline(false);
    expect(await closed).toEqual([OFFLINE_CLOSE_CODE, 'offline']);
    await expect(t.connect('ws://x/')).rejects.toThrow(/offline/);
    t.setOnline(true);
    await expect(t.connect('ws://x/')).resolves.toBeDefined();
  });
});

describe('notifications', () => {
  const env = (hidden: boolean, permission: NotificationPermission): NotifyEnv & { shown: [string, NotificationOptions][] } => {
    const shown: [string, NotificationOptions][] = [];
    return { shown, hidden: () => hidden, permission: () => permission, show: async (t, o) => void shown.push([t, o]) };
  };
  it('notify only while hidden and allowed, with the name and never the content', async () => {
    const m = { contact: 'k'.repeat(64), name: 'Bob', silent: false };
    const e = env(true, 'granted');
    expect(await notifyIncoming(e, m)).toBe(true);
    expect(e.shown[0]![0]).toBe('New message');
    expect(e.shown[0]![1]).toMatchObject({ body: 'From Bob', tag: `parley-${m.contact}` });
    expect(await notifyIncoming(env(false, 'granted'), m)).toBe(false);
    expect(await notifyIncoming(env(true, 'default'), m)).toBe(false);
    expect(await notifyIncoming(env(true, 'granted'), { ...m, silent: true })).toBe(false);
  });
});

describe('routes and QR codes', () => {
  it('parses app paths', () => {
    const k = 'ab'.repeat(32);
    expect(parseRoute(`/c/${k}`)).toEqual({ name: 'chat', key: k });
    expect(parseRoute(`/contact/${k}`)).toEqual({ name: 'contact', key: k });
    expect(parseRoute('/c/not-a-key')).toEqual({ name: 'home' });
    expect(parseRoute('/settings')).toEqual({ name: 'settings' });
  });

  it('draws an invite link QR code that decodes back to the link', () => {
    const link = `http://127.0.0.1:8080/#invite=${'A'.repeat(220)}`;
    const m = qrMatrix(link);
    expect(qrPath(m).split('M').length - 1).toBe(m.flat().filter(Boolean).length);
    const scale = 4;
    const size = m.length * scale;
    const data = new Uint8ClampedArray(size * size * 4);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const v = m[Math.floor(y / scale)]![Math.floor(x / scale)] ? 0 : 255;
        data.set([v, v, v, 255], (y * size + x) * 4);
      }
    expect(decodeQR({ width: size, height: size, data })).toBe(link);
  });
});
