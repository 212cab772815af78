/**
 * A QR code drawn with Unicode half blocks: each text row holds two rows of modules. By default
 * the light modules are drawn (right for the usual dark terminal background); `invert` draws
 * the dark ones for light backgrounds. A quiet zone of QUIET modules surrounds the code.
 */
import { encode } from 'uqr';

/** Quiet zone in modules (ISO/IEC 18004 asks for 4; 2 scans reliably on screens and saves space). */
const QUIET = 2;

export function renderQr(text: string, o: { invert?: boolean } = {}): string {
  const qr = encode(text, { ecc: 'L', border: 0 });
  const n = qr.size + QUIET * 2;
  // true = draw a block here
  const ink = (x: number, y: number): boolean => {
    const mx = x - QUIET;
    const my = y - QUIET;
    const dark = mx >= 0 && my >= 0 && mx < qr.size && my < qr.size && qr.data[my]![mx]!;
    return o.invert ? dark : !dark;
  };
  const lines: string[] = [];
  for (let y = 0; y < n; y += 2) {
    let line = '';
    for (let x = 0; x < n; x++) {
      const top = ink(x, y);
      const bottom = y + 1 < n ? ink(x, y + 1) : false;
      line += top && bottom ? '█' : top ? '▀' : bottom ? '▄' : ' ';
    }
    lines.push(line);
  }
  return lines.join('\n') + '\n';
}
