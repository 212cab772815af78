/**
 * What the engine's parts share (internal). The Engine builds one and hands it to each part.
 */
import type { CryptoBackend } from '../crypto/index.ts';
import type { Identity } from '../protocol/identity.ts';
import type { PairCache } from '../protocol/pair.ts';
import type { Connection } from './connection.ts';
import type { ContactBook } from './contacts.ts';
import type { FileTransfers } from './files.ts';
import type { History } from './history.ts';
import type { MailboxTokens } from './mailbox-tokens.ts';
import type { OrderIn, OrderOut } from './order.ts';
import type { Outbox } from './outbox.ts';
import type { RelayServices } from './relay-services.ts';
import type { ReplayStore } from './replay-store.ts';
import type { Sender } from './sender.ts';
import type { Serial } from './serial.ts';
import type { Store } from './storage.ts';
import type { EngineEvents } from './types.ts';

export interface Ctx {
  readonly identity: Identity;
  readonly backend: CryptoBackend;
  readonly store: Store;
  readonly now: () => number;
  readonly randomBytes: (n: number) => Uint8Array;
  /** Our display name, proposed in contact requests and accepts. */
  displayName: string;
  /** The relay this engine talks to (invites for other relays are refused). */
  readonly relay: { url: string; x: Uint8Array; ed: Uint8Array };
  /** Base of invite links (`<base>#invite=...`). */
  readonly linkBase: string;
  /** Incoming contact requests: wait for the user (default) or accept at once (services). */
  readonly autoAccept: boolean;
  /** Received files keep their chunks until released (EngineOptions.holdReceivedFiles). */
  readonly holdReceivedFiles: boolean;
  /** The lane for read-modify-write of history, outbox and transfers (see serial.ts). */
  readonly serial: Serial;
  emit<K extends keyof EngineEvents>(event: K, value: EngineEvents[K]): void;
  conn: Connection;
  pairs: PairCache;
  outbox: Outbox;
  history: History;
  orderOut: OrderOut;
  orderIn: OrderIn;
  replay: ReplayStore;
  contacts: ContactBook;
  sender: Sender;
  files: FileTransfers;
  services: RelayServices;
  mailboxTokens: MailboxTokens;
}

/** Reports an internal failure as an `error` event (the engine keeps running). */
export function report(ctx: Ctx, context: string, error: unknown): void {
  ctx.emit('error', { error, context });
}

/** Lets a Node process exit while only this timer is pending (no-op in browsers). */
export function unref<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
