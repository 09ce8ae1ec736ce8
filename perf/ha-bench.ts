// Master/slave benchmark (issue 10): for each broker role (ASYNC_MASTER, then SYNC_MASTER; both with
// ASYNC_FLUSH) starts a name server, a master and a slave as child processes (mq-server, ports from
// 22000-22999 or --base-port, stores under --dir), then
//   1. max rate: --inflight sends in flight for --seconds: msgs/s, send p50/p99;
//   2. fixed rate (--rate, default 20000 msgs/s) for --seconds: send p99 and the replication lag,
//      sampled every --sample-ms from the master's runtime info: bytes = the master's acknowledged
//      commit log offset - the highest offset a slave acknowledged; ms = now - the time the master's
//      acknowledged offset first reached what the slave has now acknowledged (resolution: the
//      sampling period).
// Prints one line per role and SYNC/ASYNC ratios measured in the same run.
//   pnpm --filter @rmq/perf build && node perf/dist/ha-bench.js [--seconds=10] [--rate=20000] [--size=1024] [--inflight=128]
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Producer } from '@rmq/client';
import { request, createTopics } from './lib/admin.js';
import { LatencyRecorder } from './lib/histogram.js';
import { arg } from './lib/flag.js';


const SECONDS = arg('seconds', 10);
const RATE = arg('rate', 20000);
const SIZE = arg('size', 1024);
const INFLIGHT = arg('inflight', 128);
const SAMPLE_MS = arg('sample-ms', 5);
const BASE_PORT = arg('base-port', 22700);
const DIR = arg('dir', os.tmpdir());
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'packages/server/dist/cli.js');
const TOPIC = 'HaBench';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const children: ChildProcess[] = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

async function launch(args: string[], ready: RegExp): Promise<ChildProcess> {
  const c = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MQ_LOG_LEVEL: 'warn' } });
  children.push(c);
  let out = '';
  c.stdout!.on('data', (d) => (out += d));
  c.stderr!.on('data', (d) => (out += d));
  const end = Date.now() + 60000;
  while (!ready.test(out)) {
    if (c.exitCode !== null || Date.now() > end) throw new Error(`mq-server ${args[0]} did not start:\n${out}`);
    await sleep(50);
  }
  return c;
}

async function runtime(addr: string): Promise<Record<string, string>> {
  const r = await request(addr, 28, {});
  return (JSON.parse(r.body.toString('utf8')) as { table: Record<string, string> }).table;
}

interface RoleResult { role: string; maxRate: number; maxP50: number; maxP99: number; fixedRate: number; fixedP99: number; lagBytesP99: number; lagMsP50: number; lagMsP99: number; notOk: number }

function pct(a: number[], p: number): number {
  if (a.length === 0) return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function runRole(role: 'ASYNC_MASTER' | 'SYNC_MASTER', portBase: number): Promise<RoleResult> {
  const root = fs.mkdtempSync(path.join(DIR, `ha-bench-${role.toLowerCase()}-`));
  const ns = `127.0.0.1:${portBase}`;
  const master = `127.0.0.1:${portBase + 1}`;
  const common = [`--namesrvAddr=${ns}`, '--brokerIP1=127.0.0.1', '--brokerIP2=127.0.0.1', '--brokerName=broker-a', '--flushDiskType=ASYNC_FLUSH'];
  const started: ChildProcess[] = [];
  try {
    started.push(await launch(['namesrv', `--namesrvListenPort=${portBase}`, '--namesrvListenHost=127.0.0.1', `--kvConfigPath=${path.join(root, 'kv.json')}`], /name server listening/));
    started.push(await launch(['broker', ...common, `--listenPort=${portBase + 1}`, `--haListenPort=${portBase + 2}`, '--brokerId=0', `--brokerRole=${role}`,
      `--storePathRootDir=${path.join(root, 'master')}`], /^broker \S+ listening/m));
    started.push(await launch(['broker', ...common, `--listenPort=${portBase + 3}`, '--brokerId=1', '--brokerRole=SLAVE',
      `--storePathRootDir=${path.join(root, 'slave')}`], /^broker \S+ listening/m));
    await createTopics(ns, [TOPIC], 8);
    for (let i = 0; i < 400 && (await runtime(master)).haConnectionCount !== '1'; i++) await sleep(50);
    const producer = new Producer({ groupName: `ha_bench_${role}`, namesrvAddr: ns, sendLatencyFaultEnable: false } as never);
    await producer.start();
    const body = Buffer.alloc(SIZE, 0x61);
    let notOk = 0;
    // warm-up
    await Promise.all(Array.from({ length: 32 }, async () => { for (let i = 0; i < 200; i++) await producer.send({ topic: TOPIC, body }); }));

    // 1. max rate
    const maxLat = new LatencyRecorder();
    let sent = 0;
    const stopAt = Date.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: INFLIGHT }, async () => {
      while (Date.now() < stopAt) {
        const s = performance.now();
        const r = await producer.send({ topic: TOPIC, body });
        maxLat.recordMs(performance.now() - s);
        if (r.status !== 'SEND_OK') notOk++;
        sent++;
      }
    }));
    const maxRate = sent / ((performance.now() - t0) / 1000);
    // let the slave work off the max-rate backlog before measuring lag
    for (let i = 0; i < 600; i++) {
      const info = await runtime(master);
      if (Number(info.haPush2SlaveMaxOffset) >= Number(info.commitLogCommittedOffset)) break;
      await sleep(50);
    }

    // 2. fixed rate, with replication lag sampling
    const fixLat = new LatencyRecorder();
    const lagBytes: number[] = [];
    const lagMs: number[] = [];
    const history: { t: number; acked: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const now = Date.now();
        try {
          const info = await runtime(master);
          const acked = Number(info.commitLogCommittedOffset);
          const slaveAck = Number(info.haPush2SlaveMaxOffset);
          history.push({ t: now, acked });
          lagBytes.push(Math.max(0, acked - slaveAck));
          let since = now;
          for (let i = history.length - 1; i >= 0 && history[i]!.acked > slaveAck; i--) since = history[i]!.t;
          // since = first sample whose acked offset passed what the slave has: lag is from the sample before it
          lagMs.push(acked <= slaveAck ? 0 : now - since + SAMPLE_MS);
          if (history.length > 100000) history.splice(0, 50000);
        } catch { /* a missed sample */ }
        await sleep(SAMPLE_MS);
      }
    })();
    let fixedSent = 0;
    const f0 = performance.now();
    const fEnd = f0 + SECONDS * 1000;
    const inflight = new Set<Promise<void>>();
    for (let i = 0; performance.now() < fEnd; i++) {
      const due = f0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      if (inflight.size >= 2048) await Promise.race(inflight);
      const s = performance.now();
      const p: Promise<void> = producer.send({ topic: TOPIC, body }).then((r) => {
        fixLat.recordMs(performance.now() - s);
        if (r.status !== 'SEND_OK') notOk++;
        fixedSent++;
      }, () => { notOk++; }).finally(() => { inflight.delete(p); });
      inflight.add(p);
    }
    await Promise.all(inflight);
    const fixedRate = fixedSent / ((performance.now() - f0) / 1000);
    sampling = false;
    await sampler;
    await producer.shutdown();
    const m = maxLat.summary();
    const f = fixLat.summary();
    return { role, maxRate, maxP50: m.p50, maxP99: m.p99, fixedRate, fixedP99: f.p99, lagBytesP99: pct(lagBytes, 99), lagMsP50: pct(lagMs, 50), lagMsP99: pct(lagMs, 99), notOk };
  } finally {
    for (const c of started.reverse()) { c.kill('SIGTERM'); await new Promise((r) => { if (c.exitCode !== null) r(null); else c.once('exit', r); setTimeout(r, 10000); }); }
    fs.rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`ha-bench: ${SECONDS}s per phase, ${SIZE} B bodies, ${INFLIGHT} in flight (max rate), ${RATE} msgs/s (fixed), ${os.cpus().length} CPUs`);
  const results: RoleResult[] = [];
  let port = BASE_PORT;
  for (const role of ['ASYNC_MASTER', 'SYNC_MASTER'] as const) {
    const r = await runRole(role, port);
    port += 10;
    results.push(r);
    console.log(`${role.padEnd(12)} max ${r.maxRate.toFixed(0)} msgs/s p50 ${r.maxP50} ms p99 ${r.maxP99} ms | at ${r.fixedRate.toFixed(0)} msgs/s: send p99 ${r.fixedP99} ms, replication lag p50 ${r.lagMsP50} ms p99 ${r.lagMsP99} ms (${r.lagBytesP99} B p99) | not SEND_OK ${r.notOk}`);
  }
  const [a, s] = results as [RoleResult, RoleResult];
  console.log(`SYNC/ASYNC: max rate ${(s.maxRate / a.maxRate).toFixed(2)}, max-rate p99 ${(s.maxP99 / Math.max(0.001, a.maxP99)).toFixed(2)}, fixed-rate send p99 ${(s.fixedP99 / Math.max(0.001, a.fixedP99)).toFixed(2)}`);
  console.log(JSON.stringify({ results }, null, 1));
}

main().then(() => process.exit(0), (e: unknown) => { console.error(e); process.exit(1); });
