// A multi-process cluster on 127.0.0.1 from a description: N name servers (`mq-server namesrv`) and
// brokers (`mq-server broker`), each a child process with its own fixed ports (from the ha range
// 22000-22999, checked free; a broker takes listenPort and listenPort+1 for HA) and its own store
// directory under one mkdtemp, so a test can SIGKILL one and start it again on the same ports and
// store. Built on mq-process.ts (CLI path, waitFor, Admin).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CLI, tmpDir, waitFor, type Exit } from './mq-process.js';

export type Role = 'ASYNC_MASTER' | 'SYNC_MASTER' | 'SLAVE';

export interface BrokerSpec {
  /** key in Cluster.brokers, e.g. "a-master" */
  key: string;
  brokerName: string;
  brokerId: number;
  role: Role;
  /** more --key=value arguments */
  extra?: string[];
  /** false: not started by startCluster (start it with cluster.restart) */
  start?: boolean;
}

export interface ClusterSpec {
  namesrvs: number;
  brokers: BrokerSpec[];
  clusterName?: string;
  /** arguments every broker gets (e.g. a small mappedFileSizeCommitLog) */
  brokerExtra?: string[];
}

export interface Proc {
  key: string;
  kind: 'namesrv' | 'broker';
  port: number;
  addr: string;
  /** broker: its HA address (listenPort + 1) */
  haAddr: string;
  storeDir: string;
  proc: ChildProcess | null;
  out(): string;
  err(): string;
  exited: Promise<Exit>;
  running(): boolean;
}

export interface Cluster {
  dir: string;
  namesrvs: Proc[];
  /** "a;b" of every name server */
  nsAddr: string;
  brokers: Map<string, Proc>;
  broker(key: string): Proc;
  /** SIGKILL (default) or SIGTERM one process and wait for its exit */
  kill(p: Proc, signal?: NodeJS.Signals): Promise<Exit>;
  /** starts a stopped process again on the same ports and store */
  restart(p: Proc): Promise<void>;
  close(): Promise<void>;
}

const SMALL_STORE = ['--mappedFileSizeConsumeQueue=600000', '--pageCacheBytesMax=67108864'];

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.unref();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

// Ports are handed out once per test process, from a pid-dependent start in 22000-22999.
let nextPort = 22000 + (process.pid % 45) * 20;
async function takePorts(n: number): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    if (nextPort + n > 22999) nextPort = 22000;
    const base = nextPort;
    nextPort += n;
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = await portFree(base + i);
    if (ok) return base;
  }
  throw new Error('no free ports in 22000-22999');
}

function launch(p: Proc, args: string[]): void {
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd: path.resolve(path.dirname(CLI), '../../..'), stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MQ_LOG_LEVEL: process.env['MQ_LOG_LEVEL'] ?? 'info' },
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  if (process.env['MQ_TEST_SERVER_LOG']) {
    proc.stdout!.on('data', (d) => process.stderr.write(`[${p.key}] ${d}`));
    proc.stderr!.on('data', (d) => process.stderr.write(`[${p.key}] ${d}`));
  }
  p.proc = proc;
  p.out = () => out;
  p.err = () => err;
  p.exited = new Promise<Exit>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
}

async function waitReady(p: Proc): Promise<void> {
  const re = p.kind === 'namesrv' ? /^name server listening on /m : /^broker \S+ listening on /m;
  await waitFor(() => {
    const c = p.proc!;
    if (c.exitCode !== null || c.signalCode !== null) throw new Error(`${p.key} exited (${c.exitCode ?? c.signalCode}):\n${p.out()}\n${p.err()}`);
    return re.test(p.out());
  }, 60000, `${p.key} to listen`);
}

export async function startCluster(spec: ClusterSpec): Promise<Cluster> {
  const dir = tmpDir('ha-cluster');
  const clusterName = spec.clusterName ?? 'HaCluster';
  const argsOf = new Map<Proc, string[]>();
  const namesrvs: Proc[] = [];
  for (let i = 0; i < spec.namesrvs; i++) {
    const port = await takePorts(1);
    const storeDir = path.join(dir, `namesrv-${i}`);
    fs.mkdirSync(storeDir, { recursive: true });
    const p: Proc = {
      key: `namesrv-${i}`, kind: 'namesrv', port, addr: `127.0.0.1:${port}`, haAddr: '', storeDir, proc: null,
      out: () => '', err: () => '', exited: Promise.resolve({ code: 0, signal: null }),
      running() { return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null; },
    };
    argsOf.set(p, ['namesrv', `--namesrvListenPort=${port}`, '--namesrvListenHost=127.0.0.1', `--kvConfigPath=${path.join(storeDir, 'kv.json')}`]);
    namesrvs.push(p);
  }
  const nsAddr = namesrvs.map((n) => n.addr).join(';');
  const brokers = new Map<string, Proc>();
  for (const b of spec.brokers) {
    const port = await takePorts(2);
    const storeDir = path.join(dir, b.key);
    const p: Proc = {
      key: b.key, kind: 'broker', port, addr: `127.0.0.1:${port}`, haAddr: `127.0.0.1:${port + 1}`, storeDir, proc: null,
      out: () => '', err: () => '', exited: Promise.resolve({ code: 0, signal: null }),
      running() { return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null; },
    };
    argsOf.set(p, ['broker', `--namesrvAddr=${nsAddr}`, `--listenPort=${port}`, `--haListenPort=${port + 1}`, '--brokerIP1=127.0.0.1',
      '--brokerIP2=127.0.0.1', `--brokerClusterName=${clusterName}`, `--brokerName=${b.brokerName}`, `--brokerId=${b.brokerId}`,
      `--brokerRole=${b.role}`, `--storePathRootDir=${storeDir}`, '--registerBrokerIntervalMs=2000',
      ...SMALL_STORE, ...(spec.brokerExtra ?? []), ...(b.extra ?? [])]);
    brokers.set(b.key, p);
  }
  const all = [...namesrvs, ...brokers.values()];
  const cluster: Cluster = {
    dir, namesrvs, nsAddr, brokers,
    broker(key) { const p = brokers.get(key); if (!p) throw new Error(`no broker ${key}`); return p; },
    async kill(p, signal = 'SIGKILL') {
      if (p.running()) p.proc!.kill(signal);
      return p.exited;
    },
    async restart(p) {
      if (p.running()) throw new Error(`${p.key} is running`);
      launch(p, argsOf.get(p)!);
      await waitReady(p);
    },
    async close() {
      for (const p of [...all].reverse()) if (p.running()) p.proc!.kill('SIGKILL');
      await Promise.all(all.map((p) => p.exited));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    for (const p of namesrvs) { launch(p, argsOf.get(p)!); await waitReady(p); }
    for (const b of spec.brokers) {
      if (b.start === false) continue;
      const p = brokers.get(b.key)!;
      launch(p, argsOf.get(p)!);
      await waitReady(p);
    }
  } catch (e) {
    await cluster.close();
    throw e;
  }
  return cluster;
}

/** The commit log files of a store directory: name -> bytes. */
export function commitLogFiles(storeDir: string): Map<string, Buffer> {
  const d = path.join(storeDir, 'commitlog');
  const out = new Map<string, Buffer>();
  if (!fs.existsSync(d)) return out;
  for (const n of fs.readdirSync(d).filter((x) => /^\d{20}$/.test(x)).sort()) out.set(n, fs.readFileSync(path.join(d, n)));
  return out;
}
