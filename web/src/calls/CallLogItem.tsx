/**
 * A call in the conversation (the call log, log.ts), between the messages: "Missed video call",
 * "Outgoing call · 1:05"... Missed and failed calls are marked; nothing here can be edited.
 */
import { CallMedia } from '@parley/generated';
import { createEffect, createSignal, onCleanup, type Accessor } from 'solid-js';
import { CallIcon } from './CallIcon.tsx';
import { useCalls } from './CallsProvider.tsx';
import { describeEntry, type CallLogEntry } from './log.ts';

export function CallLogItem(props: { entry: CallLogEntry }) {
  const video = () => props.entry.media === CallMedia.video;
  const time = () => new Date(props.entry.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const bad = () => ['missed', 'busy', 'failed'].includes(props.entry.outcome) && props.entry.dir === 'in';
  return (
    <li class={`call-log ${bad() ? 'call-log-missed' : ''}`} data-testid="call-log" data-outcome={props.entry.outcome} data-dir={props.entry.dir}>
      <CallIcon name={video() ? 'video' : 'phone'} />
      <span>{describeEntry(props.entry, video())}</span>
      <time class="muted"> · {time()}</time>
    </li>
  );
}

/** This conversation's call log entries, loaded once the call engine is (CallsProvider.tsx) and kept current. */
export function useCallLog(contact: string): Accessor<CallLogEntry[]> {
  const calls = useCalls();
  const [entries, setEntries] = createSignal<CallLogEntry[]>([]);
  createEffect(() => {
    const log = calls()?.log;
    if (!log) return;
    const off = log.on((e) => e.contact === contact && setEntries((all) => [...all.filter((x) => x.callId !== e.callId), e]));
    onCleanup(off);
    log
      .list(contact)
      .then((found) => setEntries((live) => [...found.filter((f) => !live.some((l) => l.callId === f.callId)), ...live]))
      .catch((err) => console.warn('parley calls: call log', err));
  });
  return entries;
}
