/**
 * Loads the third-party vectors (Wycheproof, BLAKE3) kept in ./vectors (see its README), so a
 * clone anywhere runs them; PARLEY_VECTORS_DIR names another folder of the same layout.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';

export const VENDORED_VECTORS = new URL('./vectors/', import.meta.url);

const VECTORS = process.env.PARLEY_VECTORS_DIR
  ? pathToFileURL(`${process.env.PARLEY_VECTORS_DIR.replace(/\/+$/, '')}/`)
  : VENDORED_VECTORS;

export function readVectors<T>(relativePath: string): T {
  const url = new URL(relativePath, VECTORS);
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as T;
  } catch (cause) {
    throw new Error(`cannot read test vectors at ${fileURLToPath(url)} (runtime/test/crypto/vectors, or the folder PARLEY_VECTORS_DIR names)`, {
      cause,
    });
  }
}

export interface WycheproofFile<G> {
  algorithm: string;
  numberOfTests: number;
  testGroups: G[];
}

export interface WycheproofCase {
  tcId: number;
  comment: string;
  flags: string[];
  result: 'valid' | 'invalid' | 'acceptable';
}

export interface XdhCase extends WycheproofCase {
  public: string;
  private: string;
  shared: string;
}

export interface EddsaGroup {
  publicKey: { pk: string };
  tests: (WycheproofCase & { msg: string; sig: string })[];
}

export interface AeadCase extends WycheproofCase {
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
}

export function wycheproofCases<C>(file: WycheproofFile<{ tests: C[] }>): C[] {
  return file.testGroups.flatMap((g) => g.tests);
}

export interface Blake3Vectors {
  key: string;
  context_string: string;
  cases: { input_len: number; hash: string; keyed_hash: string; derive_key: string }[];
}

/** The BLAKE3 vectors' input: byte i is i % 251. */
export function blake3Input(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => i % 251);
}
