/**
 * A WebSocket front for one relay node: every client connection is carried, message for
 * message, to the node behind it, until the test makes the node leave. `drain()` is a node
 * leaving gracefully (spec close_code reconnect_elsewhere: every client is told to reconnect
 * elsewhere, new connections are refused); `kill()` a node dying (sockets dropped without a
 * close frame, new connections refused); `refuse()` and `accept()` a node down and back up
 * (a refused connection is dropped before the WebSocket upgrade). Clients cannot tell the front
 * from the node: they handshake with the relay behind it, whose keys they pinned.
 *
 * It stands in for the relay's own graceful shutdown in a cluster, which closes with the same
 * code, so the clients' failover can be tested against any relay.
 */
import { createServer, type Server } from 'node:http';
import { CloseCode } from '@parley/generated';
import WebSocket, { WebSocketServer } from 'ws';

export interface NodeFront {
  /** ws://127.0.0.1:PORT/ */
  readonly url: string;
  /** Client connections carried now. */
  readonly connections: number;
  /** Client connections accepted so far. */
  readonly accepted: number;
  /** Refuses new connections (those open stay). */
  refuse(): void;
  /** Takes new connections again. */
  accept(): void;
  /** Closes every client with reconnect_elsewhere and refuses new ones. */
  drain(): Promise<void>;
  /** Drops every client without a close frame and refuses new ones. */
  kill(): Promise<void>;
  /** Stops the front (also after drain or kill). */
  close(): Promise<void>;
}

/**
 * `target`: the node's ws:// URL, or a function giving it when a client connects (a node that
 * must list its front in its own well-known document is started after the front).
 */
export async function startNodeFront(target: string | (() => string), o: { refusing?: boolean } = {}): Promise<NodeFront> {
  const http: Server = createServer((_req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const pairs = new Set<{ client: WebSocket; node: WebSocket }>();
  let accepted = 0;
  let open = o.refusing !== true;
  let listening = true;

  http.on('upgrade', (req, socket, head) => {
    if (!open) {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (client) => {
      accepted++;
      const node = new WebSocket(typeof target === 'string' ? target : target(), { perMessageDeflate: false });
      const pair = { client, node };
      pairs.add(pair);
      const early: Buffer[] = [];
      client.on('message', (data: Buffer) => {
        if (node.readyState === WebSocket.OPEN) node.send(data);
        else early.push(data);
      });
      node.on('open', () => {
        for (const d of early.splice(0)) node.send(d);
      });
      node.on('message', (data: Buffer) => {
        if (client.readyState === WebSocket.OPEN) client.send(data);
      });
      // a close on one side is passed on with its code (the node's own codes reach the client)
      node.on('close', (code, reason) => {
        pairs.delete(pair);
        if (client.readyState === WebSocket.OPEN) client.close(code >= 4000 || code === 1000 ? code : 1001, reason);
      });
      client.on('close', () => {
        pairs.delete(pair);
        node.terminate();
      });
      node.on('error', () => client.terminate());
      client.on('error', () => node.terminate());
    });
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  const a = http.address();
  const port = typeof a === 'object' && a !== null ? a.port : 0;

  const stopListening = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    open = false;
    const closed = new Promise<void>((ok) => http.close(() => ok()));
    http.closeAllConnections();
    await closed;
  };
  const ended = (p: { client: WebSocket }) =>
    new Promise<void>((ok) => {
      if (p.client.readyState === WebSocket.CLOSED) ok();
      else p.client.once('close', () => ok());
    });

  return {
    url: `ws://127.0.0.1:${port}/`,
    get connections() {
      return pairs.size;
    },
    get accepted() {
      return accepted;
    },
    refuse() {
      open = false;
    },
    accept() {
      open = true;
    },
    async drain() {
      const all = [...pairs];
      open = false;
      for (const p of all) {
        p.client.close(CloseCode.reconnectElsewhere, 'node leaving');
        p.node.close(1000, 'front draining');
      }
      await Promise.all(all.map(ended));
    },
    async kill() {
      const all = [...pairs];
      open = false;
      for (const p of all) {
        p.client.terminate();
        p.node.terminate();
      }
      await Promise.all(all.map(ended));
    },
    async close() {
      for (const p of [...pairs]) {
        p.client.terminate();
        p.node.terminate();
      }
      await stopListening();
      http.closeAllConnections();
    },
  };
}
