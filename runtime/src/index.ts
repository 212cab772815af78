/**
 * @parley/runtime: the only crypto code in Parley. Browser-safe entry: Node-only pieces (key
 * files, the ws transport, the file store) are in `@parley/runtime/node`.
 */
export * from './crypto/index.ts';
export * from './protocol/index.ts';
export * from './engine/index.ts';
export * from './vault/index.ts';
