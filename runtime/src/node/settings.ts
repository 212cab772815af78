/**
 * Settings of Node services (the relay, the notifier): each read from an environment variable
 * and a command-line flag (`--name value` or `--name=value`; flags win), parsed by its schema
 * (zod fits), and a bad one reported by the setting's own name.
 */

/** One setting: its key in the config, where it is read from, how it is parsed, what it is. */
export interface Setting {
  key: string;
  env: string;
  flag: string;
  /** Parses the raw text; a zod schema is one. */
  schema: { safeParse(raw: string): { success: true; data: unknown } | { success: false; error: { issues: readonly { message: string }[] } } };
  doc: string;
}

/** The parsed values, and where each came from. */
export interface SettingValues {
  get<T>(key: string): T | undefined;
  /** The variable or flag a setting was given by; undefined if it was not given. */
  source(key: string): string | undefined;
}

/**
 * Reads every setting from `env` and then `argv` (flags only). Throws `fail(source, message)`
 * for an unknown flag, a flag without a value, a stray argument, or a value its schema refuses.
 */
export function readSettings(
  settings: readonly Setting[],
  env: NodeJS.ProcessEnv,
  argv: readonly string[],
  fail: (source: string, message: string) => Error,
): SettingValues {
  const raw = new Map<string, { value: string; source: string }>();
  for (const s of settings) {
    const v = env[s.env];
    if (v !== undefined && v !== '') raw.set(s.key, { value: v, source: s.env });
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw fail(arg, 'unexpected argument');
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const setting = settings.find((s) => s.flag === name);
    if (setting === undefined) throw fail(`--${name}`, 'unknown option');
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw fail(`--${name}`, 'needs a value');
    raw.set(setting.key, { value, source: `--${name}` });
  }
  const parsed = new Map<string, unknown>();
  for (const s of settings) {
    const r = raw.get(s.key);
    if (r === undefined) continue;
    const res = s.schema.safeParse(r.value);
    if (!res.success) throw fail(r.source, `${res.error.issues.map((i) => i.message).join('; ')} (got ${JSON.stringify(r.value)})`);
    parsed.set(s.key, res.data);
  }
  return {
    get: <T>(key: string) => parsed.get(key) as T | undefined,
    source: (key) => raw.get(key)?.source,
  };
}

/** One line per setting (flag, variable, doc), for `--help` and READMEs. */
export function settingsHelp(settings: readonly Setting[], flagWidth: number, envWidth: number): string {
  return settings.map((s) => `  --${s.flag.padEnd(flagWidth)} ${s.env.padEnd(envWidth)} ${s.doc}`).join('\n');
}
