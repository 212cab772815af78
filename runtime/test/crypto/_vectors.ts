/**
 * Loads the shared third-party vectors (Wycheproof, BLAKE3) from ../shared/vectors beside the
 * repository root, resolved relative to this file, so a clone anywhere works as long as shared/
 * sits next to it; PARLEY_VECTORS_DIR names another folder (a clone elsewhere).
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';

// this file: <root>/runtime/test/crypto/_vectors.ts -> <root>/../shared/vectors/
const VECTORS = process.env.PARLEY_VECTORS_DIR
  ? pathToFileURL(`${process.env.PARLEY_VECTORS_DIR.replace(/\/+$/, '')}/`)
  : new URL('../../../../shared/vectors/', import.meta.url);

export function readVectors<T>(relativePath: string): T {
  const url = new URL(relativePath, VECTORS);
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as T;
  } catch (cause) {
    throw new Error(`cannot read test vectors at ${fileURLToPath(url)} (shared/ must sit beside the repo root, or PARLEY_VECTORS_DIR name the folder)`, {
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
