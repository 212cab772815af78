/**
 * Ring tones made with WebAudio (no audio file): `incoming` is a two-note trill (880/660 Hz,
 * four 0.4 s notes every 3 s), `ringback` the caller's quieter 440+480 Hz tone (2 s on, 4 s off).
 * Every cycle is scheduled ahead on the audio clock for longer than CALL_RING_TIMEOUT_MS, so no
 * timer runs while ringing. A browser may refuse to start audio before a user gesture: `play`
 * says so ('blocked') and the UI still shows the call.
 */
import { CALL_RING_TIMEOUT_MS } from '@parley/generated';

export type ToneState = 'off' | 'playing' | 'blocked';

const INCOMING = { cycle: 3, notes: [880, 660, 880, 660], note: 0.4, gain: 0.25 };
const RINGBACK = { cycle: 6, on: 2, freqs: [440, 480], gain: 0.08 };
const RAMP = 0.02;

export class Ringtone {
  #ctx: AudioContext | undefined;
  #stop: (() => void) | undefined;

  constructor(private readonly make: () => AudioContext | undefined = () => (typeof AudioContext === 'undefined' ? undefined : new AudioContext())) {}

  async play(kind: 'incoming' | 'ringback'): Promise<ToneState> {
    this.stop();
    const ctx = (this.#ctx ??= this.make());
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
    return ctx.state === 'running' ? 'playing' : 'blocked';
  }

  stop(): void {
    this.#stop?.();
    this.#stop = undefined;
  }

  /** The audio clock, for tests: running while a tone plays. */
  get state(): AudioContextState | 'none' {
    return this.#ctx?.state ?? 'none';
  }
}
