/**
 * Ring tones made with WebAudio (no audio file): `incoming` is a two-note trill (880/660 Hz,
 * four 0.4 s notes every 3 s), `ringback` the caller's quieter 440+480 Hz tone (2 s on, 4 s off).
 * Every cycle is scheduled ahead on the audio clock for longer than CALL_RING_TIMEOUT_MS, so no
 * timer runs while ringing. A browser may refuse to start audio before a user gesture: `play`
 * says so ('blocked'), the call screen shows a hint to tap, and the next click or key press
 * anywhere resumes the audio clock (the tone was scheduled on it, so it starts from there);
 * `onState` then reports 'playing'.
 */
import { CALL_RING_TIMEOUT_MS } from '@parley/generated';

export type ToneState = 'off' | 'playing' | 'blocked';

const INCOMING = { cycle: 3, notes: [880, 660, 880, 660], note: 0.4, gain: 0.25 };
const RINGBACK = { cycle: 6, on: 2, freqs: [440, 480], gain: 0.08 };
const RAMP = 0.02;

/** The user gestures that let a page start audio. */
const GESTURES = ['click', 'keydown'] as const;

export interface RingtoneOptions {
  make?: () => AudioContext | undefined;
  /** Where a click or key press unblocks audio (the window). */
  gestures?: EventTarget;
  /** The tone's state changed outside `play` (a gesture unblocked it). */
  onState?: (state: ToneState) => void;
}

export class Ringtone {
  #ctx: AudioContext | undefined;
  #stop: (() => void) | undefined;
  #disarm: (() => void) | undefined;
  readonly #o: RingtoneOptions;

  constructor(o: RingtoneOptions = {}) {
    this.#o = o;
  }

  async play(kind: 'incoming' | 'ringback'): Promise<ToneState> {
    this.stop();
    const ctx = (this.#ctx ??= (this.#o.make ?? defaultContext)());
    if (!ctx) return 'blocked';
    if (ctx.state !== 'running') await Promise.race([ctx.resume().catch(() => undefined), new Promise((r) => setTimeout(r, 300))]);
    const out = ctx.createGain();
    out.gain.value = 0;
    out.connect(ctx.destination);
    const t0 = ctx.currentTime + 0.05;
    const oscs: OscillatorNode[] = [];
    const cycles = (cycle: number) => Math.ceil(CALL_RING_TIMEOUT_MS / 1000 / cycle) + 2;
    const beep = (from: number, to: number, level: number) => {
      out.gain.setValueAtTime(0, from);
      out.gain.linearRampToValueAtTime(level, from + RAMP);
      out.gain.setValueAtTime(level, to - RAMP);
      out.gain.linearRampToValueAtTime(0, to);
    };
    if (kind === 'incoming') {
      const osc = ctx.createOscillator();
      osc.type = 'sine';
      for (let i = 0; i < cycles(INCOMING.cycle); i++) {
        INCOMING.notes.forEach((f, n) => {
          const at = t0 + i * INCOMING.cycle + n * INCOMING.note;
          osc.frequency.setValueAtTime(f, at);
        });
        beep(t0 + i * INCOMING.cycle, t0 + i * INCOMING.cycle + INCOMING.notes.length * INCOMING.note, INCOMING.gain);
      }
      oscs.push(osc);
    } else {
      for (const f of RINGBACK.freqs) {
        const osc = ctx.createOscillator();
        osc.frequency.value = f;
        oscs.push(osc);
      }
      for (let i = 0; i < cycles(RINGBACK.cycle); i++) beep(t0 + i * RINGBACK.cycle, t0 + i * RINGBACK.cycle + RINGBACK.on, RINGBACK.gain);
    }
    for (const o of oscs) {
      o.connect(out);
      o.start(t0);
    }
    this.#stop = () => {
      for (const o of oscs) o.stop();
      out.disconnect();
    };
    if (ctx.state === 'running') return 'playing';
    this.#armGestures();
    return 'blocked';
  }

  /**
   * Tries to start a blocked tone: must run inside a user gesture's handler (resume() is called
   * before anything is awaited, while the gesture still counts). 'off' if nothing is ringing.
   */
  async resume(): Promise<ToneState> {
    const ctx = this.#ctx;
    if (!ctx || !this.#stop) return 'off';
    await ctx.resume().catch(() => undefined);
    if (!this.#stop) return 'off'; // stopped (answered, declined) meanwhile
    if (ctx.state !== 'running') return 'blocked';
    this.#disarm?.();
    return 'playing';
  }

  stop(): void {
    this.#disarm?.();
    this.#stop?.();
    this.#stop = undefined;
  }

  /** Until the tone stops or plays: the next click or key press anywhere resumes it. */
  #armGestures(): void {
    const target = this.#o.gestures ?? (typeof window === 'undefined' ? undefined : window);
    if (!target) return;
    this.#disarm?.();
    const onGesture = () => {
      void this.resume().then((state) => state !== 'off' && this.#o.onState?.(state));
    };
    for (const g of GESTURES) target.addEventListener(g, onGesture, { capture: true });
    this.#disarm = () => {
      for (const g of GESTURES) target.removeEventListener(g, onGesture, { capture: true });
      this.#disarm = undefined;
    };
  }

  /** The audio clock, for tests: running while a tone plays. */
  get state(): AudioContextState | 'none' {
    return this.#ctx?.state ?? 'none';
  }
}

function defaultContext(): AudioContext | undefined {
  return typeof AudioContext === 'undefined' ? undefined : new AudioContext();
}
