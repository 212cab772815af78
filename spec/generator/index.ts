export { loadSpec, loadSpecFile } from './load.ts';
export { SpecError, isSpecError, type SpecProblem } from './errors.ts';
export * from './ir.ts';
export { generate } from './gen.ts';
