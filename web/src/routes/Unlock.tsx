/** The identity is sealed with a passphrase: nothing opens without it. */
import { Show, createSignal } from 'solid-js';
import { useApp } from '../context.ts';
import { isRemoteError } from '../ui-thread/client.ts';

export function Unlock(props: { name: string }) {
  const app = useApp();
  const [pass, setPass] = createSignal('');
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal<string>();

  async function submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    if (!pass()) return;
    setBusy(true);
    setError(undefined);
    try {
      await app.session.unlock(pass());
    } catch (err) {
      setError(isRemoteError(err, 'BAD_PASSPHRASE') ? 'Wrong passphrase.' : (err as Error).message);
      setPass('');
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="centered" id="main">
      <form class="card" onSubmit={submit} aria-labelledby="unlock-title">
        <img src="/icons/icon.svg" alt="" width="64" height="64" class="logo" />
        <h1 id="unlock-title">Unlock Parley</h1>
        <p class="muted">{props.name ? `${props.name}, your keys are encrypted.` : 'Your keys are encrypted.'} Enter your passphrase.</p>
        <label class="field">
          <span>Passphrase</span>
          <input type="password" name="passphrase" autocomplete="current-password" value={pass()} onInput={(e) => setPass(e.currentTarget.value)} autofocus />
        </label>
        <Show when={error()}>
          <p class="form-error" role="alert" data-testid="unlock-error">
            {error()}
          </p>
        </Show>
        <button type="submit" class="primary wide" disabled={busy() || !pass()}>
          {busy() ? 'Unlocking…' : 'Unlock'}
        </button>
      </form>
    </main>
  );
}
