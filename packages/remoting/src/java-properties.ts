// Text formats of configuration shared by name server, broker and the server CLI: java.util.Properties
// text (UPDATE_*_CONFIG bodies, config files), its writer, value conversion onto a typed default, and
// the messageDelayLevel list. Pure functions, no I/O.

/**
 * java.util.Properties#load semantics -> ordered [key, value] pairs: `#` and `!` start comment lines,
 * the key ends at the first unescaped `=`, `:` or white space, one `=`/`:` with white space around it
 * separates key and value, a line ending in an odd number of backslashes continues on the next one
 * (its leading white space dropped), and `\t \n \r \f \uXXXX` escapes are decoded. As in Java the
 * value keeps its trailing white space.
 */
export function parseJavaProperties(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (endsInEscape(line) && i + 1 < lines.length) line = line.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    if (endsInEscape(line)) line = line.slice(0, -1);
    const m = /^((?:\\.|[^=:\s\\])*)[ \t\f]*[=:]?[ \t\f]*([\s\S]*)$/.exec(line);
    if (m) out.push([unescapeProperty(m[1]!), unescapeProperty(m[2]!)]);
  }
  return out;
}

function endsInEscape(line: string): boolean {
  let n = 0;
  for (let j = line.length - 1; j >= 0 && line.charCodeAt(j) === 0x5c; j--) n++;
  return n % 2 === 1;
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'f' ? '\f' : c;
  });
}

/** `key=value` lines, one per key, in the object's key order. */
export function formatProperties(obj: object): string {
  return Object.entries(obj).map(([k, v]) => `${k}=${v ?? ''}\n`).join('');
}

/** Converts a properties string onto the type of `sample`; throws a message naming key and value. */
export function convertValue(key: string, raw: string, sample: unknown): string | number | boolean {
  if (typeof sample === 'number') {
    const n = raw.trim() === '' ? NaN : Number(raw);
    if (!Number.isFinite(n)) throw new Error(`bad value for ${key}: '${raw}' is not a number`);
    return n;
  }
  if (typeof sample === 'boolean') {
    const v = raw.trim().toLowerCase();
    if (v !== 'true' && v !== 'false') throw new Error(`bad value for ${key}: '${raw}' is not true or false`);
    return v === 'true';
  }
  return raw;
}

/** Parses messageDelayLevel ("1s 5s 1m ...") into milliseconds per level (index 0 = level 1). */
export function parseDelayLevels(text: string): number[] {
  const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const out: number[] = [];
  for (const item of text.trim().split(/\s+/)) {
    const m = /^(\d+)(ms|s|m|h|d)$/.exec(item);
    if (!m) throw new Error(`messageDelayLevel: bad level "${item}"`);
    out.push(Number(m[1]) * unitMs[m[2]!]!);
  }
  return out;
}
