/**
 * One message. Our own texts can be edited and deleted (the engine allows nothing else);
 * deleting asks for a second click. Actions are real buttons, reachable by keyboard; they float
 * beside the bubble (shown on hover or focus) and take no room, so messages sit without gaps.
 */
import { Show, createSignal } from 'solid-js';
import type { FileProgress, HistoryItem, StoredFile } from '../messages/protocol.ts';
import { FileAttachment, type FileAttachmentProps } from './FileAttachment.tsx';
import { StatusIcon } from './StatusIcon.tsx';
import { isOnlyEmoji } from './grouping.ts';

export interface MessageBubbleProps {
  item: HistoryItem;
  progress?: FileProgress;
  /** A file's speed, why it ended, and its transfer controls (FileAttachment). */
  transfer?: Pick<FileAttachmentProps, 'rate' | 'ended' | 'onPause' | 'onResume' | 'onCancel' | 'onRetry'>;
  loadFile: (fileId: string) => Promise<StoredFile | undefined>;
  onEdit: (item: HistoryItem) => void;
  onDelete: (item: HistoryItem) => void;
  /** First and last of a run of messages from the same side (grouping.ts); both by default. */
  groupStart?: boolean;
  groupEnd?: boolean;
}

export function MessageBubble(props: MessageBubbleProps) {
  const [confirming, setConfirming] = createSignal(false);
  const mine = () => props.item.dir === 'out';
  const time = () => new Date(props.item.sentAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const canAct = () => mine() && !props.item.deleted && !props.item.id.startsWith('local-');

  return (
    <li
      classList={{ msg: true, 'msg-out': mine(), 'msg-in': !mine(), 'msg-deleted': !!props.item.deleted, 'group-start': props.groupStart !== false, 'group-end': props.groupEnd !== false, 'msg-emoji': props.item.kind === 'text' && !props.item.deleted && isOnlyEmoji(props.item.text) }}
      data-testid="message"
      data-id={props.item.id}
      data-status={props.item.status ?? ''}
    >
      <div class="bubble">
        <Show when={!props.item.deleted} fallback={<p class="msg-text deleted-text">This message was deleted</p>}>
          <Show when={props.item.kind === 'file' && props.item.file} fallback={<p class="msg-text">{props.item.text}</p>}>
            <FileAttachment file={props.item.file!} load={() => props.loadFile(props.item.file!.fileId)} dir={props.item.dir === 'in' ? 'in' : 'out'} {...(props.progress ? { progress: props.progress } : {})} {...(props.transfer ?? {})} />
          </Show>
        </Show>
        <p class="msg-meta">
          <Show when={props.item.editedAt && !props.item.deleted}>
            <span class="edited">edited · </span>
          </Show>
          <time>{time()}</time>
          <Show when={mine() && props.item.status}>{(s) => <StatusIcon status={s()} />}</Show>
        </p>
      </div>
      <Show when={canAct()}>
        <div class="msg-actions">
          <Show when={props.item.kind === 'text'}>
            <button type="button" class="small-button" onClick={() => props.onEdit(props.item)}>
              Edit
            </button>
          </Show>
          <Show
            when={confirming()}
            fallback={
              <button type="button" class="small-button" onClick={() => setConfirming(true)}>
                Delete
              </button>
            }
          >
            <button type="button" class="small-button danger" onClick={() => props.onDelete(props.item)}>
              Delete for both
            </button>
            <button type="button" class="small-button" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </Show>
        </div>
      </Show>
    </li>
  );
}
