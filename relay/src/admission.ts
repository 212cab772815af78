/**
 * Admission of TCP connections at accept time, before any byte is read (spec/DESIGN.md,
 * "Relay abuse bounds"). Every accepted socket counts, HTTP or WebSocket, whether or not it
 * ever sends anything:
 * - per source (address.ts: IPv4 address, IPv6 /64) at most `maxPerSource` sockets;
 * - in total at most `maxTotal`, which stays below the process's descriptor limit by a
 *   reserve (limits.ts `fdReserve`), so the relay never runs out of descriptors for files,
 *   its metrics listener or the next accept;
 * - a socket is "pending" until it completes an HTTP request or the WebSocket upgrade; a
 *   pending socket is destroyed after `pendingTimeoutMs`, and at most `maxPending` are held:
 *   the oldest pending socket makes room for a new one. Silent sockets therefore hold at most
 *   `maxPending` slots, each for a few seconds, and a new client always gets in unless the
 *   relay is full of live sessions.
 */
import type { Socket } from 'node:net';
import { sourceKey } from './address.ts';
import { Deadlines } from './deadlines.ts';

export interface AdmissionLimits {
  maxPerSource: number;
  /** Sources exempt from maxPerSource: trusted load balancers, whose clients are counted at the upgrade. */
  exempt?: ReadonlySet<string>;
  maxTotal: number;
  maxPending: number;
  pendingTimeoutMs: number;
}

/** Why a socket was refused or cut (counted in the metrics). */
export type AdmissionDrop = 'too_many_connections' | 'pending_timeout' | 'pending_evicted';

/** Marks a socket already released (counted out), so its later 'close' does not count it twice. */
const released = new WeakSet<Socket>();
const SOURCE = Symbol('admission source');
const ADMISSION = Symbol('admission');
type AdmittedSocket = Socket & { [SOURCE]?: string; [ADMISSION]?: Admission };

function onAdmittedClose(this: Socket): void {
  (this as AdmittedSocket)[ADMISSION]?.release(this);
}

export class Admission {
  readonly #bySource = new Map<string, number>();
  /** Pending sockets, oldest first, under one shared timer (deadlines.ts). */
  readonly #pending: Deadlines<Socket>;
  #total = 0;

  constructor(
    readonly limits: AdmissionLimits,
    readonly dropped: (why: AdmissionDrop) => void,
  ) {
    this.#pending = new Deadlines(limits.pendingTimeoutMs, (socket) => {
      this.release(socket);
      this.dropped('pending_timeout');
      socket.destroy();
    });
  }

  /** Called for every accepted socket; destroys it at once if over a bound. */
  accept(socket: Socket): void {
    const key = sourceKey(socket.remoteAddress);
    const L = this.limits;
    const held = this.#bySource.get(key) ?? 0;
    if (held >= L.maxPerSource && L.exempt?.has(key) !== true) return this.#refuse(socket);
    if (this.#total >= L.maxTotal && !this.#evictOldestPending()) return this.#refuse(socket);
    if (this.#pending.size >= L.maxPending) this.#evictOldestPending();
    this.#bySource.set(key, held + 1);
    this.#total++;
    this.#pending.add(socket);
    // Kept on the socket for its 'close' and for an eviction (which releases it at once:
    // destroy() frees the descriptor now, 'close' comes a turn later). A module-level listener,
    // not a closure: an idle connection should hold as little as possible.
    const s = socket as AdmittedSocket;
    s[SOURCE] = key;
    s[ADMISSION] = this;
    socket.once('close', onAdmittedClose);
  }

  /** The socket closed (or was evicted): count it out, once. */
  release(socket: Socket): void {
    this.#release(socket, (socket as AdmittedSocket)[SOURCE]!);
  }

  #release(socket: Socket, key: string): void {
    if (released.has(socket)) return;
    released.add(socket);
    this.#settle(socket);
    const n = (this.#bySource.get(key) ?? 1) - 1;
    if (n <= 0) this.#bySource.delete(key);
    else this.#bySource.set(key, n);
    this.#total--;
  }

  /**
   * An HTTP response went out and the socket stays open for another request (keep-alive): until
   * that request completes it is pending again, under the same timeout and eviction. Otherwise
   * one complete request followed by a slow second one would hold a descriptor for Node's
   * header timeout (checked only every 30 s), out of reach of eviction.
   */
  awaitingRequest(socket: Socket): void {
    const key = (socket as AdmittedSocket)[SOURCE];
    if (key === undefined || released.has(socket) || socket.destroyed || this.#pending.has(socket)) return;
    if (this.#pending.size >= this.limits.maxPending) this.#evictOldestPending();
    this.#pending.add(socket);
  }

  /** The socket completed an HTTP request or the upgrade: it is no longer pending. */
  settled(socket: Socket): void {
    this.#settle(socket);
  }

  get total(): number {
    return this.#total;
  }

  get pending(): number {
    return this.#pending.size;
  }

  #settle(socket: Socket): void {
    this.#pending.delete(socket);
  }

  #evictOldestPending(): boolean {
    const socket = this.#pending.oldest();
    if (socket === undefined) return false;
    this.release(socket);
    this.dropped('pending_evicted');
    socket.destroy();
    return true;
  }

  #refuse(socket: Socket): void {
    this.dropped('too_many_connections');
    socket.destroy();
  }
}

/**
 * The soft limit of open descriptors of this process (Linux /proc/self/limits), or undefined
 * where it cannot be read; the connection cap is kept below it by `fdReserve`.
 */
export function descriptorLimit(read: () => string): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(read());
    if (m === null || m[1] === 'unlimited') return undefined;
    return Number(m[1]);
  } catch {
    return undefined;
  }
}
