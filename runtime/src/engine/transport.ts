/**
 * The engine's view of a connection: one binary WebSocket message is one frame
 * (spec/protocol.yaml `structs.frame`). `WebSocketTransport` uses the platform's WebSocket
 * (browsers, Deno, Node >= 22); Node 20 uses `NodeWsTransport` from `../node/ws-transport.ts`.
 */

export interface Socket {
  /** Sends one frame. Throws if the socket is not open. */
  send(frame: Uint8Array): void;
  /** Closes once; later calls do nothing. */
  close(code?: number, reason?: string): void;
  /** Sets the frame handler. Frames that arrived before it was set are delivered to it, in order. */
  onMessage(cb: (frame: Uint8Array) => void): void;
  /** Sets the close handler; called once, also when the close happened before it was set. */
  onClose(cb: (code: number, reason: string) => void): void;
  /** Bytes queued but not yet written to the network, when the platform says. */
  readonly bufferedAmount?: number;
}

export interface Transport {
  /** Opens a connection; resolves once it is open, rejects if it cannot be opened. */
  connect(url: string): Promise<Socket>;
}

/**
 * Buffers frames and the close event until the engine sets its handlers, so nothing that
 * arrives between `open` and `onMessage` is lost. Transports wrap their socket in it.
 */
export class SocketCallbacks {
  #onMessage: ((frame: Uint8Array) => void) | undefined;
  #onClose: ((code: number, reason: string) => void) | undefined;
  #early: Uint8Array[] = [];
  #closed: [number, string] | undefined;
  #closeDelivered = false;

  setMessage(cb: (frame: Uint8Array) => void): void {
    this.#onMessage = cb;
    const early = this.#early;
    this.#early = [];
    for (const f of early) cb(f);
    // A close that came in before the handlers were set is delivered after the early frames.
    if (this.#closed && this.#onClose) this.#deliverClose();
  }

  setClose(cb: (code: number, reason: string) => void): void {
    this.#onClose = cb;
    if (this.#closed && (this.#onMessage || this.#early.length === 0)) this.#deliverClose();
  }

  message(frame: Uint8Array): void {
    if (this.#closed) return;
    if (this.#onMessage) this.#onMessage(frame);
    else this.#early.push(frame);
  }

  close(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = [code, reason];
    if (this.#onClose && (this.#onMessage || this.#early.length === 0)) this.#deliverClose();
  }

  #deliverClose(): void {
    if (this.#closeDelivered || !this.#closed || !this.#onClose) return;
    this.#closeDelivered = true;
    this.#onClose(this.#closed[0], this.#closed[1]);
  }
}

/** The part of the WHATWG WebSocket this transport uses. */
interface WhatwgWebSocket {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, cb: (ev: { data?: unknown; code?: number; reason?: string }) => void): void;
}
type WhatwgWebSocketCtor = new (url: string) => WhatwgWebSocket;

/** Transport on `globalThis.WebSocket` (or a given constructor with the same API). */
export class WebSocketTransport implements Transport {
  readonly #ctor: WhatwgWebSocketCtor;

  constructor(ctor?: unknown) {
    const c = ctor ?? (globalThis as { WebSocket?: unknown }).WebSocket;
    if (typeof c !== 'function') {
      throw new Error('WebSocketTransport: no WebSocket on this platform; in Node 20 use NodeWsTransport');
    }
    this.#ctor = c as WhatwgWebSocketCtor;
  }

  connect(url: string): Promise<Socket> {
    return new Promise((resolve, reject) => {
      let ws: WhatwgWebSocket;
      try {
        ws = new this.#ctor(url);
      } catch (err) {
        reject(err);
        return;
      }
      ws.binaryType = 'arraybuffer';
      const cbs = new SocketCallbacks();
      let opened = false;
      ws.addEventListener('open', () => {
        opened = true;
        resolve({
          send: (frame) => ws.send(frame),
          close: (code, reason) => {
            try {
              ws.close(code, reason);
            } catch {
              ws.close();
            }
          },
          onMessage: (cb) => cbs.setMessage(cb),
          onClose: (cb) => cbs.setClose(cb),
          get bufferedAmount() {
            return ws.bufferedAmount;
          },
        });
      });
      ws.addEventListener('message', (ev) => {
        // The relay sends binary frames only; a text message is not a frame and is ignored.
        if (ev.data instanceof ArrayBuffer) cbs.message(new Uint8Array(ev.data));
      });
      ws.addEventListener('close', (ev) => {
        if (!opened) reject(new Error(`WebSocket to ${url} closed before opening (code ${ev.code ?? 1006})`));
        cbs.close(ev.code ?? 1006, ev.reason ?? '');
      });
      ws.addEventListener('error', () => {
        if (!opened) reject(new Error(`WebSocket to ${url} failed to open`));
      });
    });
  }
}
