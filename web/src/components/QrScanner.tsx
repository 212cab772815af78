/**
 * Scans a QR code with the camera (ui-thread/qr.ts reads the frames). The camera stops when a
 * code is found, on cancel, and when the view goes away.
 */
import { Show, createSignal, onCleanup, onMount } from 'solid-js';
import { frameDecoder } from '../ui-thread/qr.ts';

export interface QrScannerProps {
  onResult: (text: string) => void;
  onCancel: () => void;
}

export function QrScanner(props: QrScannerProps) {
  const [error, setError] = createSignal<string>();
  let video: HTMLVideoElement | undefined;
  const canvas = document.createElement('canvas');
  let stream: MediaStream | undefined;
  let stopped = false;

  const stop = () => {
    stopped = true;
    stream?.getTracks().forEach((t) => t.stop());
  };
  onCleanup(stop);

  onMount(async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
      if (stopped) return stop();
      video!.srcObject = stream;
      await video!.play();
      const decode = await frameDecoder();
      const loop = async () => {
        if (stopped) return;
        const text = await decode(video!, canvas).catch(() => undefined);
        if (text) {
          stop();
          props.onResult(text);
          return;
        }
        setTimeout(() => void loop(), 150);
      };
      void loop();
    } catch (err) {
      setError(`The camera is not available: ${(err as Error).message}. Paste the invite instead.`);
    }
  });

  return (
    <div class="scanner">
      <Show when={!error()} fallback={<p role="alert">{error()}</p>}>
        <video ref={video} class="scanner-video" muted playsinline aria-label="Camera preview" />
      </Show>
      <button
        type="button"
        onClick={() => {
          stop();
          props.onCancel();
        }}
      >
        Stop scanning
      </button>
    </div>
  );
}
