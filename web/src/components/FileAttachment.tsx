/**
 * A file message: images inline, other files as a download link, with a progress bar while the
 * transfer runs. Bytes come from `load` (the app's file shelf in the worker) as a blob: URL,
 * revoked when the view goes away. SVG is offered as a download only, never rendered.
 */
import { Match, Show, Switch, createResource, onCleanup } from 'solid-js';
import type { FileProgress, HistoryItem, StoredFile } from '../messages/protocol.ts';
import { Icon } from './Icon.tsx';

type HistoryFile = NonNullable<HistoryItem['file']>;

export interface FileAttachmentProps {
  file: HistoryFile;
  progress?: FileProgress;
  load: () => Promise<StoredFile | undefined>;
}

const INLINE = /^image\/(png|jpeg|gif|webp|avif|bmp)$/;
const REVOKE_DELAY_MS = 10_000;

export function formatSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function FileAttachment(props: FileAttachmentProps) {
  const available = () => (props.file.state === 'receiving' || props.file.state === 'failed' ? undefined : props.file.fileId);
  const urls: string[] = [];
  const [blob] = createResource(available, async () => {
    const f = await props.load();
    if (!f) return undefined;
    const url = URL.createObjectURL(new Blob([f.bytes as Uint8Array<ArrayBuffer>], { type: f.mime || 'application/octet-stream' }));
    urls.push(url);
    return { url, mime: f.mime, name: f.name };
  });
  // Revoked a little later: an image still decoding when its view goes away must not fail.
  onCleanup(() => setTimeout(() => urls.forEach((u) => URL.revokeObjectURL(u)), REVOKE_DELAY_MS));

  const pct = () => (props.progress ? Math.round((100 * props.progress.chunks) / Math.max(1, props.progress.totalChunks)) : 0);

  return (
    <div class="file">
      <Switch>
        <Match when={blob() && INLINE.test(blob()!.mime)}>
          <a href={blob()!.url} download={props.file.name} class="file-image-link">
            <img class="file-image" src={blob()!.url} alt={props.file.name} data-testid="image" />
          </a>
        </Match>
        <Match when={true}>
          <div class="file-row">
            <Icon name="file" class="file-icon" />
            <span class="file-meta">
              <Show when={blob()} fallback={<span class="file-name">{props.file.name}</span>}>
                <a class="file-name" href={blob()!.url} download={props.file.name} data-testid="download">
                  {props.file.name}
                </a>
              </Show>
              <span class="file-size">
                {formatSize(props.file.size)}
                {props.file.state === 'failed' ? ' · failed' : props.file.state === 'receiving' ? ' · receiving' : ''}
              </span>
            </span>
          </div>
        </Match>
      </Switch>
      <Show when={props.progress}>
        <label class="progress">
          <span class="sr-only">{props.progress!.direction === 'in' ? 'Receiving' : 'Sending'} {props.file.name}</span>
          <progress max={100} value={pct()} data-testid="progress" />
          <span class="progress-text" aria-hidden="true">
            {pct()}%
          </span>
        </label>
      </Show>
    </div>
  );
}
