// perf/java-bench.ts's pure parts: its options, the benchmark Producer's report line (4.9.x format,
// as printed by org.apache.rocketmq.example.benchmark.Producer) and the figures of a run. Running Java
// itself is a manual benchmark (perf/JAVA.md), never part of the tests.
import t from 'tap';
import { formatRun, parseJavaBenchArgs, parseTpsLine, summarizeRun } from '../perf/java-bench.js';

const line = 'Current Time: 2026-12-08 00:04:03,184 Send TPS: 24536 Max RT(ms): 1068 Average RT(ms):   2.608 Send Failed: 0 Response Failed: 3';

t.test('the report line', async (t) => {
  t.same(parseTpsLine(line), { tps: 24536, maxRtMs: 1068, avgRtMs: 2.608, sendFailed: 0, responseFailed: 3 });
  t.same(parseTpsLine('[Complete] Send Total: 10 Send TPS: 5 Max RT(ms): 7 Average RT(ms):   1.500 Send Failed: 0 Response Failed: 0')?.tps, 5, 'the final line too');
  t.equal(parseTpsLine('topic: BenchmarkTest threadCount: 64 messageSize: 1024'), null, 'other lines are not reports');
});

t.test('the figures of a run: first report dropped, CPU over the counted messages', async (t) => {
  const l = (tps: number, avg: number, max: number) => ({ tps, maxRtMs: max, avgRtMs: avg, sendFailed: 0, responseFailed: 0 });
  const reports = [
    { line: l(5000, 9, 1500), brokerCpuMs: 1000, clientCpuMs: 2000 },
    { line: l(30000, 2, 40), brokerCpuMs: 1000 + 3000, clientCpuMs: 2000 + 6000 },
    { line: l(40000, 1.5, 30), brokerCpuMs: 1000 + 7000, clientCpuMs: 2000 + 14000 },
  ];
  const r = summarizeRun('ours', 1, 'ASYNC_FLUSH', reports, 700, 1.8);
  t.equal(r.msgsPerSec, 35000, 'mean of the counted reports');
  t.equal(r.avgRtMs, 1.75);
  t.equal(r.maxRtMs, 40, 'the warm-up max RT is not counted');
  t.equal(r.reports, 2);
  // 7 s of broker CPU over (30000 + 40000) * 10 messages = 10 µs each; the client twice that
  t.equal(r.brokerUsPerMsg, 10);
  t.equal(r.clientUsPerMsg, 20);
  t.equal(summarizeRun('apache', 1, 'SYNC_FLUSH', [reports[0]!], null, null).msgsPerSec, 0, 'one report: nothing counted');
  t.equal(summarizeRun('apache', 1, 'SYNC_FLUSH', reports.map((x) => ({ ...x, brokerCpuMs: null })), null, null).brokerUsPerMsg, null, 'no /proc: no CPU figure');
  t.match(formatRun(r), /^ours\s+round 1 ASYNC_FLUSH: 35000 msgs\/s.*broker 10 µs\/msg, client 20 µs\/msg, broker RSS 700 MiB/);
});

t.test('options', async (t) => {
  const env = { RMQ_JAVA_CP: '/x/classes:/x/lib.jar', ROCKETMQ_HOME: '/x/dist' };
  const o = parseJavaBenchArgs([], env);
  t.match(o, { javaCp: '/x/classes:/x/lib.jar', rocketmqHome: '/x/dist', rounds: 2, durationMs: 63_000, warmupMs: 30_000, flush: 'ASYNC_FLUSH', threads: 64, size: 1024, servers: ['apache', 'ours'] });
  t.match(parseJavaBenchArgs(['--flush', 'sync_flush', '--rounds=3', '--duration', '40s', '--servers', 'ours', '--warmup', '0s'], env),
    { flush: 'SYNC_FLUSH', rounds: 3, durationMs: 40_000, servers: ['ours'], warmupMs: 0 });
  t.equal(parseJavaBenchArgs(['--servers', 'ours'], { RMQ_JAVA_CP: '/cp' }).rocketmqHome, '', 'no Apache, no ROCKETMQ_HOME needed');
  t.throws(() => parseJavaBenchArgs([], {}), /--java-cp/);
  t.throws(() => parseJavaBenchArgs([], { RMQ_JAVA_CP: '/cp' }), /--rocketmq-home/);
  t.throws(() => parseJavaBenchArgs(['--flush', 'LAZY'], env), /ASYNC_FLUSH or SYNC_FLUSH/);
  t.throws(() => parseJavaBenchArgs(['--servers', 'kafka'], env), /apache and\/or ours/);
  t.throws(() => parseJavaBenchArgs(['--duration', '10s'], env), /at least 25s/);
  t.throws(() => parseJavaBenchArgs(['--rounds', '0'], env), /integer >= 1/);
  t.throws(() => parseJavaBenchArgs(['--bogus'], env), /unknown option/);
});
