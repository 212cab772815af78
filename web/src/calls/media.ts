/**
 * The local microphone and camera: opened for a call, muted by disabling the audio track (the
 * track keeps flowing, silent), camera off by stopping the track (the light goes out), camera
 * switch and device lists from enumerateDevices(). Links use `audio`/`video` through
 * RTCRtpSender.replaceTrack, so none of this renegotiates.
 */

export interface Devices {
  cameras: MediaDeviceInfo[];
  mics: MediaDeviceInfo[];
  speakers: MediaDeviceInfo[];
}

const VIDEO: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } };

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
        const s = await this.#md.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
        this.audio = s.getAudioTracks()[0];
        if (this.audio) this.stream.addTrack(this.audio);
      } catch (err) {
        return `No microphone: ${(err as Error).message}`;
      }
    }
    if (video && !this.video) {
      try {
        await this.cameraOn();
      } catch (err) {
        return `No camera: ${(err as Error).message}`;
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

  /** Opens a camera (a given one, or the default) and returns its track; the old one stops. */
  async cameraOn(deviceId?: string): Promise<MediaStreamTrack> {
    if (!this.#md) throw new Error('no media devices');
    const s = await this.#md.getUserMedia({ video: deviceId ? { ...VIDEO, deviceId: { exact: deviceId } } : VIDEO });
    const track = s.getVideoTracks()[0];
    if (!track) throw new Error('no video track');
    this.cameraOff();
    this.video = track;
    this.stream.addTrack(track);
    return track;
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
