/**
 * First start: a display name and, optionally, a passphrase that encrypts the keys at rest
 * (scrypt, worker/vault.ts). The keys are made in the worker; this page never sees them.
 */
import { Show, createSignal } from 'solid-js';
import { useApp } from '../context.ts';
import { MIN_PASSPHRASE, passphraseLength } from '../shared/passphrase.ts';

export function Onboarding() {
  const app = useApp();
  const [name, setName] = createSignal('');
  const [protect, setProtect] = createSignal(false);
  const [pass, setPass] = createSignal('');
  const [pass2, setPass2] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();

  const problem = () => {
    if (!name().trim()) return 'Enter a name your contacts will see.';
    if (protect() && passphraseLength(pass()) < MIN_PASSPHRASE) return `The passphrase needs at least ${MIN_PASSPHRASE} characters.`;
    if (protect() && pass() !== pass2()) return 'The passphrases do not match.';
    return undefined;
  };

  async function submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const p = problem();
    if (p) return void setError(p);
    setBusy(true);
    setError(undefined);
    try {
      await app.session.create({ name: name().trim(), ...(protect() ? { passphrase: pass() } : {}) });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="centered" id="main">
      <form class="card onboarding" onSubmit={submit} aria-labelledby="welcome-title">
        <img src="/icons/icon.svg" alt="" width="64" height="64" class="logo" />
        <h1 id="welcome-title">Welcome to Parley</h1>
        <p class="muted">End-to-end encrypted messages. Your keys are made on this device and never leave it.</p>
        <label class="field">
          <span>Your name</span>
          <input name="name" autocomplete="nickname" value={name()} onInput={(e) => setName(e.currentTarget.value)} required maxLength={64} />
        </label>
        <label class="check">
          <input type="checkbox" name="protect" checked={protect()} onChange={(e) => setProtect(e.currentTarget.checked)} />
          <span>Protect my keys with a passphrase</span>
        </label>
        <Show when={protect()}>
          <p class="muted small">You will type it each time Parley opens. It cannot be recovered.</p>
          <label class="field">
            <span>Passphrase</span>
            <input type="password" name="passphrase" autocomplete="new-password" value={pass()} onInput={(e) => setPass(e.currentTarget.value)} />
          </label>
          <label class="field">
            <span>Repeat passphrase</span>
            <input type="password" name="passphrase2" autocomplete="new-password" value={pass2()} onInput={(e) => setPass2(e.currentTarget.value)} />
          </label>
        </Show>
        <Show when={error()}>
          <p class="form-error" role="alert">
            {error()}
          </p>
        </Show>
        <button type="submit" class="primary wide" disabled={busy()}>
          {busy() ? (protect() ? 'Creating and encrypting keys…' : 'Creating keys…') : 'Create my identity'}
        </button>
      </form>
    </main>
  );
}
