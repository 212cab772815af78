/**
 * The state of an incoming file transfer (files.ts): its record, the bitmap of chunks held in its
 * part file, the open group of chunks waiting to be made durable; and the file digest.
 */
import { Contexts, FILE_CHUNK_SIZE, FileCancelReasonNames, type FileCancel } from '@parley/generated';
import { Blake3Hasher, equalBytes } from '../crypto/index.ts';
import type { BlobStore } from './blobs.ts';
import { bitmap, countBits } from './file-send.ts';
import type { StoreOp } from './storage.ts';
import type { FileFailed } from './types.ts';

/** A streaming DK(file digest, content) (spec derivations.file_digest). */
export function fileDigestHasher(): { update(b: Uint8Array): void; digest(): Uint8Array } {
  return Blake3Hasher.deriveKey(Contexts.fileDigest);
}

export function fileDigest(content: Uint8Array): Uint8Array {
  const h = fileDigestHasher();
  for (let at = 0; at < content.length; at += FILE_CHUNK_SIZE) h.update(content.subarray(at, at + FILE_CHUNK_SIZE));
  return h.digest();
}

export interface InMeta {
  contact: string;
  fileId: string;
  /** The offer's message id. */
  msgId: string;
  name: string;
  mime: string;
  size: number;
  chunkSize: number;
  chunkCount: number;
  digest: Uint8Array;
  /** The offer is held for ordering (order.ts): chunks are stored, the record and events wait. */
  held?: boolean;
  /** Complete and emitted; the part file kept until the app releases it (holdReceivedFiles). */
  done?: boolean;
  /** Cancelled by the sender while the offer was held: a tombstone until the offer is acted on. */
  cancelled?: boolean;
  /** The offer's timestamp (sender's clock): the transfer expires when it leaves the replay window. */
  sentAt?: number;
  /** Chunks durable in the part file (bit i: chunk i). */
  have?: Uint8Array;
}

/** Chunks written but not yet durable, with what waits for them. */
export interface Group {
  fresh: number[];
  /** The part-file writes of `fresh`: each resolves with its error, if any. */
  writes: Promise<unknown>[];
  ops: StoreOp[];
  acks: (() => void)[];
  timer?: ReturnType<typeof setTimeout>;
}

export interface InT {
  meta: InMeta;
  /** Chunks in the part file (durable or in the open group). */
  have: Uint8Array;
  /** Chunks durable (what the record says), and how many. */
  durable: Uint8Array;
  durableCount: number;
  count: number;
  group: Group;
  /** Groups being made durable, one after another (outside the receive lane: chunks keep coming meanwhile). */
  flushing: Promise<void>;
  /** Removed (cancelled, failed, released): groups still syncing only acknowledge. */
  dropped?: boolean;
  completing?: boolean;
}

export const inBlob = (contact: string, fileId: string) => `in-${contact}-${fileId}`;

/** A received name without any path, control characters or leading dots. */
export function safeName(name: string): string {
  const base = name.split(/[\\/]/).pop()!.replace(/[\u0000-\u001f\u007f]/g, '').replace(/^\.+/, '').trim();
  return base === '' ? 'file' : base;
}


/** The in-memory state of a transfer from its record. */
export function freshIn(meta: InMeta): InT {
  const have = meta.have?.slice() ?? bitmap(meta.chunkCount);
  const count = countBits(have, meta.chunkCount);
  return { meta, have, durable: have.slice(), count, durableCount: count, group: { fresh: [], writes: [], ops: [], acks: [] }, flushing: Promise.resolve() };
}

/** True if the part file holds every chunk and its digest matches the offer's (streamed). */
export async function verifyPart(blobs: BlobStore, m: InMeta): Promise<boolean> {
  const h = fileDigestHasher();
  const blob = inBlob(m.contact, m.fileId);
  for (let i = 0; i < m.chunkCount; i++) {
    const want = Math.min(m.chunkSize, m.size - i * m.chunkSize);
    const data = await blobs.read(blob, i * m.chunkSize, want);
    if (data.length !== want) return false;
    h.update(data);
  }
  return equalBytes(h.digest(), m.digest);
}

/** What a received cancel means to this side's history and events. */
export function cancelReason(c: FileCancel): FileFailed['reason'] {
  const n = FileCancelReasonNames[c.reason];
  return n === 'too_large' || n === 'corrupt' ? n : 'cancelled';
}
