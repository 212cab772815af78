/** The crypto inputs: context strings, signature labels, regions, derivations, frame kinds. */
import type { DerivationIR, RegionIR, RegionPartIR, SignatureIR, SpecIR } from '../generator/ir.ts';
import { alignList, matchRenames } from './align.ts';
import { show, type DiffContext, type RenameKind } from './context.ts';

/** Compares two id-keyed lists: removed, renamed (by content), added, and the pairs. */
function byId<T extends { id: string; path: string; line: number }>(
  ctx: DiffContext,
  kind: RenameKind,
  label: string,
  oldList: T[],
  newList: T[],
  content: { old: (t: T) => string; new: (t: T) => string },
  compare: (o: T, n: T) => void,
): void {
  const oldById = new Map(oldList.map((t) => [t.id, t]));
  const newById = new Map(newList.map((t) => [t.id, t]));
  ctx.renames[kind] = matchRenames(oldById.keys(), newById.keys(), (o, n) => content.old(oldById.get(o)!) === content.new(newById.get(n)!));
  for (const o of oldList) {
    const n = newById.get(ctx.map(kind, o.id));
    if (!n) {
      ctx.out.add('WIRE_ELEMENT_REMOVED', ctx.side(o), null, `${label} ${o.id} removed`);
      continue;
    }
    if (n.id !== o.id) ctx.out.add('API_ELEMENT_RENAMED', ctx.side(o), ctx.side(n), `${label} ${o.id} renamed ${n.id}; content unchanged`);
    compare(o, n);
  }
  const renamedTo = new Set(ctx.renames[kind].values());
  for (const n of newList) if (!oldById.has(n.id) && !renamedTo.has(n.id)) ctx.out.add('API_ELEMENT_ADDED', null, ctx.side(n), `${label} ${n.id} added`);
}

export function compareContexts(ctx: DiffContext): void {
  const { old, now } = ctx;
  if (old.contexts.prefix !== now.contexts.prefix)
    ctx.out.add('WIRE_CONTEXT_CHANGED', ctx.oldAt('contexts.prefix'), ctx.newAt('contexts.prefix'), `context prefix "${old.contexts.prefix}" → "${now.contexts.prefix}": every derive_key context changes`);
  byId(ctx, 'contexts', 'context', old.contexts.items, now.contexts.items, { old: (c) => c.label, new: (c) => c.label }, (o, n) => {
    if (o.label !== n.label) ctx.out.add('WIRE_CONTEXT_CHANGED', ctx.side(o), ctx.side(n), `${n.id} "${o.context}" → "${n.context}"`);
    ctx.doc(`context ${n.id} doc`, o.doc, n.doc, ctx.side(o), ctx.side(n));
  });
}

export function compareRegions(ctx: DiffContext): void {
  const enums = (id: string | undefined) => ctx.map('enums', id);
  const part = (p: RegionPartIR, mapEnum: (id: string | undefined) => string | undefined) => JSON.stringify([p.type, p.size, mapEnum(p.enum), p.value, p.raw]);
  const parts = (r: RegionIR, mapEnum: (id: string | undefined) => string | undefined) => JSON.stringify(r.parts.map((p) => [p.id, part(p, mapEnum)]));
  byId(ctx, 'regions', 'region', ctx.old.regions, ctx.now.regions, { old: (r) => parts(r, enums), new: (r) => parts(r, (x) => x) }, (ro, rn) => {
    ctx.doc(`region ${rn.id} doc`, ro.doc, rn.doc, ctx.side(ro), ctx.side(rn));
    const a = alignList(
      ro.parts,
      rn.parts,
      (p) => p.id,
      (p) => part(p, enums),
      (p) => part(p, (x) => x),
    );
    const describe = (p: RegionPartIR) => `${p.type}${p.size === null ? (p.raw ? ' raw' : ' u32-length-prefixed') : `[${p.size}]`}${p.value !== undefined ? ` = ${p.valueName ? `${p.valueName} (${p.value})` : p.value}` : ''}`;
    for (const r of a.removed) ctx.out.add('WIRE_REGION_CHANGED', ctx.side(r.item), null, `${rn.id}: part ${r.item.id} (${describe(r.item)}) removed from position ${r.index}`);
    for (const x of a.added) ctx.out.add('WIRE_REGION_CHANGED', null, ctx.side(x.item), `${rn.id}: part ${x.item.id} (${describe(x.item)}) added at position ${x.index}`);
    for (const p of a.pairs) {
      const o = ctx.side(p.old);
      const n = ctx.side(p.new);
      if (p.renamed) ctx.out.add('API_ELEMENT_RENAMED', o, n, `${rn.id}: part ${p.old.id} renamed ${p.new.id}; same position and content`);
      if (p.moved) ctx.out.add('WIRE_REGION_CHANGED', o, n, `${rn.id}: part ${p.new.id} moved from position ${p.oldIndex} to ${p.newIndex}`);
      if (part(p.old, enums) !== part(p.new, (x) => x)) ctx.out.add('WIRE_REGION_CHANGED', o, n, `${rn.id}: part ${p.new.id} ${describe(p.old)} → ${describe(p.new)}`);
      else if (p.old.sizeExpr !== p.new.sizeExpr && p.old.sizeExpr !== undefined && p.new.sizeExpr !== undefined)
        ctx.out.add('API_EXPR_REWRITTEN', o, n, `${rn.id}: part ${p.new.id} size ${p.old.sizeExpr} → ${p.new.sizeExpr} (both ${show(p.new.size)})`);
      ctx.doc(`${rn.id}.${p.new.id} doc`, p.old.doc, p.new.doc, o, n);
    }
  });
}

export function compareDerivations(ctx: DiffContext): void {
  // Contexts compare by id (through renames): a changed label or prefix is WIRE_CONTEXT_CHANGED once.
  const facts = (d: DerivationIR, context: string | undefined, input: string) => JSON.stringify([d.mode, context, d.key, input, d.out]);
  byId(
    ctx,
    'derivations',
    'derivation',
    ctx.old.derivations,
    ctx.now.derivations,
    { old: (d) => facts(d, ctx.map('contexts', d.context), ctx.map('regions', d.input)), new: (d) => facts(d, d.context, d.input) },
    (o, n) => {
      const so = ctx.side(o);
      const sn = ctx.side(n);
      const change = (what: string) => ctx.out.add('WIRE_DERIVATION_CHANGED', so, sn, `${n.id} ${what}`);
      if (o.mode !== n.mode) change(`mode ${o.mode} → ${n.mode}`);
      if (ctx.map('contexts', o.context) !== n.context) change(`context ${show(o.context)} → ${show(n.context)}`);
      if (o.key !== n.key) change(`key "${show(o.key)}" → "${show(n.key)}"`);
      if (ctx.map('regions', o.input) !== n.input) change(`input ${o.input} → ${n.input}`);
      if (o.out !== n.out) change(`out ${o.out} → ${n.out} bytes`);
      else if (o.outExpr !== n.outExpr) ctx.out.add('API_EXPR_REWRITTEN', so, sn, `${n.id} out ${o.outExpr} → ${n.outExpr} (both ${n.out})`);
      ctx.doc(`derivation ${n.id} doc`, o.doc, n.doc, so, sn);
    },
  );
}

export function compareSignatures(ctx: DiffContext): void {
  const { old, now } = ctx;
  if (old.signatures.prefix !== now.signatures.prefix)
    ctx.out.add('WIRE_SIGNATURE_LABEL_CHANGED', ctx.oldAt('signatures.prefix'), ctx.newAt('signatures.prefix'), `signature prefix "${old.signatures.prefix}" → "${now.signatures.prefix}": every signed message changes`);
  const facts = (s: SignatureIR, bind: string, region: string) => JSON.stringify([s.label, s.signer, bind, region]);
  byId(
    ctx,
    'signatures',
    'signature',
    old.signatures.items,
    now.signatures.items,
    { old: (s) => facts(s, ctx.map('derivations', s.bind), ctx.map('regions', s.region)), new: (s) => facts(s, s.bind, s.region) },
    (o, n) => {
      const so = ctx.side(o);
      const sn = ctx.side(n);
      if (o.label !== n.label) ctx.out.add('WIRE_SIGNATURE_LABEL_CHANGED', so, sn, `${n.id} "${o.message}" → "${n.message}"`);
      if (o.signer !== n.signer) ctx.out.add('WIRE_SIGNATURE_CHANGED', so, sn, `${n.id} signer ${o.signer} → ${n.signer}`);
      if (ctx.map('derivations', o.bind) !== n.bind) ctx.out.add('WIRE_SIGNATURE_CHANGED', so, sn, `${n.id} binding key ${o.bind} → ${n.bind}`);
      if (ctx.map('regions', o.region) !== n.region) ctx.out.add('WIRE_SIGNATURE_CHANGED', so, sn, `${n.id} signed region ${o.region} → ${n.region}`);
      ctx.doc(`signature ${n.id} doc`, o.doc, n.doc, so, sn);
    },
  );
}

export function compareKinds(ctx: DiffContext): void {
  const at = (ir: SpecIR, id: string) => ({ path: `kinds.${id}`, line: ir.lines?.[`kinds.${id}`] ?? 0 });
  const newById = new Map(ctx.now.kinds.map((k) => [k.id, k]));
  const oldIds = new Set(ctx.old.kinds.map((k) => k.id));
  for (const ko of ctx.old.kinds) {
    const o = at(ctx.old, ko.id);
    const kn = newById.get(ko.id);
    if (!kn) {
      ctx.out.add('WIRE_ELEMENT_REMOVED', o, null, `kind ${ko.id} removed`);
      continue;
    }
    const n = at(ctx.now, kn.id);
    if (ctx.map('signatures', ko.signature) !== kn.signature) ctx.out.add('WIRE_KIND_CHANGED', o, n, `${kn.id} signature ${show(ko.signature)} → ${show(kn.signature)}`);
    if (ctx.map('regions', ko.ad) !== kn.ad) ctx.out.add('WIRE_KIND_CHANGED', o, n, `${kn.id} associated data ${show(ko.ad)} → ${show(kn.ad)}`);
    for (const key of ['route', 'payload', 'protection', 'length'] as const) {
      const sub = (ir: SpecIR, s: { path: string; line: number }) => ({ path: `${s.path}.${key}`, line: ir.lines?.[`${s.path}.${key}`] ?? s.line });
      ctx.doc(`kind ${kn.id} ${key}`, ko[key], kn[key], sub(ctx.old, o), sub(ctx.now, n));
    }
  }
  for (const kn of ctx.now.kinds) if (!oldIds.has(kn.id)) ctx.out.add('API_ELEMENT_ADDED', null, at(ctx.now, kn.id), `kind ${kn.id} added`);
}
