// mqadmin-style arguments: `-t TopicA -c DefaultCluster`, also `--topic=TopicA` / `--topic TopicA`
// through each option's long name, plus the global flags --json and -h/--help.

export interface OptionSpec {
  /** Single letter as mqadmin spells it. */
  short: string;
  long: string;
  help: string;
  required?: boolean;
  /** Takes no value (mqadmin's boolean flags are written `-o true`; these are for ours). */
  flag?: boolean;
}

export class UsageError extends Error {}

export interface Parsed {
  values: Record<string, string>;
  json: boolean;
  help: boolean;
}

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): Parsed {
  const byShort = new Map(specs.map((s) => [s.short, s]));
  const byLong = new Map(specs.map((s) => [s.long, s]));
  const values: Record<string, string> = {};
  let json = false;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') { json = true; continue; }
    if (a === '-h' || a === '--help') { help = true; continue; }
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) inline = a.slice(eq + 1);
      spec = byLong.get(name);
      if (!spec) throw new UsageError(`unknown option --${name}`);
    } else if (a.startsWith('-') && a.length >= 2) {
      spec = byShort.get(a.slice(1, 2));
      if (!spec) throw new UsageError(`unknown option ${a.slice(0, 2)}`);
      if (a.length > 2) inline = a.slice(2);
    } else {
      throw new UsageError(`unexpected argument "${a}"`);
    }
    if (spec.flag) {
      values[spec.long] = inline ?? 'true';
      continue;
    }
    const v = inline ?? argv[++i];
    if (v === undefined) throw new UsageError(`option -${spec.short} (--${spec.long}) needs a value`);
    values[spec.long] = v;
  }
  if (!help) {
    for (const s of specs) {
      if (s.required && values[s.long] === undefined) throw new UsageError(`missing -${s.short} (--${s.long}): ${s.help}`);
    }
  }
  return { values, json, help };
}

export function intValue(v: string | undefined, name: string, dflt: number): number {
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`${name} must be an integer, got "${v}"`);
  return n;
}

export function boolValue(v: string | undefined, name: string, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new UsageError(`${name} must be true or false, got "${v}"`);
}

/**
 * A point in time as mqadmin accepts it: epoch milliseconds, "now", "yyyy-MM-dd#HH:mm:ss:SSS"
 * (local time), or an ISO 8601 date.
 */
export function timeValue(v: string | undefined, name: string, dflt?: number): number {
  if (v === undefined || v === '') {
    if (dflt === undefined) throw new UsageError(`missing ${name}`);
    return dflt;
  }
  if (v === 'now') return Date.now();
  if (/^-?\d+$/.test(v)) return Number(v);
  const m = /^(\d{4})-(\d{2})-(\d{2})#(\d{2}):(\d{2}):(\d{2}):(\d{3})$/.exec(v);
  if (m) return new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!).getTime();
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`${name}: "${v}" is not a time (epoch ms, now, yyyy-MM-dd#HH:mm:ss:SSS or ISO 8601)`);
  return t;
}
