// Typed access to a command's extFields, shared by the header families in this folder (and the
// broker's admin processors). A missing or malformed mandatory field throws RequestHeaderError; the
// remoting server turns a throw into SYSTEM_ERROR (1) with the message as remark, which is what
// Apache answers for "the custom field <x> is null" and number format errors.

export class RequestHeaderError extends Error {}

export type HeaderExt = Record<string, string> | null | undefined;

/** `label`: the field's name in errors when it travels under another key (the send header's a..n). */
export function reqStr(ext: HeaderExt, name: string, label = name): string {
  const v = ext?.[name];
  if (v === undefined || v === null) throw new RequestHeaderError(`the custom field <${label}> is null`);
  return String(v);
}

export function optStr(ext: HeaderExt, name: string): string | undefined {
  const v = ext?.[name];
  return v === undefined || v === null ? undefined : String(v);
}

function toInt(name: string, v: string): number {
  const s = String(v).trim();
  if (!/^-?\d+$/.test(s)) throw new RequestHeaderError(`the custom field <${name}> is not a number: ${s}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new RequestHeaderError(`the custom field <${name}> is out of range: ${s}`);
  return n;
}

export function reqInt(ext: HeaderExt, name: string): number {
  return toInt(name, reqStr(ext, name));
}

/**
 * A Java `Long` field that may carry any long, e.g. Long.MAX_VALUE as the end of a time range
 * (mqadmin queryMsgByKey / queryMsgByUniqueKey): values past 2^53 are clamped to the safe range.
 */
export function reqLong(ext: HeaderExt, name: string): number {
  const s = reqStr(ext, name).trim();
  if (!/^-?\d+$/.test(s)) throw new RequestHeaderError(`the custom field <${name}> is not a number: ${s}`);
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) throw new RequestHeaderError(`the custom field <${name}> is out of range: ${s}`);
  if (b > BigInt(Number.MAX_SAFE_INTEGER)) return Number.MAX_SAFE_INTEGER;
  if (b < BigInt(Number.MIN_SAFE_INTEGER)) return Number.MIN_SAFE_INTEGER;
  return Number(b);
}

export function optInt(ext: HeaderExt, name: string): number | undefined {
  const v = optStr(ext, name);
  return v === undefined || v === '' ? undefined : toInt(name, v);
}

export function optBool(ext: HeaderExt, name: string): boolean | undefined {
  const v = optStr(ext, name);
  if (v === undefined) return undefined;
  return v === 'true';
}

/**
 * A number in a reply header read leniently, as the client always has: absent, empty or not a
 * number gives `dflt` (a reply is never refused for its header).
 */
export function numOr(v: string | undefined, dflt: number): number {
  if (v === undefined || v === null || v === '') return dflt;
  const n = Number(v);
  return Number.isFinite(n) ? n : dflt;
}

/** Adds `bname` (the broker a request is meant for) last, when known: how 4.9.8 requests carry it. */
export function withBrokerName(f: Record<string, string>, brokerName: string | undefined): Record<string, string> {
  if (brokerName !== undefined) f['bname'] = brokerName;
  return f;
}
