// The run's result: summary.json (machine-readable, stable field names) and the text table printed at
// the end. Rates are over the measured window only (after prefill / warm-up). Broker CPU per message
// is the broker's whole-process CPU time over that window divided by the messages of the run (produced
// for produce/both, consumed for consume).
import type { LatencySummaryMs } from './histogram.js';
import type { RunOptions } from './options.js';
import type { VerifyReport } from './verify.js';

export interface Window { startMs: number; endMs: number }

export interface RunRecord {
  options: RunOptions;
  runId: number;
  command: string;
  startedAt: string;
  namesrv: string;
  topics: string[];
  produce: null | {
    window: Window; sent: number; acked: number; ackedBytes: number; errors: number; latency: LatencySummaryMs;
    backlogMax: number;
  };
  consume: null | {
    window: Window | null; received: number; receivedBytes: number; errors: number; e2eLatency: LatencySummaryMs | null;
    drainTimedOut: boolean;
  };
  prefill: null | { count: number; acked: number; seconds: number; msgsPerSec: number };
  errorKinds: Record<string, number>;
  broker: null | { pid: number; spawned: boolean; cpuMs: number; wallMs: number; rssBytes: number; peakRssBytes: number; hwmBytes: number; threads: number;
    /** file images inside the RSS at the end of the run (our broker's runtime info), null when not reported */
    fileCaches?: { commitLogBytes: number; consumeQueueBytes: number; indexBytes: number } | null };
  driver: { cpuMs: number; wallMs: number; peakRssBytes: number; eventLoopDelayP99Ms: number; eventLoopDelayMaxMs: number };
  verify: VerifyReport | null;
  host: { cpus: number; busyCores: number | null; loadavg1mStart: number; loadavg1mEnd: number; node: string };
  notes: string[];
}

const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;
const perSec = (n: number, w: Window | null): number => (w && w.endMs > w.startMs ? n / ((w.endMs - w.startMs) / 1000) : 0);

export interface Summary {
  name: string; scenario: string; runId: string; startedAt: string; command: string; namesrv: string;
  config: Record<string, unknown>;
  produce: null | { seconds: number; sent: number; acked: number; errors: number; msgsPerSec: number; mbPerSec: number; latencyMs: LatencySummaryMs; openLoop: boolean; targetRate: number | null; backlogMax: number };
  consume: null | { seconds: number; received: number; msgsPerSec: number; mbPerSec: number; e2eLatencyMs: LatencySummaryMs | null; drainTimedOut: boolean };
  prefill: RunRecord['prefill'];
  errors: { total: number; kinds: Record<string, number> };
  broker: null | { pid: number; spawned: boolean; cpuSeconds: number; cpuCoresAvg: number; cpuUsPerMsg: number; messages: number; rssMiB: number; peakRssMiB: number; hwmMiB: number; threads: number;
    /** RSS at the end split into file images (commit log pages, queue and index files) and the rest; null when not reported */
    memory: null | { fileCachesMiB: number; commitLogMiB: number; consumeQueueMiB: number; indexMiB: number; otherMiB: number } };
  driver: { cpuSeconds: number; cpuCoresAvg: number; cpuUsPerMsg: number; peakRssMiB: number; eventLoopDelayP99Ms: number; eventLoopDelayMaxMs: number };
  verify: VerifyReport | null;
  host: RunRecord['host'];
  notes: string[];
}

export function buildSummary(r: RunRecord): Summary {
  const o = r.options;
  const mib = (b: number): number => round(b / 1024 / 1024, 1);
  const produce = r.produce && {
    seconds: round((r.produce.window.endMs - r.produce.window.startMs) / 1000, 2),
    sent: r.produce.sent, acked: r.produce.acked, errors: r.produce.errors,
    msgsPerSec: Math.round(perSec(r.produce.acked, r.produce.window)),
    mbPerSec: round(perSec(r.produce.ackedBytes, r.produce.window) / 1e6, 2),
    latencyMs: r.produce.latency, openLoop: o.rateMsgsPerSec !== null, targetRate: o.rateMsgsPerSec, backlogMax: r.produce.backlogMax,
  };
  const consume = r.consume && {
    seconds: r.consume.window ? round((r.consume.window.endMs - r.consume.window.startMs) / 1000, 2) : 0,
    received: r.consume.received,
    msgsPerSec: Math.round(perSec(r.consume.received, r.consume.window)),
    mbPerSec: round(perSec(r.consume.receivedBytes, r.consume.window) / 1e6, 2),
    e2eLatencyMs: r.consume.e2eLatency, drainTimedOut: r.consume.drainTimedOut,
  };
  const messages = o.scenario === 'consume' ? (r.consume?.received ?? 0) : (r.produce?.acked ?? 0);
  const errorsTotal = (r.produce?.errors ?? 0) + (r.consume?.errors ?? 0);
  const broker = r.broker && {
    pid: r.broker.pid, spawned: r.broker.spawned, cpuSeconds: round(r.broker.cpuMs / 1000, 2),
    cpuCoresAvg: round(r.broker.wallMs > 0 ? r.broker.cpuMs / r.broker.wallMs : 0, 2),
    cpuUsPerMsg: round(messages > 0 ? (r.broker.cpuMs * 1000) / messages : 0, 2), messages,
    rssMiB: mib(r.broker.rssBytes), peakRssMiB: mib(r.broker.peakRssBytes), hwmMiB: mib(r.broker.hwmBytes), threads: r.broker.threads,
    memory: r.broker.fileCaches ? ((c) => {
      const files = c.commitLogBytes + c.consumeQueueBytes + c.indexBytes;
      return { fileCachesMiB: mib(files), commitLogMiB: mib(c.commitLogBytes), consumeQueueMiB: mib(c.consumeQueueBytes), indexMiB: mib(c.indexBytes), otherMiB: mib(Math.max(0, r.broker!.rssBytes - files)) };
    })(r.broker.fileCaches) : null,
  };
  const driver = {
    cpuSeconds: round(r.driver.cpuMs / 1000, 2), cpuCoresAvg: round(r.driver.wallMs > 0 ? r.driver.cpuMs / r.driver.wallMs : 0, 2),
    cpuUsPerMsg: round(messages > 0 ? (r.driver.cpuMs * 1000) / messages : 0, 2), peakRssMiB: mib(r.driver.peakRssBytes),
    eventLoopDelayP99Ms: r.driver.eventLoopDelayP99Ms, eventLoopDelayMaxMs: r.driver.eventLoopDelayMaxMs,
  };
  const notes = [...r.notes];
  if (r.driver.eventLoopDelayP99Ms > 50) {
    notes.push(`the driver's event loop was saturated (delay p99 ${r.driver.eventLoopDelayP99Ms} ms): the driver/client, not only the broker, limits rate and adds latency`);
  }
  return {
    name: o.name, scenario: o.scenario, runId: r.runId.toString(16).padStart(8, '0'), startedAt: r.startedAt, command: r.command, namesrv: r.namesrv,
    config: {
      sizeBytes: o.sizeBytes, topics: r.topics, queues: o.queues, producers: o.producers, consumers: o.consumers, inflight: o.inflight,
      consumeConcurrency: o.consumeConcurrency, pullBatch: o.pullBatch, mode: o.mode, batch: o.batch, durationMs: o.durationMs, count: o.count,
      rateMsgsPerSec: o.rateMsgsPerSec, warmupMs: o.warmupMs, flushDiskType: o.spawnBroker ? o.flushDiskType : null, serializeType: o.serializeType,
      spawnBroker: o.spawnBroker, retries: o.retries, sendTimeoutMs: o.sendTimeoutMs,
    },
    produce, consume, prefill: r.prefill, errors: { total: errorsTotal, kinds: r.errorKinds }, broker, driver, verify: r.verify,
    host: r.host, notes,
  };
}

const lat = (l: LatencySummaryMs): string => `p50 ${l.p50} p90 ${l.p90} p99 ${l.p99} p99.9 ${l.p999} max ${l.max} ms (n=${l.count})`;

/** Label/value rows for the terminal and the HTML page. */
export function summaryRows(s: Summary): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  const c = s.config;
  rows.push(['run', `${s.name} (${s.scenario}) ${s.startedAt} id ${s.runId}`]);
  rows.push(['load', `${c.sizeBytes} B x ${(c.topics as string[]).length} topics x ${c.queues} queues; ${c.producers} producers ${c.mode} inflight ${c.inflight} batch ${c.batch}; ${c.consumers} consumers` +
    `${c.rateMsgsPerSec ? `; open loop ${c.rateMsgsPerSec} msgs/s` : '; closed loop (max rate)'}${c.flushDiskType ? `; ${c.flushDiskType}` : ''}${c.serializeType ? `; ${c.serializeType} headers` : ''}`]);
  if (s.prefill) rows.push(['prefill', `${s.prefill.acked}/${s.prefill.count} msgs in ${s.prefill.seconds}s (${s.prefill.msgsPerSec} msgs/s, not measured)`]);
  if (s.produce) {
    rows.push(['produce', `${s.produce.msgsPerSec} msgs/s, ${s.produce.mbPerSec} MB/s (${s.produce.acked} acked, ${s.produce.sent} sent in ${s.produce.seconds}s)`]);
    rows.push(['send latency', lat(s.produce.latencyMs) + (s.produce.openLoop ? ' from intended start' : '')]);
    if (s.produce.openLoop && s.produce.backlogMax) rows.push(['open loop backlog', `max ${s.produce.backlogMax} sends behind the timetable`]);
  }
  if (s.consume) {
    rows.push(['consume', `${s.consume.msgsPerSec} msgs/s, ${s.consume.mbPerSec} MB/s (${s.consume.received} in ${s.consume.seconds}s)${s.consume.drainTimedOut ? ' DRAIN TIMED OUT' : ''}`]);
    if (s.consume.e2eLatencyMs && s.consume.e2eLatencyMs.count) rows.push(['end-to-end latency', lat(s.consume.e2eLatencyMs)]);
  }
  rows.push(['errors', s.errors.total === 0 && Object.keys(s.errors.kinds).length === 0 ? '0'
    : `${s.errors.total}: ${Object.entries(s.errors.kinds).map(([k, n]) => `${k} x${n}`).join('; ')}`]);
  if (s.broker) {
    rows.push(['broker', `pid ${s.broker.pid}${s.broker.spawned ? ' (spawned)' : ''}: CPU ${s.broker.cpuSeconds}s = ${s.broker.cpuCoresAvg} cores avg, ${s.broker.cpuUsPerMsg} µs/msg; RSS ${s.broker.rssMiB} MiB (peak ${s.broker.peakRssMiB}, VmHWM ${s.broker.hwmMiB}), ${s.broker.threads} threads`]);
    const m = s.broker.memory;
    if (m) rows.push(['memory', `RSS ${s.broker.rssMiB} MiB = file images ${m.fileCachesMiB} (commit log pages ${m.commitLogMiB}, consume queues ${m.consumeQueueMiB}, index ${m.indexMiB}) + other ${m.otherMiB} MiB`]);
  }
  rows.push(['driver', `CPU ${s.driver.cpuSeconds}s = ${s.driver.cpuCoresAvg} cores avg, ${s.driver.cpuUsPerMsg} µs/msg; peak RSS ${s.driver.peakRssMiB} MiB; event-loop delay p99 ${s.driver.eventLoopDelayP99Ms} ms, max ${s.driver.eventLoopDelayMaxMs} ms`]);
  if (s.verify) {
    const v = s.verify;
    rows.push(['verify', !v.enabled ? 'off' : `${v.passed ? 'PASSED' : 'FAILED'}: expected ${v.expected ?? '?'}, received ${v.received}, distinct ${v.distinct}, duplicates ${v.duplicates}, missing ${v.missing}, corrupt ${v.corrupt}${v.unexpected ? `, unacked-but-stored ${v.unexpected}` : ''}${v.foreign ? `, other runs ${v.foreign}` : ''}`]);
    for (const n of v.notes) rows.push(['', n]);
  }
  const others = s.host.busyCores !== null ? Math.max(0, s.host.busyCores - s.driver.cpuCoresAvg - (s.broker?.cpuCoresAvg ?? 0)) : null;
  rows.push(['host', `${s.host.cpus} CPUs, ${s.host.busyCores ?? '?'} busy on average${others !== null ? ` (${Math.round(others * 100) / 100} by other processes)` : ''}, load avg ${s.host.loadavg1mStart} -> ${s.host.loadavg1mEnd}, node ${s.host.node}`]);
  for (const n of s.notes) rows.push(['note', n]);
  return rows;
}

export function formatSummary(s: Summary): string {
  const rows = summaryRows(s);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
