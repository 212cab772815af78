/** What every comparison step shares: both IRs, the renames found, and the change list. */
import type { Origin, SpecIR } from '../generator/ir.ts';
import { Changes, clip, type Side } from './report.ts';

/** Old id → new id of elements renamed with identical content, per kind of element. */
export interface Renames {
  structs: Map<string, string>;
  enums: Map<string, string>;
  contexts: Map<string, string>;
  regions: Map<string, string>;
  derivations: Map<string, string>;
  signatures: Map<string, string>;
}

export type RenameKind = keyof Renames;

export class DiffContext {
  readonly out = new Changes();
  readonly renames: Renames = {
    structs: new Map(),
    enums: new Map(),
    contexts: new Map(),
    regions: new Map(),
    derivations: new Map(),
    signatures: new Map(),
  };
  constructor(
    readonly old: SpecIR,
    readonly now: SpecIR,
  ) {}

  /** The new id of an old element (itself unless renamed). */
  map(kind: RenameKind, oldId: string): string;
  map(kind: RenameKind, oldId: string | undefined): string | undefined;
  map(kind: RenameKind, oldId: string | undefined): string | undefined {
    return oldId === undefined ? undefined : (this.renames[kind].get(oldId) ?? oldId);
  }

  /** A side from an element's origin. */
  side(o: Origin): Side {
    return { path: o.path, line: o.line };
  }

  /** A side for a YAML path, its line from the IR's line index (0 when unknown). */
  oldAt(path: string): Side {
    return { path, line: this.old.lines?.[path] ?? 0 };
  }
  newAt(path: string): Side {
    return { path, line: this.now.lines?.[path] ?? 0 };
  }

  /** Reports DOC_CHANGED when two texts differ. */
  doc(label: string, a: string | undefined, b: string | undefined, old: Side, now: Side): void {
    if ((a ?? '') === (b ?? '')) return;
    // Show both texts from a little before the first difference.
    const x = a ?? '';
    const y = b ?? '';
    let i = 0;
    while (i < x.length && x[i] === y[i]) i++;
    const from = i > 20 ? i - 20 : 0;
    const cut = (t: string) => (from ? '…' : '') + t.slice(from);
    this.out.add('DOC_CHANGED', old, now, `${label} ${a === undefined ? '(none)' : clip(cut(x))} → ${b === undefined ? '(none)' : clip(cut(y))}`);
  }
}

/** `none` for an absent value, for messages. */
export function show(v: number | string | undefined | null): string {
  return v === undefined || v === null ? 'none' : String(v);
}
