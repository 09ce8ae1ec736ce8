#!/usr/bin/env node
// Multi-core scaling on one machine (issue 15): one name server, K broker processes (one store each, as
// Apache deploys several brokers per host), each pinned to its own CPUs with taskset, and D driver
// processes (perf/dist/run.js, or the 64-sender stand-in sync-bench.js) pinned to other CPUs so that the
// load does not take the brokers' cores. Prints one line: the brokers' total msgs/s, their CPU per
// message (all threads, /proc), latency, and what each driver saw; writes scale.json.
//
//   node perf/dist/scale.js --brokers 2 --broker-cpus 0-1/2-3 --drivers 4 --driver-cpus 8-15 --duration 10s
//   node perf/dist/scale.js --load sync-bench --broker-cpus 0-1 --driver-cpus 8-15     (64 synchronous senders)
//   --broker-arg=--key=value (server settings), --broker-node-arg=--cpu-prof (node flags of the brokers),
//   --repo DIR (run that tree's server under this tree's drivers: an A/B of two builds)
//
// --broker-cpus takes one taskset list per broker, separated by '/' (one list for all when fewer are
// given); without taskset on the machine the processes run unpinned and the line says so.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTopics, masterBrokers } from './lib/admin.js';
import { HostCpu, sampleProc } from './lib/procstat.js';
import { parseDurationMs as parseDuration } from './lib/options.js';
import { portOpen } from './lib/broker.js';

const perfDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(perfDir, '..');

export interface ScaleOptions {
  brokers: number; brokerCpus: string[]; drivers: number; driverCpus: string;
  load: 'produce' | 'sync-bench'; producers: number; inflight: number; threads: number;
  durationMs: number; warmupMs: number; queues: number; size: string;
  flushDiskType: 'ASYNC_FLUSH' | 'SYNC_FLUSH'; brokerArgs: string[]; brokerNodeArgs: string[]; out: string; label: string;
  /** the tree whose server the brokers and name server run (A/B of two builds under the same drivers) */
  repo: string;
}

export function parseScaleArgs(argv: string[]): ScaleOptions {
  const o: ScaleOptions = {
    brokers: 1, brokerCpus: [], drivers: 1, driverCpus: '', load: 'produce', producers: 2, inflight: 256, threads: 64,
    durationMs: 10_000, warmupMs: 2_000, queues: 8, size: '1k', flushDiskType: 'ASYNC_FLUSH', brokerArgs: [], brokerNodeArgs: [],
    out: join(tmpdir(), 'perf', `scale-${Date.now()}`), label: '', repo: repoRoot,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    const val = (): string => {
      if (eq > 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${key} needs a value`);
      return v;
    };
    const int = (min: number): number => {
      const v = Number(val());
      if (!Number.isInteger(v) || v < min) throw new Error(`${key} must be an integer >= ${min}`);
      return v;
    };
    switch (key) {
      case '--brokers': o.brokers = int(1); break;
      case '--broker-cpus': o.brokerCpus = val().split('/').filter(Boolean); break;
      case '--drivers': o.drivers = int(1); break;
      case '--driver-cpus': o.driverCpus = val(); break;
      case '--load': { const v = val(); if (v !== 'produce' && v !== 'sync-bench') throw new Error('--load is produce or sync-bench'); o.load = v; break; }
      case '--producers': o.producers = int(1); break;
      case '--inflight': o.inflight = int(1); break;
      case '--threads': o.threads = int(1); break;
      case '--duration': o.durationMs = parseDuration(val()); break;
      case '--warmup': o.warmupMs = parseDuration(val()); break;
      case '--queues': o.queues = int(1); break;
      case '--size': o.size = val(); break;
      case '--flush-disk-type': { const v = val(); if (v !== 'ASYNC_FLUSH' && v !== 'SYNC_FLUSH') throw new Error('--flush-disk-type is ASYNC_FLUSH or SYNC_FLUSH'); o.flushDiskType = v; break; }
      case '--broker-arg': o.brokerArgs.push(val()); break;
      case '--broker-node-arg': o.brokerNodeArgs.push(val()); break;
      case '--out': o.out = resolve(val()); break;
      case '--label': o.label = val(); break;
      case '--repo': o.repo = resolve(val()); break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  if (o.brokerCpus.length > 1 && o.brokerCpus.length !== o.brokers) throw new Error('--broker-cpus: give one list, or one per broker');
  return o;
}

/** Number of CPUs in a taskset list such as "0-3,8,10-11"; 0 for an empty list (unpinned). */
export function cpuCount(list: string): number {
  let n = 0;
  for (const part of list.split(',').filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`bad CPU list ${list}`);
    n += m[2] === undefined ? 1 : Number(m[2]) - Number(m[1]) + 1;
  }
  return n;
}

let tasksetWorks: boolean | null = null;
const hasTaskset = (): boolean => (tasksetWorks ??= spawnSync('taskset', ['-c', '0', 'true']).status === 0);

function start(cpus: string, args: string[], logPath: string): ChildProcess {
  const [cmd, argv] = hasTaskset() && cpus ? ['taskset', ['-c', cpus, process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(cmd, argv, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logPath);
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  return child;
}

/** n distinct free ports: all held open together, so no two of them are the same port. */
async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const s = createServer();
      servers.push(s);
      await new Promise<void>((res, rej) => { s.once('error', rej); s.listen(0, '127.0.0.1', () => res()); });
    }
    return servers.map((s) => { const a = s.address(); return typeof a === 'object' && a ? a.port : 0; });
  } finally {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(() => r(null)))));
  }
}

const exited = (c: ChildProcess): Promise<number | null> =>
  c.exitCode !== null || c.signalCode !== null ? Promise.resolve(c.exitCode) : new Promise((r) => c.once('exit', (code) => r(code)));

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
  await exited(c);
  clearTimeout(t);
}

interface DriverResult { msgsPerSec: number; p50Ms: number; p99Ms: number; errors: number; driverCores: number }

function readDriver(o: ScaleOptions, dir: string): DriverResult | null {
  try {
    if (o.load === 'produce') {
      const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
      return { msgsPerSec: s.produce.msgsPerSec, p50Ms: s.produce.latencyMs.p50, p99Ms: s.produce.latencyMs.p99, errors: s.errors.total, driverCores: s.driver.cpuCoresAvg };
    }
    const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'))[0];
    return { msgsPerSec: r.rate, p50Ms: r.p50Ms, p99Ms: r.p99Ms, errors: r.errors, driverCores: r.seconds > 0 ? (r.driverCpuUsPerMsg * r.msgs) / 1e6 / r.seconds : 0 };
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const o = parseScaleArgs(process.argv.slice(2));
  mkdirSync(o.out, { recursive: true });
  const cli = join(o.repo, 'packages/server/dist/cli.js');
  const storeRoot = mkdtempSync(join(tmpdir(), 'rmq-scale-'));
  const children: ChildProcess[] = [];
  const cleanup = (): void => { for (const c of children) if (c.exitCode === null) c.kill('SIGKILL'); };
  process.once('exit', cleanup);
  process.once('SIGINT', () => { cleanup(); process.exit(130); });
  try {
    const ports = await freePorts(1 + 2 * o.brokers);
    const nsPort = ports[0]!;
    const namesrv = `127.0.0.1:${nsPort}`;
    children.push(start(o.driverCpus, [cli, 'namesrv', `--namesrvListenPort=${nsPort}`, `--kvConfigPath=${join(storeRoot, 'kv.json')}`], join(o.out, 'namesrv.log')));
    // Brokers register at start and then every 30 s: the name server must be up first.
    for (const until = Date.now() + 15_000; !(await portOpen(nsPort));) {
      if (Date.now() > until) throw new Error(`the name server did not listen within 15 s; see ${o.out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const brokers: Array<{ child: ChildProcess; addr: string; cpus: string }> = [];
    for (let i = 0; i < o.brokers; i++) {
      const port = ports[1 + 2 * i]!;
      const ha = ports[2 + 2 * i]!;
      const cpus = o.brokerCpus[o.brokerCpus.length === 1 ? 0 : i] ?? '';
      const child = start(cpus, [...o.brokerNodeArgs, cli, 'broker', `--brokerName=broker-${i}`, `--listenPort=${port}`, `--haListenPort=${ha}`,
        `--namesrvAddr=${namesrv}`, '--brokerIP1=127.0.0.1', `--storePathRootDir=${join(storeRoot, `store-${i}`)}`,
        `--flushDiskType=${o.flushDiskType}`, `--defaultTopicQueueNums=${o.queues}`, '--autoCreateTopicEnable=true', ...o.brokerArgs],
      join(o.out, `broker-${i}.log`));
      children.push(child);
      brokers.push({ child, addr: `127.0.0.1:${port}`, cpus });
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      const masters = await masterBrokers(namesrv).catch(() => []);
      if (masters.length >= o.brokers) break;
      for (const b of brokers) if (b.child.exitCode !== null) throw new Error(`a broker exited during start-up; see ${o.out}`);
      if (Date.now() > deadline) throw new Error(`${masters.length} of ${o.brokers} brokers registered within 30 s; see ${o.out}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    // The stand-in sends to queues 0..queues-1 of its topic: create it (auto-create would make the
    // Java client's default of 4 queues).
    if (o.load === 'sync-bench') await createTopics(namesrv, Array.from({ length: o.brokers }, (_, i) => `ScaleSync-${i}`), o.queues);
    // run.js counts its warm-up inside --duration, sync-bench.js after it: both measure durationMs.
    const dur = `${o.durationMs}ms`;
    const warm = `${o.warmupMs}ms`;
    const drivers: Array<{ child: ChildProcess; dir: string }> = [];
    const count = o.load === 'sync-bench' ? o.brokers * o.drivers : o.drivers;
    for (let i = 0; i < count; i++) {
      const dir = join(o.out, `driver-${i}`);
      const args = o.load === 'produce'
        ? [join(perfDir, 'dist/run.js'), '--scenario', 'produce', '--namesrv', namesrv, '--size', o.size, '--queues', String(o.queues),
          '--producers', String(o.producers), '--inflight', String(o.inflight), '--duration', `${o.durationMs + o.warmupMs}ms`, '--warmup', warm, '--progress', 'none', '--out', dir]
        // the stand-in talks to one broker: o.drivers of them per broker
        : [join(perfDir, 'dist/sync-bench.js'), '--broker', brokers[i % o.brokers]!.addr, '--threads', String(o.threads), '--size', o.size,
          '--duration', dur, '--warmup', warm, '--topic', `ScaleSync-${i % o.brokers}`, '--out', dir];
      drivers.push({ child: start(o.driverCpus, args, join(o.out, `driver-${i}.log`)), dir });
    }
    // Broker CPU over the measured stretch: from the end of the drivers' warm-up (plus their start-up,
    // about a second) to the first driver's exit.
    await new Promise((r) => setTimeout(r, o.warmupMs + 1500));
    const host = new HostCpu();
    host.start();
    const t0 = performance.now();
    const cpu0 = brokers.map((b) => sampleProc(b.child.pid!)?.cpuMs ?? 0);
    await Promise.race(drivers.map((d) => exited(d.child)));
    const t1 = performance.now();
    const cpu1 = brokers.map((b) => sampleProc(b.child.pid!)?.cpuMs ?? 0);
    const busy = host.busyCores();
    const rss = brokers.map((b) => (sampleProc(b.child.pid!)?.rssBytes ?? 0) / 1048576);
    const codes = await Promise.all(drivers.map((d) => exited(d.child)));
    const results = drivers.map((d) => readDriver(o, d.dir));
    const ok = results.filter((r): r is DriverResult => r !== null);
    const rate = ok.reduce((a, r) => a + r.msgsPerSec, 0);
    const brokerCores = cpu1.map((c, i) => (c - cpu0[i]!) / (t1 - t0));
    const brokerCoreSum = brokerCores.reduce((a, b) => a + b, 0);
    const ms = (v: number): number => Math.round(v * 100) / 100;
    const record = {
      label: o.label, load: o.load, brokers: o.brokers, brokerCpus: brokers.map((b) => b.cpus), pinned: hasTaskset(),
      drivers: count, driverCpus: o.driverCpus, flushDiskType: o.flushDiskType, size: o.size,
      msgsPerSec: Math.round(rate), perBroker: Math.round(rate / o.brokers),
      brokerCoresBusy: brokerCores.map((c) => Math.round(c * 100) / 100),
      brokerUsPerMsg: rate > 0 ? Math.round((brokerCoreSum * 1e6 / rate) * 10) / 10 : null,
      p50MsMax: ms(Math.max(0, ...ok.map((r) => r.p50Ms))), p99MsMax: ms(Math.max(0, ...ok.map((r) => r.p99Ms))),
      errors: ok.reduce((a, r) => a + r.errors, 0), driverCores: Math.round(ok.reduce((a, r) => a + r.driverCores, 0) * 100) / 100,
      hostBusyCores: busy === null ? null : Math.round(busy * 10) / 10, brokerRssMiB: rss.map((r) => Math.round(r)),
      driverExitCodes: codes, driversReported: ok.length,
    };
    writeFileSync(join(o.out, 'scale.json'), JSON.stringify(record, null, 2));
    const cpusText = (list: string): string => (list && hasTaskset() ? `${cpuCount(list)} cpu` : 'unpinned');
    console.log(`scale ${o.label ? o.label + ' ' : ''}| ${o.load} ${o.flushDiskType} | brokers ${o.brokers} x ${cpusText(brokers[0]!.cpus)} | drivers ${count} on ${cpusText(o.driverCpus)}`
      + ` | ${record.msgsPerSec} msgs/s (${record.perBroker}/broker) | broker ${record.brokerUsPerMsg} us/msg, cores ${record.brokerCoresBusy.join('+')}`
      + ` | p50 ${record.p50MsMax} p99 ${record.p99MsMax} ms | errors ${record.errors} | drivers ${record.driverCores} cores | host ${record.hostBusyCores} busy`
      + ` | rss ${record.brokerRssMiB.join('/')} MiB${ok.length < count ? ` | ${count - ok.length} drivers did not report (see ${o.out})` : ''}`);
    if (ok.length < count) process.exitCode = 1;
    for (const d of drivers) await stop(d.child);
  } finally {
    for (const c of children.slice().reverse()) await stop(c);
    rmSync(storeRoot, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(() => setTimeout(() => process.exit(process.exitCode ?? 0), 100).unref(), (e: unknown) => {
    console.error((e as Error).stack ?? e);
    process.exit(1);
  });
}
