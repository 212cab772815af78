/** Errors of the spec toolchain. */

export interface SpecProblem {
  /** YAML path of the offending node, e.g. `structs.frame.fields[2].size`. */
  path: string;
  /** 1-based line in the YAML file (0 when unknown). */
  line: number;
  message: string;
}

/** Raised if protocol.yaml does not parse or does not validate; lists every problem found. */
export class SpecError extends Error {
  override readonly name = 'SpecError';
  readonly code = 'SPEC_INVALID';
  constructor(
    readonly file: string,
    readonly problems: SpecProblem[],
  ) {
    super(`${file}: ${problems.length} problem(s)\n` + problems.map((p) => `  ${file}:${p.line} ${p.path}: ${p.message}`).join('\n'));
  }
}

export function isSpecError(e: unknown): e is SpecError {
  return e instanceof Error && (e as SpecError).code === 'SPEC_INVALID';
}
