/** A key change: someone asks as a known contact's id, with other keys. Never accepted silently. */
import type { Contact } from '../messages/protocol.ts';

export interface KeyChangeWarningProps {
  request: Contact;
  previous?: Contact;
  onReview: () => void;
}

export function KeyChangeWarning(props: KeyChangeWarningProps) {
  return (
    <div class="warning" role="alert" data-testid="key-change">
      <strong>Security warning: keys changed.</strong>{' '}
      <span>
        A new request claims to be {props.previous?.name || 'an existing contact'} but uses different keys. This happens when they reinstalled, or when someone
        pretends to be them. Compare safety numbers in person before accepting.
      </span>{' '}
      <button type="button" class="link-button" onClick={() => props.onReview()}>
        Review request
      </button>
    </div>
  );
}
