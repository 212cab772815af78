/**
 * Engines in their own processes for file transfers through a real relay (issue 19): the files
 * bench (bench/files) and the engine's bounded-memory test
 * (runtime/test/engine/a-large-file-transfer-keeps-both-engines-memory-bounded.test.ts) drive
 * the same child, engine-peer.ts, so a bench row and a test measure the same thing.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PeerCommand, PeerReply } from './engine-peer.ts';
import { ENGINE_NODE_FLAGS } from '@parley/runtime/node';

export type { PeerCommand, PeerReply } from './engine-peer.ts';

const PEER = fileURLToPath(new URL('./engine-peer.ts', import.meta.url));
/** Longest a child may take to load and listen (or connect) on a loaded 2-core machine. */
const START_TIMEOUT_MS = 60_000;
/** Longest a peer may take to invite, add or accept a contact, or take a mark. */
const SETUP_TIMEOUT_MS = 30_000;
/** Longest `stop` waits for a child to exit before it is killed. */
const STOP_TIMEOUT_MS = 10_000;

/** Forks a TypeScript module under tsx and waits for its first IPC message, `{ ready }`. */
export function forkReady<T>(file: string, args: string[], execArgv: string[] = []): Promise<{ child: ChildProcess; ready: T }> {
  return new Promise((ok, fail) => {
    const child = fork(file, args, { execArgv: ['--import', 'tsx', '--expose-gc', ...execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const t = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${file} did not start within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    child.once('message', (m: { ready: T }) => {
      clearTimeout(t);
      ok({ child, ready: m.ready });
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      fail(new Error(`${file} exited with ${code} before it was ready`));
    });
    child.once('error', fail);
  });
}

/** Asks a child to stop (IPC `message`), SIGKILL after STOP_TIMEOUT_MS; resolves when it exited. */
export function stopChild(child: ChildProcess, message: unknown = 'stop'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((ok) => {
    child.once('exit', () => ok());
    if (child.connected) child.send(message as string);
    else child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS).unref();
  });
}

/** Where a peer connects: the relay's port on 127.0.0.1 and its public keys, hex. */
export interface PeerRelay {
  port: number;
  x: string;
  ed: string;
}

/** One engine-peer.ts process, driven over IPC. */
export class Peer {
  readonly child: ChildProcess;
  readonly #waiters: { take: (r: PeerReply) => boolean; fail: (e: Error) => void }[] = [];

  constructor(child: ChildProcess) {
    this.child = child;
    child.on('message', (r: PeerReply) => {
      // a failure in the peer fails whatever waits on it
      if ('error' in r) for (const w of this.#waiters.splice(0)) w.fail(new Error(`engine peer: ${r.error}`));
      const i = this.#waiters.findIndex((w) => w.take(r));
      if (i >= 0) this.#waiters.splice(i, 1);
    });
    child.on('exit', (code) => {
      for (const w of this.#waiters.splice(0)) w.fail(new Error(`engine peer exited with ${code}`));
    });
  }

  /** `execArgv`: more Node options for the child, e.g. --cpu-prof for the bench's profile. */
  static async start(relay: PeerRelay, name: string, execArgv: string[] = []): Promise<Peer> {
    // run as wschat runs (its bin's shebang): the heap flags are part of the memory bound
    const { child } = await forkReady<true>(PEER, [`ws://127.0.0.1:${relay.port}/`, relay.x, relay.ed, name], [...ENGINE_NODE_FLAGS, ...execArgv]);
    return new Peer(child);
  }

  /** Sends a command (none: only waits) and resolves with the first reply `pick` accepts. */
  ask<R>(cmd: PeerCommand | undefined, pick: (r: PeerReply) => R | undefined, timeoutMs: number): Promise<R> {
    return new Promise((ok, fail) => {
      const t = setTimeout(() => fail(new Error(`engine peer: no answer to ${cmd?.cmd ?? 'wait'} within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push({
        take: (r) => {
          const v = pick(r);
          if (v === undefined) return false;
          clearTimeout(t);
          ok(v);
          return true;
        },
        fail: (e) => {
          clearTimeout(t);
          fail(e);
        },
      });
      if (cmd) this.child.send(cmd);
    });
  }

  /** Collects garbage and starts a new RSS measurement (and new chunk timings) in the peer. */
  mark(): Promise<true> {
    return this.ask({ cmd: 'mark' }, (r) => ('ready' in r ? true : undefined), SETUP_TIMEOUT_MS);
  }

  stop(): Promise<void> {
    return stopChild(this.child, { cmd: 'stop' });
  }
}

export interface EnginePair {
  sender: Peer;
  receiver: Peer;
  /** The receiver's contact key, as the sender knows it. */
  contact: string;
}

/** Two engines in their own processes that are contacts of each other. */
export async function enginePair(relay: PeerRelay, execArgv: string[] = []): Promise<EnginePair> {
  const sender = await Peer.start(relay, 'sender', execArgv);
  const receiver = await Peer.start(relay, 'receiver', execArgv).catch(async (e: unknown) => {
    await sender.stop();
    throw e;
  });
  const invite = await receiver.ask({ cmd: 'invite' }, (r) => ('invite' in r ? r.invite : undefined), SETUP_TIMEOUT_MS);
  const accepted = receiver.ask(undefined, (r) => ('contact' in r ? r.contact : undefined), SETUP_TIMEOUT_MS);
  const contact = await sender.ask({ cmd: 'add', invite }, (r) => ('contact' in r ? r.contact : undefined), SETUP_TIMEOUT_MS);
  await accepted;
  return { sender, receiver, contact };
}

export type Sent = Extract<PeerReply, { queued: true }>;
export type Received = Extract<PeerReply, { received: true }>;
export type Delivered = Extract<PeerReply, { delivered: true }>;

/**
 * Marks both peers, then has the sender write a file of `size` random bytes to disk and send it
 * from there; resolves when the receiver has it whole and the sender saw every chunk acknowledged.
 */
export async function sendThrough(p: EnginePair, size: number, timeoutMs: number): Promise<{ sent: Sent; received: Received; delivered: Delivered }> {
  await p.sender.mark();
  await p.receiver.mark();
  const received = p.receiver.ask(undefined, (r) => ('received' in r ? r : undefined), timeoutMs);
  const delivered = p.sender.ask(undefined, (r) => ('delivered' in r ? r : undefined), timeoutMs);
  // awaited below; without these a failed send would leave them rejecting unobserved
  received.catch(() => undefined);
  delivered.catch(() => undefined);
  const sent = await p.sender.ask({ cmd: 'send', contact: p.contact, size }, (r) => ('queued' in r ? r : undefined), timeoutMs);
  return { sent, received: await received, delivered: await delivered };
}
