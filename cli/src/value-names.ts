/**
 * What each option's value is, in help texts: clipanion writes every option value as `#0`
 * (`[--home #0]`), which tells a reader nothing; wschat names it (`[--home DIR]`). One table for
 * every command, since an option means the same thing wherever it appears; the help test fails
 * on any option missing from it.
 */
export const VALUE_NAMES: Readonly<Record<string, string>> = {
  '--home': 'DIR',
  '--downloads': 'DIR',
  '--timeout': 'SECONDS',
  '--ttl': 'SECONDS',
  '--wait': 'sent|delivered',
  '--count': 'N',
  '--uses': 'N',
  '--contact': 'CONTACT',
  '--name': 'NAME',
  '--note': 'TEXT',
  '--mime': 'TYPE',
  '--relay': 'URL',
  '--relay-url': 'URL',
  '--relay-x': 'HEX',
  '--relay-ed': 'HEX',
  '--invite': 'LINK',
  '--fingerprint': 'FINGERPRINT',
};

const OPTION_VALUE = /(--[a-z][a-z0-9-]*)((?:,-[a-zA-Z])?) #0/g;
/** A row of a command's options table: two spaces, the option, two or more spaces, its description. */
const TABLE_ROW = /^( {2})(-\S+(?: \S+)?)( {2,})(\S.*)$/;

/**
 * `text` (a usage line or a whole help page) with every `--option #0` written as
 * `--option NAME`, and each options table re-aligned to its longest entry.
 */
export function nameOptionValues(text: string): string {
  const named = text.replace(OPTION_VALUE, (all, option: string, alias: string) => {
    const name = VALUE_NAMES[option];
    return name ? `${option}${alias} ${name}` : all;
  });
  const lines = named.split('\n');
  for (let i = 0; i < lines.length; ) {
    let end = i;
    while (end < lines.length && TABLE_ROW.test(lines[end]!)) end++;
    if (end - i >= 2) {
      const rows = lines.slice(i, end).map((l) => TABLE_ROW.exec(l)!);
      const width = Math.max(...rows.map((r) => r[2]!.length)) + 2;
      rows.forEach((r, k) => (lines[i + k] = `${r[1]}${r[2]!.padEnd(width)}${r[4]}`));
    }
    i = Math.max(end, i + 1);
  }
  return lines.join('\n');
}
