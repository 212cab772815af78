/**
 * The known-failures file: one case name per line (as printed by the runner); `#` starts a
 * comment line; blank lines are ignored; `*` matches any run of characters, so `codec/encode/*`
 * lists every encode case of codec.json. A listed case that fails is expected; a listed case that
 * passes is reported, so the list only shrinks.
 */
import { readFileSync } from 'node:fs';
import { ConformanceError } from './errors.ts';

export class KnownFailures {
  private readonly exact = new Set<string>();
  private readonly patterns: { text: string; re: RegExp }[] = [];
  private readonly matched = new Set<string>();

  constructor(readonly entries: string[]) {
    for (const e of entries) {
      if (e.includes('*')) this.patterns.push({ text: e, re: new RegExp(`^${e.split('*').map(escape).join('.*')}$`) });
      else this.exact.add(e);
    }
  }

  static parse(text: string): KnownFailures {
    return new KnownFailures(
      text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#')),
    );
  }

  static read(file: string): KnownFailures {
    try {
      return KnownFailures.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConformanceError('CONF_KNOWN_FAILURES', `cannot read known-failures file ${file}: ${(e as Error).message}`);
    }
  }

  has(name: string): boolean {
    const hit = this.exact.has(name) ? name : this.patterns.find((p) => p.re.test(name))?.text;
    if (hit !== undefined) this.matched.add(hit);
    return hit !== undefined;
  }

  /** Entries that matched no case of this run (stale or misspelt). */
  unused(): string[] {
    return this.entries.filter((e) => !this.matched.has(e));
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
