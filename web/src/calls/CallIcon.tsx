/** Icons of the call screen and buttons (inline SVG like components/Icon.tsx; decorative). */
const PATHS = {
  phone: 'M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2z',
  video: 'M3 7h12v10H3zM15 10.5l6-3.5v10l-6-3.5',
  mic: 'M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM5 11a7 7 0 0 0 14 0M12 18v3',
  micOff: 'M3 3l18 18M9 9v3a3 3 0 0 0 5.1 2.1M15 9.3V6a3 3 0 0 0-5.9-.8M5 11a7 7 0 0 0 11.4 5.4M19 11a7 7 0 0 1-.6 2.8M12 18v3',
  videoOff: 'M3 3l18 18M15 10.5l6-3.5v10l-2-1.2M11 7h4v4M3 7h2M3 7v10h12v-2',
  hangup: 'M3 14.5c5-4.7 13-4.7 18 0l-2.5 2.5-3.5-1.5v-2.5a9 9 0 0 0-6 0v2.5L5.5 17z',
  switchCam: 'M4 7h3l2-2h6l2 2h3v12H4zM9 13a3 3 0 0 1 5.2-2M15 13a3 3 0 0 1-5.2 2M14 9v2h-2M10 17v-2h2',
  addPerson: 'M10 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21a8 8 0 0 1 13-6M19 14v6M16 17h6',
  group: 'M8 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM16.5 11a3 3 0 1 0 0-6M1.5 20a6.5 6.5 0 0 1 13 0M16 14a5.5 5.5 0 0 1 6.5 6',
  speaker: 'M4 9h4l5-4v14l-5-4H4zM16.5 8.5a5 5 0 0 1 0 7M19 6a8.5 8.5 0 0 1 0 12',
} as const;

export type CallIconName = keyof typeof PATHS;

export function CallIcon(props: { name: CallIconName }) {
  return (
    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" data-icon={props.name}>
      <path d={PATHS[props.name]} />
    </svg>
  );
}
