/**
 * What the relay does to a connection's raw socket and to `ws`'s parser, per connection, to
 * keep the cost of a new session down (bench/results/sessions-profile.md): writes held until
 * the end of a turn so a turn's messages leave in one write, and a parser that ends once.
 */
import { Writable, type Duplex } from 'node:stream';
import type { WebSocket } from 'ws';

/**
 * Holds a socket's writes until the end of this turn of the event loop (after its
 * microtasks), so that messages sent in between leave in one write: one syscall and one
 * packet instead of one per message. Sealing with the node backend resolves within
 * microtasks, so CHALLENGE joins the 101 response, and WELCOME, the mailbox and
 * MAILBOX_DRAINED go together. `end()` and `destroy()` are unaffected (end() flushes).
 */
export function holdWrites(socket: Duplex): void {
  socket.cork();
  // One setImmediate for every socket held in this turn, not one (and a closure) per socket.
  if (held.push(socket) === 1) setImmediate(releaseHeld);
}

let held: Duplex[] = [];

function releaseHeld(): void {
  const sockets = held;
  held = [];
  for (const s of sockets) s.uncork();
}

/**
 * ws ends its frame parser twice when a client goes without a close frame (socket 'end', then
 * 'close'); the second `end()` makes Node build an ERR_STREAM_ALREADY_FINISHED error with its
 * stack trace and formatted message, about 2 % of the relay's CPU per session when clients
 * simply disconnect (bench/results/sessions-profile.md). An `end` that returns once ending was
 * asked does the same with no error; module-level, set on each parser (no closure).
 */
function endOnce(this: Writable, ...args: unknown[]): Writable {
  if (this.writableEnded) return this;
  return (Writable.prototype.end as (...a: unknown[]) => Writable).apply(this, args);
}

/** Swaps the parser's `end` for endOnce (ws's `_receiver`; left alone if ws ever renames it). */
export function endParserOnce(ws: WebSocket): void {
  const receiver = (ws as unknown as { _receiver?: unknown })._receiver;
  if (receiver instanceof Writable) (receiver as { end: unknown }).end = endOnce;
}
