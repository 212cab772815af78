/**
 * Broken specs fail to load with a SpecError that names the YAML path and line of the mistake
 * (fixtures/broken-*.yaml: one mistake each).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isSpecError, type SpecError } from '../generator/errors.ts';
import { loadSpecFile } from '../generator/load.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

function load(name: string): SpecError {
  try {
    loadSpecFile(fixture(name), `spec/test/fixtures/${name}`);
  } catch (e) {
    if (isSpecError(e)) return e;
    throw e;
  }
  throw new Error(`${name} loaded without an error`);
}

describe.each([
  ['broken-unknown-type.yaml', 'structs.thing.fields[2].type', 28, /unknown type u12/],
  ['broken-duplicate-enum-code.yaml', 'enums.kind.values.two.value', 19, /code 1 is already used by one/],
  ['broken-bad-size.yaml', 'structs.thing.fields[2].size', 28, /unexpected end in "KEY_SIZE \+"/],
  ['broken-texts-counts.yaml', 'documents.doc.members[0]', 36, /min_count above max_count/],
  ['broken-switch-non-enum.yaml', 'structs.thing.fields[2].on', 30, /switch must name an earlier enum field/],
  // The YAML parser reports an unclosed flow mapping where it notices (the next line) and, as the
  // document has no tree yet, without a path.
  ['broken-yaml.yaml', '', 29, /Flow map/],
] as const)('%s', (name, path, line, message) => {
  it('raises SpecError naming the YAML path and line', () => {
    const e = load(name);
    expect(e.name).toBe('SpecError');
    expect(e.code).toBe('SPEC_INVALID');
    expect(e.problems[0]).toMatchObject({ path, line });
    expect(e.problems[0]!.message).toMatch(message);
    expect(e.message).toContain(`spec/test/fixtures/${name}:${line} ${path}`);
  });
});
