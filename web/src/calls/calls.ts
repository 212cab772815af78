/**
 * createCalls: the call engine of the UI thread. It feeds the worker's `signal`, `delivered`
 * and `state` events to the state machine (machine.ts), carries its effects out (Api.sendSignal,
 * Api.ring, media links in links.ts, the ring tone, the call log, a notification while the page
 * is hidden) and keeps a Solid store for the call screen. RTCPeerConnection and getUserMedia
 * exist only on the UI thread, so calls run here, not in the crypto worker; every message
 * still goes through the worker's engine, encrypted like any other.
 */
import { createSignal } from 'solid-js';
import { createStore, reconcile } from 'solid-js/store';
import { CallMedia } from '@parley/generated';
import type { Client } from '../ui-thread/client.ts';
import type { Contact, SignalMessage } from '../messages/protocol.ts';
import { IceConfig, PeerLink, putTrack } from './links.ts';
import { IdbCallLog, MemoryCallLog, type CallLog } from './log.ts';
import { CallError, CallMachine, type CallInfo } from './machine.ts';
import { CallMediaError, LocalMedia, type Devices } from './media.ts';
import { Ringtone, type ToneState } from './ringtone.ts';
import { iceServersFrom, isCallMessage, newCallId } from './signal.ts';
import { callEnded, callStarted } from '../ui-thread/native.ts';
import type { LinkStats } from './stats.ts';
import { view, type CallView } from './view.ts';

export type { CallView, PeerView } from './view.ts';

/** How often the call screen's quality indicator is refreshed. */
export const STATS_INTERVAL_MS = 1000;
/** How long the screen says "Call ended" before it closes. */
export const ENDED_SHOWN_MS = 2500;
/** Call messages kept while the identity is not open yet. */
const WAITING_MAX = 64;
/** localStorage: route calls through TURN only (hides our address from the other side). */
export const RELAY_ONLY_KEY = 'parley:calls:relay-only';

export interface CallsState {
  call: CallView | undefined;
  muted: boolean;
  cameraOn: boolean;
  devices: Devices;
  /** The chosen output ('' = the system's default). */
  sinkId: string;
  /** The microphone in use ('' = not known). */
  micId: string;
  tone: ToneState;
}

export interface CallsOptions {
  me: () => string | undefined;
  contact: (key: string) => Contact | undefined;
  /** Accepted contacts, the people a call can include. */
  contacts?: () => Contact[];
  toast: (message: string) => void;
  log?: CallLog;
  notify?: (title: string, body: string, contact: string) => void;
  /** Signal events that came before this engine existed (CallsProvider holds them while it loads), handled at ready(). */
  held?: SignalMessage[];
}

export function createCalls(client: Client, o: CallsOptions) {
  const [state, setState] = createStore<CallsState>({ call: undefined, muted: false, cameraOn: false, devices: { cameras: [], mics: [], speakers: [] }, sinkId: '', micId: '', tone: 'off' });
  const [remotes, setRemotes] = createSignal<Record<string, MediaStream>>({}, { equals: false });
  const [local, setLocal] = createSignal<MediaStream | undefined>(undefined, { equals: false });
  const log: CallLog = o.log ?? (typeof indexedDB === 'undefined' ? new MemoryCallLog() : new IdbCallLog());
  const media = new LocalMedia();
  // A gesture that unblocks the tone reports here; only a tone for the ringing call counts.
  const tone = new Ringtone({ onState: (t) => machine.call && ['incoming', 'outgoing'].includes(machine.call.phase) && setState('tone', t) });
  const links = new Map<string, Promise<PeerLink | undefined>>();
  const stats: Record<string, LinkStats> = {};
  const waiting: Parameters<CallMachine['onSignal']>[] = [];
  for (const s of o.held ?? []) if (isCallMessage(s.message) && waiting.length < WAITING_MAX) waiting.push([s.contact, s.message, s.sentAt]);
  let statsTimer: ReturnType<typeof setInterval> | undefined;
  let lastPhase: string | undefined;

  const name = (key: string) => o.contact(key)?.name || 'Someone';
  const report = (context: string, err: unknown) => console.warn(`parley calls: ${context}: ${(err as Error)?.message ?? err}`);
  const relayOnly = () => safeStorage()?.getItem(RELAY_ONLY_KEY) === '1';
  // A failure is not cached: the links of this call go without TURN, the next call asks again.
  const ice = new IceConfig(async () => {
    const t = await client.api.requestTurn();
    return { servers: iceServersFrom(t), ttlSeconds: t.ttlSeconds };
  });

  const machine: CallMachine = new CallMachine({
    me: () => o.me() ?? '',
    now: () => Date.now(),
    newCallId: () => newCallId(),
    isContact: (k) => o.contact(k)?.state === 'accepted',
    send: (key, message) => client.api.sendSignal({ contact: key, message }),
    ring: (key) => void client.api.ring({ contact: key }).catch((err) => report('ring', err)),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
    link: (key, offerer) => links.set(key, openLink(key, offerer)),
    unlink: (key) => {
      void links.get(key)?.then((l) => l?.close());
      links.delete(key);
      delete stats[key];
      const r = { ...remotes() };
      delete r[key];
      setRemotes(r);
    },
    toLink: (key, m) => void links.get(key)?.then((l) => l?.handle(m)),
    changed: () => changed(),
    ended: (r) => {
      void log.add(r, machine.call?.id === r.id ? machine.call.roster : []).catch((err) => report('call log', err));
      if (r.dir === 'in' && (r.outcome === 'missed' || r.outcome === 'busy')) o.notify?.('Missed call', `From ${name(r.from)}`, r.from);
    },
    report,
  });

  async function openLink(key: string, offerer: boolean): Promise<PeerLink | undefined> {
    const { servers, failed } = await ice.serversOrNone(report);
    const c = machine.call;
    if (!c || c.phase !== 'active' || !c.peers[key]?.linked) return undefined;
    const policy: RTCIceTransportPolicy = relayOnly() ? 'relay' : 'all';
    if (policy === 'relay' && !servers.some((s) => s.username)) o.toast(failed ? 'Could not get the relay’s TURN server for this call; calls through the relay need it.' : 'Calls through the relay need a TURN server, and this relay has none.');
    return new PeerLink({
      callId: c.id,
      key,
      offerer,
      config: { iceServers: servers, iceTransportPolicy: policy, bundlePolicy: 'max-bundle' },
      local: media,
      send: (m) => client.api.sendSignal({ contact: key, message: m }),
      onRemote: (stream) => setRemotes({ ...remotes(), [key]: stream }),
      onState: (s) => machine.onLink(key, s),
      report,
    });
  }

  function changed(): void {
    const c = machine.call;
    const phase = c?.phase;
    if (phase !== lastPhase) phaseChanged(c, lastPhase);
    lastPhase = phase;
    setState('call', reconcile(c ? view(c, name, stats) : undefined));
  }

  function phaseChanged(c: CallInfo | undefined, before: string | undefined): void {
    if (c?.phase === 'incoming') {
      ice.prefetch(); // ready by the time the user answers
      void tone.play('incoming').then((t) => machine.call === c && c.phase === 'incoming' && setState('tone', t));
      if (document.visibilityState === 'hidden') o.notify?.(c.media === CallMedia.video ? 'Incoming video call' : 'Incoming voice call', `From ${name(c.inviter)}`, c.inviter);
    } else if (c?.phase === 'outgoing') void tone.play('ringback').then((t) => machine.call === c && c.phase === 'outgoing' && setState('tone', t));
    else {
      tone.stop();
      setState('tone', 'off');
    }
    if (c?.phase === 'active') {
      statsTimer ??= setInterval(() => void sampleStats(), STATS_INTERVAL_MS);
      native(true);
    }
    if (c?.phase === 'ended' && before !== 'ended') {
      clearInterval(statsTimer);
      statsTimer = undefined;
      media.close();
      if (before === 'active') native(false);
      setLocal(undefined);
      setState({ muted: false, cameraOn: false, micId: '' });
      setTimeout(() => {
        if (machine.call === c) {
          machine.call = undefined;
          changed();
        }
      }, ENDED_SHOWN_MS);
    }
  }

  /** The Android app keeps the screen on and routes audio during a call (no-ops on the web). */
  function native(on: boolean): void {
    (on ? callStarted({ video: !!media.video }) : callEnded()).catch((err) => report('native', err));
  }

  async function sampleStats(): Promise<void> {
    for (const [key, p] of links) {
      const l = await p;
      if (l) stats[key] = await l.sample().catch(() => stats[key]!);
    }
    if (machine.call?.phase === 'active') changed();
  }

  async function openMedia(video: boolean): Promise<void> {
    const problem = await media.open(video);
    if (problem) o.toast(problem);
    setLocal(media.stream);
    setState({ muted: media.muted, cameraOn: !!media.video, micId: media.micId ?? '' });
    await refreshDevices();
  }

  /** Device lists for the pickers; a chosen output that was unplugged goes back to the default. */
  async function refreshDevices(): Promise<void> {
    const devices = await media.devices().catch(() => state.devices);
    setState('devices', devices);
    if (state.sinkId && !devices.speakers.some((d) => d.deviceId === state.sinkId)) setState('sinkId', '');
  }
  media.onDeviceChange(() => void refreshDevices());

  client.on('signal', (s) => {
    if (!isCallMessage(s.message)) return;
    if (!o.me()) return void (waiting.length < WAITING_MAX && waiting.push([s.contact, s.message, s.sentAt]));
    machine.onSignal(s.contact, s.message, s.sentAt);
  });
  client.on('delivered', (d) => machine.onDelivered(d.contact, d.ids));
  client.on('state', (s) => s.state === 'online' && machine.onOnline());

  return {
    state,
    remotes,
    local,
    log,
    /** The identity is open: messages that came before are handled now. */
    ready(): void {
      for (const w of waiting.splice(0)) machine.onSignal(...w);
    },
    busy: () => machine.busy,
    async start(contact: string | string[], video: boolean): Promise<void> {
      if (machine.busy) throw new CallError('in-call', 'You are already in a call.');
      const keys = Array.isArray(contact) ? contact : [contact];
      await openMedia(video);
      try {
        machine.start(keys, video ? CallMedia.video : CallMedia.audio);
      } catch (err) {
        media.close();
        throw err;
      }
      ice.prefetch();
    },
    async accept(video = machine.call?.media === CallMedia.video): Promise<void> {
      if (machine.call?.phase !== 'incoming') return;
      const call = machine.call;
      tone.stop();
      await openMedia(video);
      if (machine.call !== call || call.phase !== 'incoming') return media.close(); // cancelled meanwhile
      machine.accept();
    },
    decline: () => machine.decline(),
    hangup: () => machine.hangup(),
    add: (contact: string) => machine.add(contact),
    setMuted(muted: boolean): void {
      media.setMuted(muted);
      setState('muted', media.muted);
    },
    async setCamera(on: boolean, deviceId?: string): Promise<void> {
      try {
        if (on) await media.cameraOn(deviceId);
        else media.cameraOff();
      } catch (err) {
        o.toast(`Camera: ${(err as Error).message}`);
      }
      // Whatever is open now (the new camera, the previous one restored, or none) goes out.
      await putTrack(links.values(), 'video', media.video ?? null, report);
      setLocal(media.stream);
      if (machine.call?.phase === 'active') native(true);
      setState({ cameraOn: !!media.video });
      await refreshDevices();
    },
    async switchCamera(): Promise<void> {
      const next = await media.nextCamera();
      if (next) await this.setCamera(true, next);
    },
    setSink: (id: string) => setState('sinkId', id),
    /** Moves the call to another microphone on every link, muted if we were. */
    async setMic(deviceId: string): Promise<void> {
      try {
        const track = await media.switchMic(deviceId);
        await putTrack(links.values(), 'audio', track, report);
        setLocal(media.stream);
      } catch (err) {
        o.toast(`Microphone: ${(err as Error).message}`);
        if (!(err instanceof CallMediaError)) report('microphone', err);
      }
      setState({ muted: media.muted, micId: media.micId ?? '' });
    },
    /** A click on the "tap to hear the ring" hint (any click does it; this one says so). */
    async resumeTone(): Promise<void> {
      const t = await tone.resume();
      if (t !== 'off') setState('tone', t);
    },
    /** Accepted contacts (the group-call picker). */
    contacts: () => o.contacts?.() ?? [],
    /** For tests and the bench (window.parleyCallDebug): live links' statistics now. */
    async linkStats(): Promise<Record<string, LinkStats>> {
      const out: Record<string, LinkStats> = {};
      for (const [key, p] of links) {
        const l = await p;
        if (l) out[key] = await l.sample();
      }
      return out;
    },
    machine,
  };
}

export type Calls = ReturnType<typeof createCalls>;

function safeStorage(): Storage | undefined {
  try {
    return globalThis.localStorage;
  } catch {
    return undefined;
  }
}
