/**
 * A contact's details: the safety number (the same on both phones) to compare in person or by
 * QR code, the verified mark, rename and remove.
 */
import { Show, createResource, createSignal } from 'solid-js';
import { Avatar } from '../components/Avatar.tsx';
import { QrCode } from '../components/QrCode.tsx';
import { QrScanner } from '../components/QrScanner.tsx';
import { Icon } from '../components/Icon.tsx';
import { useApp } from '../context.ts';

export default function ContactDetails(props: { contactKey: string }) {
  const app = useApp();
  const contact = () => app.contacts.byKey(props.contactKey);
  const [safety] = createResource(() => (contact()?.state === 'accepted' ? props.contactKey : undefined), (key) => app.client.api.safetyNumber({ contact: key }));
  const [scanning, setScanning] = createSignal(false);
  const [name, setName] = createSignal(contact()?.name ?? '');
  const [confirmRemove, setConfirmRemove] = createSignal(false);
  const fail = (err: unknown) => app.toast((err as Error).message);

  async function scanned(text: string): Promise<void> {
    setScanning(false);
    const ok = await app.client.api.checkSafetyQr({ contact: props.contactKey, scanned: text });
    if (!ok) return app.toast('The codes do not match. Do not mark this contact verified.');
    await app.contacts.verify(props.contactKey, true);
    app.toast('Safety numbers match: contact verified.');
  }

  return (
    <Show when={contact()} fallback={<p class="empty">This contact does not exist.</p>}>
      {(c) => (
        <section class="page" aria-labelledby="contact-title">
          <header class="bar">
            <button type="button" class="icon-button back" onClick={() => app.router.navigate(`/c/${c().key}`)}>
              <Icon name="back" />
              <span class="sr-only">Back to the conversation</span>
            </button>
            <h2 id="contact-title">{c().name || 'Contact'}</h2>
          </header>
          <div class="page-body">
            <section class="card center-text">
              <Avatar name={c().name} seed={c().key} size="large" />
              <p class="mono small">id {c().id}</p>
              <p class={c().verified ? 'verified' : ''}>{c().verified ? 'Verified' : 'Not verified'}</p>
            </section>
            <Show when={safety()}>
              {(s) => (
                <section class="card" aria-labelledby="safety-title">
                  <h3 id="safety-title">Safety number</h3>
                  <p class="muted small">Compare these digits with {c().name || 'your contact'}, in person or on a call you trust, or scan their code. If they match, nobody is in the middle.</p>
                  <p class="safety" data-testid="safety-number">
                    {s().number}
                  </p>
                  <QrCode text={s().qr} label="Your safety code as a QR code" />
                  <div class="row">
                    <button type="button" class={c().verified ? '' : 'primary'} data-testid="verify" onClick={() => app.contacts.verify(c().key, !c().verified).catch(fail)}>
                      {c().verified ? 'Remove verified mark' : 'Mark as verified'}
                    </button>
                    <button type="button" onClick={() => setScanning(true)}>
                      Scan their code
                    </button>
                  </div>
                  <Show when={scanning()}>
                    <QrScanner onResult={(t) => void scanned(t).catch(fail)} onCancel={() => setScanning(false)} />
                  </Show>
                </section>
              )}
            </Show>
            <section class="card">
              <form
                class="row"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (name().trim()) app.contacts.rename(c().key, name().trim()).then(() => app.toast('Renamed.'), fail);
                }}
              >
                <label class="field grow">
                  <span>Name</span>
                  <input value={name()} onInput={(e) => setName(e.currentTarget.value)} />
                </label>
                <button type="submit">Rename</button>
              </form>
              <Show
                when={confirmRemove()}
                fallback={
                  <button type="button" class="danger" onClick={() => setConfirmRemove(true)}>
                    Remove contact…
                  </button>
                }
              >
                <p>Remove {c().name} and the whole conversation from this device?</p>
                <div class="row">
                  <button type="button" class="danger" onClick={() => app.contacts.remove(c().key).then(() => app.router.navigate('/'), fail)}>
                    Remove
                  </button>
                  <button type="button" onClick={() => setConfirmRemove(false)}>
                    Keep
                  </button>
                </div>
              </Show>
            </section>
          </div>
        </section>
      )}
    </Show>
  );
}
