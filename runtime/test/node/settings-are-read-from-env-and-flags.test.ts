/** readSettings: environment, then flags (which win), each parsed by its schema; errors name the setting. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readSettings, settingsHelp, type Setting } from '../../src/node/settings.ts';

const SETTINGS: Setting[] = [
  { key: 'port', env: 'PORT', flag: 'port', schema: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number), doc: 'port' },
  { key: 'host', env: 'HOST', flag: 'host', schema: z.string().min(1), doc: 'host' },
];
const fail = (source: string, message: string) => Object.assign(new Error(`${source}: ${message}`), { source });

describe('readSettings', () => {
  it('reads the environment, and flags in both forms win over it', () => {
    const v = readSettings(SETTINGS, { PORT: '80', HOST: 'a' }, ['--port=81'], fail);
    expect(v.get<number>('port')).toBe(81);
    expect(v.get<string>('host')).toBe('a');
    expect(v.source('port')).toBe('--port');
    expect(v.source('host')).toBe('HOST');
    const w = readSettings(SETTINGS, {}, ['--host', 'b'], fail);
    expect(w.get('host')).toBe('b');
    expect(w.get('port')).toBeUndefined();
    expect(w.source('port')).toBeUndefined();
  });

  it('an empty variable counts as unset', () => {
    expect(readSettings(SETTINGS, { PORT: '' }, [], fail).get('port')).toBeUndefined();
  });

  it('names the setting of every bad input', () => {
    expect(() => readSettings(SETTINGS, { PORT: 'x' }, [], fail)).toThrow('PORT: must be a whole number (got "x")');
    expect(() => readSettings(SETTINGS, {}, ['--port=y'], fail)).toThrow('--port: must be a whole number (got "y")');
    expect(() => readSettings(SETTINGS, {}, ['--nope', '1'], fail)).toThrow('--nope: unknown option');
    expect(() => readSettings(SETTINGS, {}, ['--host'], fail)).toThrow('--host: needs a value');
    expect(() => readSettings(SETTINGS, {}, ['stray'], fail)).toThrow('stray: unexpected argument');
  });

  it('settingsHelp lists every setting on one line', () => {
    expect(settingsHelp(SETTINGS, 6, 6).split('\n')).toEqual(['  --port   PORT   port', '  --host   HOST   host']);
  });
});
