/**
 * A file message: images inline, other files as a download link, with a progress bar while the
 * transfer runs, and for large or long transfers the speed and time left as text (read by screen
 * readers with the bar; transfer-rate.ts). The sender can pause, resume and cancel; the receiver
 * can cancel; a sent file that ended without arriving can be sent again. Bytes come from `load` (the app's file shelf in the worker) as a blob: URL,
 * revoked when the view goes away. SVG is offered as a download only, never rendered.
 */
import { Match, Show, Switch, createResource, onCleanup } from 'solid-js';
import type { FileFailed, FileProgress, HistoryItem, StoredFile } from '../messages/protocol.ts';
import { formatSpeed, formatTimeLeft, worthShowing, type Rate } from '../stores/transfer-rate.ts';
import { Icon } from './Icon.tsx';

type HistoryFile = NonNullable<HistoryItem['file']>;

export interface FileAttachmentProps {
  file: HistoryFile;
  progress?: FileProgress;
  load: () => Promise<StoredFile | undefined>;
  /** Our file (sending) or theirs (receiving). */
  dir?: 'in' | 'out';
  rate?: Rate;
  /** Why the transfer ended without the file, when known. */
  ended?: FileFailed['reason'];
  /** Transfer controls; a control shows only when its handler is given and it applies. */
  onPause?: () => void;
  onResume?: () => void;
  onCancel?: () => void;
  onRetry?: () => void;
}

const ENDED: Record<FileFailed['reason'], string> = {
  cancelled: 'cancelled',
  too_large: 'refused (too large)',
  corrupt: 'failed (damaged)',
  invalid: 'failed',
  expired: 'failed (took too long)',
};

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

  const running = () => props.file.state === 'sending' || props.file.state === 'receiving';
  const paused = () => props.progress?.paused ?? !!props.file.paused; // the record says so before any progress event
  const shownRate = () => (props.progress && !paused() && worthShowing(props.file.size, props.rate) ? props.rate : undefined);
  const status = () => {
    // the event's reason while the view is open, the history's after a reload
    const ended = props.ended ?? props.file.reason;
    if (props.file.state === 'failed') return ` · ${ended ? ENDED[ended] : 'failed'}`;
    if (paused()) return ' · paused';
    return props.file.state === 'receiving' ? ' · receiving' : '';
  };
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
                <span data-testid="file-status">{status()}</span>
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
      <Show when={shownRate()}>
        {(r) => (
          <p class="transfer-rate" data-testid="transfer-rate">
            <span data-testid="speed">{formatSpeed(r().bytesPerSecond)}</span> · <span data-testid="time-left">{formatTimeLeft(r().secondsLeft)}</span>
          </p>
        )}
      </Show>
      <div class="transfer-actions">
        <Show when={running() && props.dir === 'out' && props.progress && !paused() && props.onPause}>
          <button type="button" class="small-button" aria-label={`Pause ${props.file.name}`} onClick={() => props.onPause!()}>
            Pause
          </button>
        </Show>
        <Show when={running() && props.dir === 'out' && paused() && props.onResume}>
          <button type="button" class="small-button" aria-label={`Resume ${props.file.name}`} onClick={() => props.onResume!()}>
            Resume
          </button>
        </Show>
        <Show when={running() && props.onCancel}>
          <button type="button" class="small-button" aria-label={`Cancel ${props.file.name}`} onClick={() => props.onCancel!()}>
            Cancel
          </button>
        </Show>
        <Show when={props.file.state === 'failed' && props.dir === 'out' && props.onRetry}>
          <button type="button" class="small-button" aria-label={`Send again: ${props.file.name}`} onClick={() => props.onRetry!()}>
            Send again
          </button>
        </Show>
      </div>
    </div>
  );
}
