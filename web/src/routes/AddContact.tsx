/**
 * Add a contact: show our invite (a link whose secret is in the fragment, and its QR code), or
 * use theirs (opened as a link, pasted, or scanned). Using an invite sends a contact request;
 * they must accept it before messages flow.
 */
import { Show, createEffect, createSignal, on } from 'solid-js';
import { QrCode } from '../components/QrCode.tsx';
import { QrScanner } from '../components/QrScanner.tsx';
import { Icon } from '../components/Icon.tsx';
import { useApp } from '../context.ts';
import type { InviteInfo, InvitePreview } from '../messages/protocol.ts';
import { RemoteError } from '../ui-thread/client.ts';

/**
 * Shows `err` as the sentence a person reads; its code and technical detail (e.g. BAD_INVITE,
 * MALFORMED: the invite is not valid base64url) go to the console for whoever debugs it, and
 * the code onto the message as data-code.
 */
function explain(err: unknown, show: (e: { text: string; code: string }) => void): void {
  const code = err instanceof RemoteError ? (err.code ?? '') : '';
  if (code) console.warn(`parley: ${code}${err instanceof RemoteError && err.detail ? `: ${err.detail}` : ''}`);
  show({ text: (err as Error).message, code });
}

export default function AddContact() {
  const app = useApp();
  const [invite, setInvite] = createSignal<InviteInfo>();
  const [text, setText] = createSignal('');
  const [preview, setPreview] = createSignal<InvitePreview>();
  const [name, setName] = createSignal('');
  const [note, setNote] = createSignal('');
  const [scanning, setScanning] = createSignal(false);
  const [error, setError] = createSignal<{ text: string; code: string }>();
  const [busy, setBusy] = createSignal(false);

  async function makeInvite(): Promise<void> {
    try {
      setInvite(await app.client.api.createInvite({ maxUses: 1 }));
    } catch (err) {
      app.toast((err as Error).message);
    }
  }

  async function check(value = text()): Promise<void> {
    setError(undefined);
    setPreview(undefined);
    try {
      const p = await app.client.api.previewInvite({ text: value });
      if (p.own) return void setError({ text: 'This is your own invite. Send it to the person you want to add.', code: '' });
      if (p.known) return void setError({ text: `${p.name || 'This person'} is already a contact.`, code: '' });
      setPreview(p);
      setName(p.name);
    } catch (err) {
      explain(err, setError);
    }
  }

  async function send(): Promise<void> {
    setBusy(true);
    try {
      const c = await app.contacts.add(text().trim(), { ...(name().trim() ? { name: name().trim() } : {}), ...(note().trim() ? { note: note().trim() } : {}) });
      app.setPendingInvite(undefined);
      app.toast(`Request sent to ${c.name || 'your contact'}.`);
      app.router.navigate(`/c/${c.key}`);
    } catch (err) {
      explain(err, setError);
    } finally {
      setBusy(false);
    }
  }

  createEffect(
    on(app.pendingInvite, (pending) => {
      if (!pending) return;
      setText(pending);
      void check(pending);
    }),
  );

  return (
    <section class="page" aria-labelledby="add-title">
      <header class="bar">
        <button type="button" class="icon-button back" onClick={() => app.router.navigate('/')}>
          <Icon name="back" />
          <span class="sr-only">Back</span>
        </button>
        <h2 id="add-title">Add a contact</h2>
      </header>
      <div class="page-body">
        <section class="card" aria-labelledby="use-title">
          <h3 id="use-title">Use an invite</h3>
          <label class="field">
            <span>Invite link or code</span>
            <textarea rows={3} value={text()} onInput={(e) => setText(e.currentTarget.value)} data-testid="invite-input" />
          </label>
          <div class="row">
            <button type="button" onClick={() => void check()} disabled={!text().trim()}>
              Check invite
            </button>
            <button type="button" onClick={() => setScanning(true)} disabled={scanning()}>
              Scan QR code
            </button>
          </div>
          <Show when={scanning()}>
            <QrScanner
              onResult={(t) => {
                setScanning(false);
                setText(t);
                void check(t);
              }}
              onCancel={() => setScanning(false)}
            />
          </Show>
          <Show when={error()}>
            {(e) => (
              <p class="form-error" role="alert" data-code={e().code || undefined}>
                {e().text}
              </p>
            )}
          </Show>
          <Show when={preview()}>
            {(p) => (
              <div class="preview" data-testid="invite-preview">
                <p>
                  Invite from <strong>{p().name || 'someone'}</strong>, valid until {new Date(p().expiresAt * 1000).toLocaleString()}.
                </p>
                <label class="field">
                  <span>Name for this contact</span>
                  <input value={name()} onInput={(e) => setName(e.currentTarget.value)} />
                </label>
                <label class="field">
                  <span>Greeting (optional, sent with the request)</span>
                  <input value={note()} onInput={(e) => setNote(e.currentTarget.value)} />
                </label>
                <button type="button" class="primary" onClick={() => void send()} disabled={busy()} data-testid="send-request">
                  Send contact request
                </button>
              </div>
            )}
          </Show>
        </section>
        <section class="card" aria-labelledby="own-title">
          <h3 id="own-title">Invite someone</h3>
          <p class="muted small">The link works once and expires. Its secret is after the #, which no server sees. Share it privately.</p>
          <Show
            when={invite()}
            fallback={
              <button type="button" class="primary" onClick={() => void makeInvite()} data-testid="create-invite">
                Create invite link
              </button>
            }
          >
            {(inv) => (
              <div class="invite">
                <QrCode text={inv().link} label="QR code of your invite link" />
                <label class="field">
                  <span>Your invite link</span>
                  <input readOnly value={inv().link} data-testid="invite-link" onFocus={(e) => e.currentTarget.select()} />
                </label>
                <div class="row">
                  <button type="button" onClick={() => navigator.clipboard?.writeText(inv().link).then(() => app.toast('Link copied.'), (err) => app.toast((err as Error).message))}>
                    Copy link
                  </button>
                  <Show when={typeof navigator.share === 'function'}>
                    <button type="button" onClick={() => void navigator.share({ title: 'Parley invite', url: inv().link }).catch(() => undefined)}>
                      Share
                    </button>
                  </Show>
                  <button type="button" onClick={() => void makeInvite()}>
                    New link
                  </button>
                </div>
                <p class="muted small">Valid until {new Date(inv().expiresAt * 1000).toLocaleString()}.</p>
              </div>
            )}
          </Show>
        </section>
      </div>
    </section>
  );
}
