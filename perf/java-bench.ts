#!/usr/bin/env node
// Side by side with Apache RocketMQ, measured by Apache's own benchmark (issue 15): the 4.9.x Java
// benchmark Producer (org.apache.rocketmq.example.benchmark.Producer: N threads of synchronous sends)
// against an Apache name server + broker (on the default ports 9876/10911, which must be free), then
// against ours (perf's spawned server, free ports), alternated for --rounds rounds, each server with
// a fresh store. Prints one line a run and the ratio
// ours / Apache; writes java-bench.json. Nothing Java is shipped here: --java-cp names compiled RocketMQ
// 4.9.x classes and their libraries, --rocketmq-home a RocketMQ distribution folder (bin/, conf/).
// perf/JAVA.md says how to build both from the RocketMQ sources and Debian's packages.
//
//   node perf/dist/java-bench.js --java-cp "$RMQ_JAVA_CP" --rocketmq-home "$ROCKETMQ_HOME" \
//        [--rounds 2] [--duration 63s] [--flush ASYNC_FLUSH|SYNC_FLUSH] [--threads 64] [--size 1024] \
//        [--servers apache,ours] [--warmup 30s] [--out DIR]
//
// Each server first gets a --warmup run of the same benchmark (figures dropped: the broker JVM's JIT and
// the first touch of its mapped commit log would otherwise count against Apache), then the measured one.
//
// Rate: the mean of the benchmark's own "Send TPS" lines (each over the 10 s before it) after the
// first, which is JIT and connection warm-up. CPU per message: utime + stime of the broker process
// (all threads; ours also holds its name server, Apache's runs apart and is left out) and of the
// benchmark JVM between the first and the last of those lines, over the messages those lines count.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDurationMs } from './lib/options.js';
import { HostCpu, sampleProc } from './lib/procstat.js';
import { portOpen, SpawnedBroker } from './lib/broker.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
type Server = 'apache' | 'ours';
type Flush = 'ASYNC_FLUSH' | 'SYNC_FLUSH';

export interface JavaBenchOptions {
  javaCp: string; rocketmqHome: string; rounds: number; durationMs: number; flush: Flush;
  threads: number; size: number; servers: Server[]; out: string; brokerHeap: string;
  /** a first benchmark run against the same broker whose figures are dropped (the JVMs' JIT, first-touched pages) */
  warmupMs: number;
}

export function parseJavaBenchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): JavaBenchOptions {
  const o: JavaBenchOptions = {
    javaCp: env.RMQ_JAVA_CP ?? '', rocketmqHome: env.ROCKETMQ_HOME ?? '', rounds: 2, durationMs: 63_000,
    flush: 'ASYNC_FLUSH', threads: 64, size: 1024, servers: ['apache', 'ours'], out: '', brokerHeap: '', warmupMs: 30_000,
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const int = (min: number): number => {
      const v = value(); const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new Error(`${flag}: expected an integer >= ${min}, got ${v}`);
      return n;
    };
    switch (flag) {
      case '--java-cp': o.javaCp = value(); break;
      case '--rocketmq-home': o.rocketmqHome = value(); break;
      case '--rounds': o.rounds = int(1); break;
      case '--duration': o.durationMs = parseDurationMs(value()); break;
      case '--warmup': o.warmupMs = parseDurationMs(value()); break;
      case '--threads': o.threads = int(1); break;
      case '--size': o.size = int(1); break;
      case '--out': o.out = value(); break;
      case '--broker-heap': o.brokerHeap = value(); break;
      case '--flush': {
        const v = value().toUpperCase();
        if (v !== 'ASYNC_FLUSH' && v !== 'SYNC_FLUSH') throw new Error(`--flush: ASYNC_FLUSH or SYNC_FLUSH, got ${v}`);
        o.flush = v; break;
      }
      case '--servers': {
        const list = value().split(',').map((s) => s.trim()).filter(Boolean);
        for (const s of list) if (s !== 'apache' && s !== 'ours') throw new Error(`--servers: apache and/or ours, got ${s}`);
        if (!list.length) throw new Error('--servers: name at least one');
        o.servers = list as Server[]; break;
      }
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  if (o.durationMs < 25_000) throw new Error('--duration: at least 25s (the benchmark reports every 10 s and the first report is warm-up)');
  if (!o.javaCp) throw new Error('--java-cp (or RMQ_JAVA_CP): the classpath of compiled RocketMQ 4.9.x classes and libraries; see perf/JAVA.md');
  if (o.servers.includes('apache') && !o.rocketmqHome) throw new Error('--rocketmq-home (or ROCKETMQ_HOME): a RocketMQ distribution folder with bin/mqbroker; see perf/JAVA.md');
  return o;
}

/** One "Send TPS" report of the benchmark Producer (4.9.x format). */
export interface TpsLine { tps: number; maxRtMs: number; avgRtMs: number; sendFailed: number; responseFailed: number }

export function parseTpsLine(line: string): TpsLine | null {
  const m = /Send TPS: (\d+) Max RT\(ms\): (\d+) Average RT\(ms\):\s*([\d.]+) Send Failed: (\d+) Response Failed: (\d+)/.exec(line);
  if (!m) return null;
  return { tps: Number(m[1]), maxRtMs: Number(m[2]), avgRtMs: Number(m[3]), sendFailed: Number(m[4]), responseFailed: Number(m[5]) };
}

export interface RunResult {
  server: Server; round: number; flush: Flush; msgsPerSec: number; avgRtMs: number; maxRtMs: number;
  sendFailed: number; responseFailed: number; reports: number;
  brokerUsPerMsg: number | null; clientUsPerMsg: number | null; brokerRssMiB: number | null; hostBusyCores: number | null;
}

interface Sampled { line: TpsLine; brokerCpuMs: number | null; clientCpuMs: number | null }

/**
 * The figures of one run from its reports (each with the CPU sampled when it printed): the first
 * report is warm-up; the rest count 10 s of sends each.
 */
export function summarizeRun(server: Server, round: number, flush: Flush, reports: Sampled[], brokerRssMiB: number | null, hostBusyCores: number | null): RunResult {
  const measured = reports.slice(1);
  const n = measured.length;
  const mean = (f: (l: TpsLine) => number): number => (n ? measured.reduce((a, r) => a + f(r.line), 0) / n : 0);
  const msgs = measured.reduce((a, r) => a + r.line.tps * 10, 0);
  const perMsg = (key: 'brokerCpuMs' | 'clientCpuMs'): number | null => {
    const first = reports[0]?.[key]; const last = reports[reports.length - 1]?.[key];
    if (first == null || last == null || !msgs) return null;
    return Math.round(((last - first) * 1000 / msgs) * 10) / 10;
  };
  const last = reports[reports.length - 1]?.line;
  return {
    server, round, flush, msgsPerSec: Math.round(mean((l) => l.tps)), avgRtMs: Math.round(mean((l) => l.avgRtMs) * 1000) / 1000,
    maxRtMs: Math.max(0, ...measured.map((r) => r.line.maxRtMs)), sendFailed: last?.sendFailed ?? 0, responseFailed: last?.responseFailed ?? 0,
    reports: n, brokerUsPerMsg: perMsg('brokerCpuMs'), clientUsPerMsg: perMsg('clientCpuMs'), brokerRssMiB, hostBusyCores,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ms: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) { if (await ok()) return; await sleep(200); }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

function pgrep(pattern: string): number | null {
  const r = spawnSync('pgrep', ['-f', pattern], { encoding: 'utf8' });
  const pids = r.stdout.split('\n').map(Number).filter((n) => n > 0);
  return pids.length ? pids[pids.length - 1]! : null;
}

/** SIGTERM to the JVM (the start script's child), SIGKILL after 15 s. */
async function stop(target: number | null): Promise<void> {
  if (!target) return;
  try { process.kill(target, 'SIGTERM'); } catch { return; }
  const end = Date.now() + 15_000;
  while (Date.now() < end) {
    try { process.kill(target, 0); } catch { return; }
    await sleep(200);
  }
  try { process.kill(target, 'SIGKILL'); } catch { /* gone */ }
}

interface Running { brokerPid: number; namesrv: string; stopAll: () => Promise<void> }

async function startApache(o: JavaBenchOptions, dir: string, log: NodeJS.WritableStream): Promise<Running> {
  for (const port of [9876, 10911]) if (await portOpen(port)) throw new Error(`port ${port} is in use: stop what listens there first`);
  const store = join(dir, 'store');
  const conf = join(dir, 'broker.conf');
  writeFileSync(conf, [
    'brokerClusterName=DefaultCluster', 'brokerName=broker-a', 'brokerId=0', 'deleteWhen=04', 'fileReservedTime=48',
    'brokerRole=ASYNC_MASTER', `flushDiskType=${o.flush}`, 'brokerIP1=127.0.0.1',
    `storePathRootDir=${store}`, `storePathCommitLog=${join(store, 'commitlog')}`, '',
  ].join('\n'));
  // Apache's own start scripts (their JVM options: G1, 8 GiB heap unless JAVA_OPT_EXT says more), with
  // the compiled classes on CLASSPATH and logs under this run's folder (they go to $HOME/logs).
  const env = { ...process.env, ROCKETMQ_HOME: o.rocketmqHome, CLASSPATH: o.javaCp, HOME: dir, JAVA_OPT_EXT: o.brokerHeap ? `-Xms${o.brokerHeap} -Xmx${o.brokerHeap}` : '' };
  const ns = spawn('sh', [join(o.rocketmqHome, 'bin/mqnamesrv')], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  ns.stdout!.pipe(log, { end: false }); ns.stderr!.pipe(log, { end: false });
  await waitFor('the Apache name server on 9876', 60_000, () => portOpen(9876));
  const br = spawn('sh', [join(o.rocketmqHome, 'bin/mqbroker'), '-n', '127.0.0.1:9876', '-c', conf], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let booted = false;
  br.stdout!.on('data', (d: Buffer) => { if (/boot success/.test(d.toString())) booted = true; });
  br.stdout!.pipe(log, { end: false }); br.stderr!.pipe(log, { end: false });
  await waitFor('the Apache broker ("boot success")', 120_000, () => booted);
  const brokerPid = pgrep(`BrokerStartup.*${conf}`);
  const nsPid = pgrep('org.apache.rocketmq.namesrv.NamesrvStartup');
  if (!brokerPid) throw new Error('the Apache broker JVM is not to be found (pgrep BrokerStartup)');
  return { brokerPid, namesrv: '127.0.0.1:9876', stopAll: async () => { await stop(brokerPid); await stop(nsPid); } };
}

async function startOurs(o: JavaBenchOptions, dir: string): Promise<Running> {
  // on free ports (the benchmark is told the name server), with perf's usual spawned server
  const b = await SpawnedBroker.start({
    repoRoot, flushDiskType: o.flush, queues: 4, extraArgs: [], nodeArgs: [], logPath: join(dir, 'server.log'), profileDir: null,
    readyTimeoutMs: 60_000,
  });
  return { brokerPid: b.pid, namesrv: b.namesrv, stopAll: async () => { await b.stop(); } };
}

/** One run of the benchmark Producer for `ms`, its reports sampled with the broker's and its own CPU. */
async function benchmark(o: JavaBenchOptions, server: Server, round: number, dir: string, running: Running, ms: number, phase: string):
    Promise<{ reports: Sampled[]; rss: number | null; busy: number | null }> {
  const bench = spawn('java', [
    '-server', '-Xms1g', '-Xmx1g', '-Xmn256m', '-XX:+UseG1GC', '-XX:-OmitStackTraceInFastThrow', '-XX:+PerfDisableSharedMem',
    '-Dorg.apache.rocketmq.client.sendSmartMsg=true', `-Drocketmq.client.logRoot=${join(dir, 'client-logs')}`,
    '-cp', o.javaCp, 'org.apache.rocketmq.example.benchmark.Producer',
    '-n', running.namesrv, '-w', String(o.threads), '-s', String(o.size), '-t', 'BenchmarkTest',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const benchLog = createWriteStream(join(dir, `benchmark-${phase}.log`));
  bench.stderr!.pipe(benchLog, { end: false });
  const reports: Sampled[] = [];
  const host = new HostCpu();
  let hostStarted = false;
  let rest = '';
  bench.stdout!.on('data', (d: Buffer) => {
    benchLog.write(d);
    rest += d.toString();
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = parseTpsLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      if (!line) continue;
      if (!hostStarted) { host.start(); hostStarted = true; }
      reports.push({ line, brokerCpuMs: sampleProc(running.brokerPid)?.cpuMs ?? null, clientCpuMs: sampleProc(bench.pid!)?.cpuMs ?? null });
      const r = reports.length > 1 ? ` ${line.tps} msgs/s avg RT ${line.avgRtMs} ms` : ` ${line.tps} msgs/s (first, not counted)`;
      process.stderr.write(`  ${server} round ${round} ${phase}: report ${reports.length}${r}\n`);
    }
  });
  const exited = new Promise<void>((res) => bench.once('exit', () => res()));
  await Promise.race([sleep(ms + 2000), exited]);
  const rss = sampleProc(running.brokerPid)?.rssBytes ?? null;
  const busy = host.busyCores();
  bench.kill('SIGTERM');
  await exited;
  benchLog.end();
  return { reports, rss, busy };
}

async function runOnce(o: JavaBenchOptions, server: Server, round: number, root: string): Promise<RunResult> {
  const dir = join(root, `${server}-${round}`);
  mkdirSync(dir, { recursive: true });
  const log = server === 'apache' ? createWriteStream(join(dir, 'server.log')) : null;
  const running = log !== null ? await startApache(o, dir, log) : await startOurs(o, dir);
  try {
    await sleep(2000); // the broker's first registration with its name server
    if (o.warmupMs > 0) await benchmark(o, server, round, dir, running, o.warmupMs, 'warm-up');
    const { reports, rss, busy } = await benchmark(o, server, round, dir, running, o.durationMs, 'measured');
    if (reports.length < 2) throw new Error(`${server}: the benchmark printed ${reports.length} report(s); see ${join(dir, 'benchmark-measured.log')}`);
    return summarizeRun(server, round, o.flush, reports, rss === null ? null : Math.round(rss / 1048576), busy === null ? null : Math.round(busy * 100) / 100);
  } finally {
    await running.stopAll();
    log?.end();
    rmSync(join(dir, 'store'), { recursive: true, force: true });
    // the run wrote gigabytes: let their write-back finish before the next server starts, or it lands
    // (as iowait) in the next run's figures
    spawnSync('sync');
  }
}

export function formatRun(r: RunResult): string {
  const f = (v: number | null, unit: string): string => (v === null ? 'n/a' : `${v}${unit}`);
  return `${r.server.padEnd(6)} round ${r.round} ${r.flush}: ${r.msgsPerSec} msgs/s, avg RT ${r.avgRtMs} ms, max RT ${r.maxRtMs} ms, ` +
    `failed ${r.sendFailed}/${r.responseFailed}; broker ${f(r.brokerUsPerMsg, ' µs/msg')}, client ${f(r.clientUsPerMsg, ' µs/msg')}, ` +
    `broker RSS ${f(r.brokerRssMiB, ' MiB')}, host ${f(r.hostBusyCores, ' cores busy')}`;
}

async function main(): Promise<void> {
  const o = parseJavaBenchArgs(process.argv.slice(2));
  const out = o.out || mkdtempSync(join(tmpdir(), 'java-bench-'));
  mkdirSync(out, { recursive: true });
  const results: RunResult[] = [];
  process.stderr.write(`java benchmark Producer: ${o.threads} threads, ${o.size} B, ${o.flush}, ${o.durationMs / 1000} s a run, ${o.rounds} round(s) of ${o.servers.join(' then ')}; files in ${out}\n`);
  for (let round = 1; round <= o.rounds; round++) {
    for (const server of o.servers) {
      const r = await runOnce(o, server, round, out);
      results.push(r);
      console.log(formatRun(r));
    }
  }
  const mean = (s: Server): number | null => {
    const rs = results.filter((r) => r.server === s);
    return rs.length ? rs.reduce((a, r) => a + r.msgsPerSec, 0) / rs.length : null;
  };
  const a = mean('apache'); const b = mean('ours');
  const ratio = a && b ? Math.round((b / a) * 100) / 100 : null;
  if (ratio !== null) console.log(`ours / apache (${o.flush}, mean of ${o.rounds} round(s)): ${ratio}x  (${Math.round(b!)} vs ${Math.round(a!)} msgs/s)`);
  writeFileSync(join(out, 'java-bench.json'), JSON.stringify({ options: { ...o, javaCp: undefined }, results, ratio }, null, 2));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => { process.stderr.write(`java-bench: ${(e as Error).message}\n`); process.exit(1); });
}
