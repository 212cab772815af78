/**
 * WebRTC media links, one RTCPeerConnection per other participant (a full mesh).
 *
 * - Both ends always have one audio and one video transceiver (sendrecv), so muting, the camera
 *   going on or off, and switching cameras are RTCRtpSender.replaceTrack: no renegotiation, and
 *   so no second offer that the spec's "the lower key offers" rule would have to order.
 * - The offerer creates the offer at once; the answerer waits for it. SDP goes out as call_sdp,
 *   candidates trickle as call_ice (ephemeral; ones arriving before the remote description wait).
 *   Each link handles its messages one at a time, in order.
 * - ICE servers come from the relay (Api.requestTurn: STUN and TURN with short-lived coturn
 *   REST credentials), fetched once per call and reused while they are fresh; the policy is
 *   'relay' when the user asked that calls never reveal their address to the other side.
 * - A link that stays disconnected for LINK_GRACE_MS, or fails, is reported failed.
 */
import { MessageType, SdpType } from '@parley/generated';
import { msg, type CallMessage } from './signal.ts';
import { summarize, type LinkStats } from './stats.ts';

/** How long a link may stay `disconnected` (ICE may recover by itself) before it counts as failed. */
export const LINK_GRACE_MS = 10_000;

export interface LocalTracks {
  stream: MediaStream;
  audio: MediaStreamTrack | undefined;
  video: MediaStreamTrack | undefined;
}

export interface LinkOptions {
  callId: string;
  key: string;
  offerer: boolean;
  config: RTCConfiguration;
  local: LocalTracks;
  send(m: CallMessage): Promise<unknown>;
  /** Remote tracks arrived or changed (muted: the other side's camera is off). */
  onRemote(stream: MediaStream): void;
  onState(state: 'connected' | 'failed'): void;
  report(context: string, err: unknown): void;
}

export class PeerLink {
  readonly pc: RTCPeerConnection;
  readonly remote = new MediaStream();
  stats: LinkStats | undefined;
  readonly #o: LinkOptions;
  #chain: Promise<void> = Promise.resolve();
  #pendingIce: RTCIceCandidateInit[] = [];
  #described = false;
  #grace: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(o: LinkOptions) {
    this.#o = o;
    const pc = (this.pc = new RTCPeerConnection(o.config));
    pc.onicecandidate = (e) => {
      if (!e.candidate?.candidate) return;
      const m = msg.ice(o.callId, e.candidate);
      if (m) o.send(m).catch(() => undefined); // ephemeral: NOT_CONNECTED while offline
    };
    pc.ontrack = (e) => {
      if (!this.remote.getTracks().includes(e.track)) this.remote.addTrack(e.track);
      e.track.onmute = e.track.onunmute = () => o.onRemote(this.remote);
      o.onRemote(this.remote);
    };
    pc.onconnectionstatechange = () => this.#stateChanged();
    if (o.offerer) {
      for (const kind of ['audio', 'video'] as const) pc.addTransceiver(o.local[kind] ?? kind, { direction: 'sendrecv', streams: [o.local.stream] });
      this.#run(async () => {
        await pc.setLocalDescription(await pc.createOffer());
        await o.send(msg.sdp(o.callId, 'offer', pc.localDescription!.sdp));
      });
    }
  }

  /** call_sdp or call_ice from the other side. */
  handle(m: CallMessage): void {
    this.#run(async () => {
      const pc = this.pc;
      if (m.type === MessageType.callSdp) {
        if (m.body.sdpType === SdpType.offer) {
          if (this.#o.offerer) return; // the spec's rule: we offer, so an offer from them is out of turn
          await pc.setRemoteDescription({ type: 'offer', sdp: m.body.sdp });
          await this.#attachLocal();
          await pc.setLocalDescription(await pc.createAnswer());
          await this.#o.send(msg.sdp(this.#o.callId, 'answer', pc.localDescription!.sdp));
        } else if (m.body.sdpType === SdpType.answer && pc.signalingState === 'have-local-offer') {
          await pc.setRemoteDescription({ type: 'answer', sdp: m.body.sdp });
        } else return;
        this.#described = true;
        for (const c of this.#pendingIce.splice(0)) await this.#addIce(c);
      } else if (m.type === MessageType.callIce && m.body.candidate) {
        const c = { candidate: m.body.candidate, sdpMid: m.body.sdpMid || null, sdpMLineIndex: m.body.mlineIndex };
        if (this.#described) await this.#addIce(c);
        else this.#pendingIce.push(c);
      }
    });
  }

  /** Sends this track (or nothing) on the link's audio or video sender. */
  async setTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null): Promise<void> {
    for (const t of this.pc.getTransceivers()) if (t.receiver.track.kind === kind && t.currentDirection !== 'stopped') await t.sender.replaceTrack(track);
  }

  async sample(): Promise<LinkStats> {
    this.stats = summarize(await this.pc.getStats(), performance.now(), this.stats);
    return this.stats;
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#grace);
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }

  /** The answerer's transceivers were made by the offer: send our tracks on them. */
  async #attachLocal(): Promise<void> {
    const l = this.#o.local;
    for (const t of this.pc.getTransceivers()) {
      const kind = t.receiver.track.kind as 'audio' | 'video';
      t.direction = 'sendrecv';
      await t.sender.replaceTrack(l[kind] ?? null);
      t.sender.setStreams?.(l.stream);
    }
  }

  async #addIce(c: RTCIceCandidateInit): Promise<void> {
    try {
      await this.pc.addIceCandidate(c);
    } catch (err) {
      this.#o.report('ice candidate', err);
    }
  }

  #run(fn: () => Promise<void>): void {
    this.#chain = this.#chain.then(async () => {
      if (this.#closed) return;
      try {
        await fn();
      } catch (err) {
        this.#o.report('link', err);
      }
    });
  }

  #stateChanged(): void {
    const s = this.pc.connectionState;
    clearTimeout(this.#grace);
    if (s === 'connected') this.#o.onState('connected');
    else if (s === 'failed') this.#o.onState('failed');
    else if (s === 'disconnected') this.#grace = setTimeout(() => this.pc.connectionState !== 'connected' && this.#o.onState('failed'), LINK_GRACE_MS);
  }
}

/**
 * Puts `track` (or nothing) on the `kind` sender of every link: replaceTrack, no renegotiation.
 * Links still opening read LocalMedia when they attach, so they get the new track too.
 */
export async function putTrack(links: Iterable<Promise<Pick<PeerLink, 'setTrack'> | undefined>>, kind: 'audio' | 'video', track: MediaStreamTrack | null, report: (context: string, err: unknown) => void): Promise<void> {
  for (const p of [...links]) {
    const l = await p;
    if (l) await l.setTrack(kind, track).catch((err) => report(`${kind} track`, err));
  }
}

/** How long callers share a TURN request that has not answered before asking again. */
export const ICE_PENDING_MS = 60_000;

/**
 * ICE configuration from the relay, fetched once and reused for half its lifetime. Only a
 * success is kept: a failed request (offline, a transient relay error) is asked again by the
 * next caller, so one failure does not leave the next calls without TURN.
 */
export class IceConfig {
  #cached: { until: number; servers: Promise<RTCIceServer[]> } | undefined;

  constructor(private readonly fetchServers: () => Promise<{ servers: RTCIceServer[]; ttlSeconds: number }>) {}

  /** The relay's servers; rejects when they could not be had (nothing is cached then). */
  servers(): Promise<RTCIceServer[]> {
    const now = Date.now();
    if (this.#cached && this.#cached.until > now) return this.#cached.servers;
    const p = this.fetchServers().then(
      (r) => {
        if (this.#cached?.servers === p) this.#cached.until = Date.now() + (r.ttlSeconds * 1000) / 2;
        return r.servers;
      },
      (err: unknown) => {
        if (this.#cached?.servers === p) this.#cached = undefined;
        throw err;
      },
    );
    // While the request runs, every caller shares it (a call's links open together); one that
    // hangs is given up on after ICE_PENDING_MS.
    this.#cached = { until: now + ICE_PENDING_MS, servers: p };
    return p;
  }

  /**
   * For a link about to open: the servers, or none (host candidates only) when the relay has no
   * TURN or cannot be asked now. The fallback is used for this link only and not remembered.
   */
  async serversOrNone(report: (context: string, err: unknown) => void): Promise<{ servers: RTCIceServer[]; failed: boolean }> {
    try {
      return { servers: await this.servers(), failed: false };
    } catch (err) {
      report('TURN credentials', err);
      return { servers: [], failed: true };
    }
  }

  /** Asks ahead (an incoming call, a call being placed), so the links do not wait; errors wait for the links. */
  prefetch(): void {
    this.servers().catch(() => undefined);
  }
}
