// RemotingClient: one connection per "host:port", opened on first use and again on the next call after
// it closes. Requests are matched to responses by opaque; requests the server starts (NOTIFY_CONSUMER_IDS_CHANGED,
// CHECK_TRANSACTION_STATE, ...) go to the processors registered here.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { nextOpaque, type RemotingCommand } from './command.js';
import { Connection, ProcessorTable, RemotingError, RemotingErrorCode, type Processor } from './connection.js';
import { createLogger, type Logger } from './logger.js';
import { connectionOptions } from './server.js';

/** Client side RPC hook: runs on every request before it is sent (e.g. ACL signing adds ext fields). */
export interface ClientRPCHook {
  doBeforeRequest?(addr: string, req: RemotingCommand): void;
}

export interface RemotingClientOptions {
  rpcHook?: ClientRPCHook;
  connectTimeoutMs?: number;
  logger?: Logger;
  maxFrameBytes?: number;
  maxPendingWriteBytes?: number;
  name?: string;
  /** Header of the requests sent: 'rocketmq' (binary, falling back to JSON per address when a peer never answers it) or 'json' (default). */
  serializeType?: 'json' | 'rocketmq';
}

export function parseAddress(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  const port = Number(addr.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RemotingError(RemotingErrorCode.CONNECT_FAILED, `bad address "${addr}"`);
  }
  let host = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}

export class RemotingClient extends EventEmitter {
  private readonly conns = new Map<string, Connection>();
  private readonly connecting = new Map<string, Promise<Connection>>();
  private readonly processors = new ProcessorTable();
  private readonly logger: Logger;
  private readonly name: string;
  private isClosed = false;
  /** Addresses whose peer did not answer the binary header: they get JSON. */
  private readonly jsonOnly = new Set<string>();

  constructor(private readonly opts: RemotingClientOptions = {}) {
    super();
    this.name = opts.name ?? 'remoting-client';
    this.logger = opts.logger ?? createLogger(this.name);
  }

  registerProcessor(code: number, p: Processor): void {
    this.processors.register(code, p);
  }

  registerDefaultProcessor(p: Processor): void {
    this.processors.registerDefault(p);
  }

  /** The hook given in the options (callers that write to a connection directly run it themselves). */
  get rpcHook(): ClientRPCHook | undefined {
    return this.opts.rpcHook;
  }

  async invoke(addr: string, cmd: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    this.opts.rpcHook?.doBeforeRequest?.(addr, cmd);
    const open = this.conns.get(addr);
    if (open !== undefined && !open.closed) return open.invoke(cmd, timeoutMs);
    const startMs = Date.now();
    const conn = await this.getConnection(addr, timeoutMs);
    const leftMs = timeoutMs - (Date.now() - startMs);
    if (leftMs <= 0) {
      throw new RemotingError(RemotingErrorCode.TIMEOUT, `connecting to ${addr} used up the ${timeoutMs} ms timeout`);
    }
    return conn.invoke(cmd, leftMs);
  }

  async invokeOneway(addr: string, cmd: RemotingCommand): Promise<void> {
    this.opts.rpcHook?.doBeforeRequest?.(addr, cmd);
    const conn = await this.getConnection(addr, this.opts.connectTimeoutMs ?? 3000);
    conn.invokeOneway(cmd);
  }

  /** The open connection to addr, if any (for callers that track channels). */
  connection(addr: string): Connection | undefined {
    const c = this.conns.get(addr);
    return c !== undefined && !c.closed ? c : undefined;
  }

  closeChannel(addr: string): void {
    this.conns.get(addr)?.close();
  }

  async close(): Promise<void> {
    this.isClosed = true;
    const closing: Promise<void>[] = [];
    for (const c of this.conns.values()) {
      if (!c.socket.closed) closing.push(new Promise((r) => c.socket.once('close', () => r())));
      c.close();
    }
    this.conns.clear();
    await Promise.allSettled([...this.connecting.values()]);
    await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  private getConnection(addr: string, timeoutMs: number): Promise<Connection> {
    if (this.isClosed) return Promise.reject(new RemotingError(RemotingErrorCode.CLIENT_CLOSED, 'remoting client is closed'));
    const open = this.conns.get(addr);
    if (open !== undefined && !open.closed) return Promise.resolve(open);
    let p = this.connecting.get(addr);
    if (p === undefined) {
      p = this.connect(addr, Math.min(this.opts.connectTimeoutMs ?? 3000, timeoutMs));
      this.connecting.set(addr, p);
      const clear = (): void => {
        this.connecting.delete(addr);
      };
      p.then(clear, clear);
    }
    return p;
  }

  private connect(addr: string, timeoutMs: number): Promise<Connection> {
    return new Promise<Connection>((resolve, reject) => {
      let target: { host: string; port: number };
      try {
        target = parseAddress(addr);
      } catch (e) {
        reject(e as Error);
        return;
      }
      const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RemotingError(RemotingErrorCode.CONNECT_FAILED, `connect to ${addr} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new RemotingError(RemotingErrorCode.CONNECT_FAILED, `connect to ${addr} failed: ${err.message}`));
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        if (this.isClosed) {
          socket.destroy();
          reject(new RemotingError(RemotingErrorCode.CLIENT_CLOSED, 'remoting client is closed'));
          return;
        }
        const conn = new Connection(socket, {
          ...connectionOptions(this.name, this.logger, this.processors, this.opts, nextOpaque, (c) => {
            if (this.conns.get(addr) === c) this.conns.delete(addr);
            this.logger.debug(`connection to ${addr} closed`);
            this.emit('close', addr);
          }),
          requestSerializeType: this.opts.serializeType !== 'rocketmq' ? undefined : this.jsonOnly.has(addr) ? 0 : 1,
          onBinaryUnanswered: () => {
            this.jsonOnly.add(addr);
            this.logger.warn(`${addr} did not answer the binary (ROCKETMQ) header; using JSON headers with it`);
          },
        });
        this.conns.set(addr, conn);
        this.logger.debug(`connected to ${addr}`);
        resolve(conn);
      });
    });
  }
}
