/**
 * The message composer: Enter sends, Shift+Enter adds a line, Escape cancels an edit. Files are
 * attached with a real (visually hidden) file input behind a label, so it works by keyboard.
 */
import { MAX_TEXT_BYTES } from '@parley/generated';
import { Show, createEffect, createSignal } from 'solid-js';
import { Icon } from './Icon.tsx';

export interface ComposerProps {
  /** Set while editing one of our messages: its current text. */
  editing?: string;
  onSend: (text: string) => Promise<unknown>;
  onSaveEdit: (text: string) => Promise<unknown>;
  onCancelEdit: () => void;
  onFiles: (files: File[]) => Promise<unknown>;
  onError: (err: unknown) => void;
}

export function textBytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

export function Composer(props: ComposerProps) {
  const [text, setText] = createSignal('');
  let input: HTMLTextAreaElement | undefined;

  createEffect(() => {
    if (props.editing !== undefined) {
      setText(props.editing);
      input?.focus();
    }
  });

  const tooLong = () => textBytes(text()) > MAX_TEXT_BYTES;

  async function submit(): Promise<void> {
    const t = text().trim();
    if (!t || tooLong()) return;
    const editing = props.editing !== undefined;
    setText('');
    try {
      await (editing ? props.onSaveEdit(t) : props.onSend(t));
    } catch (err) {
      setText(t);
      props.onError(err);
    }
    input?.focus();
  }

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Show when={props.editing !== undefined}>
        <div class="editing-bar">
          <span>Editing message</span>
          <button
            type="button"
            class="link-button"
            onClick={() => {
              setText('');
              props.onCancelEdit();
            }}
          >
            Cancel
          </button>
        </div>
      </Show>
      <div class="composer-row">
        <label class="icon-button attach" title="Attach a file">
          <Icon name="clip" />
          <span class="sr-only">Attach a file</span>
          <input
            type="file"
            multiple
            class="visually-hidden-input"
            data-testid="file-input"
            onChange={(e) => {
              const files = [...(e.currentTarget.files ?? [])];
              e.currentTarget.value = '';
              if (files.length) props.onFiles(files).catch(props.onError);
            }}
          />
        </label>
        <textarea
          ref={input}
          rows={1}
          aria-label={props.editing !== undefined ? 'Edit message' : 'Message'}
          placeholder="Message"
          value={text()}
          aria-invalid={tooLong()}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              void submit();
            } else if (e.key === 'Escape' && props.editing !== undefined) {
              setText('');
              props.onCancelEdit();
            }
          }}
        />
        <button type="submit" class="primary send" disabled={!text().trim() || tooLong()}>
          {props.editing !== undefined ? 'Save' : 'Send'}
        </button>
      </div>
      <Show when={tooLong()}>
        <p class="form-error" role="alert">
          Too long: at most {MAX_TEXT_BYTES} bytes.
        </p>
      </Show>
    </form>
  );
}
