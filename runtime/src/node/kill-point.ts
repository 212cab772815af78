/**
 * Test seam for crash tests of the Node apps (wschat, the notifier): a Store that SIGKILLs its
 * own process right before, or right after, its n-th write (put, delete or batch). A real kill,
 * not an exception: nothing after it runs (no finally, no flush, no `bye`), which is what a
 * power cut or the OOM killer does between two writes.
 *
 * Each app turns it on only from its own test variable (WSCHAT_TEST_KILL_AT_WRITE,
 * NOTIFIER_TEST_KILL_AT_WRITE); without it the store is used as it is, with no wrapper.
 */
import type { Store, StoreOp } from '../engine/storage.ts';

/** `<n>:before` or `<n>:after`, n from 1: when to die. */
export interface KillPoint {
  at: number;
  when: 'before' | 'after';
}

/** Parses `<n>:before` / `<n>:after`; undefined if malformed (the app refuses to start then). */
export function parseKillPoint(spec: string): KillPoint | undefined {
  const m = /^([1-9][0-9]{0,5}):(before|after)$/.exec(spec);
  return m ? { at: Number(m[1]), when: m[2] as KillPoint['when'] } : undefined;
}

/** `store` with its kill point: the process SIGKILLs itself at the point's write. */
export function killPointStore(store: Store, point: KillPoint): Store {
  let writes = 0;
  const write = async (op: () => Promise<void>): Promise<void> => {
    const n = ++writes;
    if (n === point.at && point.when === 'before') die();
    await op();
    if (n === point.at && point.when === 'after') die();
  };
  return {
    get: (key) => store.get(key),
    list: (prefix) => store.list(prefix),
    put: (key, value) => write(() => store.put(key, value)),
    delete: (key) => write(() => store.delete(key)),
    batch: (ops: readonly StoreOp[]) => write(() => store.batch(ops)),
  };
}

function die(): never {
  process.kill(process.pid, 'SIGKILL');
  // SIGKILL to oneself is delivered before kill() returns on Linux; never go on regardless
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
}
