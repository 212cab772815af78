import { basename } from 'node:path';
import { FILE_CHUNK_SIZE, MAX_FILE_SIZE } from '@parley/generated';
import type { FileProgress } from '@parley/runtime/engine';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { findContact, label } from '../../contacts.ts';
import { FileError, TimeoutError } from '../../errors.ts';
import { ProgressSteps, progressEvent } from '../../events.ts';
import { ProgressBar, size, writeJson } from '../../output.ts';
import { detectMime } from '../../mime.ts';
import { readSendable } from '../../sendable.ts';
import { OnlineCommand } from '../base.ts';

export class FileSendCommand extends OnlineCommand {
  static override paths = [['file', 'send']];
  static override usage = Command.Usage({
    category: 'Files',
    description: 'send a file',
    details: `
      Offers the file and sends it in chunks (the protocol's FILE_CHUNK_SIZE), with a progress bar on a terminal. The receiver checks the whole file's digest at the end and saves it into its downloads folder. By default this waits until the receiver confirmed every chunk (\`--wait delivered\`); \`--wait sent\` stops once every chunk went to the relay. \`--timeout\` counts from the last progress. At most ${MAX_FILE_SIZE / (1 << 20)} MiB.
    `,
    examples: [
      ['Send a photo', '$0 file send bob ./photo.jpg'],
      ['Under another name', '$0 file send bob ./out.bin --name report.pdf --mime application/pdf'],
      ['Without a type (a plain download)', '$0 file send bob ./photo.jpg --mime ""'],
    ],
  });

  contact = Option.String({ name: 'contact' });
  file = Option.String({ name: 'path' });
  name = Option.String('--name', { description: "the file name they see (default: the file's own)" });
  mime = Option.String('--mime', { description: "the MIME type (default: from the file's first bytes, else its extension)" });
  wait = Option.String('--wait', 'delivered', { description: 'delivered (default) or sent', validator: t.isEnum(['sent', 'delivered'] as const) });

  protected async run(): Promise<number> {
    const { path, size: fileSize, head, source } = await readSendable(this.file);
    const name = this.name ?? basename(path);
    const timeoutMs = this.timeoutMs();
    return this.online(async (s) => {
      const c = findContact(s.engine, this.contact, ['accepted', 'requested']);
      const stderr = this.context.stderr as NodeJS.WriteStream;
      const bar = this.json ? undefined : new ProgressBar(stderr, `sending ${name}`);
      // with --json: the bridge's file-progress events and result line (one schema for both)
      const steps = new ProgressSteps();
      let fileId: string | undefined;
      let offerId: string | undefined;
      const offerDone = new Set<string>();
      let chunksDone = 0;
      let total = -1;
      let failed: string | undefined;
      let kick = (): void => undefined;
      const early: FileProgress[] = [];
      const onProgress = (p: FileProgress): void => {
        if (p.fileId !== fileId) return;
        total = p.totalChunks;
        chunksDone = this.wait === 'sent' ? (p.sent ?? p.chunks) : p.chunks;
        bar?.update(Math.min(p.size, Math.round((chunksDone / Math.max(1, p.totalChunks)) * p.size)), p.size);
        if (this.json && steps.pass(p)) writeJson(this.context.stdout, progressEvent(s.engine, p));
        kick();
      };
      const offs = [
        s.engine.on('file-progress', (p) => {
          if (p.direction !== 'out' || p.contact !== c.key) return;
          // Until sendFile answers, this file's id is unknown and another transfer to the same
          // contact (one an earlier command left, resumed now) may report too: held until then.
          if (fileId === undefined) early.push(p);
          else onProgress(p);
        }),
        s.engine.on(this.wait === 'sent' ? 'sent' : 'delivered', (e) => {
          for (const id of 'ids' in e ? e.ids : [e.id]) offerDone.add(id);
          kick();
        }),
        s.engine.on('file-failed', (f) => {
          if (f.direction === 'out' && f.fileId === fileId) {
            failed = f.reason;
            kick();
          }
        }),
      ];
      try {
        const r = await s.engine.sendFile(c.key, { name, mime: this.mime ?? detectMime(name, head), source }).finally(() => source.close());
        fileId = r.fileId;
        offerId = r.id;
        for (const p of early.splice(0)) onProgress(p);
        if (c.state === 'accepted') {
          const expected = Math.ceil(fileSize / FILE_CHUNK_SIZE);
          await new Promise<void>((resolveWait, reject) => {
            let timer = setTimeout(() => undefined, 0);
            const arm = (): void => {
              clearTimeout(timer);
              timer = setTimeout(() => reject(new TimeoutError(`no progress for ${timeoutMs / 1000} s (${chunksDone}/${expected} chunks ${this.wait}); the rest stays queued and is sent by any later wschat run`)), timeoutMs);
            };
            kick = () => {
              if (failed) {
                clearTimeout(timer);
                reject(new FileError(`${label(c)} refused the file: ${failed}`));
              } else if (offerDone.has(offerId!) && (expected === 0 || (total === expected && chunksDone >= expected))) {
                clearTimeout(timer);
                resolveWait();
              } else arm();
            };
            kick();
          });
        }
        bar?.done();
        const status = c.state === 'accepted' ? this.wait : 'queued';
        if (this.json) writeJson(this.context.stdout, { type: 'result', cmd: 'file', ok: true, data: { id: offerId!, fileId: fileId!, status } });
        else if (status === 'queued') this.out(`Queued ${name} for ${label(c)}: it goes out once they accept your request.`);
        else this.out(`${status === 'delivered' ? '✓ delivered' : 'sent'} ${name} (${size(fileSize)}) to ${label(c)}`);
        return 0;
      } finally {
        bar?.done();
        offs.forEach((off) => off());
      }
    });
  }
}
