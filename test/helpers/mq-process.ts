// `mq-server standalone` as a child process on fixed free 127.0.0.1 ports and a store directory the
// caller owns, so a test can SIGKILL/SIGTERM it and start it again on the same store (and ports).
// Output is kept in memory (stdout, stderr) for assertions on log lines and stack traces.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemotingClient, RemotingCommand, silentLogger } from '../../packages/remoting/dist/index.js';
import { sleep, waitFor } from './wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'packages/server/dist/cli.js');

export { sleep };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mq-${tag}-`));
}

export { waitFor };

export interface Exit { code: number | null; signal: NodeJS.Signals | null }

export interface MqServer {
  proc: ChildProcess;
  nsAddr: string;
  brokerAddr: string;
  storeDir: string;
  out(): string;
  err(): string;
  /** Resolves when the process has exited. */
  exited: Promise<Exit>;
  kill(signal?: NodeJS.Signals): Promise<Exit>;
  /** SIGTERM, then SIGKILL after graceMs. */
  stop(graceMs?: number): Promise<Exit>;
}

export interface ServerOptions {
  storeDir: string;
  nsPort?: number;
  port?: number;
  extra?: string[];
  /** Wait for both "listening" lines (default true). */
  waitReady?: boolean;
  env?: Record<string, string>;
}

const SMALL_STORE = ['--mappedFileSizeCommitLog=1048576', '--mappedFileSizeConsumeQueue=600000', '--pageCacheBytesMax=67108864'];

/** Spawns `mq-server standalone`; resolves once both components listen (or the process exits). */
export async function startServer(o: ServerOptions): Promise<MqServer> {
  const nsPort = o.nsPort ?? await freePort();
  const port = o.port ?? await freePort();
  const args = [CLI, 'standalone', `--namesrvListenPort=${nsPort}`, '--namesrvListenHost=127.0.0.1', `--listenPort=${port}`,
    '--brokerIP1=127.0.0.1', `--storePathRootDir=${o.storeDir}`, `--kvConfigPath=${path.join(o.storeDir, 'kv.json')}`,
    ...SMALL_STORE, ...(o.extra ?? [])];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MQ_LOG_LEVEL: process.env['MQ_LOG_LEVEL'] ?? 'info', ...o.env },
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  if (process.env['MQ_TEST_SERVER_LOG']) { proc.stdout!.pipe(process.stderr); proc.stderr!.pipe(process.stderr); }
  const exited = new Promise<Exit>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const server: MqServer = {
    proc, nsAddr: `127.0.0.1:${nsPort}`, brokerAddr: `127.0.0.1:${port}`, storeDir: o.storeDir,
    out: () => out, err: () => err, exited,
    async kill(signal = 'SIGKILL') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    // Broker shutdown may take registerBrokerTimeoutMills (6 s) to unregister plus the final flush.
    async stop(graceMs = 20000) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
        const e = await exited;
        clearTimeout(timer);
        return e;
      }
      return exited;
    },
  };
  if (o.waitReady !== false) {
    await waitFor(() => {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`mq-server exited (${proc.exitCode ?? proc.signalCode}):\n${out}\n${err}`);
      return /^broker \S+ listening on /m.test(out);
    }, 30000, 'mq-server to listen');
  }
  return server;
}

/** A raw remoting client for admin calls and hand-built requests. */
export class Admin {
  readonly client = new RemotingClient({ logger: silentLogger });

  call(addr: string, code: number, ext: Record<string, unknown> | null = {}, body: Buffer | null = null, timeoutMs = 5000): Promise<RemotingCommand> {
    return this.client.invoke(addr, RemotingCommand.request(code, ext as never, body), timeoutMs);
  }

  /** UPDATE_AND_CREATE_TOPIC on the broker, then waits until the name server routes it. */
  async createTopic(s: MqServer, topic: string, queueNums = 4): Promise<void> {
    const r = await this.call(s.brokerAddr, 17, {
      topic, defaultTopic: 'TBW102', readQueueNums: queueNums, writeQueueNums: queueNums, perm: 6,
      topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
    });
    if (r.code !== 0) throw new Error(`create topic ${topic}: ${r.code} ${r.remark}`);
    await this.waitRoute(s, topic);
  }

  async waitRoute(s: MqServer, topic: string, timeoutMs = 20000): Promise<void> {
    await waitFor(async () => {
      try {
        return (await this.call(s.nsAddr, 105, { topic }, null, 2000)).code === 0;
      } catch {
        return false;
      }
    }, timeoutMs, `route of ${topic}`);
  }

  /** One PULL_MESSAGE without long polling. */
  pull(s: MqServer, topic: string, queueId: number, queueOffset: number, maxMsgNums = 32): Promise<RemotingCommand> {
    return this.call(s.brokerAddr, 11, {
      consumerGroup: 'mq_process_test', topic, queueId, queueOffset, maxMsgNums, sysFlag: 4, commitOffset: 0,
      suspendTimeoutMillis: 0, subscription: '*', subVersion: Date.now(), expressionType: 'TAG',
    });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** SEND_MESSAGE_V2 header (short names, as the Java client sends). */
export function sendHeaderV2(topic: string, queueId: number, props = '', group = 'mq_process_producer'): Record<string, string | number | boolean> {
  return { a: group, b: topic, c: 'TBW102', d: 4, e: queueId, f: 0, g: Date.now(), h: 0, i: props, j: 0, k: false, m: false };
}
