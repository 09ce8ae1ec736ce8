// RemotingServer: a node:net listener whose connections dispatch requests by code to processors.
// Unknown codes get REQUEST_CODE_NOT_SUPPORTED, a throwing processor SYSTEM_ERROR; a peer that sends
// bad frames or does not read its replies is disconnected alone, never the whole server.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { MAX_FRAME_BYTES_DEFAULT } from './codec.js';
import type { RemotingCommand } from './command.js';
import { Connection, ProcessorTable, type Channel, type ConnectionOptions, type Processor } from './connection.js';
import { createLogger, type Logger } from './logger.js';

export interface RemotingServerOptions {
  port: number;
  /** Default 0.0.0.0; tests pass 127.0.0.1. */
  host?: string;
  maxFrameBytes?: number;
  /** Per connection; default 64 MiB. */
  maxPendingWriteBytes?: number;
  /** Default 20000 (bounded further by the process fd limit). */
  maxConnections?: number;
  /** Close a connection silent for this long (Java's serverChannelMaxIdleTimeSeconds, 120 s); 0 = never. */
  idleTimeoutMs?: number;
  logger?: Logger;
  name?: string;
}

/**
 * Server side RPC hook (Apache's RPCHook): doBeforeRequest runs before every request's processor and may
 * answer instead (return a response, e.g. NO_PERMISSION 16); null/undefined lets the request go on. A
 * hook that throws answers SYSTEM_ERROR with its message. doAfterResponse sees the processor's answer.
 */
/** What a Connection of a server or client endpoint gets: its name, logger and processors, and the frame limits. */
export function connectionOptions(
  name: string, logger: Logger, processors: ProcessorTable,
  limits: { maxFrameBytes?: number; maxPendingWriteBytes?: number },
  nextOpaque: () => number, onClose: (conn: Connection) => void,
): ConnectionOptions {
  return {
    name, logger, processors, nextOpaque, onClose,
    maxFrameBytes: limits.maxFrameBytes ?? MAX_FRAME_BYTES_DEFAULT,
    maxPendingWriteBytes: limits.maxPendingWriteBytes ?? 64 * 1024 * 1024,
  };
}

export interface RPCHook {
  doBeforeRequest?(req: RemotingCommand, ch: Channel): RemotingCommand | null | undefined;
  doAfterResponse?(req: RemotingCommand, res: RemotingCommand | null, ch: Channel): void;
}

/**
 * The processor table connections see: without hooks it returns the registered processors unchanged
 * (no cost per request); with hooks, each processor wrapped once (cached) to run them first.
 */
class HookedProcessorTable extends ProcessorTable {
  readonly hooks: RPCHook[] = [];
  private readonly wrapped = new WeakMap<Processor, Processor>();

  override get(code: number): Processor | null {
    const p = super.get(code);
    if (p === null || this.hooks.length === 0) return p;
    let w = this.wrapped.get(p);
    if (w === undefined) {
      w = this.wrap(p);
      this.wrapped.set(p, w);
    }
    return w;
  }

  private wrap(p: Processor): Processor {
    const hooks = this.hooks;
    return (req, ch) => {
      for (let i = 0; i < hooks.length; i++) {
        const before = hooks[i]!.doBeforeRequest;
        if (before === undefined) continue;
        const answer = before.call(hooks[i], req, ch);
        if (answer !== null && answer !== undefined) {
          after(hooks, req, answer, ch);
          return answer;
        }
      }
      const res = p(req, ch);
      if (!hooks.some((h) => h.doAfterResponse !== undefined)) return res;
      if (res !== null && typeof (res as Promise<unknown>).then === 'function') {
        return (res as Promise<RemotingCommand | null>).then((r) => { after(hooks, req, r, ch); return r; });
      }
      after(hooks, req, res as RemotingCommand | null, ch);
      return res;
    };
  }
}

function after(hooks: RPCHook[], req: RemotingCommand, res: RemotingCommand | null, ch: Channel): void {
  for (const h of hooks) {
    try {
      h.doAfterResponse?.(req, res, ch);
    } catch {
      // an observer's failure does not change the answer
    }
  }
}

export class RemotingServer extends EventEmitter {
  private readonly server: net.Server;
  private readonly conns = new Set<Connection>();
  private readonly processors = new HookedProcessorTable();
  private readonly logger: Logger;
  private readonly name: string;
  private opaqueCounter = 0;
  private boundPort = 0;

  constructor(private readonly opts: RemotingServerOptions) {
    super();
    this.name = opts.name ?? 'remoting-server';
    this.logger = opts.logger ?? createLogger(this.name);
    this.server = net.createServer({ noDelay: true }, (socket) => this.onConnection(socket));
    this.server.maxConnections = opts.maxConnections ?? 20000;
    this.server.on('error', (err) => this.logger.error(`server error: ${err.message}`));
  }

  registerProcessor(code: number, p: Processor): void {
    this.processors.register(code, p);
  }

  registerDefaultProcessor(p: Processor): void {
    this.processors.registerDefault(p);
  }

  /** Adds a hook run before every request's processor (several run in the order registered). */
  registerRPCHook(hook: RPCHook): void {
    this.processors.hooks.push(hook);
  }

  /**
   * Whether some hook watches responses: a processor that answers later through the channel itself
   * (instead of returning the answer) must then return it instead, so the hook sees it.
   */
  hasAfterResponseHooks(): boolean {
    const hooks = this.processors.hooks;
    for (let i = 0; i < hooks.length; i++) if (hooks[i]!.doAfterResponse !== undefined) return true;
    return false;
  }

  get port(): number {
    return this.boundPort;
  }

  channels(): Iterable<Channel> {
    return this.conns.values();
  }

  listen(): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ port: this.opts.port, host: this.opts.host ?? '0.0.0.0' }, () => {
        this.server.off('error', onError);
        const addr = this.server.address();
        this.boundPort = typeof addr === 'object' && addr !== null ? addr.port : this.opts.port;
        this.logger.info(`listening on ${this.opts.host ?? '0.0.0.0'}:${this.boundPort}`);
        resolve(this.boundPort);
      });
    });
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      for (const c of this.conns) c.close();
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
    });
  }

  private nextOpaque = (): number => {
    const v = this.opaqueCounter;
    this.opaqueCounter = this.opaqueCounter >= 0x7ffffffe ? 0 : this.opaqueCounter + 1;
    return v;
  };

  private onConnection(socket: net.Socket): void {
    const conn = new Connection(socket, connectionOptions(this.name, this.logger, this.processors, this.opts, this.nextOpaque, (c) => {
      this.conns.delete(c);
      this.logger.debug(`connection ${c.remoteAddress} closed`);
      this.emit('close', c);
    }));
    const idleMs = this.opts.idleTimeoutMs ?? 120_000;
    if (idleMs > 0) {
      socket.setTimeout(idleMs, () => {
        this.logger.info(`closing connection ${conn.remoteAddress}: idle for ${idleMs} ms`);
        conn.close();
      });
    }
    this.conns.add(conn);
    this.logger.debug(`connection from ${conn.remoteAddress}`);
    this.emit('connect', conn);
  }
}
