/**
 * The worker's transport: the runtime's WebSocketTransport, gated by the page's network state.
 * Browsers do not always close an open WebSocket when the network goes away (and emulated
 * offline modes often leave it open), so the page reports `offline`/`online` events and this
 * transport closes its sockets at once and refuses to connect until the network is back. The
 * engine sees an ordinary close, shows `offline`, keeps messages in its outbox, and resends them
 * after the next handshake.
 */
import { WebSocketTransport, type Socket, type Transport } from '@parley/runtime';

/** WebSocket close code used when the page went offline (4000-4999: private use, RFC 6455 §7.4.2). */
export const OFFLINE_CLOSE_CODE = 4000;

export class GatedTransport implements Transport {
  readonly #inner: Transport;
  readonly #open = new Set<Socket>();
  #online: boolean;

  constructor(inner: Transport = new WebSocketTransport(), online = true) {
    this.#inner = inner;
    this.#online = online;
  }

  get online(): boolean {
    return this.#online;
  }

  setOnline(online: boolean): void {
    this.#online = online;
    if (online) return;
    for (const s of [...this.#open]) s.close(OFFLINE_CLOSE_CODE, 'offline');
  }

  async connect(url: string): Promise<Socket> {
    if (!this.#online) throw new Error('the device is offline');
    const s = await this.#inner.connect(url);
    if (!this.#online) {
      s.close(OFFLINE_CLOSE_CODE, 'offline');
      throw new Error('the device went offline');
    }
    this.#open.add(s);
    // One close handler per socket: ours forwards to the engine's, set now or later.
    let onClose: ((code: number, reason: string) => void) | undefined;
    let closed: [number, string] | undefined;
    s.onClose((code, reason) => {
      this.#open.delete(s);
      closed = [code, reason];
      onClose?.(code, reason);
    });
    return {
      send: (frame) => s.send(frame),
      close: (code, reason) => {
        this.#open.delete(s);
        s.close(code, reason);
      },
      onMessage: (cb) => s.onMessage(cb),
      onClose: (cb) => {
        onClose = cb;
        if (closed) cb(closed[0], closed[1]);
      },
      get bufferedAmount() {
        return s.bufferedAmount;
      },
    };
  }
}
