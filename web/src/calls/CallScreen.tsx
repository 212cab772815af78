/**
 * The call screen, over whatever route is open: an incoming call (accept, audio only, decline),
 * then the call itself: one tile per other participant (video, or their initials while their
 * camera is off; each with a connection-quality indicator from getStats), our own preview, the
 * status or timer, and the controls (CallControls.tsx).
 */
import { For, Show, createEffect, createSignal, onCleanup } from 'solid-js';
import { Avatar } from '../components/Avatar.tsx';
import type { Contact } from '../messages/protocol.ts';
import { CallControls } from './CallControls.tsx';
import { CallIcon } from './CallIcon.tsx';
import type { Calls, CallView, PeerView } from './calls.ts';
import { formatDuration } from './log.ts';
import { applySink } from './media.ts';
import { describeStats } from './stats.ts';

export function CallScreen(props: { calls: Calls; contacts: () => Contact[] }) {
  const call = () => props.calls.state.call;
  return (
    <Show when={call()}>
      {(c) => (
        <section class={`call-screen phase-${c().phase}`} role="dialog" aria-label={c().video ? 'Video call' : 'Call'} data-testid="call" data-phase={c().phase} data-outcome={c().outcome ?? ''}>
          <Show when={c().phase === 'incoming'} fallback={<InCall calls={props.calls} call={c()} contacts={props.contacts} />}>
            <Incoming calls={props.calls} call={c()} />
          </Show>
        </section>
      )}
    </Show>
  );
}

function Incoming(props: { calls: Calls; call: CallView }) {
  const others = () => props.call.rosterSize - 2;
  const fail = (err: unknown) => console.warn('parley calls:', err);
  return (
    <div class="call-incoming">
      <Avatar name={props.call.inviterName} seed={props.call.inviter} size="large" />
      <h2>{props.call.inviterName}</h2>
      <p class="call-kind" data-testid="call-kind">
        <CallIcon name={props.call.video ? 'video' : 'phone'} />
        {props.call.video ? 'Incoming video call' : 'Incoming voice call'}
        {others() > 0 ? ` with ${others()} other${others() > 1 ? 's' : ''}` : ''}
      </p>
      <p class="sr-only" data-testid="call-tone" data-tone={props.calls.state.tone}>
        {props.calls.state.tone === 'blocked' ? 'The ring tone could not play.' : ''}
      </p>
      <ToneHint calls={props.calls} />
      <div class="call-actions">
        <button type="button" class="call-btn call-hangup" data-testid="call-decline" onClick={() => props.calls.decline()}>
          <CallIcon name="hangup" /> Decline
        </button>
        <Show when={props.call.video}>
          <button type="button" class="call-btn" data-testid="call-accept-audio" onClick={() => props.calls.accept(false).catch(fail)}>
            <CallIcon name="phone" /> Audio only
          </button>
        </Show>
        <button type="button" class="call-btn call-accept" data-testid="call-accept" onClick={() => props.calls.accept().catch(fail)}>
          <CallIcon name={props.call.video ? 'video' : 'phone'} /> Accept
        </button>
      </div>
    </div>
  );
}

/**
 * The browser refused to play the ring before a gesture: say so where it can be seen, and let a
 * tap (on this or anywhere: ringtone.ts listens) start it.
 */
function ToneHint(props: { calls: Calls }) {
  return (
    <Show when={props.calls.state.tone === 'blocked'}>
      <button type="button" class="call-tone-hint" data-testid="call-tone-hint" onClick={() => void props.calls.resumeTone()}>
        <CallIcon name="speaker" /> Tap to hear the ring
      </button>
    </Show>
  );
}

const OUTCOME_TEXT: Record<string, string> = {
  answered: 'Call ended',
  declined: 'Declined',
  rejected: 'They declined',
  busy: 'Busy',
  'no-answer': 'No answer',
  cancelled: 'Cancelled',
  missed: 'Missed',
  failed: 'The call failed',
};

function InCall(props: { calls: Calls; call: CallView; contacts: () => Contact[] }) {
  const [now, setNow] = createSignal(Date.now());
  const tick = setInterval(() => setNow(Date.now()), 1000);
  onCleanup(() => clearInterval(tick));
  const tiles = () => props.call.peers.filter((p) => p.status === 'present' || p.status === 'invited' || p.status === 'ringing');
  const title = () => (tiles().length ? tiles() : props.call.peers).map((p) => p.name).join(', ');
  const status = () => {
    const c = props.call;
    if (c.phase === 'ended') return `${OUTCOME_TEXT[c.outcome ?? 'answered']}${c.connectedAt && c.endedAt ? ` · ${formatDuration(c.endedAt - c.connectedAt)}` : ''}`;
    if (c.phase === 'outgoing') return c.peers.some((p) => p.status === 'ringing') ? 'Ringing…' : 'Calling…';
    if (c.connectedAt === undefined) return 'Connecting…';
    return formatDuration(now() - c.connectedAt);
  };
  const ended = () => props.call.phase === 'ended';
  return (
    <div class="call-main">
      <header class="call-top">
        <h2 class="call-title">{title()}</h2>
        <p class="call-status" data-testid="call-status" aria-live="polite">
          {status()}
        </p>
        <Show when={props.call.phase === 'outgoing'}>
          <ToneHint calls={props.calls} />
        </Show>
      </header>
      {/* The stage holds the tiles and our preview; the controls sit below it, so the preview
          can never cover a control, at any width. */}
      <div class="call-stage">
        <ul class="call-grid" data-count={Math.min(tiles().length, 4)} aria-label="Participants">
          <For each={tiles()}>{(p) => <RemoteTile peer={p} stream={props.calls.remotes()[p.key]} sinkId={props.calls.state.sinkId} ended={ended()} />}</For>
        </ul>
        <Show when={ended() && tiles().length === 0 && props.call.peers[0]}>
          {(p) => (
            <div class="call-ended" aria-hidden="true">
              <Avatar name={p().name} seed={p().key} size="large" />
            </div>
          )}
        </Show>
        <Show when={props.calls.state.cameraOn && !ended()}>
          <SelfView stream={props.calls.local()} />
        </Show>
      </div>
      <Show when={!ended()}>
        <CallControls calls={props.calls} call={props.call} contacts={props.contacts} />
      </Show>
    </div>
  );
}

/**
 * Our own camera. The element and the stream come in either order (the camera turned on during
 * a voice call: the element first, the stream after getUserMedia; a video call: the stream may be
 * there first), so the stream is set when the element is created and again whenever it changes.
 */
function SelfView(props: { stream: MediaStream | undefined }) {
  let video: HTMLVideoElement | undefined;
  const attach = () => {
    const s = props.stream ?? null;
    if (!video || video.srcObject === s) return;
    video.srcObject = s;
    if (s) video.play().catch(() => undefined);
  };
  createEffect(attach);
  return (
    <video
      class="call-self"
      ref={(el) => {
        video = el;
        attach();
      }}
      autoplay
      playsinline
      muted
      aria-label="Your camera"
      data-testid="call-self"
    />
  );
}

function RemoteTile(props: { peer: PeerView; stream: MediaStream | undefined; sinkId: string; ended: boolean }) {
  let video: HTMLVideoElement | undefined;
  const hasVideo = () => !!props.stream?.getVideoTracks().some((t) => t.readyState === 'live' && !t.muted);
  createEffect(() => {
    const s = props.stream;
    if (!video || video.srcObject === (s ?? null)) return;
    video.srcObject = s ?? null;
    if (s) video.play().catch(() => undefined);
  });
  createEffect(() => {
    const id = props.sinkId; // '' (System default) included: it moves the sound back
    applySink(video as (HTMLVideoElement & { setSinkId?: (id: string) => Promise<void> }) | undefined, id).catch((err) => console.warn('parley calls: output device:', err));
  });
  // once the call ended, the header says so alone: no tile goes on "Connecting…"
  const waiting = () => (props.ended ? '' : props.peer.status === 'present' ? (props.peer.connected ? '' : 'Connecting…') : props.peer.status === 'ringing' ? 'Ringing…' : 'Calling…');
  return (
    <li class="call-tile" data-testid="call-peer" data-key={props.peer.key} data-status={props.peer.status} data-connected={String(props.peer.connected)}>
      <video ref={video} class={hasVideo() ? 'call-video' : 'call-video call-video-off'} autoplay playsinline aria-label={`${props.peer.name}'s video`} />
      <Show when={!hasVideo()}>
        <div class="call-avatar">
          <Avatar name={props.peer.name} seed={props.peer.key} size="large" />
        </div>
      </Show>
      <p class="call-tag">
        <span>{props.peer.name}</span>
        <Show when={waiting()}>
          <span class="call-waiting"> · {waiting()}</span>
        </Show>
        <Show when={props.peer.connected && !props.ended}>
          <span class={`call-quality q-${props.peer.quality}`} data-testid="call-quality" data-quality={props.peer.quality} title={describeStats(props.peer.stats)}>
            <span class="q-bar" />
            <span class="q-bar" />
            <span class="q-bar" />
            <span class="sr-only">
              Connection {props.peer.quality}: {describeStats(props.peer.stats)}
            </span>
          </span>
        </Show>
      </p>
    </li>
  );
}
