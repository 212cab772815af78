/**
 * Compares two loaded specs element by element and reports every change as a named rule
 * (rules.ts) with the YAML path and line on both sides. Renames are resolved first, in dependency
 * order (enums before structs, regions before derivations before signatures), so a renamed element
 * is one API change instead of a removal, an addition and a change at every reference.
 */
import type { SpecIR } from '../generator/ir.ts';
import { DiffContext } from './context.ts';
import { compareContexts, compareDerivations, compareKinds, compareRegions, compareSignatures } from './crypto.ts';
import { compareErrors, compareHandshake, compareProtocol, compareReceiveOrder, compareRules, compareSessions } from './prose.ts';
import { buildReport, type DiffReport } from './report.ts';
import { compareStructs } from './structs.ts';
import { compareConstants, compareEnums, compareStrings } from './values.ts';

export function diffSpecs(oldIr: SpecIR, newIr: SpecIR, files = { old: oldIr.source, new: newIr.source }): DiffReport {
  const ctx = new DiffContext(oldIr, newIr);
  compareProtocol(ctx);
  compareConstants(ctx);
  compareStrings(ctx);
  compareEnums(ctx);
  compareStructs(ctx);
  compareContexts(ctx);
  compareRegions(ctx);
  compareDerivations(ctx);
  compareSignatures(ctx);
  compareKinds(ctx);
  compareErrors(ctx);
  compareHandshake(ctx);
  compareReceiveOrder(ctx);
  compareRules(ctx);
  compareSessions(ctx);
  return buildReport(oldIr, newIr, files, ctx.out.list);
}
