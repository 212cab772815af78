/** Starts a relay on 127.0.0.1:0 with the toy protocol layer and a captured log. */
import { Writable } from 'node:stream';
import { startRelay, type RunningRelay, type StartRelayOptions } from '../../src/index.ts';
import { toyRelayCrypto } from './toy-crypto.ts';

export interface TestRelay extends RunningRelay {
  logs: string[];
}

export async function testRelay(opts: StartRelayOptions = {}): Promise<TestRelay> {
  const logs: string[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString().split('\n').filter((l) => l.length > 0));
      cb();
    },
  });
  const relay = await startRelay({
    crypto: toyRelayCrypto(),
    logLevel: 'debug',
    logDestination: dest,
    webRoot: '/nonexistent',
    ...opts,
  });
  return Object.assign(relay, { logs });
}

export async function metric(relay: RunningRelay, name: string, labels = ''): Promise<number> {
  const text = await relay.metrics.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? Number.NaN : Number(line.split(' ').pop());
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
