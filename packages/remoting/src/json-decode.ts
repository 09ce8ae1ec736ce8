// Small typed decoders for parsed JSON (parseFastJson returns unknown). Each takes the value and a
// label saying where it came from ("heartbeat body.consumerDataSet[0].groupName"); a value of the
// wrong type throws JsonDecodeError naming that label, so a processor can answer it as it answers a
// body that does not parse.

export class JsonDecodeError extends TypeError {
  constructor(readonly what: string, readonly expected: string, got: unknown) {
    super(`${what}: expected ${expected}, got ${describe(got)}`);
    this.name = 'JsonDecodeError';
  }
}

/** A JSON object as parsed: string keys, values still to be decoded. */
export type JsonObject = Readonly<Record<string, unknown>>;

/** Reads `v` as a T or throws JsonDecodeError naming `what`. */
export type Decoder<T> = (v: unknown, what: string) => T;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

/** A plain JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const asObject: Decoder<JsonObject> = (v, what) => {
  if (!isJsonObject(v)) throw new JsonDecodeError(what, 'an object', v);
  return v;
};

export const asArray: Decoder<readonly unknown[]> = (v, what) => {
  if (!Array.isArray(v)) throw new JsonDecodeError(what, 'an array', v);
  return v;
};

export const asString: Decoder<string> = (v, what) => {
  if (typeof v !== 'string') throw new JsonDecodeError(what, 'a string', v);
  return v;
};

export const asNumber: Decoder<number> = (v, what) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new JsonDecodeError(what, 'a number', v);
  return v;
};

/** A number, or a string holding one (some peers quote numbers, e.g. queueId). */
export const asNumeric: Decoder<number> = (v, what) => {
  const x = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof x !== 'number' || !Number.isFinite(x)) throw new JsonDecodeError(what, 'a number', v);
  return x;
};

export const asBoolean: Decoder<boolean> = (v, what) => {
  if (typeof v !== 'boolean') throw new JsonDecodeError(what, 'a boolean', v);
  return v;
};

/** Every item of an array through `item`, each labelled `what[i]`. */
export function arrayOf<T>(item: Decoder<T>): Decoder<T[]> {
  return (v, what) => asArray(v, what).map((x, i) => item(x, `${what}[${i}]`));
}

/** The [key, value] pairs of an object (a JSON map), values through `value`, each labelled `what.key`. */
export function entriesOf<T>(value: Decoder<T>): Decoder<Array<[string, T]>> {
  return (v, what) => Object.entries(asObject(v, what)).map(([k, x]) => [k, value(x, `${what}.${k}`)]);
}

/** Any value, as it is (for entriesOf over a map whose values are read later). */
export const asUnknown: Decoder<unknown> = (v) => v;

/** Field `key` of `o`, required: absent or null throws JsonDecodeError. */
export function reqField<T>(o: JsonObject, key: string, dec: Decoder<T>, what: string): T {
  const v = o[key];
  if (v === undefined || v === null) throw new JsonDecodeError(`${what}.${key}`, 'a value', v);
  return dec(v, `${what}.${key}`);
}

/** Field `key` of `o`, optional: absent or null gives undefined; a wrong type still throws. */
export function optField<T>(o: JsonObject, key: string, dec: Decoder<T>, what: string): T | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : dec(v, `${what}.${key}`);
}

// Loose readers, for replies read as tools read them (a missing or odd part is empty, not an error).

const EMPTY_OBJECT: JsonObject = Object.freeze({});
const EMPTY_ARRAY: readonly unknown[] = Object.freeze([]);

/** `v` when it is an object, else an empty object. */
export function looseObject(v: unknown): JsonObject {
  return isJsonObject(v) ? v : EMPTY_OBJECT;
}

/** `v` when it is an array, else an empty array. */
export function looseArray(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : EMPTY_ARRAY;
}
