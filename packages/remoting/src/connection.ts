// One TCP connection speaking the remoting protocol, shared by server channels and client connections:
// frame decoding, dispatch of incoming requests to processors, matching of responses by opaque, and an
// output queue written once per event-loop turn with a hard byte limit: frames are encoded into one
// arena buffer (FrameOutput, reused once the socket has taken the bytes), large bodies ride beside it
// (cork/uncork -> one writev).
import type { Socket } from 'node:net';
import { FrameDecoder, FrameError, FrameOutput, releaseAll } from './codec.js';
import { FastJsonError } from './fastjson.js';
import { ResponseCode } from './codes.js';
import { RemotingCommand, type SerializeTypeValue } from './command.js';
import type { Logger } from './logger.js';
import { recordStageMs, stageTimersOn, STAGE_DECODE, STAGE_REPLY, STAGE_TOTAL } from './stage-timers.js';
import { PendingCalls } from './pending-calls.js';

export * from './stage-timers.js';

export type Processor = (req: RemotingCommand, ch: Channel) => RemotingCommand | null | Promise<RemotingCommand | null>;

export interface Channel {
  readonly id: number;
  /** "ip:port" of the peer. */
  readonly remoteAddress: string;
  readonly localAddress: string;
  readonly closed: boolean;
  attrs: Map<string, unknown>;
  /** Queues the command; written with everything else queued in this event-loop turn. */
  send(cmd: RemotingCommand): void;
  /**
   * Answers req with resp (its opaque, the response flag, req's serialize type), as a processor's
   * returned answer goes back; nothing for a oneway request, a null answer or a closed channel.
   */
  reply(req: RemotingCommand, resp: RemotingCommand | null | undefined): void;
  /** Sends a request on this connection and waits for the response with the same opaque. */
  invoke(cmd: RemotingCommand, timeoutMs: number): Promise<RemotingCommand>;
  invokeOneway(cmd: RemotingCommand): void;
  close(): void;
}

/** Codes of RemotingError, outside the protocol's response codes so the two never mix up. */
export const RemotingErrorCode = {
  CONNECT_FAILED: 10001,
  TIMEOUT: 10002,
  CHANNEL_CLOSED: 10003,
  SEND_FAILED: 10004,
  CLIENT_CLOSED: 10005,
} as const;

export class RemotingError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.name = 'RemotingError';
    this.code = code;
  }
}

export class ProcessorTable {
  private readonly table = new Map<number, Processor>();
  private defaultProcessor: Processor | null = null;

  register(code: number, p: Processor): void {
    this.table.set(code, p);
  }

  registerDefault(p: Processor): void {
    this.defaultProcessor = p;
  }

  get(code: number): Processor | null {
    return this.table.get(code) ?? this.defaultProcessor;
  }
}

export interface ConnectionOptions {
  name: string;
  logger: Logger;
  processors: ProcessorTable;
  maxFrameBytes: number;
  /** Close the connection when queued plus socket-buffered output exceeds this. */
  maxPendingWriteBytes: number;
  /** Opaque for requests this side starts (the server has its own counter, clients share the process one). */
  nextOpaque: () => number;
  onClose: (conn: Connection) => void;
  /**
   * Header serialization of the requests this side starts (0 JSON, 1 ROCKETMQ binary); absent: each
   * command's own (JSON unless the caller set it). Responses always take the request's type.
   */
  requestSerializeType?: SerializeTypeValue;
  /**
   * Called once when this connection sent binary requests and no response at all came back before the
   * peer closed it or a call timed out: the peer does not speak the binary header, so the caller can
   * open its next connection to that address with JSON.
   */
  onBinaryUnanswered?: (conn: Connection) => void;
}

/**
 * A request waiting for its response. invoke() makes one around a promise; invokeWith() takes one the
 * caller made (e.g. a send's own state object with resolve/reject methods), so a hot path needs no
 * promise or closure of the connection's. deadline/code/timeoutMs are set by the connection.
 */
export interface PendingCall {
  resolve(cmd: RemotingCommand): void;
  reject(err: Error): void;
  /** performance.now() after which the call times out */
  deadline: number;
  code: number;
  timeoutMs: number;
}

// One sweeping timer for every connection's pending calls instead of a setTimeout/clearTimeout pair
// per request: every SWEEP_MS it rejects the calls past their deadline (so a timeout fires up to
// SWEEP_MS late). It exists only while some call is pending and keeps the process alive meanwhile, as
// the per-call timers did.
const SWEEP_MS = 10;
const watched = new Set<Connection>();
let sweeper: NodeJS.Timeout | null = null;
function watch(c: Connection): void {
  watched.add(c);
  if (sweeper === null) {
    sweeper = setInterval(sweepAll, SWEEP_MS);
  }
}
function sweepAll(): void {
  const now = performance.now();
  for (const c of watched) if (c.sweep(now)) watched.delete(c);
  if (watched.size === 0 && sweeper !== null) { clearInterval(sweeper); sweeper = null; }
}

export function formatAddress(ip: string | undefined, port: number | undefined): string {
  if (ip === undefined) return 'unknown';
  const host = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return `${host.includes(':') ? `[${host}]` : host}:${port ?? 0}`;
}

let lastChannelId = 0;

/**
 * A request header that does not decode (Apache's RemotingCommandException text, which the
 * processors reproduce) or a JSON body that does not parse: answered SYSTEM_ERROR with the reason,
 * logged as a warning.
 */
const BAD_HEADER = /^the custom field <[^>]*> /;

export class Connection implements Channel {
  readonly id = ++lastChannelId;
  readonly remoteAddress: string;
  readonly localAddress: string;
  attrs = new Map<string, unknown>();

  private readonly decoder: FrameDecoder;
  private readonly pending = new PendingCalls<PendingCall>();
  /** No pending call's deadline is before this (the sweep skips the scan until then). */
  private earliestDeadline = Infinity;
  /** This turn's frames, encoded into one arena (see FrameOutput). */
  private readonly out = new FrameOutput();
  /** stage timers only: [arrival, resolved] times of the replies queued in `out` */
  private outTimes: number[] = [];
  private flushScheduled = false;
  private isClosed = false;
  private closeReported = false;
  /** Serialize type of the requests this side starts; -1: each command's own. */
  private requestType: number;
  /** Whether any response came back on this connection. */
  private answered = false;
  /** Whether a binary request was sent before any response (the fallback watch is on). */
  private binaryUnconfirmed = false;

  constructor(readonly socket: Socket, private readonly opts: ConnectionOptions) {
    this.remoteAddress = formatAddress(socket.remoteAddress, socket.remotePort);
    this.localAddress = formatAddress(socket.localAddress, socket.localPort);
    this.decoder = new FrameDecoder(opts.maxFrameBytes);
    this.requestType = opts.requestSerializeType ?? -1;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => opts.logger.debug(`socket error on ${this.remoteAddress}: ${err.message}`));
    socket.on('close', () => this.onSocketClose());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private onData(chunk: Buffer): void {
    let cmds: RemotingCommand[];
    const t0 = stageTimersOn ? performance.now() : 0;
    try {
      cmds = this.decoder.push(chunk);
    } catch (e) {
      const msg = e instanceof FrameError ? e.message : String(e);
      this.opts.logger.warn(`closing connection ${this.remoteAddress}: ${msg}`);
      this.destroy();
      return;
    }
    if (stageTimersOn && cmds.length > 0) {
      const per = (performance.now() - t0) / cmds.length;
      for (let i = 0; i < cmds.length; i++) recordStageMs(STAGE_DECODE, per);
    }
    for (let i = 0; i < cmds.length; i++) this.dispatch(cmds[i]!, t0);
  }

  private dispatch(cmd: RemotingCommand, arrivedAt: number): void {
    if (cmd.isResponse()) {
      if (!this.answered) { this.answered = true; this.binaryUnconfirmed = false; }
      const call = this.pending.get(cmd.opaque);
      if (call === undefined) {
        this.opts.logger.debug(`response with unknown opaque ${cmd.opaque} from ${this.remoteAddress}`);
        return;
      }
      this.pending.delete(cmd.opaque);
      call.resolve(cmd);
      return;
    }
    const processor = this.opts.processors.get(cmd.code);
    if (processor === null) {
      this.reply(cmd, RemotingCommand.response(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, `request type ${cmd.code} not supported`));
      return;
    }
    let result: RemotingCommand | null | Promise<RemotingCommand | null>;
    try {
      result = processor(cmd, this);
    } catch (e) {
      this.replyError(cmd, e);
      return;
    }
    if (result !== null && result !== undefined && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<RemotingCommand | null>).then(
        stageTimersOn ? (r) => this.replyTimed(cmd, r, arrivedAt) : (r) => this.reply(cmd, r),
        (e: unknown) => this.replyError(cmd, e),
      );
    } else {
      this.reply(cmd, result as RemotingCommand | null);
    }
  }

  private replyError(req: RemotingCommand, e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    if (BAD_HEADER.test(msg) || e instanceof FastJsonError) {
      // The client's mistake, not ours: one line, no stack (the reply carries the reason).
      this.opts.logger.warn(`request code ${req.code} from ${this.remoteAddress} rejected: ${msg}`);
    } else {
      this.opts.logger.error(`processor for code ${req.code} failed: ${e instanceof Error && e.stack ? e.stack : msg}`);
    }
    this.reply(req, RemotingCommand.response(ResponseCode.SYSTEM_ERROR, msg));
  }

  private replyTimed(req: RemotingCommand, resp: RemotingCommand | null | undefined, arrivedAt: number): void {
    if (resp === null || resp === undefined || req.isOneway() || this.isClosed) return;
    this.outTimes.push(arrivedAt, performance.now());
    this.reply(req, resp);
  }

  /** The response goes back with the request's opaque and serialize type; oneway requests get none. */
  reply(req: RemotingCommand, resp: RemotingCommand | null | undefined): void {
    if (resp === null || resp === undefined || req.isOneway() || this.isClosed) return;
    resp.opaque = req.opaque;
    resp.flag |= 1;
    resp.serializeType = req.serializeType;
    this.send(resp);
  }

  send(cmd: RemotingCommand): void {
    if (this.isClosed) return;
    this.out.push(cmd);
    const pendingBytes = this.out.bytes() + this.socket.writableLength;
    if (pendingBytes > this.opts.maxPendingWriteBytes) {
      this.opts.logger.warn(
        `closing connection ${this.remoteAddress}: ${pendingBytes} bytes of output pending, limit ${this.opts.maxPendingWriteBytes}`,
      );
      this.destroy();
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.isClosed || this.out.isEmpty()) return;
    const out = this.out.take();
    const leases = this.out.takeLeases();
    // pooled bodies are released when the socket has taken the last part (or failed: then it never will)
    const written = leases === null ? undefined : (): void => releaseAll(leases);
    const s = this.socket;
    const last = out.length - 1;
    if (last === 0) {
      s.write(out[0]!, written);
    } else {
      // large bodies (pull results) go out as they are, beside the arena's headers: one writev
      s.cork();
      for (let i = 0; i < last; i++) s.write(out[i]!);
      s.write(out[last]!, written);
      s.uncork();
    }
    // Nothing left in the socket's queue: the kernel has the bytes, the arena can be written again.
    if (s.writableLength === 0) this.out.reuse();
    if (stageTimersOn && this.outTimes.length > 0) {
      const now = performance.now();
      const t = this.outTimes;
      for (let i = 0; i < t.length; i += 2) { recordStageMs(STAGE_TOTAL, now - t[i]!); recordStageMs(STAGE_REPLY, now - t[i + 1]!); }
      this.outTimes = [];
    }
  };

  invoke(cmd: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    if (this.isClosed) {
      return Promise.reject(new RemotingError(RemotingErrorCode.CHANNEL_CLOSED, `connection to ${this.remoteAddress} is closed`));
    }
    return new Promise<RemotingCommand>((resolve, reject) => {
      this.register(cmd, timeoutMs, { resolve, reject, deadline: 0, code: 0, timeoutMs: 0 });
    });
  }

  /**
   * invoke() without a promise: `call.resolve(response)` or `call.reject(error)` runs exactly once,
   * never synchronously inside this method.
   */
  invokeWith(cmd: RemotingCommand, timeoutMs: number, call: PendingCall): void {
    if (this.isClosed) {
      const err = new RemotingError(RemotingErrorCode.CHANNEL_CLOSED, `connection to ${this.remoteAddress} is closed`);
      queueMicrotask(() => call.reject(err));
      return;
    }
    this.register(cmd, timeoutMs, call);
  }

  private register(cmd: RemotingCommand, timeoutMs: number, call: PendingCall): void {
    cmd.opaque = this.opts.nextOpaque();
    cmd.flag &= ~1;
    this.setRequestType(cmd);
    call.deadline = performance.now() + timeoutMs;
    call.code = cmd.code;
    call.timeoutMs = timeoutMs;
    if (call.deadline < this.earliestDeadline) this.earliestDeadline = call.deadline;
    if (this.pending.size === 0) watch(this);
    this.pending.set(cmd.opaque, call);
    this.send(cmd);
  }

  /** Rejects the calls past their deadline; true when none is left pending (the sweeper drops it). */
  sweep(now: number): boolean {
    if (now < this.earliestDeadline) return this.pending.size === 0;
    let timedOut = false;
    let next = Infinity;
    // calls registered while the rejections below run lower it again
    this.earliestDeadline = Infinity;
    for (const [opaque, call] of this.pending.entries()) {
      if (this.pending.get(opaque) !== call) continue; // answered, or failed by a close, while this loop ran
      if (call.deadline > now) {
        if (call.deadline < next) next = call.deadline;
        continue;
      }
      this.pending.delete(opaque);
      timedOut = true;
      call.reject(new RemotingError(RemotingErrorCode.TIMEOUT,
        `wait for response of code ${call.code} (opaque ${opaque}) from ${this.remoteAddress} timed out after ${call.timeoutMs} ms`));
    }
    // A peer that cannot parse the binary header may sit waiting for a "header" of 16 MiB: drop the
    // connection so the next call opens a JSON one.
    if (next < this.earliestDeadline) this.earliestDeadline = next;
    if (timedOut && this.binaryUnanswered()) this.destroy();
    return this.pending.size === 0;
  }

  invokeOneway(cmd: RemotingCommand): void {
    cmd.opaque = this.opts.nextOpaque();
    cmd.flag = (cmd.flag & ~1) | 2;
    this.setRequestType(cmd, false);
    this.send(cmd);
  }

  /** Applies the connection's request type; a binary request that expects an answer starts the fallback watch. */
  private setRequestType(cmd: RemotingCommand, answerExpected = true): void {
    const t = this.requestType;
    if (t >= 0) cmd.serializeType = t as SerializeTypeValue;
    if (answerExpected && cmd.serializeType === 1 && !this.answered) this.binaryUnconfirmed = true;
  }

  /** Binary requests went out and nothing ever came back: tell the owner (once) so it can fall back to JSON. */
  private binaryUnanswered(): boolean {
    if (!this.binaryUnconfirmed || this.answered) return false;
    this.binaryUnconfirmed = false;
    this.requestType = 0;
    this.opts.onBinaryUnanswered?.(this);
    return true;
  }

  /** Number of requests waiting for a response. */
  pendingCount(): number {
    return this.pending.size;
  }

  close(): void {
    this.destroy();
  }

  private destroy(): void {
    if (!this.isClosed) {
      this.isClosed = true;
      this.out.clear();
      this.failPending();
    }
    this.socket.destroy();
  }

  private failPending(): void {
    if (this.pending.size === 0) return;
    const err = new RemotingError(RemotingErrorCode.CHANNEL_CLOSED, `connection to ${this.remoteAddress} closed`);
    const calls = this.pending.entries();
    this.pending.clear();
    for (const [, call] of calls) call.reject(err);
  }

  private onSocketClose(): void {
    const partial = this.decoder.bufferedBytes();
    if (!this.isClosed && partial > 0) {
      this.opts.logger.warn(`connection ${this.remoteAddress} closed by the peer in the middle of a frame (${partial} bytes of it received)`);
    }
    // closed by the peer (not by us): binary requests it never answered mean it did not understand them
    if (!this.isClosed) this.binaryUnanswered();
    this.isClosed = true;
    this.failPending();
    if (this.closeReported) return;
    this.closeReported = true;
    this.opts.onClose(this);
  }
}
