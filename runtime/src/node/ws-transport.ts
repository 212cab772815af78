/**
 * Node transport on the `ws` package (Node 20 has no global WebSocket). Node-only entry:
 * browsers use `WebSocketTransport` from `../engine/transport.ts`.
 */
import WebSocket from 'ws';
import { IDLE_TIMEOUT_MS, MAX_FRAME_SIZE } from '@parley/generated';
import { SocketCallbacks, type Socket, type Transport } from '../engine/transport.ts';

export interface NodeWsTransportOptions {
  /** Milliseconds to wait for the TCP/TLS/HTTP upgrade; default 10000. */
  openTimeoutMs?: number;
  /**
   * Close a connection on which nothing (no frame, no ping) arrived for this long; default
   * IDLE_TIMEOUT_MS (the relay pings every PING_INTERVAL_MS). Catches a relay that vanished
   * without closing, which would otherwise leave the engine "online" forever. 0 disables it.
   */
  idleTimeoutMs?: number;
  /** Extra `ws` client options (headers, TLS CA, agent). */
  wsOptions?: WebSocket.ClientOptions;
}

export class NodeWsTransport implements Transport {
  readonly #opts: NodeWsTransportOptions;

  constructor(opts: NodeWsTransportOptions = {}) {
    this.#opts = opts;
  }

  connect(url: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        // Frames larger than the spec's maximum are refused by the library (close 1009).
        maxPayload: MAX_FRAME_SIZE,
        perMessageDeflate: false,
        handshakeTimeout: this.#opts.openTimeoutMs ?? 10_000,
        ...this.#opts.wsOptions,
      });
      const cbs = new SocketCallbacks();
      let opened = false;
      const idleMs = this.#opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
      let idle: ReturnType<typeof setTimeout> | undefined;
      const alive = (): void => {
        if (idleMs <= 0) return;
        clearTimeout(idle);
        idle = setTimeout(() => ws.terminate(), idleMs);
      };
      ws.on('ping', alive);
      ws.on('open', () => {
        opened = true;
        alive();
        resolve({
          send: (frame) => ws.send(frame),
          close: (code, reason) => {
            if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
            ws.close(code, reason);
          },
          onMessage: (cb) => cbs.setMessage(cb),
          onClose: (cb) => cbs.setClose(cb),
          get bufferedAmount() {
            return ws.bufferedAmount;
          },
        });
      });
      ws.on('message', (data, isBinary) => {
        alive();
        if (!isBinary) return; // the relay sends binary frames only
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        cbs.message(ownFrame(buf));
      });
      ws.on('close', (code, reason) => {
        clearTimeout(idle);
        if (!opened) reject(new Error(`WebSocket to ${url} closed before opening (code ${code})`));
        cbs.close(code, reason.toString('utf8'));
      });
      ws.on('error', (err) => {
        if (!opened) reject(err);
        // After open, 'close' follows every 'error'; the close handler reports it.
      });
    });
  }
}

/**
 * The frame as a Uint8Array the engine may keep. `ws` hands over a view into the socket's read
 * buffer, which nothing writes to again; a frame that fills most of it is used where it lies (a
 * file chunk's frame is ~48 KiB: copying it was one more large allocation per chunk), a small one
 * is copied so that keeping it does not keep a whole read buffer alive.
 */
function ownFrame(buf: Buffer): Uint8Array {
  if (2 * buf.byteLength >= buf.buffer.byteLength) return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  return new Uint8Array(buf);
}
