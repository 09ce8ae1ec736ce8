// Frame codec: RemotingCommand <-> `int32 length | byte serializeType | uint24 headerLength | header | body`.
// The decoder splits frames straight out of each socket chunk (bodies are views into it); only a frame
// that spans chunks is copied, once, when it is complete. Bad input throws FrameError.
import { LanguageCode, LanguageName } from './codes.js';
import { RemotingCommand, registerExtDecoders, type Releasable, type SerializeTypeValue } from './command.js';
import { scanJavaSendHeaderV2 } from './headers/send-json.js';

export const MAX_FRAME_BYTES_DEFAULT = 16 * 1024 * 1024;
const MAX_HEADER_BYTES = 0xffffff;

export class FrameError extends Error {
  /** Commands decoded from the same chunk before the bad frame; the caller may still serve them. */
  commands: RemotingCommand[] = [];
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

// ---------------------------------------------------------------- encode

const LANGUAGE_JSON = new Map<string, string>(Object.keys(LanguageCode).map((k) => [k, `"${k}"`]));

function extJson(ext: Record<string, string>): string {
  for (const k in ext) {
    if (typeof ext[k] !== 'string') return extJsonSlow(ext);
  }
  // all values are strings: the native serializer emits exactly fastjson's form
  return JSON.stringify(ext);
}

function extJsonSlow(ext: Record<string, unknown>): string {
  let s = '{';
  let first = true;
  for (const k of Object.keys(ext)) {
    const v = ext[k];
    if (v === null || v === undefined) continue;
    s += (first ? '' : ',') + JSON.stringify(k) + ':' + JSON.stringify(typeof v === 'string' ? v : String(v));
    first = false;
  }
  return s + '}';
}

/** The JSON header text in fastjson's order (alphabetical keys); absent remark/extFields are omitted. */
export function jsonHeaderText(cmd: RemotingCommand): string {
  let s = '{"code":' + (cmd.code | 0);
  if (cmd.extJson !== null) s += ',"extFields":' + cmd.extJson;
  else if (cmd.extFields !== null) s += ',"extFields":' + extJson(cmd.extFields);
  s += ',"flag":' + (cmd.flag | 0);
  s += ',"language":' + (LANGUAGE_JSON.get(cmd.language) ?? JSON.stringify(cmd.language));
  s += ',"opaque":' + (cmd.opaque | 0);
  if (cmd.remark !== null) s += ',"remark":' + JSON.stringify(cmd.remark);
  s += ',"serializeTypeCurrentRPC":"JSON","version":' + (cmd.version | 0) + '}';
  return s;
}

/**
 * Decimal chars of n when n is a safe integer (what String(n) gives), else -1 (the caller uses
 * String(n)). For the numbers of hot headers: no string per number.
 */
export function safeIntChars(n: number): number {
  if (!Number.isSafeInteger(n)) return -1;
  let len = n < 0 ? 2 : 1;
  for (let a = Math.abs(n); a >= 10; a = Math.floor(a / 10)) len++;
  return len;
}

/**
 * Writes the decimal text of a safe integer n at p, `chars` = safeIntChars(n) long (pass it when known);
 * returns the position after it.
 */
export function writeSafeInt(buf: Buffer, p: number, n: number, chars = safeIntChars(n)): number {
  const end = p + chars;
  let a = n;
  if (a < 0) { buf[p] = 45; a = -a; }
  for (let q = end - 1; a >= 10; q--) {
    const d = a % 10;
    buf[q] = 48 + d;
    a = (a - d) / 10;
  }
  buf[n < 0 ? p + 1 : p] = 48 + a;
  return end;
}

/** A string JSON.stringify writes as '"' + s + '"' (printable ASCII, no quote or backslash). */
export function jsonPlain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7e) return false;
  }
  return true;
}

const J_CODE = '{"code":';
const J_EXT = ',"extFields":';
const J_FLAG = ',"flag":';
const J_LANGUAGE = ',"language":';
const J_OPAQUE = ',"opaque":';
const J_TAIL = ',"serializeTypeCurrentRPC":"JSON","version":';
/** The fixed keys, four int32s at 11 chars each, the closing brace. */
const J_FIXED_MAX = J_CODE.length + J_EXT.length + J_FLAG.length + J_LANGUAGE.length + J_OPAQUE.length + J_TAIL.length + 4 * 11 + 1;

/** Copies a string known to be ASCII (a constant key or text checked before) at p; returns the position after it. */
export function putAscii(buf: Buffer, p: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[p + i] = s.charCodeAt(i);
  return p + s.length;
}

/**
 * The most bytes of the frame prefix + JSON header that writeJsonHead writes for cmd, -1 when it does
 * not apply: no ext writer able to write JSON, a remark, or a language without a precomputed text.
 */
function jsonHeadMaxBytes(cmd: RemotingCommand): number {
  const w = cmd.extWriter;
  if (w === null || w.writeJsonExt === undefined || cmd.remark !== null) return -1;
  const lang = LANGUAGE_JSON.get(cmd.language);
  if (lang === undefined) return -1;
  const ext = w.jsonExtMaxBytes!();
  return ext < 0 ? -1 : 8 + J_FIXED_MAX + lang.length + ext;
}

/**
 * Prefix and JSON header of cmd written straight at p, the same bytes as jsonHeaderText would give
 * (after jsonHeadMaxBytes(cmd) >= 0, with that much room): no header text, no ext map. Returns the
 * bytes written.
 */
function writeJsonHead(cmd: RemotingCommand, buf: Buffer, p: number, bodyBytes: number): number {
  let q = putAscii(buf, p + 8, J_CODE);
  q = writeSafeInt(buf, q, cmd.code | 0);
  q = putAscii(buf, q, J_EXT);
  q = cmd.extWriter!.writeJsonExt!(buf, q);
  q = putAscii(buf, q, J_FLAG);
  q = writeSafeInt(buf, q, cmd.flag | 0);
  q = putAscii(buf, q, J_LANGUAGE);
  q = putAscii(buf, q, LANGUAGE_JSON.get(cmd.language)!);
  q = putAscii(buf, q, J_OPAQUE);
  q = writeSafeInt(buf, q, cmd.opaque | 0);
  q = putAscii(buf, q, J_TAIL);
  q = writeSafeInt(buf, q, cmd.version | 0);
  buf[q++] = 0x7d; // }
  writePrefix(buf, p, 0, q - p - 8, bodyBytes);
  return q - p;
}

function bodyParts(cmd: RemotingCommand, head: Buffer): Buffer[] {
  const b = cmd.body;
  if (b === null) return [head];
  if (Buffer.isBuffer(b)) return b.length > 0 ? [head, b] : [head];
  const out = [head];
  for (const part of b) if (part.length > 0) out.push(part);
  return out;
}


function checkHeaderBytes(headerBytes: number): void {
  if (headerBytes > MAX_HEADER_BYTES) throw new FrameError(`header of ${headerBytes} bytes exceeds 24-bit length`);
}

function writePrefix(buf: Buffer, p: number, serializeType: number, headerBytes: number, bodyBytes: number): void {
  checkHeaderBytes(headerBytes);
  buf.writeInt32BE(4 + headerBytes + bodyBytes, p);
  buf.writeUInt32BE(((serializeType & 0xff) << 24) | headerBytes, p + 4);
}

function encodeJson(cmd: RemotingCommand): Buffer {
  const most = jsonHeadMaxBytes(cmd);
  if (most >= 0) {
    const buf = Buffer.allocUnsafe(most);
    return buf.subarray(0, writeJsonHead(cmd, buf, 0, cmd.bodyLength()));
  }
  const text = jsonHeaderText(cmd);
  const headerBytes = Buffer.byteLength(text, 'utf8');
  const buf = Buffer.allocUnsafe(8 + headerBytes);
  writePrefix(buf, 0, 0, headerBytes, cmd.bodyLength());
  buf.write(text, 8, 'utf8');
  return buf;
}

// ROCKETMQ binary header (Apache's RocketMQSerializable), all big-endian:
//   int16 code | int8 language | int16 version | int32 opaque | int32 flag |
//   int32 remarkLength | remark (UTF-8) | int32 extLength | { int16 keyLength | key | int32 valueLength | value }*
// An empty remark or ext map is written as length 0 (and reads back as absent), as Java does.
const BINARY_FIXED_BYTES = 2 + 1 + 2 + 4 + 4 + 4 + 4;

/** The fixed fields of the binary header of a frame that starts at p (after the 8-byte prefix). */
function writeFixedBinary(buf: Buffer, p: number, cmd: RemotingCommand): void {
  buf.writeInt16BE((cmd.code << 16) >> 16, p + 8);
  buf[p + 10] = (LanguageCode[cmd.language] ?? LanguageCode.OTHER!) & 0xff;
  buf.writeInt16BE((cmd.version << 16) >> 16, p + 11);
  buf.writeInt32BE(cmd.opaque | 0, p + 13);
  buf.writeInt32BE(cmd.flag | 0, p + 17);
}

/** Copies an ASCII string's chars as bytes; false (having written part of it) at the first non-ASCII char. */
export function writeAscii(buf: Buffer, s: string, p: number): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return false;
    buf[p + i] = c;
  }
  return true;
}

function put16(buf: Buffer, p: number, v: number): void {
  buf[p] = v >>> 8; buf[p + 1] = v & 0xff;
}

function put32(buf: Buffer, p: number, v: number): void {
  buf[p] = v >>> 24; buf[p + 1] = (v >>> 16) & 0xff; buf[p + 2] = (v >>> 8) & 0xff; buf[p + 3] = v & 0xff;
}

/** One binary ext pair `int16 keyLength | key | int32 valueLength | value`, ASCII only; false at a non-ASCII char. */
export function writeAsciiPair(buf: Buffer, p: number, k: string, v: string): boolean {
  put16(buf, p, k.length);
  if (!writeAscii(buf, k, p + 2)) return false;
  const q = p + 2 + k.length;
  put32(buf, q, v.length);
  return writeAscii(buf, v, q + 4);
}

/**
 * Header bytes of the binary header when every remark/key/value char is ASCII (byte count = char
 * count); -1 when a value is not a string (then the UTF-8 path). A non-ASCII char shows up in the write.
 */
function binaryAsciiHeaderBytes(cmd: RemotingCommand): number {
  let extBytes = 0;
  const w = cmd.extWriter;
  if (w !== null) {
    extBytes = w.binaryExtBytes();
    if (extBytes < 0) return -1;
  } else {
    const ext = cmd.extFields;
    if (ext !== null) {
      for (const k in ext) {
        const v = ext[k];
        if (typeof v !== 'string') return -1;
        if (k.length > 0x7fff) return -1;
        extBytes += 6 + k.length + v.length;
      }
    }
  }
  return BINARY_FIXED_BYTES + (cmd.remark === null ? 0 : cmd.remark.length) + extBytes;
}

/**
 * The common case: the prefix and binary header in one pass of byte stores at p, no per-field native
 * calls. false (having written part of it) at the first non-ASCII char (encodeBinaryUtf8 then).
 */
function writeBinaryAscii(cmd: RemotingCommand, buf: Buffer, p: number, headerBytes: number, bodyBytes: number): boolean {
  const remark = cmd.remark ?? '';
  writePrefix(buf, p, 1, headerBytes, bodyBytes);
  writeFixedBinary(buf, p, cmd);
  let q = p + 21;
  put32(buf, q, remark.length); q += 4;
  if (!writeAscii(buf, remark, q)) return false;
  q += remark.length;
  put32(buf, q, headerBytes - BINARY_FIXED_BYTES - remark.length); q += 4;
  const w = cmd.extWriter;
  if (w !== null) return w.writeBinaryExt(buf, q);
  const ext = cmd.extFields;
  if (ext !== null) {
    for (const k in ext) {
      const v = ext[k]!;
      if (!writeAsciiPair(buf, q, k, v)) return false;
      q += 6 + k.length + v.length;
    }
  }
  return true;
}

function encodeBinaryUtf8(cmd: RemotingCommand): Buffer {
  const remarkBytes = cmd.remark ? Buffer.byteLength(cmd.remark, 'utf8') : 0;
  const ext = cmd.extFields;
  let keys: string[] = [];
  let vals: string[] = [];
  let extBytes = 0;
  if (ext !== null) {
    keys = Object.keys(ext);
    vals = new Array<string>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const v = ext[keys[i]!];
      vals[i] = typeof v === 'string' ? v : String(v);
      extBytes += 2 + Buffer.byteLength(keys[i]!, 'utf8') + 4 + Buffer.byteLength(vals[i]!, 'utf8');
    }
  }
  const headerBytes = BINARY_FIXED_BYTES + remarkBytes + extBytes;
  const buf = Buffer.allocUnsafe(8 + headerBytes);
  writePrefix(buf, 0, 1, headerBytes, cmd.bodyLength());
  writeFixedBinary(buf, 0, cmd);
  let p = 21;
  buf.writeInt32BE(remarkBytes, p); p += 4;
  if (remarkBytes > 0) p += buf.write(cmd.remark!, p, 'utf8');
  buf.writeInt32BE(extBytes, p); p += 4;
  for (let i = 0; i < keys.length; i++) {
    const kLen = buf.write(keys[i]!, p + 2, 'utf8');
    if (kLen > 0x7fff) throw new FrameError('ext key too long for the binary header');
    buf.writeInt16BE(kLen, p); p += 2 + kLen;
    const vLen = buf.write(vals[i]!, p + 4, 'utf8');
    buf.writeInt32BE(vLen, p); p += 4 + vLen;
  }
  return buf;
}

function encodeBinary(cmd: RemotingCommand): Buffer {
  const headerBytes = binaryAsciiHeaderBytes(cmd);
  if (headerBytes >= 0) {
    const buf = Buffer.allocUnsafe(8 + headerBytes);
    if (writeBinaryAscii(cmd, buf, 0, headerBytes, cmd.bodyLength())) return buf;
  }
  return encodeBinaryUtf8(cmd);
}

/** [length + header, ...body parts]: hand the list to writev/cork so bodies are never concatenated. */
export function encodeCommand(cmd: RemotingCommand): Buffer[] {
  const head = cmd.serializeType === 1 ? encodeBinary(cmd) : encodeJson(cmd);
  return bodyParts(cmd, head);
}

/** The whole frame as one buffer (tests, small control-plane messages). */
export function encodeCommandToBuffer(cmd: RemotingCommand): Buffer {
  const parts = encodeCommand(cmd);
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Bodies up to this size are copied into the output arena; larger ones are written as they are. */
const INLINE_BODY_MAX = 4096;
const ARENA_FIRST_BYTES = 16 * 1024;
const ARENA_MAX_BYTES = 256 * 1024;

/**
 * One connection's output between writes. Frames are encoded straight into an arena buffer (prefix,
 * header and small bodies back to back), so a turn's output is one contiguous region and a send
 * allocates no buffer of its own. take() hands out what is queued; once the socket has written it all
 * (reuse()), the next frames overwrite the arena from its start. While a write is still pending the
 * arena is only appended to, and a full one is left to that write and replaced (twice the size, up to
 * 256 KiB). Bodies over 4 KiB (pull results) and headers with non-ASCII text go out as their own buffers.
 */
/** Releases each lease of the list (null: none). */
export function releaseAll(leases: Releasable[] | null): void {
  if (leases === null) return;
  for (let i = 0; i < leases.length; i++) leases[i]!.release();
}

export class FrameOutput {
  private buf: Buffer | null = null;
  /** First byte of the region not yet taken. */
  private start = 0;
  private pos = 0;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** bodyLeases of the bodies among `parts`: released once the socket has taken them */
  private leases: Releasable[] | null = null;

  /** Bytes queued and not yet taken. */
  bytes(): number {
    return this.partsBytes + this.pos - this.start;
  }

  isEmpty(): boolean {
    return this.pos === this.start && this.parts.length === 0;
  }

  /**
   * Appends cmd's frame (throws FrameError for a header over 16 MiB, queueing nothing). A leased body
   * copied into the arena is released at once; one queued as it is, with the parts (takeLeases).
   */
  push(cmd: RemotingCommand): void {
    this.pushFrame(cmd);
    const lease = cmd.bodyLease;
    if (lease === null) return;
    cmd.bodyLease = null;
    if (cmd.bodyLength() <= INLINE_BODY_MAX) lease.release();
    else (this.leases ??= []).push(lease);
  }

  /** The leases of the bodies in what take() returned (null: none); the caller releases them when the socket has taken those. */
  takeLeases(): Releasable[] | null {
    const l = this.leases;
    this.leases = null;
    return l;
  }

  private pushFrame(cmd: RemotingCommand): void {
    const b = cmd.body;
    let bodyBytes = 0;
    let inline = true;
    if (b !== null) {
      bodyBytes = cmd.bodyLength();
      inline = bodyBytes <= INLINE_BODY_MAX;
    }
    if (cmd.serializeType === 1) {
      const headerBytes = binaryAsciiHeaderBytes(cmd);
      if (headerBytes >= 0) {
        const frameBytes = 8 + headerBytes;
        checkHeaderBytes(headerBytes);
        this.reserve(inline ? frameBytes + bodyBytes : frameBytes);
        if (writeBinaryAscii(cmd, this.buf!, this.pos, headerBytes, bodyBytes)) {
          this.pos += frameBytes;
          this.pushBody(b, inline);
          return;
        }
      }
      this.pushHead(encodeBinaryUtf8(cmd), b, inline, bodyBytes);
      return;
    }
    const direct = jsonHeadMaxBytes(cmd);
    if (direct >= 0) {
      // an ext writer that writes JSON (the SEND reply): no header text, no map
      this.reserve(inline ? direct + bodyBytes : direct);
      this.pos += writeJsonHead(cmd, this.buf!, this.pos, bodyBytes);
      this.pushBody(b, inline);
      return;
    }
    // (a command with an ext writer gets its map from RemotingCommand.extFields, unless extJson is there)
    const text = jsonHeaderText(cmd);
    // Usual headers are written in one pass (room for the UTF-8 worst case, 3 bytes per UTF-16 unit;
    // the prefix after): Buffer.byteLength first was a second pass over the text. Long ones are counted.
    const most = text.length <= 65536 ? text.length * 3 : Buffer.byteLength(text, 'utf8');
    if (most > MAX_HEADER_BYTES) checkHeaderBytes(most);
    this.reserve(inline ? 8 + most + bodyBytes : 8 + most);
    const buf = this.buf!;
    const headerBytes = (buf as WritableBuffer).utf8Write(text, this.pos + 8, most);
    writePrefix(buf, this.pos, 0, headerBytes, bodyBytes);
    this.pos += 8 + headerBytes;
    this.pushBody(b, inline);
  }

  private pushHead(head: Buffer, b: Buffer | Buffer[] | null, inline: boolean, bodyBytes: number): void {
    this.reserve(inline ? head.length + bodyBytes : head.length);
    head.copy(this.buf!, this.pos);
    this.pos += head.length;
    this.pushBody(b, inline);
  }

  private pushBody(b: Buffer | Buffer[] | null, inline: boolean): void {
    if (b === null) return;
    if (inline) {
      const buf = this.buf!;
      if (Buffer.isBuffer(b)) {
        this.pos += b.copy(buf, this.pos);
      } else {
        for (let i = 0; i < b.length; i++) this.pos += b[i]!.copy(buf, this.pos);
      }
      return;
    }
    this.seal();
    if (Buffer.isBuffer(b)) {
      this.parts.push(b);
      this.partsBytes += b.length;
    } else {
      for (let i = 0; i < b.length; i++) {
        const part = b[i]!;
        if (part.length === 0) continue;
        this.parts.push(part);
        this.partsBytes += part.length;
      }
    }
  }

  /** Room for n more bytes at pos: a fresh arena when the current one is too full. */
  private reserve(n: number): void {
    const buf = this.buf;
    if (buf !== null && this.pos + n <= buf.length) return;
    this.seal();
    const size = buf === null ? ARENA_FIRST_BYTES : Math.min(ARENA_MAX_BYTES, buf.length * 2);
    this.buf = Buffer.allocUnsafe(Math.max(size, n));
    this.start = 0;
    this.pos = 0;
  }

  /** The arena's region since the last take/seal becomes one part. */
  private seal(): void {
    if (this.pos > this.start) {
      this.parts.push(this.buf!.subarray(this.start, this.pos));
      this.partsBytes += this.pos - this.start;
      this.start = this.pos;
    }
  }

  /** Everything queued, in order (one buffer unless a large body or a full arena split it); empties the queue. */
  take(): Buffer[] {
    this.seal();
    const parts = this.parts;
    this.parts = [];
    this.partsBytes = 0;
    return parts;
  }

  /** The socket holds none of what take() returned any more: the arena is written again from its start. */
  reuse(): void {
    if (this.pos === this.start) { this.start = 0; this.pos = 0; }
  }

  /** Drops what is queued (the connection closed). */
  /** Drops everything queued (the connection is closed): leased bodies are released, never to be written. */
  clear(): void {
    this.parts = [];
    this.partsBytes = 0;
    this.start = this.pos;
    releaseAll(this.takeLeases());
  }
}

// ---------------------------------------------------------------- decode

function intField(v: unknown, dflt: number, name: string): number {
  if (v === undefined || v === null) return dflt;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d{1,10}$/.test(v) ? Number(v) : NaN;
  if (Number.isInteger(n) && n >= -0x80000000 && n <= 0x7fffffff) return n;
  throw new FrameError(`header field ${name} is not an int32`);
}

function languageField(v: unknown): string {
  if (v === undefined || v === null) return 'JAVA';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return LanguageName[v] ?? 'OTHER';
  throw new FrameError('header field language is not a string');
}

/** Turns parsed extFields into a string map in place (no copy on the common all-strings path). */
function extFieldsFrom(v: unknown): Record<string, string> | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new FrameError('header field extFields is not an object');
  const ext = v as Record<string, unknown>;
  for (const k in ext) {
    const x = ext[k];
    if (typeof x === 'string') continue;
    if (x === null) delete ext[k];
    else if (typeof x === 'object') ext[k] = JSON.stringify(x);
    else ext[k] = String(x);
  }
  return ext as Record<string, string>;
}

/** Buffer's own UTF-8 encoder, without write()'s argument handling: returns the bytes written. */
type WritableBuffer = Buffer & { utf8Write(s: string, offset: number, length: number): number };

/** Buffer's own UTF-8 decoder, without toString's argument handling (bounds are checked by the callers). */
type SliceableBuffer = Buffer & { utf8Slice(start: number, end: number): string };

function decodeJsonHeader(buf: Buffer, start: number, end: number): RemotingCommand {
  // the Java client's SEND_MESSAGE_V2 header: one scan, no JSON.parse (the ext map is made on first use)
  const s = buf[start + 8] === 0x33 ? scanJavaSendHeaderV2(buf, start, end) : null;
  if (s !== null) {
    const cmd = new RemotingCommand(s.code);
    cmd.language = s.language;
    cmd.version = s.version;
    cmd.opaque = s.opaque;
    cmd.flag = s.flag;
    cmd.decodedSendHeader = s.send;
    cmd.extSrc = buf; cmd.extSrcJson = true; cmd.extStart = s.extStart; cmd.extEnd = s.extEnd;
    return cmd;
  }
  let h: unknown;
  try {
    // utf8Slice: Buffer#toString's argument handling costs ~10 % of the text conversion here
    h = JSON.parse((buf as SliceableBuffer).utf8Slice(start, end));
  } catch (e) {
    throw new FrameError(`bad JSON header: ${(e as Error).message}`);
  }
  if (h === null || typeof h !== 'object' || Array.isArray(h)) throw new FrameError('JSON header is not an object');
  const o = h as Record<string, unknown>;
  if (o.code === undefined) throw new FrameError('JSON header has no code');
  const cmd = new RemotingCommand(intField(o.code, 0, 'code'));
  cmd.language = languageField(o.language);
  cmd.version = intField(o.version, 0, 'version');
  cmd.opaque = intField(o.opaque, 0, 'opaque');
  cmd.flag = intField(o.flag, 0, 'flag');
  const remark = o.remark;
  if (remark === undefined || remark === null) cmd.remark = null;
  else if (typeof remark === 'object') throw new FrameError('header field remark is not a string');
  else cmd.remark = String(remark);
  cmd.extFields = extFieldsFrom(o.extFields);
  return cmd;
}

function truncated(): never {
  throw new FrameError('binary header truncated');
}

/** One-byte keys (the SEND_MESSAGE_V2 header's a..n) without a native call each. */
const ONE_BYTE_STRINGS: string[] = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));

const fromCharCode = String.fromCharCode;

/**
 * buf[p, p + n) as a string: short ASCII runs are made in JS (one flat string each, no native call;
 * up to 8 chars by one fromCharCode, without the intermediate strings of appending), the rest by utf8Slice.
 */
export function utf8String(buf: Buffer, p: number, n: number): string {
  if (n === 1 && buf[p]! < 0x80) return ONE_BYTE_STRINGS[buf[p]!]!;
  if (n <= 12) {
    let bits = 0;
    for (let i = p; i < p + n; i++) bits |= buf[i]!;
    if (bits > 0x7f) return (buf as SliceableBuffer).utf8Slice(p, p + n);
    switch (n) {
      case 2: return fromCharCode(buf[p]!, buf[p + 1]!);
      case 3: return fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!);
      case 4: return fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!, buf[p + 3]!);
      case 5: return fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!, buf[p + 3]!, buf[p + 4]!);
      case 6: return fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!, buf[p + 3]!, buf[p + 4]!, buf[p + 5]!);
      case 7: return fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!, buf[p + 3]!, buf[p + 4]!, buf[p + 5]!, buf[p + 6]!);
      case 8: return fromCharCode(buf[p]!, buf[p + 1]!, buf[p + 2]!, buf[p + 3]!, buf[p + 4]!, buf[p + 5]!, buf[p + 6]!, buf[p + 7]!);
      default: {
        let s = '';
        for (let i = p; i < p + n; i++) s += ONE_BYTE_STRINGS[buf[i]!]!;
        return s;
      }
    }
  }
  return (buf as SliceableBuffer).utf8Slice(p, p + n);
}

// Ext keys are few and repeat in every header: each is read once into an internalized string and
// found again by a hash of its bytes, so a property store with it needs no string-table lookup (a
// fresh key string costs more to store than to read). Bounded, so odd keys cannot grow it forever.
const KEY_CACHE_MAX = 4096;
const keyCache = new Map<number, string>();

function keyString(buf: Buffer, p: number, n: number): string {
  if (n === 1 && buf[p]! < 0x80) return ONE_BYTE_STRINGS[buf[p]!]!;
  if (n > 64) return utf8String(buf, p, n);
  let h = n;
  for (let i = p; i < p + n; i++) h = (Math.imul(h, 31) + buf[i]!) | 0;
  const hit = keyCache.get(h);
  if (hit !== undefined && hit.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) if (hit.charCodeAt(i) !== buf[p + i]) { same = false; break; }
    if (same) return hit;
  }
  const k = utf8String(buf, p, n);
  if (hit === undefined && keyCache.size < KEY_CACHE_MAX && k.length === n && k !== '__proto__') {
    // an internalized copy: the name of a property
    const o: Record<string, number> = {};
    o[k] = 0;
    const interned = Object.keys(o)[0]!;
    keyCache.set(h, interned);
    return interned;
  }
  return k;
}

/** Big-endian int16 / int32 at p (the binary header's and ext pairs' lengths). */
export function readI16(buf: Buffer, p: number): number {
  return ((buf[p]! << 24) | (buf[p + 1]! << 16)) >> 16;
}

export function readI32(buf: Buffer, p: number): number {
  return (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
}

function decodeBinaryHeader(buf: Buffer, start: number, end: number): RemotingCommand {
  let p = start;
  if (end - p < BINARY_FIXED_BYTES) truncated();
  const cmd = new RemotingCommand(readI16(buf, p)); p += 2;
  cmd.language = LanguageName[buf[p]!] ?? 'OTHER'; p += 1;
  cmd.version = readI16(buf, p); p += 2;
  cmd.opaque = readI32(buf, p); p += 4;
  cmd.flag = readI32(buf, p); p += 4;
  const remarkLen = readI32(buf, p); p += 4;
  if (remarkLen < 0 || remarkLen > end - p - 4) truncated();
  cmd.remark = remarkLen > 0 ? utf8String(buf, p, remarkLen) : null;
  p += remarkLen;
  const extLen = readI32(buf, p); p += 4;
  if (extLen < 0 || extLen > end - p) truncated();
  if (extLen > 0) {
    // the pairs are checked now (a malformed frame fails here, as a frame); the map is built on first use
    const extEnd = p + extLen;
    const extStart = p;
    while (p < extEnd) {
      if (extEnd - p < 2) truncated();
      const kLen = readI16(buf, p); p += 2;
      if (kLen < 0 || kLen > extEnd - p - 4) truncated();
      p += kLen;
      const vLen = readI32(buf, p); p += 4;
      if (vLen < 0 || vLen > extEnd - p) truncated();
      p += vLen;
    }
    cmd.extSrc = buf;
    cmd.extStart = extStart;
    cmd.extEnd = extEnd;
  }
  return cmd;
}

/** The ext map of checked binary pairs buf[start, end) (RemotingCommand.extFields builds it on first use). */
function extPairsMap(buf: Buffer, start: number, end: number): Record<string, string> {
  const ext: Record<string, string> = {};
  let p = start;
  while (p < end) {
    const kLen = readI16(buf, p); p += 2;
    const key = keyString(buf, p, kLen); p += kLen;
    const vLen = readI32(buf, p); p += 4;
    const val = utf8String(buf, p, vLen); p += vLen;
    if (key === '__proto__') Object.defineProperty(ext, key, { value: val, enumerable: true, writable: true, configurable: true });
    else ext[key] = val;
  }
  return ext;
}
/** The ext map of a scanned JSON send header's extFields object text (string values only: checked by the scan). */
function extJsonMap(buf: Buffer, start: number, end: number): Record<string, string> {
  return JSON.parse((buf as SliceableBuffer).utf8Slice(start, end)) as Record<string, string>;
}
registerExtDecoders(extPairsMap, extJsonMap);

/** Decodes one frame whose bytes after the length field are buf[start, end). */
export function decodeFrame(buf: Buffer, start: number, end: number): RemotingCommand {
  if (end - start < 4) throw new FrameError('frame shorter than its header length field');
  const field = buf.readUInt32BE(start);
  const serializeType = field >>> 24;
  const headerBytes = field & 0xffffff;
  const hs = start + 4;
  const he = hs + headerBytes;
  if (he > end) throw new FrameError(`header length ${headerBytes} beyond frame of ${end - start} bytes`);
  let cmd: RemotingCommand;
  if (serializeType === 0) cmd = decodeJsonHeader(buf, hs, he);
  else if (serializeType === 1) cmd = decodeBinaryHeader(buf, hs, he);
  else throw new FrameError(`unknown serialize type ${serializeType}`);
  cmd.serializeType = serializeType as SerializeTypeValue;
  cmd.body = he < end ? buf.subarray(he, end) : null;
  return cmd;
}

/** Decodes one whole frame, length field included (tests, fixtures). */
export function decodeCommand(frame: Buffer): RemotingCommand {
  if (frame.length < 4) throw new FrameError('frame shorter than its length field');
  const len = frame.readInt32BE(0);
  if (len !== frame.length - 4) throw new FrameError(`frame length ${len} does not match ${frame.length - 4} bytes`);
  return decodeFrame(frame, 4, frame.length);
}

/**
 * Splits a byte stream into commands. Chunks are kept, not copied: bodies of frames that lie inside one
 * chunk are views into it, so a caller must not reuse a chunk's memory after pushing it (socket chunks
 * are fresh). A frame spanning chunks is joined with one concat when its last byte arrives, so memory
 * held for a partial frame is what was received, never what a peer merely announced.
 */
export class FrameDecoder {
  private readonly maxFrameBytes: number;
  private parts: Buffer[] = [];
  private partsBytes = 0;
  /** Size of the pending frame with its length field; 0 while fewer than 4 bytes are in. */
  private frameBytes = 0;
  private failed: FrameError | null = null;

  constructor(maxFrameBytes: number = MAX_FRAME_BYTES_DEFAULT) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes held for an incomplete frame. */
  bufferedBytes(): number {
    return this.partsBytes;
  }

  private frameLength(len: number): number {
    if (len < 4) throw new FrameError(`frame length ${len} is below the minimum of 4`);
    if (len > this.maxFrameBytes) throw new FrameError(`frame length ${len} exceeds the limit of ${this.maxFrameBytes}`);
    return len;
  }

  /** Decoded commands in arrival order; throws FrameError (and keeps failing) once the stream is bad. */
  push(chunk: Buffer): RemotingCommand[] {
    if (this.failed !== null) throw this.failed;
    const out: RemotingCommand[] = [];
    try {
      this.pushInto(chunk, out);
    } catch (e) {
      const err = e instanceof FrameError ? e : new FrameError(`frame decode failed: ${(e as Error).message}`);
      err.commands = out;
      this.failed = err;
      this.parts = [];
      this.partsBytes = 0;
      throw err;
    }
    return out;
  }

  /** The 4-byte length of the pending frame, read across the held parts and the new chunk. */
  private pendingLength(chunk: Buffer): number {
    const b = Buffer.allocUnsafe(4);
    let filled = 0;
    for (const part of this.parts) filled += part.copy(b, filled, 0, Math.min(part.length, 4 - filled));
    if (filled < 4) chunk.copy(b, filled, 0, 4 - filled);
    return b.readInt32BE(0);
  }

  private pushInto(chunk: Buffer, out: RemotingCommand[]): void {
    const n = chunk.length;
    let off = 0;
    if (this.partsBytes > 0) {
      if (this.frameBytes === 0) {
        if (this.partsBytes + n < 4) {
          this.parts.push(chunk);
          this.partsBytes += n;
          return;
        }
        this.frameBytes = 4 + this.frameLength(this.pendingLength(chunk));
      }
      const missing = this.frameBytes - this.partsBytes;
      if (n < missing) {
        this.parts.push(chunk);
        this.partsBytes += n;
        return;
      }
      this.parts.push(missing === n ? chunk : chunk.subarray(0, missing));
      const frame = Buffer.concat(this.parts, this.frameBytes);
      this.parts = [];
      this.partsBytes = 0;
      this.frameBytes = 0;
      off = missing;
      out.push(decodeFrame(frame, 4, frame.length));
    }
    while (n - off >= 4) {
      const len = this.frameLength(chunk.readInt32BE(off));
      if (n - off - 4 < len) {
        this.frameBytes = 4 + len;
        break;
      }
      out.push(decodeFrame(chunk, off + 4, off + 4 + len));
      off += 4 + len;
    }
    if (off < n) {
      this.parts.push(off === 0 ? chunk : chunk.subarray(off));
      this.partsBytes = n - off;
    }
  }
}
