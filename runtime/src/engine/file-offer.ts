/**
 * Offering a file (files.ts `send`): the source is read once into a spooled copy while its digest
 * is computed (file-send.ts), then the offer goes into the outbox in one batch with the
 * transfer's record; the chunks follow as the window allows.
 */
import { FILE_CHUNK_SIZE, FILE_ID_SIZE, MAX_FILENAME_BYTES, MAX_FILE_SIZE, MAX_MIME_BYTES, MessageType } from '@parley/generated';
import { toHex } from '../crypto/index.ts';
import { EngineError } from './errors.ts';
import type { OutgoingFileProgress } from './file-progress.ts';
import { fileDigestHasher } from './file-in.ts';
import { bitmap, type FileSource, type OutgoingFiles } from './file-send.ts';
import type { Outbox } from './outbox.ts';
import type { Clock, Send } from './parts.ts';
import type { Store } from './storage.ts';
import type { Contact } from './types.ts';

export interface OfferDeps {
  clock: Clock;
  store: Store;
  outbox: Pick<Outbox, 'reserve'>;
  outgoing: OutgoingFiles;
  send: Pick<Send, 'sealDurable' | 'commit' | 'exclusive'>;
  progress: OutgoingFileProgress;
}

/** A source over bytes in memory. */
export function bytesSource(bytes: Uint8Array): FileSource {
  return { size: bytes.length, read: async (at, n) => bytes.subarray(at, at + n) };
}

export async function offerFile(ctx: OfferDeps, c: Contact, file: { name: string; mime?: string; bytes?: Uint8Array; source?: FileSource }): Promise<{ id: string; fileId: string }> {
  const src = file.source ?? (file.bytes instanceof Uint8Array ? bytesSource(file.bytes) : undefined);
  if (!src) throw new TypeError('file.bytes must be a Uint8Array (or file.source a reader)');
  const mime = file.mime ?? '';
  if (src.size > MAX_FILE_SIZE) throw new EngineError('TOO_LARGE', `a file may have at most ${MAX_FILE_SIZE} bytes, got ${src.size}`);
  const nameLen = new TextEncoder().encode(file.name).length;
  if (nameLen < 1 || nameLen > MAX_FILENAME_BYTES) throw new EngineError('TOO_LARGE', `a file name has 1 to ${MAX_FILENAME_BYTES} bytes, got ${nameLen}`);
  if (new TextEncoder().encode(mime).length > MAX_MIME_BYTES) throw new EngineError('TOO_LARGE', `a MIME type has at most ${MAX_MIME_BYTES} bytes`);
  const chunkCount = Math.ceil(src.size / FILE_CHUNK_SIZE);
  // Queued chunks count like outbox messages, as when they were outbox entries: bounds the
  // spooled copies on disk (OUTBOX_MAX_MESSAGES chunks, about 480 MB).
  const slot = ctx.outbox.reserve(1 + chunkCount + ctx.outgoing.unacked());
  try {
    const fileIdBytes = ctx.clock.randomBytes(FILE_ID_SIZE);
    const fileId = toHex(fileIdBytes);
    const digest = await ctx.outgoing.spool(fileId, src, fileDigestHasher());
    // in the contact's send lane: a v2 session's state lands in seal order (Sender.exclusive)
    const { offer, rec } = await ctx.send.exclusive(c, async () => {
      const offer = await ctx.send.sealDurable(
        c,
        { type: MessageType.fileOffer, body: { fileId: fileIdBytes, name: file.name, mime, size: src.size, chunkSize: FILE_CHUNK_SIZE, chunkCount, digest } },
        { fileId, history: { kind: 'file', file: { fileId, name: file.name, mime, size: src.size, state: 'sending' } } },
      );
      const rec = { contact: c.key, fileId, msgId: offer.entry.msgId, size: src.size, chunkCount, acked: bitmap(chunkCount), createdAt: ctx.clock.now() };
      try {
        await ctx.store.batch(chunkCount > 0 ? [...offer.ops, ctx.outgoing.recordOp(rec)] : offer.ops);
      } catch (err) {
        await ctx.outgoing.forget(fileId);
        throw err;
      }
      return { offer, rec };
    });
    ctx.progress.start(c.key, fileId, { total: chunkCount, size: src.size, delivered: 0, sent: 0 });
    if (chunkCount > 0) ctx.outgoing.add(rec);
    else await ctx.outgoing.forget(fileId);
    ctx.send.commit([offer]);
    return { id: offer.entry.msgId, fileId };
  } finally {
    slot.release();
  }
}
