/** The protocol header, error codes, the handshake sequence, the receive order and the v2 sessions section. */
import { alignList } from './align.ts';
import type { DiffContext } from './context.ts';

export function compareProtocol(ctx: DiffContext): void {
  const { old, now } = ctx;
  const o = ctx.oldAt('protocol.version');
  const n = ctx.newAt('protocol.version');
  if (old.protocol.version !== now.protocol.version) {
    const how = now.protocol.version > old.protocol.version ? 'raised' : 'lowered';
    ctx.out.add('INFO_PROTOCOL_VERSION_CHANGED', o, n, `protocol.version ${how} ${old.protocol.version} → ${now.protocol.version}`);
  }
  ctx.doc('protocol.name', old.protocol.name, now.protocol.name, ctx.oldAt('protocol.name'), ctx.newAt('protocol.name'));
  ctx.doc('protocol.doc', old.protocol.doc, now.protocol.doc, ctx.oldAt('protocol.doc'), ctx.newAt('protocol.doc'));
}

export function compareErrors(ctx: DiffContext): void {
  const flat = (groups: typeof ctx.old.errors) => new Map(groups.flatMap((g) => g.codes.map((c) => [c.code, { group: g.group, doc: c.doc }] as const)));
  const oldCodes = flat(ctx.old.errors);
  const newCodes = flat(ctx.now.errors);
  for (const [code, eo] of oldCodes) {
    const o = ctx.oldAt(`errors.${eo.group}.${code}`);
    const en = newCodes.get(code);
    if (!en) {
      ctx.out.add('API_ERROR_CODE_CHANGED', o, null, `error ${code} removed from ${eo.group}`);
      continue;
    }
    const n = ctx.newAt(`errors.${en.group}.${code}`);
    if (en.group !== eo.group) ctx.out.add('API_ERROR_CODE_CHANGED', o, n, `error ${code} moved from ${eo.group} to ${en.group}`);
    ctx.doc(`error ${code} doc`, eo.doc, en.doc, o, n);
  }
  for (const [code, en] of newCodes) if (!oldCodes.has(code)) ctx.out.add('API_ERROR_CODE_CHANGED', null, ctx.newAt(`errors.${en.group}.${code}`), `error ${code} added to ${en.group}`);
}

/** Steps pair by their `step` name; their message, sender and position are wire facts, the text is doc. */
export function compareHandshake(ctx: DiffContext): void {
  const shape = (s: (typeof ctx.old.handshake)[number], message: string) => JSON.stringify([s.from, message]);
  const a = alignList(
    ctx.old.handshake,
    ctx.now.handshake,
    (s) => s.step,
    (s) => shape(s, ctx.map('structs', s.message)),
    (s) => shape(s, s.message),
  );
  const oldAt = (i: number, sub = '') => ctx.oldAt(`handshake[${i}]${sub}`);
  const newAt = (i: number, sub = '') => ctx.newAt(`handshake[${i}]${sub}`);
  for (const r of a.removed) ctx.out.add('WIRE_HANDSHAKE_CHANGED', oldAt(r.index), null, `handshake step ${r.item.step} removed`);
  for (const x of a.added) ctx.out.add('WIRE_HANDSHAKE_CHANGED', null, newAt(x.index), `handshake step ${x.item.step} (${x.item.from} sends ${x.item.message}) added at position ${x.index}`);
  for (const p of a.pairs) {
    const o = oldAt(p.oldIndex);
    const n = newAt(p.newIndex);
    const step = p.new.step;
    if (p.renamed) ctx.out.add('DOC_CHANGED', o, n, `handshake step ${p.old.step} renamed ${step}`);
    if (p.moved) ctx.out.add('WIRE_HANDSHAKE_CHANGED', o, n, `handshake step ${step} moved from position ${p.oldIndex} to ${p.newIndex}`);
    if (p.old.from !== p.new.from) ctx.out.add('WIRE_HANDSHAKE_CHANGED', o, n, `handshake step ${step} sender ${p.old.from} → ${p.new.from}`);
    if (ctx.map('structs', p.old.message) !== p.new.message) ctx.out.add('WIRE_HANDSHAKE_CHANGED', o, n, `handshake step ${step} message ${p.old.message} → ${p.new.message}`);
    const texts = (xs: string[]) => xs.join('\n');
    ctx.doc(`handshake ${step} computes`, texts(p.old.computes), texts(p.new.computes), oldAt(p.oldIndex, '.computes'), newAt(p.newIndex, '.computes'));
    ctx.doc(`handshake ${step} checks`, texts(p.old.checks.map((c) => c.check)), texts(p.new.checks.map((c) => c.check)), oldAt(p.oldIndex, '.checks'), newAt(p.newIndex, '.checks'));
    p.new.checks.forEach((c, j) => {
      const before = p.old.checks[j];
      if (before && before.check === c.check && before.error !== c.error)
        ctx.out.add('API_ERROR_CODE_CHANGED', oldAt(p.oldIndex, `.checks[${j}]`), newAt(p.newIndex, `.checks[${j}]`), `handshake ${step} check "${c.check}" raises ${before.error} → ${c.error}`);
    });
  }
}

/** The acceptance rules (`rules:`): each rule's title, introduction and items, as text. */
export function compareRules(ctx: DiffContext): void {
  const text = (r: { title: string; doc: string; items: string[] }) => [r.title, r.doc, ...r.items].join('\n');
  const oldById = new Map(ctx.old.rules.map((r) => [r.id, r]));
  const newById = new Map(ctx.now.rules.map((r) => [r.id, r]));
  for (const id of new Set([...oldById.keys(), ...newById.keys()])) {
    const a = oldById.get(id);
    const b = newById.get(id);
    if (a && b && text(a) === text(b)) continue;
    const o = a ? ctx.oldAt(`rules.${id}`) : null;
    const n = b ? ctx.newAt(`rules.${id}`) : null;
    ctx.out.add('DOC_CHANGED', o, n, `rule ${id} ${!a ? 'added' : !b ? 'removed' : 'reworded'}`);
  }
}

/** The receive order and the first-contact order: each step added, removed or reworded is DOC_CHANGED. */
export function compareReceiveOrder(ctx: DiffContext): void {
  compareSteps(ctx, 'receive_order', ctx.old.receiveOrder, ctx.now.receiveOrder);
  compareSteps(ctx, 'first_contact_order', ctx.old.firstContactOrder, ctx.now.firstContactOrder);
}

function compareSteps(ctx: DiffContext, key: string, a: readonly string[], b: readonly string[]): void {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === b[i]) continue;
    const o = a[i] === undefined ? null : ctx.oldAt(`${key}[${i}]`);
    const n = b[i] === undefined ? null : ctx.newAt(`${key}[${i}]`);
    ctx.out.add('DOC_CHANGED', o, n, `${key} step ${i + 1} ${a[i] === undefined ? 'added' : b[i] === undefined ? 'removed' : 'reworded'}`);
  }
}

/**
 * The v2 sessions section (`sessions:`): auditor's prose. Its rules bind implementations as the
 * receive order does, and like the receive order a change is reported as DOC_CHANGED, step by step.
 */
export function compareSessions(ctx: DiffContext): void {
  const a = ctx.old.sessions;
  const b = ctx.now.sessions;
  if (!a || !b) {
    if (a || b) ctx.out.add('DOC_CHANGED', a ? ctx.oldAt('sessions') : null, b ? ctx.newAt('sessions') : null, `sessions section ${a ? 'removed' : 'added'}`);
    return;
  }
  ctx.doc('sessions doc', a.doc, b.doc, ctx.oldAt('sessions.doc'), ctx.newAt('sessions.doc'));
  const list = (what: string, path: string, xs: string[], ys: string[]) => {
    for (let i = 0; i < Math.max(xs.length, ys.length); i++) {
      if (xs[i] === ys[i]) continue;
      const o = xs[i] === undefined ? null : ctx.oldAt(`${path}[${i}]`);
      const n = ys[i] === undefined ? null : ctx.newAt(`${path}[${i}]`);
      ctx.out.add('DOC_CHANGED', o, n, `${what} ${i + 1} ${xs[i] === undefined ? 'added' : ys[i] === undefined ? 'removed' : 'changed'}`);
    }
  };
  list('sessions.ratchet_order step', 'sessions.ratchet_order', a.ratchetOrder, b.ratchetOrder);
  const oldStates = new Map(a.states.map((s) => [s.state, s.doc]));
  const newStates = new Map(b.states.map((s) => [s.state, s.doc]));
  for (const [state, doc] of oldStates) {
    const at = a.states.findIndex((s) => s.state === state);
    if (!newStates.has(state)) ctx.out.add('DOC_CHANGED', ctx.oldAt(`sessions.states[${at}]`), null, `session state ${state} removed`);
    else ctx.doc(`session state ${state}`, doc, newStates.get(state), ctx.oldAt(`sessions.states[${at}]`), ctx.newAt(`sessions.states[${b.states.findIndex((s) => s.state === state)}]`));
  }
  b.states.forEach((s, i) => {
    if (!oldStates.has(s.state)) ctx.out.add('DOC_CHANGED', null, ctx.newAt(`sessions.states[${i}]`), `session state ${s.state} added`);
  });
  const transition = (t: { from: string; on: string; to: string }) => `${t.from} → ${t.to} on "${t.on}"`;
  list('sessions transition', 'sessions.transitions', a.transitions.map(transition), b.transitions.map(transition));
  ctx.doc('sessions sequence doc', a.sequence.doc, b.sequence.doc, ctx.oldAt('sessions.sequence.doc'), ctx.newAt('sessions.sequence.doc'));
  const step = (s: { from: string; to: string; message: string; note?: string }) => JSON.stringify([s.from, s.to, s.message, s.note ?? '']);
  list('sessions sequence step', 'sessions.sequence.steps', a.sequence.steps.map(step), b.sequence.steps.map(step));
}
