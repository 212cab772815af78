/**
 * PROTOCOL.md's section for auditors of v2 sessions (spec `sessions`): the order of checks on a
 * ratchet message, the session state machine (a table and a Mermaid state diagram), a message
 * sequence chart of a conversation with a lost and a reordered message (Mermaid and plain
 * text), and annotated hex of the v2 structures from the codec vectors. Kept apart from
 * docs.ts, which renders the v1 sections.
 */
import type { SpecIR } from '../ir.ts';
import { annotatedDump } from './docs-examples.ts';
import { buildVectors } from './vectors.ts';

/** The v2 structures shown as annotated hex, with the vector case to show (first valid if absent). */
const V2_EXAMPLES: readonly string[] = ['ratchet', 'ratchet_header', 'session_control', 'invite_v2'];

export function sessionsSection(ir: SpecIR, number: number): string {
  const s = ir.sessions;
  if (!s) return '';
  const out: string[] = [`## ${number}. v2 sessions for auditors`, '', s.doc, ''];
  out.push(`### ${number}.1 Receiving a ratchet message`, '', ...s.ratchetOrder.map((step, i) => `${i + 1}. ${step}`), '');
  out.push(`### ${number}.2 Session state machine (per contact)`, '', '| state | meaning |', '|---|---|', ...s.states.map((x) => `| \`${x.state}\` | ${x.doc} |`), '');
  out.push('| from | on | to |', '|---|---|---|', ...s.transitions.map((t) => `| \`${t.from}\` | ${t.on} | \`${t.to}\` |`), '');
  out.push('```mermaid', 'stateDiagram-v2', ...s.transitions.map((t) => `  ${t.from} --> ${t.to}: ${t.on.replace(/[:;]/g, ',').slice(0, 60)}`), '```', '');
  out.push(`### ${number}.3 A conversation with a lost and a reordered message`, '', s.sequence.doc, '');
  out.push('```mermaid', 'sequenceDiagram', '  participant A', '  participant relay', '  participant B');
  for (const st of s.sequence.steps) {
    out.push(`  ${st.from}->>${st.to}: ${st.message.replace(/[:;]/g, ',')}`);
    if (st.note) out.push(`  Note over ${st.to}: ${st.note.replace(/[:;]/g, ',')}`);
  }
  out.push('```', '', 'The same chart as text:', '', '```');
  s.sequence.steps.forEach((st, i) => {
    out.push(`${String(i + 1).padStart(2)}. ${st.from.padEnd(5)} -> ${st.to.padEnd(5)} ${st.message}`);
    if (st.note) out.push(`    ${' '.repeat(15)}${st.note}`);
  });
  out.push('```', '');
  out.push(
    `### ${number}.4 Annotated v2 structures`,
    '',
    'Codec vectors of the v2 structures from `generated/vectors/codec.json` (**structure only**: the bytes of keys, checksums and ciphertexts are the vectors\' random values, so the invite_v2 below fails its checksum; v2 invites that verify, with a real checksum and an expiry far in the future, are in `generated/vectors/rules.json` under `invites.valid`, annotated at the end of section 13). Complete v2 frames with real keys, every random input and the states around them are in `generated/vectors/ratchet.json`.',
    '',
  );
  const { valid } = buildVectors(ir);
  for (const id of V2_EXAMPLES) {
    if (!ir.structs.some((x) => x.id === id)) continue;
    const mine = valid.filter((v) => v.struct === id);
    const v = mine.find((x) => /max|ciphertext/.test(x.name)) ?? mine[0];
    if (!v) continue;
    const bytes = Uint8Array.from(Buffer.from(v.hex, 'hex'));
    out.push(`#### ${id}: vector "${v.name}" (${bytes.length} bytes)`, '', '```', ...annotatedDump(ir, id, bytes), '```', '');
  }
  return out.join('\n');
}
