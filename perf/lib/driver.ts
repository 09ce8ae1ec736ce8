// One benchmark run, start to finish: (spawn the broker) -> create topics -> prefill (consume only)
// -> measured phase with live progress -> drain -> summary.json, timeline.json, latency.hgrm,
// chart.svg/html under the output directory. The client module is injected so tests can drive the
// whole flow against a fake broker.
import { mkdirSync, writeFileSync, readdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { ClientModule } from './client.js';
import type { RunOptions } from './options.js';
import { topicNames } from './options.js';
import { Stats, Sampler, type TimelinePoint } from './stats.js';
import { Verifier } from './verify.js';
import { ProduceLoad } from './produce.js';
import { ConsumeLoad } from './consume.js';
import { HostCpu, ProcTracker } from './procstat.js';
import { ProgressPrinter, formatProgress } from './progress.js';
import { buildSummary, formatSummary, summaryRows, type RunRecord, type Summary, type Window } from './summary.js';
import { renderChartHtml, renderChartSvg } from './chart.js';
import { brokerFileCaches, createTopics } from './admin.js';
import { SpawnedBroker } from './broker.js';
import { profileReport } from './cpuprofile.js';

export interface DriverDeps {
  loadClient: () => Promise<ClientModule>;
  repoRoot: string;
  log?: (line: string) => void;
  progressStream?: NodeJS.WriteStream;
  /** Skip topic creation over the wire (fake clients have no broker to talk to). */
  skipAdmin?: boolean;
}

export interface DriverResult { summary: Summary; outDir: string; points: TimelinePoint[] }

const TICK_MS = 1000;

export function defaultOutDir(repoRoot: string, now = new Date()): string {
  const ts = now.toISOString().replace(/[:]/g, '').replace(/\..*$/, '');
  return join(repoRoot, 'perf', 'results', ts);
}

export async function runDriver(o: RunOptions, deps: DriverDeps, command: string): Promise<DriverResult> {
  if (!o.name) o.name = o.scenario;
  const progress = new ProgressPrinter(o.progress, deps.progressStream ?? process.stderr);
  const log = deps.log ?? ((l: string) => progress.log(l));
  const outDir = o.out ?? defaultOutDir(deps.repoRoot);
  mkdirSync(outDir, { recursive: true });
  const runId = randomBytes(4).readUInt32BE(0);
  const tag = runId.toString(16).padStart(8, '0');
  // A fresh topic set per run unless the user names one: a new consumer group reading from the first
  // offset then sees only this run's messages.
  if (!o.topicPrefix) o.topicPrefix = `PerfTopic_${tag}`;
  const topics = topicNames(o);
  const notes: string[] = [];
  const startedAt = new Date().toISOString();
  const loadStart = loadavg()[0]!;
  let driverCpu0 = process.cpuUsage();
  let driverWall0 = performance.now();
  let driverPeakRss = process.memoryUsage.rss();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const hostCpu = new HostCpu();

  let broker: SpawnedBroker | null = null;
  let profileDir: string | null = null;
  if (o.spawnBroker) {
    profileDir = o.profileBroker ? mkdtempSync(join(tmpdir(), 'rmq-perf-prof-')) : null;
    broker = await SpawnedBroker.start({
      repoRoot: deps.repoRoot, flushDiskType: o.flushDiskType, queues: o.queues, extraArgs: o.brokerArgs,
      nodeArgs: o.brokerNodeArgs, logPath: join(outDir, 'broker.log'), profileDir,
    });
    o.namesrv = broker.namesrv;
    o.brokerPid = broker.pid;
    log(`spawned server pid ${broker.pid}, name server ${broker.namesrv}, store ${broker.storeDir}`);
  }

  const stats = new Stats();
  const consumes = o.scenario !== 'produce';
  const duplicatesExpected = o.retries > 0 || o.consumers > 1;
  const verifier = consumes && o.verify
    ? new Verifier({ runId: o.scenario === 'consume' && !o.prefill ? null : runId, duplicatesExpected })
    : null;
  const tracker = o.brokerPid !== null ? new ProcTracker(o.brokerPid) : null;
  if (tracker && !tracker.tick()) notes.push(`cannot read /proc/${o.brokerPid}: broker CPU/RSS not reported`);

  let producers: ProduceLoad | null = null;
  let consumers: ConsumeLoad | null = null;
  let sampler: Sampler | null = null;
  let ticker: NodeJS.Timeout | null = null;
  let backlogMax = 0;
  let prefill: RunRecord['prefill'] = null;
  let produceWindow: Window | null = null;
  let firstRecvAt = 0, lastRecvAt = 0;
  let drainTimedOut = false;
  let phase = 'start';
  let phaseFraction = (): number => 0;
  let phaseStart = performance.now();

  const startTicker = (startMs: number): void => {
    sampler = new Sampler(stats, startMs);
    ticker = setInterval(() => {
      const now = performance.now();
      const b = tracker ? tracker.tick() : null;
      const backlog = producers ? producers.backlog() : 0;
      if (backlog > backlogMax) backlogMax = backlog;
      const rss = process.memoryUsage.rss();
      if (rss > driverPeakRss) driverPeakRss = rss;
      const point = sampler!.sample(now, b);
      progress.update(formatProgress({
        phase, fraction: phaseFraction(), elapsedSec: (now - phaseStart) / 1000, point, sizeBytes: o.sizeBytes,
        showSend: o.scenario !== 'consume' || phase === 'prefill', showRecv: consumes && phase !== 'prefill', totalErrors: stats.sendErrors + stats.consumeErrors, backlog,
      }));
    }, TICK_MS);
  };
  const stopTicker = (): void => { if (ticker) clearInterval(ticker); ticker = null; progress.done(); };

  try {
    const client = await deps.loadClient();
    if (o.createTopics && !deps.skipAdmin) {
      try {
        const masters = await createTopics(o.namesrv, topics, o.queues);
        log(`created ${topics.length} topic(s) x ${o.queues} queues on ${masters.map((m) => m.brokerName).join(', ')}`);
      } catch (e) {
        notes.push(`topic creation failed (${(e as Error).message}); relying on auto-create`);
        log(`warning: topic creation failed: ${(e as Error).message}; relying on auto-create`);
      }
    }

    // First and last delivery bound the consume window.
    const onRecv = (): void => {
      const now = performance.now();
      if (!firstRecvAt) firstRecvAt = now;
      lastRecvAt = now;
    };

    if (o.scenario === 'consume' && o.prefill) {
      phase = 'prefill';
      const count = o.count!;
      const fill = new ProduceLoad(client, { ...o, rateMsgsPerSec: null, mode: o.mode === 'oneway' ? 'async' : o.mode }, stats, verifier, runId, `${tag}_fill`);
      await fill.start();
      producers = fill;
      phaseStart = performance.now();
      phaseFraction = () => (stats.acked + stats.sendErrors) / count;
      startTicker(phaseStart);
      await fill.run({ count, deadlineMs: null }, null);
      const seconds = (performance.now() - phaseStart) / 1000;
      prefill = { count, acked: stats.acked, seconds: Math.round(seconds * 100) / 100, msgsPerSec: Math.round(stats.acked / seconds) };
      stopTicker();
      await fill.shutdown();
      producers = null;
      log(`prefilled ${stats.acked}/${count} messages in ${prefill.seconds}s (${prefill.msgsPerSec} msgs/s)`);
      if (stats.sendErrors) notes.push(`prefill had ${stats.sendErrors} send errors`);
      // The consume phase is measured on its own.
      stats.acked = 0; stats.sent = 0; stats.ackedBytes = 0; stats.sendErrors = 0;
    }

    if (consumes) {
      consumers = new ConsumeLoad(client, o, stats, verifier, tag);
      consumers.recordE2e = o.scenario === 'both';
      await consumers.start();
    }
    if (o.scenario !== 'consume') {
      producers = new ProduceLoad(client, o, stats, verifier, runId, tag);
      await producers.start();
    }

    // Measured phase.
    tracker?.rebase();
    driverCpu0 = process.cpuUsage();
    driverWall0 = performance.now();
    // Event-loop delay of the driver: when high, the driver (not the broker) was short of CPU.
    loopDelay.enable();
    hostCpu.start();
    const measureStart = performance.now();
    phaseStart = measureStart;
    phase = o.scenario === 'consume' ? 'consume' : 'run';
    stats.setMeasuring(o.warmupMs === 0);
    let warm0 = { sent: 0, acked: 0, ackedBytes: 0, sendErrors: 0, received: 0, receivedBytes: 0, at: measureStart };
    const warmTimer = o.warmupMs > 0 ? setTimeout(() => {
      stats.setMeasuring(true);
      tracker?.rebase();
      driverCpu0 = process.cpuUsage();
      driverWall0 = performance.now();
      warm0 = { sent: stats.sent, acked: stats.acked, ackedBytes: stats.ackedBytes, sendErrors: stats.sendErrors, received: stats.received, receivedBytes: stats.receivedBytes, at: performance.now() };
    }, o.warmupMs) : null;
    // Receive timing: poll the counter (cheap, keeps the hot consume path free of clock reads).
    // The first delivery is dated to the previous poll (the earliest it can have arrived).
    let lastSeen = stats.received;
    let lastPollAt = performance.now();
    const recvWatch = setInterval(() => {
      if (stats.received !== lastSeen) {
        if (!firstRecvAt) firstRecvAt = lastPollAt;
        lastSeen = stats.received;
        onRecv();
      }
      lastPollAt = performance.now();
    }, 5);
    startTicker(measureStart);

    const expectedTotal = (): number => (verifier ? verifier.expectedCount() : stats.acked);
    if (producers) {
      const deadlineMs = o.durationMs !== null ? measureStart + o.durationMs : null;
      phaseFraction = o.count !== null ? () => (stats.acked + stats.sendErrors) / o.count! : () => (performance.now() - measureStart) / o.durationMs!;
      await producers.run({ count: o.count, deadlineMs }, o.rateMsgsPerSec);
      produceWindow = { startMs: warm0.at, endMs: performance.now() };
    }

    if (consumers) {
      // Drain: wait until every acknowledged message has been consumed (or the timeout).
      const drainStart = performance.now();
      const knownExpected = verifier !== null && !(o.scenario === 'consume' && !o.prefill);
      phase = o.scenario === 'consume' ? 'consume' : 'drain';
      if (o.scenario === 'consume' && !knownExpected) {
        // Existing topic: consume for the duration (or until --count messages).
        const until = drainStart + (o.durationMs ?? o.drainTimeoutMs);
        phaseFraction = () => (o.count !== null ? stats.received / o.count : (performance.now() - drainStart) / (until - drainStart));
        while (performance.now() < until && (o.count === null || stats.received < o.count)) await sleep(50);
      } else {
        phaseFraction = () => (verifier ? verifier.distinct() : stats.received) / Math.max(1, expectedTotal());
        let lastProgressAt = performance.now();
        let lastReceived = stats.received;
        for (;;) {
          if (verifier ? verifier.complete() : stats.received >= expectedTotal()) break;
          if (stats.received !== lastReceived) { lastReceived = stats.received; lastProgressAt = performance.now(); }
          // The timeout counts from the last delivery, so a slow but moving consumer is not cut off.
          if (performance.now() - Math.max(lastProgressAt, drainStart) > o.drainTimeoutMs) { drainTimedOut = true; break; }
          await sleep(20);
        }
      }
      if (drainTimedOut) notes.push(`consumers stopped making progress for ${o.drainTimeoutMs} ms before all messages arrived`);
      // Deliveries that race the stop (duplicates) still count: give in-flight handlers a moment.
      await sleep(200);
    }
    clearInterval(recvWatch);
    if (warmTimer) clearTimeout(warmTimer);
    if (lastSeen !== stats.received) onRecv();
    const measureEnd = performance.now();
    const driverCpuMs = ((u) => (u.user + u.system) / 1000)(process.cpuUsage(driverCpu0));
    loopDelay.disable();
    const hostBusyCores = hostCpu.busyCores();
    tracker?.tick();
    // the file images in the broker's RSS, as it reports them (ours; Apache's does not)
    const fileCaches = tracker ? await brokerFileCaches(o.namesrv) : null;
    // One last timeline point for the tail of the run.
    if (sampler) (sampler as Sampler).sample(measureEnd, null);
    stopTicker();

    const record: RunRecord = {
      options: o, runId, command, startedAt, namesrv: o.namesrv, topics,
      produce: o.scenario === 'consume' ? null : {
        window: produceWindow ?? { startMs: measureStart, endMs: measureEnd },
        sent: stats.sent - warm0.sent, acked: stats.acked - warm0.acked, ackedBytes: stats.ackedBytes - warm0.ackedBytes, errors: stats.sendErrors - warm0.sendErrors,
        latency: stats.sendLatency.summary(), backlogMax,
      },
      consume: consumes ? {
        window: firstRecvAt ? { startMs: Math.max(firstRecvAt, warm0.at), endMs: lastRecvAt } : null,
        received: stats.received - warm0.received, receivedBytes: stats.receivedBytes - warm0.receivedBytes, errors: stats.consumeErrors,
        e2eLatency: o.scenario === 'both' ? stats.e2eLatency.summary() : null, drainTimedOut,
      } : null,
      prefill,
      errorKinds: Object.fromEntries(stats.errorKinds),
      broker: tracker && tracker.last ? {
        pid: tracker.pid, spawned: broker !== null, cpuMs: tracker.cpuMsDelta(), wallMs: tracker.wallMsDelta(), rssBytes: tracker.last.rssBytes,
        peakRssBytes: tracker.peakRssBytes, hwmBytes: tracker.last.hwmBytes, threads: tracker.last.threads, fileCaches,
      } : null,
      driver: {
        cpuMs: driverCpuMs,
        wallMs: measureEnd - driverWall0, peakRssBytes: driverPeakRss,
        eventLoopDelayP99Ms: loopDelay.count ? Math.round(loopDelay.percentile(99) / 1e4) / 100 : 0,
        eventLoopDelayMaxMs: loopDelay.count ? Math.round(loopDelay.max / 1e4) / 100 : 0,
      },
      verify: verifier ? verifier.report(true) : null,
      host: { cpus: cpus().length, busyCores: hostBusyCores === null ? null : Math.round(hostBusyCores * 100) / 100, loadavg1mStart: Math.round(loadStart * 100) / 100, loadavg1mEnd: Math.round(loadavg()[0]! * 100) / 100, node: process.version },
      notes,
    };
    if (!consumes) notes.push('produce only: nothing consumed, so no delivery verification');
    if (o.warmupMs > 0) notes.push(`first ${o.warmupMs} ms excluded (warm-up)`);
    if (o.scenario === 'consume') notes.push('consume rate is measured from the first to the last delivery');

    await producers?.shutdown();
    await consumers?.shutdown();
    producers = null; consumers = null;

    const summary = buildSummary(record);
    const points = (sampler as Sampler | null)?.points ?? [];
    writeOutputs(outDir, summary, points, stats.sendLatency.distributionText(), stats.e2eLatency.distributionText());
    log(formatSummary(summary));
    log(`results: ${outDir}`);
    return { summary, outDir, points };
  } finally {
    stopTicker();
    await producers?.shutdown();
    await consumers?.shutdown();
    if (broker) {
      const code = await broker.stop();
      if (code !== 0 && code !== null) log(`note: the spawned server exited with code ${code}`);
      if (profileDir) {
        const prof = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'));
        if (prof.length) {
          const dest = join(outDir, 'broker.cpuprofile');
          copyFileSync(join(profileDir, prof[0]!), dest);
          const report = profileReport(dest, deps.repoRoot);
          writeFileSync(join(outDir, 'profile-top.txt'), `${report}\n`);
          log(`broker CPU profile: ${dest} (summary in profile-top.txt)`);
          log(report.split('\n').slice(0, 25).join('\n'));
        } else {
          log('no .cpuprofile was written (did the server exit cleanly on SIGTERM?)');
        }
      }
    }
  }
}

export function writeOutputs(outDir: string, summary: Summary, points: TimelinePoint[], sendHgrm: string, e2eHgrm: string): void {
  writeFileSync(join(outDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(outDir, 'timeline.json'), `${JSON.stringify(points)}\n`);
  if (sendHgrm) writeFileSync(join(outDir, 'send-latency.hgrm'), sendHgrm);
  if (e2eHgrm) writeFileSync(join(outDir, 'e2e-latency.hgrm'), e2eHgrm);
  const title = `${summary.name}: ${summary.scenario} ${summary.startedAt}`;
  writeFileSync(join(outDir, 'chart.svg'), renderChartSvg(points, title));
  writeFileSync(join(outDir, 'chart.html'), renderChartHtml(points, title, summaryRows(summary)));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
