/** Contact requests: each waits for the user; nothing is sent back until Accept. */
import { For, Show } from 'solid-js';
import { CONTACT_REQUEST_TTL_MS } from '@parley/generated';
import { isRequestExpired } from '@parley/runtime';
import { Avatar } from '../components/Avatar.tsx';
import { Icon } from '../components/Icon.tsx';
import { useApp } from '../context.ts';

export default function Requests() {
  const app = useApp();
  const fail = (err: unknown) => app.toast((err as Error).message);

  return (
    <section class="page" aria-labelledby="req-title">
      <header class="bar">
        <button type="button" class="icon-button back" onClick={() => app.router.navigate('/')}>
          <Icon name="back" />
          <span class="sr-only">Back</span>
        </button>
        <h2 id="req-title">Contact requests</h2>
      </header>
      <div class="page-body">
        <Show when={app.contacts.requests().length > 0} fallback={<p class="empty">No requests.</p>}>
          <ul class="requests" data-testid="requests">
            <For each={app.contacts.requests()}>
              {(r) => {
                const previous = () => (r.keyChangeOf ? app.contacts.byKey(r.keyChangeOf) : undefined);
                return (
                  <li class="card request">
                    <div class="request-who">
                      <Avatar name={r.name} seed={r.key} />
                      <div>
                        <p class="contact-name">{r.name || 'Unnamed'}</p>
                        <Show when={r.note}>
                          <p class="muted">“{r.note}”</p>
                        </Show>
                      </div>
                    </div>
                    <Show when={r.keyChangeOf}>
                      <p class="warning" role="alert">
                        Keys changed: this request uses the id of {previous()?.name || 'an existing contact'} with different keys. Accepting replaces that contact
                        and its history. Check the safety number with them first.
                      </p>
                    </Show>
                    <Show when={isRequestExpired(r, Date.now())}>
                      <p class="muted" data-testid="request-too-old">
                        This request is older than {Math.round(CONTACT_REQUEST_TTL_MS / 86_400_000)} days and expired (their app says so too). Give them a new invite if you want to talk.
                      </p>
                    </Show>
                    <div class="row">
                      <button
                        type="button"
                        class="primary"
                        disabled={isRequestExpired(r, Date.now())}
                        data-testid="accept"
                        onClick={() =>
                          app.contacts
                            .accept(r.key)
                            .then(() => app.router.navigate(`/c/${r.key}`))
                            .catch(fail)
                        }
                      >
                        Accept
                      </button>
                      <button type="button" class="danger" onClick={() => app.contacts.reject(r.key).catch(fail)}>
                        Reject
                      </button>
                    </div>
                  </li>
                );
              }}
            </For>
          </ul>
        </Show>
      </div>
    </section>
  );
}
