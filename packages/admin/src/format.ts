// Output helpers: aligned text tables (mqadmin prints fixed-width columns) and value formatting.

export function table(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

export function keyValues(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj);
  const w = Math.max(0, ...keys.map((k) => k.length));
  return keys.map((k) => `${k.padEnd(w)} : ${obj[k] === undefined || obj[k] === null ? '' : String(obj[k])}`).join('\n') + '\n';
}

export function time(ms: number): string {
  if (!ms || ms <= 0) return '-';
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

export function fixed(n: number, digits = 2): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

/** Message bodies: text when printable UTF-8, else hex. */
export function bodyText(b: Buffer, max = 200): string {
  const s = b.toString('utf8');
  // eslint-disable-next-line no-control-regex
  const printable = !s.includes('\uFFFD') && !/[\u0000-\u0008\u000e-\u001f]/.test(s);
  const out = printable ? s : `hex:${b.toString('hex')}`;
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
