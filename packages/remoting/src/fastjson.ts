// fastjson-compatible JSON: Java peers write map keys as bare integers ({0:"addr"}) or as whole objects
// ({{"brokerName":"b","queueId":0,"topic":"t"}:12}). parseFastJson reads that superset of JSON;
// FastJsonMap + stringifyFastJson write it back for peers (Java, ali-ons) that expect it.

export class FastJsonError extends SyntaxError {
  constructor(message: string) {
    super(message);
    this.name = 'FastJsonError';
  }
}

/**
 * Standard JSON first (native, fast); the fastjson superset only when that fails. The result is
 * unknown: read it through the decoders of json-decode.ts (asObject, reqField, optField, ...).
 */
export function parseFastJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return new Parser(text).parseDocument();
  }
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(private readonly s: string) {}

  parseDocument(): unknown {
    const v = this.value();
    this.ws();
    if (this.pos !== this.s.length) this.fail('trailing characters');
    return v;
  }

  private fail(what: string): never {
    throw new FastJsonError(`fastjson: ${what} at position ${this.pos}`);
  }

  private ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  private value(): unknown {
    this.ws();
    const c = this.s[this.pos];
    switch (c) {
      case '{': return this.object();
      case '[': return this.array();
      case '"': return this.string();
      case 't': return this.literal('true', true);
      case 'f': return this.literal('false', false);
      case 'n': return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail(c === undefined ? 'unexpected end' : `unexpected '${c}'`);
    }
  }

  private literal(word: string, v: unknown): unknown {
    if (!this.s.startsWith(word, this.pos)) this.fail(`bad literal`);
    this.pos += word.length;
    return v;
  }

  private number(): number {
    const m = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
    m.lastIndex = this.pos;
    const r = m.exec(this.s);
    if (r === null || r[0] === '-' ) this.fail('bad number');
    this.pos += r[0].length;
    return Number(r[0]);
  }

  private string(): string {
    const s = this.s;
    const start = this.pos;
    let end = start + 1;
    // find the closing quote, skipping escapes; JSON.parse then does the unescaping
    for (;;) {
      if (end >= s.length) this.fail('unterminated string');
      const c = s.charCodeAt(end);
      if (c === 0x22) break;
      end += c === 0x5c ? 2 : 1;
    }
    this.pos = end + 1;
    try {
      return JSON.parse(s.slice(start, end + 1)) as string;
    } catch {
      return this.fail('bad string');
    }
  }

  private enter(): void {
    if (++this.depth > 512) this.fail('nesting too deep');
  }

  /** `[...]` or `{...}`: items separated by commas up to `close`; `item` reads one. */
  private items(close: string, item: () => void): void {
    this.enter();
    this.pos++;
    this.ws();
    if (this.s[this.pos] === close) this.pos++;
    else {
      for (;;) {
        item();
        this.ws();
        const c = this.s[this.pos++];
        if (c === close) break;
        if (c !== ',') this.fail(`expected , or ${close}`);
      }
    }
    this.depth--;
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.items(']', () => out.push(this.value()));
    return out;
  }

  private key(): string {
    this.ws();
    const c = this.s[this.pos];
    if (c === '"') return this.string();
    if (c === '{' || c === '[') return JSON.stringify(c === '{' ? this.object() : this.array());
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return String(this.number());
    // fastjson may write bare identifiers as keys when asked to; accept them too
    const m = /[A-Za-z_$][\w$]*/y;
    m.lastIndex = this.pos;
    const r = m.exec(this.s);
    if (r === null) this.fail('expected a key');
    this.pos += r[0].length;
    return r[0];
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    this.items('}', () => {
      const k = this.key();
      this.ws();
      if (this.s[this.pos++] !== ':') this.fail('expected :');
      setKey(out, k, this.value());
    });
    return out;
  }
}

/** A map written the fastjson way: number keys bare, object keys as JSON objects, string keys quoted. */
export class FastJsonMap {
  readonly entries: Array<[unknown, unknown]>;
  constructor(entries: Iterable<[unknown, unknown]> = []) {
    this.entries = [...entries];
  }
  set(key: unknown, value: unknown): this {
    this.entries.push([key, value]);
    return this;
  }
  get size(): number {
    return this.entries.length;
  }
}

/** Like JSON.stringify (no whitespace), plus FastJsonMap/Map keys written as fastjson does. */
export function stringifyFastJson(value: unknown): string {
  const s = write(value, 0);
  return s === undefined ? 'null' : s;
}

function writeKey(key: unknown, depth: number): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  if (typeof key === 'boolean') return String(key);
  return write(key, depth + 1) ?? 'null';
}

function writeMap(entries: Iterable<[unknown, unknown]>, depth: number): string {
  let s = '{';
  let first = true;
  for (const [k, v] of entries) {
    const vs = write(v, depth + 1);
    if (vs === undefined) continue;
    s += (first ? '' : ',') + writeKey(k, depth) + ':' + vs;
    first = false;
  }
  return s + '}';
}

function write(v: unknown, depth: number): string | undefined {
  if (depth > 512) throw new RangeError('stringifyFastJson: nesting too deep');
  switch (typeof v) {
    case 'string': return JSON.stringify(v);
    case 'number': return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean': return v ? 'true' : 'false';
    case 'bigint': return v.toString();
    case 'undefined': case 'function': case 'symbol': return undefined;
  }
  if (v === null) return 'null';
  if (v instanceof FastJsonMap) return writeMap(v.entries, depth);
  if (v instanceof Map) return writeMap(v.entries(), depth);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + (write(v[i], depth + 1) ?? 'null');
    return s + ']';
  }
  const o = v as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof o.toJSON === 'function') return write(o.toJSON(), depth + 1);
  if (v instanceof Set) return write([...v], depth);
  let s = '{';
  let first = true;
  for (const k of Object.keys(o)) {
    const vs = write(o[k], depth + 1);
    if (vs === undefined) continue;
    s += (first ? '' : ',') + JSON.stringify(k) + ':' + vs;
    first = false;
  }
  return s + '}';
}
