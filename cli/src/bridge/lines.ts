/**
 * Splits a byte stream into lines of at most `maxBytes` (without the newline). A longer line is
 * reported once through `onTooLong` and skipped up to its newline, so a runaway writer cannot
 * make the bridge buffer without bound. CRLF endings are accepted; empty lines are skipped.
 */
export interface LineHandlers {
  line(text: string): void;
  tooLong(bytes: number): void;
  end(): void;
}

export function readLines(input: NodeJS.ReadableStream, maxBytes: number, h: LineHandlers): void {
  let parts: Buffer[] = [];
  let held = 0;
  let skipping = false;
  let skipped = 0;
  const push = (buf: Buffer): void => {
    let at = 0;
    while (at < buf.length) {
      const nl = buf.indexOf(0x0a, at);
      const end = nl === -1 ? buf.length : nl;
      const piece = buf.subarray(at, end);
      if (skipping) skipped += piece.length;
      else if (held + piece.length > maxBytes) {
        skipping = true;
        skipped = held + piece.length;
        parts = [];
        held = 0;
      } else {
        parts.push(piece);
        held += piece.length;
      }
      if (nl === -1) break;
      if (skipping) h.tooLong(skipped);
      else emit();
      skipping = false;
      skipped = 0;
      at = nl + 1;
    }
  };
  const emit = (): void => {
    let text = Buffer.concat(parts).toString('utf8');
    parts = [];
    held = 0;
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() !== '') h.line(text);
  };
  input.on('data', (chunk: Buffer | string) => push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
  let ended = false;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    if (skipping) h.tooLong(skipped);
    else if (held > 0) emit();
    h.end();
  };
  input.on('end', finish);
  input.on('error', finish);
  // destroyed (the bridge stops reading when the relay fails its keys): no 'end' comes
  input.on('close', finish);
}
