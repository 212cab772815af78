/**
 * The pieces of calls that need no browser: ICE servers from the relay's TURN answer (and a
 * failed request not being cached), the quality indicator from getStats reports, the call log
 * (IndexedDB on fake-indexeddb, merged into a conversation by time, described in words), the
 * signalling messages' bounds, devices (camera and microphone switches on a fake getUserMedia,
 * tracks swapped on every link's sender, the output device, devicechange), the ring tone a
 * gesture unblocks, and the group-call picker's bound.
 */
import 'fake-indexeddb/auto';
import { CALL_ID_SIZE, CallMedia, MAX_CALL_PARTICIPANTS, MAX_ICE_BYTES, MAX_SDP_BYTES, MessageType, SdpType, type TurnCredentials } from '@parley/generated';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_OTHERS, canPick, togglePick } from '../src/calls/group.ts';
import { IceConfig, PeerLink, putTrack } from '../src/calls/links.ts';
import { IdbCallLog, MemoryCallLog, describeEntry, formatDuration, isCallEntry, mergeCallLog, type CallLogEntry } from '../src/calls/log.ts';
import { CallMediaError, LocalMedia, applySink } from '../src/calls/media.ts';
import { Ringtone, type ToneState } from '../src/calls/ringtone.ts';
import { CALL_TYPES, fromHex, iceServersFrom, isCallMessage, msg, toHex } from '../src/calls/signal.ts';
import { FAIR_RTT_MS, POOR_LOSS_PCT, describeStats, quality, summarize } from '../src/calls/stats.ts';
import type { CallRecord } from '../src/calls/types.ts';
import type { HistoryItem } from '../src/messages/protocol.ts';

const A = 'aa'.repeat(32);
const B = 'bb'.repeat(32);
const ID = '01'.repeat(CALL_ID_SIZE);

describe('signalling messages', () => {
  it('are built from the generated enums and keep the spec bounds', () => {
    const invite = msg.invite(ID, CallMedia.video, [A, B]);
    expect(invite.type).toBe(MessageType.callInvite);
    expect(isCallMessage(invite) && CALL_TYPES.size).toBe(7);
    const sdp = msg.sdp(ID, 'answer', 'v=0');
    if (sdp.type === MessageType.callSdp) expect(sdp.body.sdpType).toBe(SdpType.answer);
    expect(() => msg.sdp(ID, 'offer', 'x'.repeat(MAX_SDP_BYTES + 1))).toThrow(RangeError);
    expect(msg.ice(ID, { candidate: 'x'.repeat(MAX_ICE_BYTES + 1) })).toBeUndefined();
    expect(msg.ice(ID, { candidate: 'c', sdpMid: null, sdpMLineIndex: null })?.body).toMatchObject({ sdpMid: '', mlineIndex: 0 });
    expect(isCallMessage({ type: MessageType.typing, body: { active: 1 } })).toBe(false);
    expect(toHex(fromHex(A))).toBe(A);
    expect(() => fromHex('ABC')).toThrow();
  });

  it('ICE servers come only from the relay: STUN without credentials, TURN with them', () => {
    const t: TurnCredentials = { username: '1700000000:xyz', password: 'pw', ttlSeconds: 3600, urls: [{ url: 'stun:127.0.0.1:3478' }, { url: 'turn:127.0.0.1:3478?transport=udp' }, { url: 'turns:t.example:5349' }] };
    expect(iceServersFrom(t)).toEqual([
      { urls: ['stun:127.0.0.1:3478'] },
      { urls: ['turn:127.0.0.1:3478?transport=udp', 'turns:t.example:5349'], username: '1700000000:xyz', credential: 'pw' },
    ]);
    expect(iceServersFrom(undefined)).toEqual([]);
  });
});

describe('connection quality from getStats', () => {
  const report = (bytes: number, packets: number, lost: number, rtt = 0.02) =>
    new Map<string, Record<string, unknown> & { type: string; id: string }>([
      ['ia', { id: 'ia', type: 'inbound-rtp', kind: 'audio', bytesReceived: bytes / 4, packetsReceived: packets / 2, packetsLost: lost }],
      ['iv', { id: 'iv', type: 'inbound-rtp', kind: 'video', bytesReceived: (bytes * 3) / 4, packetsReceived: packets / 2, packetsLost: 0 }],
      ['o', { id: 'o', type: 'outbound-rtp', bytesSent: bytes }],
      ['t', { id: 't', type: 'transport', selectedCandidatePairId: 'p' }],
      ['p', { id: 'p', type: 'candidate-pair', currentRoundTripTime: rtt, localCandidateId: 'l', remoteCandidateId: 'r' }],
      ['l', { id: 'l', type: 'local-candidate', candidateType: 'relay' }],
      ['r', { id: 'r', type: 'remote-candidate', candidateType: 'host' }],
    ]);

  it('reads bytes by kind, the selected pair, and rates and loss over the interval', () => {
    const first = summarize(report(1000, 100, 0), 1000);
    expect(first).toMatchObject({ bytesReceived: 1000, audioBytes: 250, videoBytes: 750, rttMs: 20, localType: 'relay', remoteType: 'host', lossPct: 0 });
    const next = summarize(report(126_000, 200, 5), 2000, first);
    expect(next.inKbps).toBe(1000);
    expect(next.lossPct).toBeCloseTo(4.8, 1);
    expect(quality(first)).toBe('good');
    expect(quality(next)).toBe('fair');
    expect(quality(summarize(report(1, 1, 0, (FAIR_RTT_MS + 1) / 1000), 1))).toBe('fair');
    expect(quality(summarize(report(1, 100, POOR_LOSS_PCT * 2), 1))).toBe('poor');
    expect(quality(undefined)).toBe('unknown');
    expect(describeStats(next)).toMatch(/RTT 20 ms · loss 4\.8 % · in 1\.0 Mb\/s .* through TURN/);
  });
});

describe('call log', () => {
  const rec = (o: Partial<CallRecord>): CallRecord => ({ id: ID, media: CallMedia.audio, dir: 'in', from: A, at: 1000, outcome: 'missed', contacts: [A], ...o });
  const item = (id: string, sentAt: number): HistoryItem => ({ id, contact: A, seq: sentAt, dir: 'in', kind: 'text', text: id, sentAt });

  it('IndexedDB keeps entries per conversation in time order and announces new ones', async () => {
    const log = new IdbCallLog();
    const seen: CallLogEntry[] = [];
    log.on((e) => seen.push(e));
    await log.add(rec({ id: '02'.repeat(CALL_ID_SIZE), at: 3000, outcome: 'answered', durationMs: 65_000 }));
    await log.add(rec({}));
    await log.add(rec({ contacts: [B], dir: 'out', outcome: 'no-answer' }), [A, B, 'cc'.repeat(32)]);
    expect((await log.list(A)).map((e) => e.outcome)).toEqual(['missed', 'answered']);
    expect(await new IdbCallLog().list(B)).toMatchObject([{ outcome: 'no-answer', others: 1 }]);
    expect(seen).toHaveLength(3);
    const mem = new MemoryCallLog();
    await mem.add(rec({}));
    expect(await mem.list(A)).toHaveLength(1);
  });

  it('is merged among the messages by time and described in words', () => {
    const e = (at: number, o: Partial<CallLogEntry> = {}): CallLogEntry => ({ contact: A, callId: String(at), dir: 'in', media: CallMedia.audio, at, outcome: 'missed', others: 0, ...o });
    const rows = mergeCallLog([item('m1', 100), item('m2', 300)], [e(400), e(200)]);
    expect(rows.map((r) => (isCallEntry(r) ? `call@${r.at}` : r.id))).toEqual(['m1', 'call@200', 'm2', 'call@400']);
    expect(describeEntry(e(1), false)).toBe('Missed call');
    expect(describeEntry(e(1, { outcome: 'answered', dir: 'out', durationMs: 65_000 }), true)).toBe('Outgoing video call · 1:05');
    expect(describeEntry(e(1, { outcome: 'answered', others: 2 }), true)).toBe('Incoming video call (group, 4 people)');
    expect(describeEntry(e(1, { outcome: 'busy' }), false)).toBe('Missed call (you were in another call)');
    expect(describeEntry(e(1, { outcome: 'rejected', dir: 'out' }), false)).toBe('Call declined by them');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
  });
});

describe('ICE servers are cached only when the relay gave them', () => {
  afterEach(() => vi.restoreAllMocks());
  const TURN: RTCIceServer[] = [{ urls: ['turn:127.0.0.1:3478'], username: 'u', credential: 'p' }];

  it('a failed request is not kept: that link goes without TURN, the next asks again, an answer is reused for half its TTL', async () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const answers: (Error | RTCIceServer[])[] = [new Error('offline'), new Error('relay busy'), TURN, TURN];
    let asked = 0;
    const ice = new IceConfig(async () => {
      const a = answers[asked++]!;
      if (a instanceof Error) throw a;
      return { servers: a, ttlSeconds: 600 };
    });
    const reports: string[] = [];
    ice.prefetch(); // fails: no unhandled rejection, nothing kept
    await Promise.resolve();
    expect(await ice.serversOrNone((ctx) => reports.push(ctx))).toEqual({ servers: TURN.slice(0, 0), failed: true });
    expect([asked, reports]).toEqual([2, ['TURN credentials']]);
    const [x, y] = await Promise.all([ice.servers(), ice.servers()]); // one request for both
    expect([x, y, asked]).toEqual([TURN, TURN, 3]);
    now += 299_000;
    expect(await ice.serversOrNone(() => undefined)).toEqual({ servers: TURN, failed: false });
    expect(asked).toBe(3);
    now += 2000; // past half of 600 s
    await ice.servers();
    expect(asked).toBe(4);
  });
});

/** Just enough of MediaStream, tracks, getUserMedia and RTCPeerConnection for media.ts and links.ts. */
class FakeTrack {
  enabled = true;
  readyState: 'live' | 'ended' = 'live';
  constructor(
    readonly kind: 'audio' | 'video',
    readonly deviceId: string,
  ) {}
  stop(): void {
    this.readyState = 'ended';
  }
  getSettings() {
    return { deviceId: this.deviceId };
  }
}

class FakeStream {
  #tracks: FakeTrack[] = [];
  addTrack(t: FakeTrack) {
    if (!this.#tracks.includes(t)) this.#tracks.push(t);
  }
  removeTrack(t: FakeTrack) {
    this.#tracks = this.#tracks.filter((x) => x !== t);
  }
  getTracks() {
    return [...this.#tracks];
  }
  getAudioTracks() {
    return this.#tracks.filter((t) => t.kind === 'audio');
  }
  getVideoTracks() {
    return this.#tracks.filter((t) => t.kind === 'video');
  }
}

/** Like many Android phones: a second camera will not open while one is live. */
class FakeDevices extends EventTarget {
  opened: FakeTrack[] = [];
  broken = new Set<string>();
  list = [
    { kind: 'audioinput', deviceId: 'mic-1', label: 'Built-in microphone' },
    { kind: 'audioinput', deviceId: 'mic-2', label: 'Headset' },
    { kind: 'videoinput', deviceId: 'front', label: 'Front' },
    { kind: 'videoinput', deviceId: 'back', label: 'Back' },
  ];
  async getUserMedia(c: MediaStreamConstraints) {
    const kind = c.video ? 'video' : 'audio';
    const want = ((c[kind] as MediaTrackConstraints).deviceId as { exact?: string } | undefined)?.exact;
    const id = want ?? (kind === 'video' ? 'front' : 'mic-1');
    if (this.broken.has(id)) throw new DOMException(`${id} is broken`, 'NotReadableError');
    if (kind === 'video' && this.opened.some((t) => t.kind === 'video' && t.readyState === 'live')) throw new DOMException('Could not start video source', 'NotReadableError');
    const t = new FakeTrack(kind, id);
    this.opened.push(t);
    const s = new FakeStream();
    s.addTrack(t);
    return s;
  }
  async enumerateDevices() {
    return this.list;
  }
}

class FakeSender {
  track: unknown = null;
  replaced: unknown[] = [];
  async replaceTrack(t: unknown) {
    this.track = t;
    this.replaced.push(t);
  }
}

class FakePc {
  onicecandidate: unknown;
  ontrack: unknown;
  onconnectionstatechange: unknown;
  readonly transceivers = (['audio', 'video'] as const).map((kind) => ({ receiver: { track: { kind } }, sender: new FakeSender(), currentDirection: 'sendrecv' }));
  getTransceivers() {
    return this.transceivers;
  }
  close() {}
}

function fakeMedia(): { md: FakeDevices; media: LocalMedia } {
  vi.stubGlobal('MediaStream', FakeStream);
  const md = new FakeDevices();
  return { md, media: new LocalMedia(md as unknown as MediaDevices) };
}

describe('devices', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('switching camera stops the old one first (phones cannot open two), and a camera that will not open brings the previous one back', async () => {
    const { md, media } = fakeMedia();
    await media.open(true);
    expect(media.cameraId).toBe('front');
    await media.cameraOn(await media.nextCamera());
    expect(media.cameraId).toBe('back');
    expect(md.opened.filter((t) => t.kind === 'video').map((t) => t.readyState)).toEqual(['ended', 'live']);
    md.broken.add('front');
    const err = await media.cameraOn('front').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CallMediaError);
    expect(err).toMatchObject({ code: 'camera-switch', restored: true });
    expect(media.cameraId).toBe('back');
    expect(media.stream.getVideoTracks()).toEqual([media.video]);
    md.broken.add('back'); // the previous one is gone too: the camera is off, and that is said
    expect(await media.cameraOn('front').catch((e: unknown) => e)).toMatchObject({ code: 'camera-switch', restored: false });
    expect([media.video, media.stream.getVideoTracks().length]).toEqual([undefined, 0]);
    expect(await media.cameraOn('front').catch((e: unknown) => e)).toMatchObject({ code: 'camera' }); // nothing to go back to
  });

  it('switching microphone puts the new track on the audio sender of every link, keeps mute, and a microphone that will not open changes nothing', async () => {
    const { md, media } = fakeMedia();
    vi.stubGlobal('RTCPeerConnection', FakePc);
    await media.open(false);
    media.setMuted(true);
    const opts = (key: string) => ({ callId: '00'.repeat(CALL_ID_SIZE), key, offerer: false, config: {}, local: media, send: async () => undefined, onRemote: () => undefined, onState: () => undefined, report: () => undefined });
    const links = [new PeerLink(opts('a')), new PeerLink(opts('b'))];
    const old = media.audio as unknown as FakeTrack;
    const track = await media.switchMic('mic-2');
    await putTrack(links.map((l) => Promise.resolve(l)), 'audio', track, () => undefined);
    for (const l of links) {
      const [audio, video] = (l.pc as unknown as FakePc).transceivers;
      expect(audio!.sender.track).toBe(track);
      expect(video!.sender.replaced).toEqual([]);
    }
    expect([media.micId, media.muted, track.enabled, old.readyState]).toEqual(['mic-2', true, false, 'ended']);
    expect(media.stream.getAudioTracks()).toEqual([track]);
    md.broken.add('mic-1');
    expect(await media.switchMic('mic-1').catch((e: unknown) => e)).toMatchObject({ name: 'CallMediaError', code: 'mic-switch', restored: true });
    expect(media.audio).toBe(track);
    expect((track as unknown as FakeTrack).readyState).toBe('live');
  });

  it('device lists follow devicechange; the output device is applied whenever it changes, "System default" too', async () => {
    const { md, media } = fakeMedia();
    let changes = 0;
    const off = media.onDeviceChange(() => changes++);
    md.dispatchEvent(new Event('devicechange'));
    off();
    md.dispatchEvent(new Event('devicechange'));
    expect(changes).toBe(1);
    expect((await media.devices()).mics.map((d) => d.deviceId)).toEqual(['mic-1', 'mic-2']);

    const sinks: string[] = [];
    const el = {
      sinkId: '',
      async setSinkId(id: string) {
        sinks.push(id);
        this.sinkId = id;
      },
    };
    expect(await applySink(el, '')).toBe(false); // already there
    expect(await applySink(el, 'headset')).toBe(true);
    expect(await applySink(el, '')).toBe(true);
    expect(sinks).toEqual(['headset', '']);
    expect(await applySink({}, 'headset')).toBe(false); // no setSinkId (Safari)
  });
});

/** An AudioContext that, like a browser's autoplay policy, starts only from inside a gesture. */
class FakeAudio {
  state: AudioContextState = 'suspended';
  currentTime = 0;
  destination = {};
  inGesture = false;
  resumes = 0;
  async resume() {
    this.resumes++;
    if (this.inGesture) this.state = 'running';
  }
  createGain() {
    return { gain: { value: 0, setValueAtTime() {}, linearRampToValueAtTime() {} }, connect() {}, disconnect() {} };
  }
  createOscillator() {
    return { type: 'sine', frequency: { value: 0, setValueAtTime() {} }, connect() {}, start() {}, stop() {} };
  }
}

describe('a ring tone the browser blocked', () => {
  it('is resumed by the next click or key press anywhere, inside the gesture, and then stops listening', async () => {
    const ctx = new FakeAudio();
    const page = new EventTarget();
    const states: ToneState[] = [];
    const tone = new Ringtone({ make: () => ctx as unknown as AudioContext, gestures: page, onState: (s) => states.push(s) });
    expect(await tone.play('incoming')).toBe('blocked');
    const gesture = (type: string) => {
      ctx.inGesture = true;
      page.dispatchEvent(new Event(type));
      ctx.inGesture = false;
    };
    const before = ctx.resumes;
    gesture('keydown');
    await vi.waitFor(() => expect(states).toEqual(['playing']));
    expect([ctx.state, ctx.resumes - before]).toEqual(['running', 1]);
    gesture('click');
    expect(ctx.resumes - before).toBe(1);
  });

  it('stops listening when the ringing stops, and resume() without a tone is "off"', async () => {
    const ctx = new FakeAudio();
    const page = new EventTarget();
    const tone = new Ringtone({ make: () => ctx as unknown as AudioContext, gestures: page });
    expect(await tone.play('ringback')).toBe('blocked');
    tone.stop();
    const before = ctx.resumes;
    page.dispatchEvent(new Event('click'));
    expect(ctx.resumes).toBe(before);
    expect(await tone.resume()).toBe('off');
  });
});

describe('the group-call picker', () => {
  it('takes at most MAX_CALL_PARTICIPANTS - 1 others, in the order ticked', () => {
    expect(MAX_OTHERS).toBe(MAX_CALL_PARTICIPANTS - 1);
    let picked: string[] = [];
    for (let i = 0; i < MAX_OTHERS + 2; i++) picked = togglePick(picked, `k${i}`, true);
    expect(picked).toEqual(Array.from({ length: MAX_OTHERS }, (_, i) => `k${i}`));
    expect([canPick(picked, 'k0'), canPick(picked, `k${MAX_OTHERS}`)]).toEqual([true, false]);
    picked = togglePick(picked, 'k1', false);
    expect(canPick(picked, `k${MAX_OTHERS}`)).toBe(true);
    expect(togglePick(picked, 'k0', true)).toEqual(picked);
  });
});
