// The one way the tests start mq-server processes (packages/server/dist/cli.js): a name server, a
// broker, `mq-server standalone`, or a whole cluster of them, each a child process on ports from the
// free-port allocator below and a temporary store directory. Output is kept in memory (out(), err())
// for assertions on log lines; a test that fails gets the last lines of each of its processes as
// comments (teardowns run last-in, first-out: a process started first is stopped last). kill() (SIGKILL by default) and stop() (SIGTERM, then SIGKILL after a grace period) both
// resolve once the process has exited; with a tap test given, the process is stopped (and its
// temporary directory removed) on teardown. MQ_TEST_SERVER_LOG=1 copies every process's output to
// stderr as it comes. Also here: a raw remoting Admin for hand-built requests and topic/route waits.
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

export { sleep, waitFor };

/** What the helpers need of a tap test. */
export interface Teardown {
  teardown(fn: () => unknown): void;
  comment?(...m: unknown[]): void;
  passing?(): boolean;
}

// ------------------------------------------------------------------------------------ free ports

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.unref();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

// Ports come from 20000-31999, below Linux's ephemeral range (32768+): a server that is killed and
// started again on its port cannot find it taken by an outgoing connection meanwhile. Each test
// process hands a port out once, from a pid-dependent start, and checks it is free.
const PORT_LO = 20000;
const PORT_HI = 32000;
let nextPort = PORT_LO + ((process.pid * 7919) % ((PORT_HI - PORT_LO) / 20)) * 20;

/** n consecutive free ports (a broker takes listenPort and listenPort + 1 for HA); the first. */
export async function freePorts(n: number): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    if (nextPort + n > PORT_HI) nextPort = PORT_LO;
    const base = nextPort;
    nextPort += n;
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = await portFree(base + i);
    if (ok) return base;
  }
  throw new Error(`no ${n} free ports in ${PORT_LO}-${PORT_HI - 1}`);
}

export function freePort(): Promise<number> {
  return freePorts(1);
}

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `mq-${tag}-`));
}

// -------------------------------------------------------------------------------- one process

export interface Exit { code: number | null; signal: NodeJS.Signals | null }

export interface MqProcess {
  key: string;
  proc: ChildProcess;
  out(): string;
  err(): string;
  /** Resolves when the process has exited and its output is read to the end. */
  exited: Promise<Exit>;
  running(): boolean;
  /** Resolves the first match of re in stdout; rejects if the process exits first. */
  waitOutput(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGKILL (default) or another signal; resolves on exit. */
  kill(signal?: NodeJS.Signals): Promise<Exit>;
  /** SIGTERM, then SIGKILL after graceMs; resolves on exit. */
  stop(graceMs?: number): Promise<Exit>;
}

export interface SpawnOptions {
  /** a name for log lines */
  key?: string;
  env?: Record<string, string>;
  /** MQ_LOG_LEVEL unless the environment sets it (default info) */
  logLevel?: string;
  /** stop the process on this test's teardown (and print its last output if the test failed) */
  t?: Teardown;
  /** a directory removed on that teardown, once the process has exited */
  dir?: string;
}

function tail(s: string, n = 30): string {
  return s.split('\n').slice(-n).join('\n');
}

/** `mq-server ARGS...` as a child process. */
export function spawnMq(args: string[], o: SpawnOptions = {}): MqProcess {
  const key = o.key ?? args[0] ?? 'mq-server';
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MQ_LOG_LEVEL: process.env['MQ_LOG_LEVEL'] ?? o.logLevel ?? 'info', ...o.env },
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  if (process.env['MQ_TEST_SERVER_LOG']) {
    proc.stdout!.on('data', (d) => process.stderr.write(`[${key}] ${d}`));
    proc.stderr!.on('data', (d) => process.stderr.write(`[${key}] ${d}`));
  }
  // 'close', not 'exit': the process may exit before its stdout/stderr are read to the end.
  const exited = new Promise<Exit>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal })));
  const running = () => proc.exitCode === null && proc.signalCode === null;
  const p: MqProcess = {
    key, proc, exited, running,
    out: () => out,
    err: () => err,
    async waitOutput(re, timeoutMs = 30000) {
      let m: RegExpExecArray | null = null;
      await waitFor(() => {
        m = re.exec(out);
        if (m) return true;
        if (!running()) throw new Error(`${key} exited (${proc.exitCode ?? proc.signalCode}) before ${re}:\n${tail(out)}\n${tail(err)}`);
        return false;
      }, timeoutMs, `${key}: ${re}`);
      return m!;
    },
    async kill(signal = 'SIGKILL') {
      if (running()) proc.kill(signal);
      return exited;
    },
    // Broker shutdown may take registerBrokerTimeoutMills (6 s) to unregister plus the final flush.
    async stop(graceMs = 20000) {
      if (!running()) return exited;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const e = await exited;
      clearTimeout(timer);
      return e;
    },
  };
  if (o.t) {
    const t = o.t;
    t.teardown(async () => {
      // a short grace: on teardown nothing depends on a clean shutdown
      await p.stop(5000);
      if (t.passing && !t.passing()) t.comment?.(`${key} (${args.join(' ')}), last output:\n${tail(out)}\n${tail(err)}`);
      if (o.dir) fs.rmSync(o.dir, { recursive: true, force: true });
    });
  }
  return p;
}

const SMALL_STORE = ['--mappedFileSizeCommitLog=1048576', '--mappedFileSizeConsumeQueue=600000', '--pageCacheBytesMax=67108864'];
/** Larger commit log files for the client tests (bodies up to 4 MiB). */
const CLIENT_STORE = ['--mappedFileSizeCommitLog=67108864', '--mappedFileSizeConsumeQueue=600000', '--pageCacheBytesMax=134217728'];
const BROKER_LISTENING = /^broker (\S+) listening on /m;

// ------------------------------------------------------------------------- standalone / broker

export interface MqServer extends MqProcess {
  /** the name server address ('' for a broker process) */
  nsAddr: string;
  brokerAddr: string;
  brokerName: string;
  storeDir: string;
}

export interface ServerOptions extends SpawnOptions {
  storeDir: string;
  nsPort?: number;
  port?: number;
  extra?: string[];
  /** Wait for both "listening" lines (default true). */
  waitReady?: boolean;
}

/** Spawns `mq-server standalone`; resolves once both components listen (or the process exits). */
export async function startServer(o: ServerOptions): Promise<MqServer> {
  const nsPort = o.nsPort ?? await freePort();
  const port = o.port ?? await freePort();
  const p = spawnMq(['standalone', `--namesrvListenPort=${nsPort}`, '--namesrvListenHost=127.0.0.1', `--listenPort=${port}`,
    '--brokerIP1=127.0.0.1', `--storePathRootDir=${o.storeDir}`, `--kvConfigPath=${path.join(o.storeDir, 'kv.json')}`,
    ...SMALL_STORE, ...(o.extra ?? [])], { ...o, key: o.key ?? 'standalone' });
  const s: MqServer = Object.assign(p, { nsAddr: `127.0.0.1:${nsPort}`, brokerAddr: `127.0.0.1:${port}`, brokerName: '', storeDir: o.storeDir });
  if (o.waitReady !== false) s.brokerName = (await p.waitOutput(BROKER_LISTENING))[1]!;
  return s;
}

/**
 * A name server + broker (`mq-server standalone`) in a temporary directory, stopped and removed on
 * teardown; resolves once the name server routes TBW102 to the broker.
 */
export async function startStandalone(t: Teardown, extra: string[] = []): Promise<{ namesrvAddr: string; broker: MqServer }> {
  const dir = tmpDir('standalone');
  t.teardown(closeAdmin); // after the process stops (teardowns run last-in, first-out)
  const broker = await startServer({ storeDir: path.join(dir, 'store'), extra: [...CLIENT_STORE, ...extra], logLevel: 'warn', t, dir });
  await waitForBrokerInRoute(broker.nsAddr, 'TBW102', broker.brokerName, 20000, broker);
  return { namesrvAddr: broker.nsAddr, broker };
}

/** Another broker process registering with the given name server(s); resolves once TBW102 routes to it. */
export async function startBroker(t: Teardown, namesrvAddr: string, brokerName: string, extra: string[] = []): Promise<MqServer> {
  const dir = tmpDir('broker');
  t.teardown(closeAdmin);
  const port = await freePort();
  const storeDir = path.join(dir, 'store');
  const p = spawnMq(['broker', `--brokerName=${brokerName}`, `--namesrvAddr=${namesrvAddr}`, `--listenPort=${port}`, '--brokerIP1=127.0.0.1',
    `--storePathRootDir=${storeDir}`, ...CLIENT_STORE, ...extra], { key: brokerName, logLevel: 'warn', t, dir });
  const b: MqServer = Object.assign(p, { nsAddr: '', brokerAddr: `127.0.0.1:${port}`, brokerName, storeDir });
  await p.waitOutput(BROKER_LISTENING);
  await waitForBrokerInRoute(namesrvAddr, 'TBW102', brokerName, 20000, b);
  return b;
}

/** `mq-server namesrv` (extra: e.g. --namesrvHttpPort); resolves once it listens. */
export async function startNamesrv(t: Teardown, extra: string[] = []): Promise<MqProcess & { addr: string; port: number }> {
  const dir = tmpDir('namesrv');
  const port = await freePort();
  const p = spawnMq(['namesrv', `--namesrvListenPort=${port}`, '--namesrvListenHost=127.0.0.1', `--kvConfigPath=${path.join(dir, 'kv.json')}`, ...extra],
    { key: 'namesrv', t, dir });
  await p.waitOutput(/^name server listening on /m);
  return Object.assign(p, { addr: `127.0.0.1:${port}`, port });
}

// ------------------------------------------------------------------------------ raw admin calls

/** A raw remoting client for admin calls and hand-built requests. */
export class Admin {
  readonly client = new RemotingClient({ logger: silentLogger });

  call(addr: string, code: number, ext: Record<string, unknown> | null = {}, body: Buffer | null = null, timeoutMs = 5000): Promise<RemotingCommand> {
    return this.client.invoke(addr, RemotingCommand.request(code, ext as never, body), timeoutMs);
  }

  /** UPDATE_AND_CREATE_TOPIC on one broker address. */
  async createTopicOn(brokerAddr: string, topic: string, queueNums = 4): Promise<void> {
    const r = await this.call(brokerAddr, 17, {
      topic, defaultTopic: 'TBW102', readQueueNums: queueNums, writeQueueNums: queueNums, perm: 6,
      topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
    });
    if (r.code !== 0) throw new Error(`create topic ${topic} on ${brokerAddr}: ${r.code} ${r.remark}`);
  }

  /** UPDATE_AND_CREATE_TOPIC on the broker, then waits until the name server routes it. */
  async createTopic(s: MqServer, topic: string, queueNums = 4): Promise<void> {
    await this.createTopicOn(s.brokerAddr, topic, queueNums);
    await this.waitRoute(s, topic);
  }

  /** The topic's route from a name server (GET_ROUTEINFO_BY_TOPIC), or null while it has none. */
  async route(nsAddr: string, topic: string): Promise<TopicRoute | null> {
    try {
      const r = await this.call(nsAddr, 105, { topic }, null, 2000);
      return r.code === 0 ? JSON.parse(r.bodyBuffer()!.toString('utf8')) as TopicRoute : null;
    } catch {
      return null;
    }
  }

  async waitRoute(s: MqServer, topic: string, timeoutMs = 20000): Promise<void> {
    await waitFor(async () => (await this.route(s.nsAddr, topic)) !== null, timeoutMs, `route of ${topic}`);
  }

  /** GET_BROKER_RUNTIME_INFO's table. */
  async runtime(brokerAddr: string): Promise<Record<string, string>> {
    const r = await this.call(brokerAddr, 28, {}, null, 3000);
    if (r.code !== 0) throw new Error(`runtime info of ${brokerAddr}: ${r.code}`);
    return (JSON.parse(r.bodyBuffer()!.toString('utf8')) as { table: Record<string, string> }).table;
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

export interface TopicRoute {
  queueDatas: { brokerName: string; readQueueNums: number; writeQueueNums: number; perm: number }[];
  brokerDatas: { brokerName: string; cluster: string; brokerAddrs: Record<string, string> }[];
}

/** SEND_MESSAGE_V2 header (short names, as the Java client sends). */
export function sendHeaderV2(topic: string, queueId: number, props = '', group = 'mq_process_producer'): Record<string, string | number | boolean> {
  return { a: group, b: topic, c: 'TBW102', d: 4, e: queueId, f: 0, g: Date.now(), h: 0, i: props, j: 0, k: false, m: false };
}

// The admin of startStandalone/startBroker and the client tests: one per test process, closed by
// closeAdmin (on the teardown of each test that started a server with them).
let shared: Admin | null = null;
function admin(): Admin {
  return (shared ??= new Admin());
}

export async function closeAdmin(): Promise<void> {
  await shared?.close();
  shared = null;
}

export async function waitForBrokerInRoute(namesrvAddr: string, topic: string, brokerName: string, timeoutMs: number, p?: MqProcess): Promise<void> {
  const nsAddr = namesrvAddr.split(';')[0]!;
  await waitFor(async () => {
    if (p && !p.running()) throw new Error(`${p.key} exited (${p.proc.exitCode ?? p.proc.signalCode}):\n${tail(p.out())}\n${tail(p.err())}`);
    const r = await admin().route(nsAddr, topic);
    return r !== null && r.queueDatas.some((q) => q.brokerName === brokerName);
  }, timeoutMs, `${brokerName} in the route of ${topic}`);
}

/** Creates the topic on each broker and waits until the name server routes it to all of them. */
export async function createTopic(namesrvAddr: string, brokers: MqServer[], topic: string, queueNums = 4): Promise<void> {
  for (const b of brokers) await admin().createTopicOn(b.brokerAddr, topic, queueNums);
  for (const b of brokers) await waitForBrokerInRoute(namesrvAddr, topic, b.brokerName, 40000);
}

/** Sends one request (admin codes: 307, 309, 222, ...) straight to an address; resolves the reply. */
export async function adminInvoke(addr: string, code: number, ext: Record<string, string>, body?: Buffer) {
  const r = await admin().call(addr, code, ext, body ?? null, 8000);
  return { code: r.code, remark: r.remark, ext: r.extFields ?? {}, body: r.bodyBuffer() };
}

// ------------------------------------------------------------------------------------ clusters

// A multi-process cluster from a description: N name servers and brokers, each with its own ports
// (a broker takes listenPort and listenPort + 1 for HA) and its own store directory under one
// temporary directory, so a test can kill one and start it again on the same ports and store.

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
  /** topics created on every master (4 queues) before startCluster resolves */
  topics?: string[];
}

export interface Proc {
  key: string;
  kind: 'namesrv' | 'broker';
  port: number;
  addr: string;
  /** broker: its HA address (listenPort + 1) */
  haAddr: string;
  storeDir: string;
  /** the running (or last) process; null before the first start */
  current: MqProcess | null;
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
  /** a raw admin client, closed with the cluster */
  admin: Admin;
  broker(key: string): Proc;
  /** waits until every running name server routes the topic to every running broker; the last route read */
  routed(topic: string, timeoutMs?: number): Promise<TopicRoute>;
  /** GET_BROKER_RUNTIME_INFO of one broker */
  runtime(p: Proc): Promise<Record<string, string>>;
  /** SIGKILL (default) or SIGTERM one process and wait for its exit */
  kill(p: Proc, signal?: NodeJS.Signals): Promise<Exit>;
  /** starts a stopped process again on the same ports and store */
  restart(p: Proc): Promise<void>;
  close(): Promise<void>;
}

const CLUSTER_STORE = ['--mappedFileSizeConsumeQueue=600000', '--pageCacheBytesMax=67108864'];

function newProc(key: string, kind: Proc['kind'], port: number, haAddr: string, storeDir: string): Proc {
  return {
    key, kind, port, addr: `127.0.0.1:${port}`, haAddr, storeDir, current: null,
    out() { return this.current?.out() ?? ''; },
    err() { return this.current?.err() ?? ''; },
    get exited() { return this.current?.exited ?? Promise.resolve({ code: 0, signal: null }); },
    running() { return this.current?.running() ?? false; },
  };
}

/** Starts the cluster (name servers first); closed on the test's teardown. */
export async function startCluster(t: Teardown, spec: ClusterSpec): Promise<Cluster> {
  const dir = tmpDir('ha-cluster');
  const clusterName = spec.clusterName ?? 'HaCluster';
  const argsOf = new Map<Proc, string[]>();
  const namesrvs: Proc[] = [];
  for (let i = 0; i < spec.namesrvs; i++) {
    const port = await freePort();
    const storeDir = path.join(dir, `namesrv-${i}`);
    fs.mkdirSync(storeDir, { recursive: true });
    const p = newProc(`namesrv-${i}`, 'namesrv', port, '', storeDir);
    argsOf.set(p, ['namesrv', `--namesrvListenPort=${port}`, '--namesrvListenHost=127.0.0.1', `--kvConfigPath=${path.join(storeDir, 'kv.json')}`]);
    namesrvs.push(p);
  }
  const nsAddr = namesrvs.map((n) => n.addr).join(';');
  const brokers = new Map<string, Proc>();
  for (const b of spec.brokers) {
    const port = await freePorts(2);
    const p = newProc(b.key, 'broker', port, `127.0.0.1:${port + 1}`, path.join(dir, b.key));
    argsOf.set(p, ['broker', `--namesrvAddr=${nsAddr}`, `--listenPort=${port}`, `--haListenPort=${port + 1}`, '--brokerIP1=127.0.0.1',
      '--brokerIP2=127.0.0.1', `--brokerClusterName=${clusterName}`, `--brokerName=${b.brokerName}`, `--brokerId=${b.brokerId}`,
      `--brokerRole=${b.role}`, `--storePathRootDir=${p.storeDir}`, '--registerBrokerIntervalMs=2000',
      ...CLUSTER_STORE, ...(spec.brokerExtra ?? []), ...(b.extra ?? [])]);
    brokers.set(b.key, p);
  }
  const all = [...namesrvs, ...brokers.values()];
  const admin = new Admin();
  const start = async (p: Proc) => {
    p.current = spawnMq(argsOf.get(p)!, { key: p.key });
    await p.current.waitOutput(p.kind === 'namesrv' ? /^name server listening on /m : BROKER_LISTENING, 60000);
  };
  let closed = false;
  const cluster: Cluster = {
    dir, namesrvs, nsAddr, brokers, admin,
    broker(key) { const p = brokers.get(key); if (!p) throw new Error(`no broker ${key}`); return p; },
    runtime: (p) => admin.runtime(p.addr),
    async routed(topic, timeoutMs = 30000) {
      let route: TopicRoute | null = null;
      for (const ns of namesrvs.filter((n) => n.running())) {
        await waitFor(async () => {
          const r = route = await admin.route(ns.addr, topic);
          return r !== null && [...brokers.values()].filter((b) => b.running())
            .every((b) => r.brokerDatas.some((d) => Object.values(d.brokerAddrs).includes(b.addr)));
        }, timeoutMs, `route of ${topic} on ${ns.key}`);
      }
      return route!;
    },
    async kill(p, signal = 'SIGKILL') {
      return p.current ? p.current.kill(signal) : { code: 0, signal: null };
    },
    async restart(p) {
      if (p.running()) throw new Error(`${p.key} is running`);
      await start(p);
    },
    async close() {
      if (closed) return;
      closed = true;
      await admin.close();
      if (t.passing && !t.passing()) {
        for (const p of all) if (p.current) t.comment?.(`${p.key}, last output:\n${tail(p.out())}\n${tail(p.err())}`);
      }
      await Promise.all([...all].reverse().map((p) => p.current?.kill('SIGKILL')));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  t.teardown(() => cluster.close());
  for (const p of namesrvs) await start(p);
  for (const b of spec.brokers) if (b.start !== false) await start(brokers.get(b.key)!);
  for (const topic of spec.topics ?? []) {
    for (const b of spec.brokers) if (b.start !== false && b.role !== 'SLAVE') await admin.createTopicOn(brokers.get(b.key)!.addr, topic);
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
