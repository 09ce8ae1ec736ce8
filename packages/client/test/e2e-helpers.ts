// Process-level test helpers: the built mq-server (standalone, or extra brokers) on free 127.0.0.1
// ports with a temporary store, readiness waits, topic creation, and small async utilities.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MQClientAPI } from '../src/instance/mq-client-api.js';
import { createClientLogger } from '../src/logger.js';
import { sleep, waitFor } from '../../../test/helpers/wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(ROOT, 'packages/server/dist/cli.js');

interface Teardown { teardown(fn: () => unknown): void }

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

export { sleep };

export { waitFor };

export interface ServerProcess {
  proc: ChildProcess;
  dir: string;
  brokerAddr: string;
  brokerName: string;
  /** SIGKILL: the broker vanishes without unregistering. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

const SMALL_STORE = ['--mappedFileSizeCommitLog=67108864', '--mappedFileSizeConsumeQueue=600000', '--pageCacheBytesMax=134217728'];

function spawnServer(args: string[], dir: string): ChildProcess {
  const proc = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MQ_LOG_LEVEL: process.env['MQ_LOG_LEVEL'] ?? 'warn' } });
  const log = fs.createWriteStream(path.join(dir, 'server.log'));
  logs.set(proc, path.join(dir, 'server.log'));
  proc.stdout!.pipe(log);
  proc.stderr!.pipe(log);
  if (process.env['CLIENT_TEST_SERVER_LOG']) proc.stderr!.pipe(process.stderr);
  return proc;
}

const logs = new WeakMap<ChildProcess, string>();

/** CLIENT_TEST_KEEP_LOGS=dir keeps each server's log there after the test. */
function keepLog(dir: string): void {
  const keep = process.env['CLIENT_TEST_KEEP_LOGS'];
  if (!keep) return;
  fs.mkdirSync(keep, { recursive: true });
  try { fs.copyFileSync(path.join(dir, 'server.log'), path.join(keep, `${path.basename(dir)}.log`)); } catch { /* no log */ }
}

function logTail(proc: ChildProcess): string {
  const file = logs.get(proc);
  try {
    return file ? fs.readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '';
  } catch {
    return '';
  }
}

function exited(proc: ChildProcess): Promise<void> {
  return new Promise((r) => { if (proc.exitCode !== null || proc.signalCode !== null) r(); else proc.once('exit', () => r()); });
}

function makeHandle(proc: ChildProcess, dir: string, brokerAddr: string, brokerName: string): ServerProcess {
  return {
    proc, dir, brokerAddr, brokerName,
    async kill() { proc.kill('SIGKILL'); await exited(proc); },
    async stop() {
      if (proc.exitCode !== null) console.error(`# server ${brokerName} had exited by itself (${proc.exitCode}):\n${logTail(proc)}`);
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([exited(proc), new Promise<void>((r) => { timer = setTimeout(r, 5000); })]);
        clearTimeout(timer);
        if (proc.exitCode === null && proc.signalCode === null) { proc.kill('SIGKILL'); await exited(proc); }
      }
    },
  };
}

/** A name server + broker (`mq-server standalone`). */
export async function startStandalone(t: Teardown, extra: string[] = []): Promise<{ namesrvAddr: string; broker: ServerProcess }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'client-e2e-'));
  const nsPort = await freePort();
  const port = await freePort();
  const proc = spawnServer(['standalone', `--namesrvListenPort=${nsPort}`, '--namesrvListenHost=127.0.0.1', `--listenPort=${port}`,
    `--storePathRootDir=${path.join(dir, 'store')}`, `--kvConfigPath=${path.join(dir, 'kv.json')}`, ...SMALL_STORE, ...extra], dir);
  const broker = makeHandle(proc, dir, `127.0.0.1:${port}`, 'broker-a');
  t.teardown(async () => { await broker.stop(); keepLog(dir); fs.rmSync(dir, { recursive: true, force: true }); });
  const namesrvAddr = `127.0.0.1:${nsPort}`;
  await waitForBrokerInRoute(namesrvAddr, 'TBW102', 'broker-a', 20000, proc);
  return { namesrvAddr, broker };
}

/** Another broker process registering with the given name server. */
export async function startBroker(t: Teardown, namesrvAddr: string, brokerName: string, extra: string[] = []): Promise<ServerProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'client-e2e-b-'));
  const port = await freePort();
  const proc = spawnServer(['broker', `--brokerName=${brokerName}`, `--namesrvAddr=${namesrvAddr}`, `--listenPort=${port}`,
    `--storePathRootDir=${path.join(dir, 'store')}`, ...SMALL_STORE, ...extra], dir);
  const broker = makeHandle(proc, dir, `127.0.0.1:${port}`, brokerName);
  t.teardown(async () => { await broker.stop(); keepLog(dir); fs.rmSync(dir, { recursive: true, force: true }); });
  await waitForBrokerInRoute(namesrvAddr, 'TBW102', brokerName, 20000, proc);
  return broker;
}

let adminApi: MQClientAPI | null = null;
function admin(namesrvAddr: string): MQClientAPI {
  if (!adminApi) adminApi = new MQClientAPI({ namesrvAddr, logger: createClientLogger('test-admin', 'silent') });
  adminApi.updateNameServerAddressList(namesrvAddr);
  return adminApi;
}

export async function closeAdmin(): Promise<void> {
  await adminApi?.close();
  adminApi = null;
}

export async function waitForBrokerInRoute(namesrvAddr: string, topic: string, brokerName: string, timeoutMs: number, proc?: ChildProcess): Promise<void> {
  await waitFor(async () => {
    if (proc && proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}: ${logTail(proc)}`);
    try {
      const r = await admin(namesrvAddr).getTopicRouteInfoFromNameServer(topic, 1000);
      return !!r && r.queueDatas.some((q) => q.brokerName === brokerName);
    } catch {
      return false;
    }
  }, timeoutMs, `${brokerName} in the route of ${topic}`);
}

/** Creates the topic on each broker and waits until the name server routes it to all of them. */
export async function createTopic(namesrvAddr: string, brokers: ServerProcess[], topic: string, queueNums = 4): Promise<void> {
  for (const b of brokers) await admin(namesrvAddr).createTopic(b.brokerAddr, topic, { readQueueNums: queueNums, writeQueueNums: queueNums });
  for (const b of brokers) await waitForBrokerInRoute(namesrvAddr, topic, b.brokerName, 40000);
}

/** Sends one request (admin codes: 307, 309, 222, ...) straight to an address; resolves the reply. */
export async function adminInvoke(namesrvAddr: string, addr: string, code: number, ext: Record<string, string>, body?: Buffer) {
  const { RemotingCommand } = await import('@rmq/remoting');
  const r = await admin(namesrvAddr).invoke(addr, RemotingCommand.request(code, ext, body ?? null), 8000);
  const b = r.body === null ? null : Array.isArray(r.body) ? Buffer.concat(r.body) : r.body;
  return { code: r.code, remark: r.remark, ext: r.extFields ?? {}, body: b };
}
