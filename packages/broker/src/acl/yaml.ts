// A YAML subset, enough for Apache's plain_acl.yml: block mappings and sequences by indentation,
// "- key: value" items that open a mapping, flow sequences ([a, b]), plain/'single'/"double" quoted
// scalars, comments, empty values (null). Scalars stay strings; callers interpret true/false/numbers.
// Anchors, multi-line scalars, flow mappings and documents (---) beyond the first are not supported
// and are reported as errors with the line number.

export type YamlValue = string | null | YamlValue[] | { [k: string]: YamlValue };

export class YamlError extends Error {}

interface Line { indent: number; text: string; no: number }

function stripComment(s: string): string {
  let q: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q !== null) {
      if (c === q) q = null;
      continue;
    }
    if (c === '"' || c === "'") { if (i === 0 || /[\s:[,-]/.test(s[i - 1]!)) q = c; continue; }
    if (c === '#' && (i === 0 || s[i - 1] === ' ' || s[i - 1] === '\t')) return s.slice(0, i);
  }
  return s;
}

function scalar(raw: string, no: number): YamlValue {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  if (s.startsWith('"')) {
    if (!s.endsWith('"') || s.length < 2) throw new YamlError(`line ${no}: unterminated double-quoted string`);
    try { return JSON.parse(s) as string; } catch { throw new YamlError(`line ${no}: bad double-quoted string`); }
  }
  if (s.startsWith("'")) {
    if (!s.endsWith("'") || s.length < 2) throw new YamlError(`line ${no}: unterminated single-quoted string`);
    return s.slice(1, -1).replace(/''/g, "'");
  }
  if (s.startsWith('[')) {
    if (!s.endsWith(']')) throw new YamlError(`line ${no}: unterminated flow sequence`);
    const inner = s.slice(1, -1).trim();
    if (inner === '') return [];
    return splitFlow(inner).map((p) => scalar(p, no));
  }
  if (s.startsWith('{') || s.startsWith('&') || s.startsWith('*') || s.startsWith('|') || s.startsWith('>')) {
    throw new YamlError(`line ${no}: unsupported YAML construct "${s.slice(0, 20)}"`);
  }
  return s;
}

function splitFlow(s: string): string[] {
  const out: string[] = [];
  let cur = '', q: string | null = null;
  for (const c of s) {
    if (q !== null) { cur += c; if (c === q) q = null; continue; }
    if (c === '"' || c === "'") { q = c; cur += c; continue; }
    if (c === ',') { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  out.push(cur);
  return out;
}

/** Index of the "key:" separator (a colon followed by space or end, outside quotes), or -1. */
function keySep(s: string): number {
  let q: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q !== null) { if (c === q) q = null; continue; }
    if ((c === '"' || c === "'") && i === 0) { q = c; continue; }
    if (c === ':' && (i + 1 === s.length || s[i + 1] === ' ' || s[i + 1] === '\t')) return i;
  }
  return -1;
}

export function parseYaml(text: string): YamlValue {
  const lines: Line[] = [];
  const src = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < src.length; i++) {
    const raw = src[i]!;
    if (raw.includes('\t') && /^\s*\t/.test(raw)) throw new YamlError(`line ${i + 1}: tabs are not allowed for indentation`);
    const t = stripComment(raw).replace(/\s+$/, '');
    if (t.trim() === '') continue;
    if (t.trim() === '---' && lines.length === 0) continue;
    if (t.trim() === '---' || t.trim() === '...') break;
    const indent = t.length - t.trimStart().length;
    lines.push({ indent, text: t.trimStart(), no: i + 1 });
  }
  let pos = 0;

  function block(indent: number): YamlValue {
    const first = lines[pos];
    if (first === undefined || first.indent < indent) return null;
    return first.text.startsWith('- ') || first.text === '-' ? seq(first.indent) : map(first.indent);
  }

  function seq(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    while (pos < lines.length && lines[pos]!.indent === indent && (lines[pos]!.text.startsWith('- ') || lines[pos]!.text === '-')) {
      const line = lines[pos]!;
      const rest = line.text === '-' ? '' : line.text.slice(2);
      const restIndent = indent + 2 + (rest.length - rest.trimStart().length);
      pos++;
      if (rest.trim() === '') { out.push(block(indent + 1)); continue; }
      if (keySep(rest.trim()) > 0 && !rest.trim().startsWith('[')) {
        // "- key: value" opens a mapping whose further keys sit at restIndent
        lines.splice(--pos, 1, { indent: restIndent, text: rest.trim(), no: line.no });
        out.push(map(restIndent));
        continue;
      }
      out.push(scalar(rest, line.no));
    }
    if (pos < lines.length && lines[pos]!.indent > indent) throw new YamlError(`line ${lines[pos]!.no}: bad indentation`);
    return out;
  }

  function map(indent: number): { [k: string]: YamlValue } {
    const out: { [k: string]: YamlValue } = Object.create(null) as { [k: string]: YamlValue };
    while (pos < lines.length && lines[pos]!.indent === indent) {
      const line = lines[pos]!;
      if (line.text.startsWith('- ')) break;
      const sep = keySep(line.text);
      if (sep <= 0) throw new YamlError(`line ${line.no}: expected "key: value"`);
      let key = line.text.slice(0, sep).trim();
      if ((key.startsWith('"') && key.endsWith('"')) || (key.startsWith("'") && key.endsWith("'"))) key = key.slice(1, -1);
      const rest = line.text.slice(sep + 1);
      pos++;
      if (rest.trim() !== '') { out[key] = scalar(rest, line.no); continue; }
      const next = lines[pos];
      // a block under the key: deeper lines, or a sequence at the same indent (YAML allows it)
      if (next !== undefined && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) {
        out[key] = next.text.startsWith('- ') || next.text === '-' ? seq(next.indent) : map(next.indent);
      } else out[key] = null;
    }
    if (pos < lines.length && lines[pos]!.indent > indent) throw new YamlError(`line ${lines[pos]!.no}: bad indentation`);
    return out;
  }

  const v = block(0);
  if (pos < lines.length) throw new YamlError(`line ${lines[pos]!.no}: unexpected content`);
  return v;
}
