// The JSON header of a SEND_MESSAGE_V2 request exactly as the 4.9 Java client's fastjson writes it,
// read without JSON.parse:
//   {"code":310,"extFields":{"a":"..",..,"n":".."},"flag":0,"language":"JAVA","opaque":7,
//    "serializeTypeCurrentRPC":"JSON","version":409}
// One pass over the bytes gives the command's fields and the fixed-shape send header; the ext map
// is made from the extFields text (JSON.parse) only if something asks for it. Anything outside that
// exact form (other keys or order, whitespace, escapes other than \u0001, \u0002, \" and \\, numbers
// that are not plain decimals, a remark) returns null and the codec parses the header as before, so
// what this accepts is valid JSON and reads as JSON.parse would read it. JSON.parse of the 4.9
// client's ~400-byte header was 13-16 % of the broker's main thread with the Java client's load.

import type { SendMessageRequestHeader } from './send.js';
import { SendHeaderFields, repeatedString } from './send.js';
import { utf8String } from '../codec.js';

/** What the scan gives: the command's header fields, the send header, where the extFields object text lies. */
export interface ScannedSendHeader {
  code: number; flag: number; language: string; opaque: number; version: number;
  send: SendMessageRequestHeader;
  extStart: number; extEnd: number;
}

const PREFIX = Buffer.from('{"code":310,"extFields":{');
const AFTER_EXT = Buffer.from('},"flag":');
const LANGUAGE = Buffer.from(',"language":"');
const OPAQUE = Buffer.from(',"opaque":');
const SERIALIZE = Buffer.from(',"serializeTypeCurrentRPC":"JSON","version":');

function at(buf: Buffer, p: number, end: number, lit: Buffer): boolean {
  const n = lit.length;
  if (p + n > end) return false;
  for (let i = 0; i < n; i++) if (buf[p + i] !== lit[i]) return false;
  return true;
}

// the scan's cursor and the end of the last string or number read (module state: one scan at a time)
let q = 0;

/** A JSON integer at q (no leading zeros but 0 itself, no fraction): its value within int32, else NaN; moves q past it. */
function jsonInt(buf: Buffer, end: number): number {
  let i = q;
  const neg = buf[i] === 0x2d;
  if (neg) i++;
  const start = i;
  let v = 0;
  while (i < end) {
    const c = buf[i]! - 0x30;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
    i++;
  }
  const n = i - start;
  if (n === 0 || n > 10 || (n > 1 && buf[start] === 0x30)) return NaN;
  if (neg) v = -v;
  if (v < -0x80000000 || v > 0x7fffffff) return NaN;
  q = i;
  return v;
}

/**
 * The end of the JSON string whose text starts at q (after its opening quote): the index of the
 * closing quote, or -1 for an escape, a control char or no end. allowEscapes (the properties field):
 * \u0001, \u0002, \" and \\ are allowed and counted in `escapes`.
 */
function stringEnd(buf: Buffer, end: number, allowEscapes: boolean): number {
  for (let i = q; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x22) return i;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      if (!allowEscapes) return -1;
      const e = buf[i + 1];
      if (e === 0x22 || e === 0x5c) { i++; escapes++; continue; }
      if (e === 0x75 && i + 5 < end && buf[i + 2] === 0x30 && buf[i + 3] === 0x30 && buf[i + 4] === 0x30
        && (buf[i + 5] === 0x31 || buf[i + 5] === 0x32)) { i += 5; escapes++; continue; }
      return -1;
    }
  }
  return -1;
}
let escapes = 0;

let scratch = Buffer.allocUnsafe(1024);

/** The properties value buf[p, e) with its escapes resolved (\u0001, \u0002, \", \\): one flat string. */
function unescapeProperties(buf: Buffer, p: number, e: number): string {
  if (scratch.length < e - p) scratch = Buffer.allocUnsafe(2 * (e - p));
  const out = scratch;
  let o = 0;
  for (let i = p; i < e; i++) {
    const c = buf[i]!;
    if (c !== 0x5c) { out[o++] = c; continue; }
    const x = buf[i + 1]!;
    if (x === 0x75) { out[o++] = buf[i + 5]! - 0x30; i += 5; } // \u0001 / \u0002
    else { out[o++] = x; i += 1; } // \" or \\
  }
  return utf8String(out, 0, o);
}

const jsonFields = new SendHeaderFields();

/** Scans buf[start, end) (a JSON header); null when it is not in the exact form above. */
export function scanJavaSendHeaderV2(buf: Buffer, start: number, end: number): ScannedSendHeader | null {
  if (!at(buf, start, end, PREFIX)) return null;
  const extStart = start + PREFIX.length - 1;
  q = extStart + 1;
  const f = jsonFields.reset();
  for (;;) {
    // "k":"value"
    if (q + 6 > end || buf[q] !== 0x22 || buf[q + 2] !== 0x22 || buf[q + 3] !== 0x3a || buf[q + 4] !== 0x22) return null;
    const key = buf[q + 1]!;
    const bit = key - 0x61;
    if (bit < 0 || bit > 13 || (f.seen >> bit) & 1) return null; // a..n, each once
    q += 5;
    const p = q;
    escapes = 0;
    const e = stringEnd(buf, end, key === 0x69);
    if (e < 0) return null;
    if (escapes > 0) { f.properties = unescapeProperties(buf, p, e); f.seen |= 1 << bit; } // only i has escapes
    else if (!f.set(key, buf, p, e - p)) return null;
    q = e + 1;
    if (buf[q] === 0x2c) { q++; continue; }
    break;
  }
  const send = f.header();
  if (send === null) return null;
  const extEnd = q + 1;
  if (!at(buf, q, end, AFTER_EXT)) return null;
  q += AFTER_EXT.length;
  const cmdFlag = jsonInt(buf, end);
  if (cmdFlag !== cmdFlag || !at(buf, q, end, LANGUAGE)) return null;
  q += LANGUAGE.length;
  const lp = q;
  const le = stringEnd(buf, end, false);
  if (le < 0) return null;
  const language = repeatedString(buf, lp, le - lp);
  q = le + 1;
  if (!at(buf, q, end, OPAQUE)) return null;
  q += OPAQUE.length;
  const opaque = jsonInt(buf, end);
  if (opaque !== opaque || !at(buf, q, end, SERIALIZE)) return null;
  q += SERIALIZE.length;
  const version = jsonInt(buf, end);
  if (version !== version || q + 1 !== end || buf[q] !== 0x7d) return null;
  return { code: 310, flag: cmdFlag, language, opaque, version, extStart, extEnd, send };
}
