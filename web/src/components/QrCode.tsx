/** A QR code drawn as one SVG path (quiet zone included; no markup strings, nothing inline-styled). */
import { createMemo } from 'solid-js';
import { qrMatrix, qrPath } from '../ui-thread/qr.ts';

export interface QrCodeProps {
  text: string;
  label: string;
}

export function QrCode(props: QrCodeProps) {
  const matrix = createMemo(() => qrMatrix(props.text));
  const size = () => matrix().length;
  return (
    <svg class="qr" viewBox={`0 0 ${size()} ${size()}`} role="img" aria-label={props.label} shape-rendering="crispEdges">
      <rect width={size()} height={size()} class="qr-bg" />
      <path d={qrPath(matrix())} class="qr-fg" />
    </svg>
  );
}
