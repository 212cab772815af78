/**
 * In-call controls: mute, camera on/off, switch camera (with more than one), the microphone
 * (replaceTrack on every link), the speaker or headset where the browser lets a page choose
 * (setSinkId), adding someone (up to MAX_CALL_PARTICIPANTS: a 1:1 call becomes a group call),
 * hang up. The device lists follow `devicechange` (calls.ts).
 */
import { MAX_CALL_PARTICIPANTS } from '@parley/generated';
import { For, Show, createSignal } from 'solid-js';
import type { Contact } from '../messages/protocol.ts';
import { CallIcon } from './CallIcon.tsx';
import type { Calls, CallView } from './calls.ts';
import { canChooseOutput } from './media.ts';

export function CallControls(props: { calls: Calls; call: CallView; contacts: () => Contact[] }) {
  const calls = props.calls;
  const [adding, setAdding] = createSignal(false);
  const [pick, setPick] = createSignal('');
  const addable = () => props.contacts().filter((c) => !props.call.peers.some((p) => p.key === c.key && (p.dropped || ['present', 'invited', 'ringing'].includes(p.status))));
  const canAdd = () => props.call.phase === 'active' && props.call.rosterSize < MAX_CALL_PARTICIPANTS && addable().length > 0;
  const speakers = () => calls.state.devices.speakers;
  const mics = () => calls.state.devices.mics;
  const invite = () => {
    const key = pick() || addable()[0]?.key;
    if (!key) return;
    try {
      calls.add(key);
    } catch (err) {
      console.warn('parley calls:', err);
    }
    setAdding(false);
    setPick('');
  };

  return (
    <div class="call-controls">
      <Show when={adding()}>
        <div class="call-add card">
          <label class="field">
            <span>Add to the call</span>
            <select data-testid="call-add-pick" value={pick()} onChange={(e) => setPick(e.currentTarget.value)}>
              <For each={addable()}>{(c) => <option value={c.key}>{c.name || 'Unnamed contact'}</option>}</For>
            </select>
          </label>
          <div class="row">
            <button type="button" class="primary" data-testid="call-add-invite" onClick={invite}>
              Invite
            </button>
            <button type="button" onClick={() => setAdding(false)}>
              Cancel
            </button>
          </div>
        </div>
      </Show>
      <div class="call-actions">
        <button type="button" class="call-btn" aria-pressed={calls.state.muted} data-testid="call-mute" onClick={() => calls.setMuted(!calls.state.muted)}>
          <CallIcon name={calls.state.muted ? 'mic' : 'micOff'} /> {calls.state.muted ? 'Unmute' : 'Mute'}
        </button>
        {/* label and icon both say what a press does: "Turn camera on" with the camera, "Turn camera off" with it crossed out (Mute likewise) */}
        <button type="button" class="call-btn" data-testid="call-camera" onClick={() => void calls.setCamera(!calls.state.cameraOn)}>
          <CallIcon name={calls.state.cameraOn ? 'videoOff' : 'video'} /> {calls.state.cameraOn ? 'Turn camera off' : 'Turn camera on'}
        </button>
        <Show when={calls.state.cameraOn && calls.state.devices.cameras.length > 1}>
          <button type="button" class="call-btn" data-testid="call-switch" onClick={() => void calls.switchCamera()}>
            <CallIcon name="switchCam" /> Switch camera
          </button>
        </Show>
        <Show when={mics().length > 0}>
          <label class="call-output">
            <span>Microphone</span>
            <select data-testid="call-mic" value={calls.state.micId} onChange={(e) => void calls.setMic(e.currentTarget.value)}>
              <For each={mics()}>{(d, i) => <option value={d.deviceId}>{d.label || `Microphone ${i() + 1}`}</option>}</For>
            </select>
          </label>
        </Show>
        <Show when={canChooseOutput() && speakers().length > 0}>
          <label class="call-output">
            <span>Sound to</span>
            <select data-testid="call-output" value={calls.state.sinkId} onChange={(e) => calls.setSink(e.currentTarget.value)}>
              <option value="">System default</option>
              <For each={speakers().filter((d) => d.deviceId !== 'default')}>{(d, i) => <option value={d.deviceId}>{d.label || `Output ${i() + 1}`}</option>}</For>
            </select>
          </label>
        </Show>
        <Show when={canAdd()}>
          <button type="button" class="call-btn" aria-expanded={adding()} data-testid="call-add" onClick={() => setAdding(!adding())}>
            <CallIcon name="addPerson" /> Add person
          </button>
        </Show>
        <button type="button" class="call-btn call-hangup" data-testid="call-hangup" onClick={() => calls.hangup()}>
          <CallIcon name="hangup" /> Hang up
        </button>
      </div>
    </div>
  );
}
