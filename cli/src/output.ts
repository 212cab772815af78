/**
 * What wschat writes: JSON lines (validated against the event schema), human lines with
 * other people's text stripped of terminal control sequences, and a progress bar on stderr.
 */
import type { Writable } from 'node:stream';
import { EventSchema, type OutEvent } from './bridge/schema.ts';

/** Removes control characters (escape sequences could rewrite the terminal) but keeps newlines and tabs. */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '');
}

export function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function time(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

function who(p: { id: string; name: string }): string {
  return p.name ? `${clean(p.name)}` : p.id;
}

/** Writes one validated event as a JSON line; a schema failure is a bug and throws. */
export function writeJson(out: Writable, e: OutEvent): void {
  out.write(JSON.stringify(EventSchema.parse(e)) + '\n');
}

/** One human line for an event, or undefined for events a person does not need to see. */
export function humanLine(e: OutEvent): string | undefined {
  switch (e.type) {
    case 'message':
      return `[${time(e.receivedAt)}] ${who(e.from)}: ${clean(e.text)}`;
    case 'edit':
      return `${who(e.from)} edited a message: ${clean(e.text)}`;
    case 'delete':
      return `${who(e.from)} deleted a message`;
    case 'file':
      if (e.error) return `${who(e.from)} sent ${clean(e.name)} (${size(e.size)}), but it could not be saved: ${e.error}`;
      return `${who(e.from)} sent ${clean(e.name)} (${size(e.size)}) → ${e.path ?? '(not saved)'}`;
    case 'file-failed':
      return `file ${e.fileId.slice(0, 8)} ${e.direction === 'in' ? 'from' : 'to'} ${who(e.contact)} failed: ${e.reason}`;
    case 'presence':
      return `${who(e.from)} is ${e.state}`;
    case 'contact-request':
      return `${who(e.contact)} (${e.contact.id}) asks to be your contact${e.note ? `: "${clean(e.note)}"` : ''}${e.keyChange ? ' — WARNING: their keys changed' : ''}; answer with wschat requests accept|reject ${e.contact.id}`;
    case 'contact-accepted':
      return `${who(e.contact)} (${e.contact.id}) is now a contact`;
    case 'contact-request-expired':
      return e.direction === 'out'
        ? `your request to ${who(e.contact)} (${e.contact.id}) expired unanswered: maybe the invite was already used; ask them for a new one`
        : `the request from ${who(e.contact)} (${e.contact.id}) expired unanswered and was removed`;
    case 'session-reset':
      return `NOTICE: the secure session with ${who(e.contact)} (${e.contact.id}) was reset (${e.by === 'them' ? 'their device lost or restored its state' : 'this device asked for it'}); messages sent around that time may be missing. Now: ${e.protection.label}`;
    default:
      return undefined;
  }
}

/** A one-line progress bar on a TTY (stderr); silent elsewhere. */
export class ProgressBar {
  readonly #out: NodeJS.WriteStream;
  readonly #label: string;
  #shown = false;
  #last = -1;

  constructor(out: NodeJS.WriteStream, label: string) {
    this.#out = out;
    this.#label = label;
  }

  update(bytes: number, total: number): void {
    if (!this.#out.isTTY) return;
    const ratio = total === 0 ? 1 : Math.min(1, bytes / total);
    const percent = Math.floor(ratio * 100);
    if (percent === this.#last) return;
    this.#last = percent;
    const width = Math.max(10, Math.min(40, (this.#out.columns ?? 80) - this.#label.length - 30));
    const full = Math.round(ratio * width);
    this.#out.write(`\r${this.#label} [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(percent).padStart(3)}% ${size(bytes)}/${size(total)}`);
    this.#shown = true;
  }

  done(): void {
    if (this.#shown) this.#out.write('\n');
    this.#shown = false;
  }
}
