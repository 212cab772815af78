/**
 * The local microphone and camera: opened for a call, muted by disabling the audio track (the
 * track keeps flowing, silent), camera off by stopping the track (the light goes out), camera
 * and microphone switches, device lists from enumerateDevices() (refreshed on `devicechange`),
 * the output device (setSinkId). Links use `audio`/`video` through RTCRtpSender.replaceTrack,
 * so none of this renegotiates.
 */

export interface Devices {
  cameras: MediaDeviceInfo[];
  mics: MediaDeviceInfo[];
  speakers: MediaDeviceInfo[];
}

const VIDEO: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } };
const AUDIO: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true };

/**
 * A device that would not do what was asked: `unsupported` (no mediaDevices: not a secure
 * origin), `camera` (none would open), `camera-switch` / `mic-switch` (the chosen one would not
 * open; `restored`: the call is back on the previous one).
 */
export class CallMediaError extends Error {
  override readonly name = 'CallMediaError';
  readonly restored: boolean;
  constructor(
    readonly code: 'unsupported' | 'camera' | 'camera-switch' | 'mic-switch',
    message: string,
    o: { cause?: unknown; restored?: boolean } = {},
  ) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.restored = o.restored ?? false;
  }
}

/**
 * What a person reads when a device will not open: the browser's own messages ("Permission
 * denied", "Could not start video source") say little about what to do. Keyed by the
 * getUserMedia DOMException names (Media Capture and Streams §9.2); others keep their message.
 */
const DEVICE_WORDS: Readonly<Record<string, string>> = {
  NotAllowedError: 'the browser is not allowed to use it; allow it for this site in the browser’s settings',
  SecurityError: 'the browser is not allowed to use it; allow it for this site in the browser’s settings',
  NotFoundError: 'none was found; is one connected?',
  OverconstrainedError: 'none was found that can be used',
  NotReadableError: 'another app is using it, or the system would not open it',
  AbortError: 'it could not be opened; try again',
};
const messageOf = (err: unknown): string => (err instanceof Error ? (DEVICE_WORDS[err.name] ?? err.message) : String(err));

export class LocalMedia {
  readonly stream = new MediaStream();
  audio: MediaStreamTrack | undefined;
  video: MediaStreamTrack | undefined;
  readonly #md: MediaDevices | undefined;

  constructor(md: MediaDevices | undefined = globalThis.navigator?.mediaDevices) {
    this.#md = md;
  }

  /** Opens the microphone (and the camera): returns what could not be opened, if anything. */
  async open(video: boolean): Promise<string | undefined> {
    if (!this.#md) return 'This browser cannot use a microphone here (a secure origin is needed).';
    if (!this.audio) {
      try {
        const s = await this.#md.getUserMedia({ audio: AUDIO });
        this.audio = s.getAudioTracks()[0];
        if (this.audio) this.stream.addTrack(this.audio);
      } catch (err) {
        return `No microphone: ${messageOf(err)}`;
      }
    }
    if (video && !this.video) {
      try {
        await this.cameraOn();
      } catch (err) {
        return `No camera: ${messageOf(err)}`;
      }
    }
    return undefined;
  }

  get muted(): boolean {
    return this.audio ? !this.audio.enabled : true;
  }

  setMuted(muted: boolean): void {
    if (this.audio) this.audio.enabled = !muted;
  }

  /**
   * Opens a camera (a given one, or the default) and returns its track. The camera in use is
   * stopped first: many phones cannot open a second camera while one is open. If the new one
   * will not open, the previous camera is opened again and a CallMediaError('camera-switch')
   * says so (`restored` tells whether the previous one came back).
   */
  async cameraOn(deviceId?: string): Promise<MediaStreamTrack> {
    if (!this.#md) throw new CallMediaError('unsupported', 'no media devices here (a secure origin is needed)');
    const previous = this.video ? (this.cameraId ?? '') : undefined;
    this.cameraOff();
    try {
      return await this.#openCamera(deviceId);
    } catch (err) {
      if (previous === undefined) throw new CallMediaError('camera', messageOf(err), { cause: err });
      const restored = await this.#openCamera(previous || undefined).then(
        () => true,
        () => false,
      );
      throw new CallMediaError('camera-switch', `that camera would not open (${messageOf(err)})${restored ? '; back to the previous one' : ''}`, { cause: err, restored });
    }
  }

  async #openCamera(deviceId: string | undefined): Promise<MediaStreamTrack> {
    const s = await this.#md!.getUserMedia({ video: deviceId ? { ...VIDEO, deviceId: { exact: deviceId } } : VIDEO });
    const track = s.getVideoTracks()[0];
    if (!track) throw new CallMediaError('camera', 'no video track');
    this.video = track;
    this.stream.addTrack(track);
    return track;
  }

  /** The microphone in use (its deviceId), if the browser says. */
  get micId(): string | undefined {
    return this.audio?.getSettings().deviceId;
  }

  /**
   * Moves to another microphone and returns its track, muted if we were (the links then get it
   * with replaceTrack). The new one opens before the old one stops, so a microphone that will
   * not open leaves the call on the old one (CallMediaError('mic-switch')).
   */
  async switchMic(deviceId: string): Promise<MediaStreamTrack> {
    if (!this.#md) throw new CallMediaError('unsupported', 'no media devices here (a secure origin is needed)');
    const muted = this.muted;
    let track: MediaStreamTrack | undefined;
    try {
      const s = await this.#md.getUserMedia({ audio: { ...AUDIO, deviceId: { exact: deviceId } } });
      track = s.getAudioTracks()[0];
    } catch (err) {
      throw new CallMediaError('mic-switch', `that microphone would not open: ${messageOf(err)}`, { cause: err, restored: !!this.audio });
    }
    if (!track) throw new CallMediaError('mic-switch', 'no audio track', { restored: !!this.audio });
    track.enabled = !muted;
    if (this.audio) {
      this.audio.stop();
      this.stream.removeTrack(this.audio);
    }
    this.audio = track;
    this.stream.addTrack(track);
    return track;
  }

  /** Calls `fn` whenever a device is plugged in or out (the lists and pickers then refresh). */
  onDeviceChange(fn: () => void): () => void {
    const md = this.#md;
    if (!md?.addEventListener) return () => undefined;
    md.addEventListener('devicechange', fn);
    return () => md.removeEventListener('devicechange', fn);
  }

  cameraOff(): void {
    if (!this.video) return;
    this.video.stop();
    this.stream.removeTrack(this.video);
    this.video = undefined;
  }

  /** The camera in use (its deviceId), if the browser says. */
  get cameraId(): string | undefined {
    return this.video?.getSettings().deviceId;
  }

  /** The next camera after the one in use (round robin), or undefined with fewer than two. */
  async nextCamera(): Promise<string | undefined> {
    const cams = (await this.devices()).cameras;
    if (cams.length < 2) return undefined;
    const at = cams.findIndex((c) => c.deviceId === this.cameraId);
    return cams[(at + 1) % cams.length]!.deviceId;
  }

  async devices(): Promise<Devices> {
    const all = this.#md ? await this.#md.enumerateDevices() : [];
    return {
      cameras: all.filter((d) => d.kind === 'videoinput' && d.deviceId),
      mics: all.filter((d) => d.kind === 'audioinput' && d.deviceId),
      speakers: all.filter((d) => d.kind === 'audiooutput' && d.deviceId),
    };
  }

  close(): void {
    for (const t of this.stream.getTracks()) {
      t.stop();
      this.stream.removeTrack(t);
    }
    this.audio = undefined;
    this.video = undefined;
  }
}

/** Output device choice: only where media elements have setSinkId (Chromium; not Safari, Firefox behind a pref). */
export const canChooseOutput = (): boolean => typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

export interface SinkElement {
  sinkId?: string;
  setSinkId?(id: string): Promise<void>;
}

/**
 * Sends an element's sound to the chosen output. '' is a choice too ("System default"): it
 * must be applied, or an element once moved to a headset would stay there. Nothing happens
 * when the element already plays there or cannot choose; resolves true when it moved.
 */
export async function applySink(el: SinkElement | undefined, id: string): Promise<boolean> {
  if (!el?.setSinkId || el.sinkId === id) return false;
  await el.setSinkId(id);
  return true;
}
