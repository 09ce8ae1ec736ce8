// RemotingCommand: one request or response of the RocketMQ remoting protocol, header fields plus body.
// extFields hold strings only (what Java peers send and expect); builders stringify numbers/booleans so
// callers can pass them directly. The codec (codec.ts) turns commands into frames and back.
import { MQ_VERSION_4_9_8 } from './codes.js';
import type { SendMessageRequestHeader } from './headers/send.js';

// design.md places LanguageCode beside the command; it lives with the other code tables
export { LanguageCode } from './codes.js';

export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeTypeValue = 0 | 1;

export type ExtValue = string | number | boolean | bigint | null | undefined;
export type ExtInput = Record<string, ExtValue>;

const FLAG_RESPONSE = 1;
const FLAG_ONEWAY = 2;

let opaqueCounter = 0;
/** The next request id of this process; wraps before 2^31 so it stays a positive int32 on the wire. */
export function nextOpaque(): number {
  const v = opaqueCounter;
  opaqueCounter = opaqueCounter >= 0x7ffffffe ? 0 : opaqueCounter + 1;
  return v;
}

/** Drops null/undefined values and stringifies the rest; null in, null out. */
export function normalizeExtFields(ext: ExtInput | null | undefined): Record<string, string> | null {
  if (ext == null) return null;
  const out: Record<string, string> = {};
  for (const key of Object.keys(ext)) {
    const v = ext[key];
    if (v === null || v === undefined) continue;
    // a plain assignment to '__proto__' would change the prototype instead of adding a key
    if (key === '__proto__') Object.defineProperty(out, key, { value: String(v), enumerable: true, writable: true, configurable: true });
    else out[key] = typeof v === 'string' ? v : String(v);
  }
  return out;
}

/**
 * Writes a command's ext fields without a map (a hot request built from a template: the client's
 * send header). The codec asks it for the binary form; JSON headers and the binary header's
 * non-ASCII path use extFields(), which must give the same pairs in the same order.
 */
export interface ExtWriter {
  /** Bytes of the binary header's ext pairs (without the int32 length before them) when every char is ASCII; -1: use extFields(). */
  binaryExtBytes(): number;
  /** Writes those bytes at p (right after binaryExtBytes); false (having written part of them) at the first char that is not ASCII. */
  writeBinaryExt(buf: Buffer, p: number): boolean;
  /** The same pairs as an ext map, in wire order. */
  extFields(): Record<string, string>;
  /**
   * Optional, for JSON headers written without building their text: the most bytes writeJsonExt can
   * write, -1 when it cannot (a char that JSON escapes, or not ASCII: then the map path).
   */
  jsonExtMaxBytes?(): number;
  /**
   * Writes the extFields object exactly as JSON.stringify of extFields() gives it, at p; returns the
   * position after it. Called only after jsonExtMaxBytes() returned >= 0, with that much room.
   */
  writeJsonExt?(buf: Buffer, p: number): number;
}

/** A hold on pooled memory (a pull reply's body): released exactly once, when nothing reads it any more. */
export interface Releasable {
  release(): void;
}

/** Builds the ext map of a header's ext bytes buf[start, end), already checked (the codec registers them). */
type ExtDecoder = (buf: Buffer, start: number, end: number) => Record<string, string>;
let decodeExtPairs: ExtDecoder | null = null;
let decodeExtJson: ExtDecoder | null = null;
/** The codec's decoders, for the lazily built extFields: binary pairs, and a JSON extFields object's text. */
export function registerExtDecoders(pairs: ExtDecoder, json: ExtDecoder): void { decodeExtPairs = pairs; decodeExtJson = json; }

export class RemotingCommand {
  code: number;
  language: string = 'JAVA';
  version: number = MQ_VERSION_4_9_8;
  opaque: number = 0;
  flag: number = 0;
  remark: string | null = null;
  private extMap: Record<string, string> | null = null;
  /**
   * A decoded binary header's ext pairs, buf[extStart, extEnd), checked but not yet made into a map:
   * extFields builds the map on first use; a hot reader (the SEND_MESSAGE_V2 header) reads the bytes
   * without it. Frames' chunks are never reused (codec.ts), so the bytes stay valid.
   */
  extSrc: Buffer | null = null;
  extStart = 0;
  extEnd = 0;
  /** extSrc holds a JSON header's extFields object text (a scanned send header), not binary pairs. */
  extSrcJson = false;
  /** A send request's V2 header read without the ext map (the codec's JSON scan, or sendHeaderFromBytes), else null. */
  decodedSendHeader: SendMessageRequestHeader | null = null;
  body: Buffer | Buffer[] | null = null;
  /**
   * The body's memory is leased from a pool (a pull's records): the connection releases it once the
   * socket has taken the frame, or once the body has been copied into its output buffer; a frame that
   * is never written keeps it (then it is garbage, never reused).
   */
  bodyLease: Releasable | null = null;
  serializeType: SerializeTypeValue = 0;
  /**
   * extFields already in the JSON header's text form (exactly what the codec would write for them).
   * Hot replies built from a template (the SEND reply) set it so the codec need not stringify the map
   * for every message; extFields must hold the same pairs (binary headers and in-process readers use
   * them). setExt clears it.
   */
  extJson: string | null = null;
  /**
   * When set, the codec writes the ext fields from it instead of a map (a JSON or non-ASCII encode,
   * or any read of extFields, makes the map from the writer). For requests encoded without an RPC
   * hook and for the SEND reply.
   */
  extWriter: ExtWriter | null = null;

  constructor(code: number) {
    this.code = code;
  }

  /** The ext map; built on first use from the binary pairs (extSrc) or from the ext writer. */
  get extFields(): Record<string, string> | null {
    if (this.extSrc !== null) {
      this.extMap = (this.extSrcJson ? decodeExtJson! : decodeExtPairs!)(this.extSrc, this.extStart, this.extEnd);
      this.extSrc = null;
    } else if (this.extWriter !== null) {
      this.extMap = this.extWriter.extFields();
      this.extWriter = null;
    }
    return this.extMap;
  }

  set extFields(v: Record<string, string> | null) {
    this.extSrc = null;
    this.decodedSendHeader = null;
    this.extMap = v;
  }

  static request(code: number, extFields?: ExtInput | null, body?: Buffer | null): RemotingCommand {
    const cmd = new RemotingCommand(code);
    cmd.opaque = nextOpaque();
    cmd.extFields = normalizeExtFields(extFields);
    cmd.body = body ?? null;
    return cmd;
  }

  static response(code: number, remark?: string | null, extFields?: ExtInput | null, body?: Buffer | Buffer[] | null): RemotingCommand {
    const cmd = new RemotingCommand(code);
    cmd.flag = FLAG_RESPONSE;
    cmd.remark = remark ?? null;
    cmd.extFields = normalizeExtFields(extFields);
    cmd.body = body ?? null;
    return cmd;
  }

  isResponse(): boolean {
    return (this.flag & FLAG_RESPONSE) !== 0;
  }

  isOneway(): boolean {
    return (this.flag & FLAG_ONEWAY) !== 0;
  }

  markOneway(): this {
    this.flag |= FLAG_ONEWAY;
    return this;
  }

  markResponse(): this {
    this.flag |= FLAG_RESPONSE;
    return this;
  }

  bodyLength(): number {
    const b = this.body;
    if (b === null) return 0;
    if (Buffer.isBuffer(b)) return b.length;
    let n = 0;
    for (const part of b) n += part.length;
    return n;
  }

  /** The body as one Buffer (copies only when it is a list of parts). */
  bodyBuffer(): Buffer | null {
    const b = this.body;
    if (b === null || Buffer.isBuffer(b)) return b;
    return b.length === 1 ? b[0]! : Buffer.concat(b);
  }

  /** One ext field, undefined when absent. */
  ext(name: string): string | undefined {
    const e = this.extFields;
    return e === null ? undefined : Object.prototype.hasOwnProperty.call(e, name) ? e[name] : undefined;
  }

  /** Sets (stringifying) or, for null/undefined, removes one ext field. */
  setExt(name: string, value: ExtValue): this {
    this.extJson = null;
    if (value === null || value === undefined) {
      if (this.extFields !== null) delete this.extFields[name];
      return this;
    }
    if (this.extFields === null) this.extFields = {};
    if (name === '__proto__') Object.defineProperty(this.extFields, name, { value: String(value), enumerable: true, writable: true, configurable: true });
    else this.extFields[name] = String(value);
    return this;
  }
}
