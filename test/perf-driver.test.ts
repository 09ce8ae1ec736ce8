// The load driver end to end: `node perf/dist/run.js --spawn-broker` starts our server, produces
// and consumes a small count, and writes summary.json. Checks counts, fields and verification only;
// no timing assertions (the machine is shared).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const runJs = join(root, 'perf/dist/run.js');
const needed = [runJs, join(root, 'packages/server/dist/cli.js'), join(root, 'packages/client/dist/index.js')];
const missing = needed.filter((f) => !existsSync(f));

function run(args: string[]): { code: number | null; stdout: string; stderr: string; summary: any; out: string } {
  const out = mkdtempSync(join(tmpdir(), 'perf-driver-'));
  const r = spawnSync(process.execPath, [runJs, ...args, '--spawn-broker', '--progress', 'plain', '--out', out],
    { cwd: root, encoding: 'utf8', timeout: 90_000 });
  const path = join(out, 'summary.json');
  const summary = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : null;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, summary, out };
}

t.test('perf driver against a spawned server', { skip: missing.length ? `not built: ${missing.join(', ')} (run pnpm build)` : false }, async (t) => {
  t.test('both: produce and consume 3000 messages, all verified', async (t) => {
    const r = run(['--scenario', 'both', '--count', '3000', '--size', '512', '--topics', '2', '--queues', '4',
      '--producers', '2', '--inflight', '32', '--consumers', '1', '--drain-timeout', '20s']);
    t.equal(r.code, 0, `exit code (stderr: ${r.stderr.slice(-2000)})`);
    const s = r.summary;
    t.ok(s, 'summary.json written');
    if (!s) return;
    t.match(s, {
      scenario: 'both',
      config: { sizeBytes: 512, queues: 4, producers: 2, consumers: 1, mode: 'async', batch: 1, spawnBroker: true, flushDiskType: 'ASYNC_FLUSH' },
      produce: { sent: 3000, acked: 3000, errors: 0, openLoop: false },
      consume: { drainTimedOut: false },
      errors: { total: 0 },
      verify: { enabled: true, passed: true, expected: 3000, distinct: 3000, duplicates: 0, missing: 0, corrupt: 0, foreign: 0 },
      broker: { spawned: true },
    });
    t.equal(s.config.topics.length, 2);
    t.ok(s.consume.received >= 3000, 'every message consumed');
    t.equal(s.produce.latencyMs.count, 3000, 'one send latency per message');
    t.equal(s.consume.e2eLatencyMs.count, s.consume.received, 'one end-to-end latency per delivery');
    for (const k of ['p50', 'p90', 'p99', 'p999', 'max']) t.type(s.produce.latencyMs[k], 'number', `latency ${k}`);
    t.ok(s.produce.latencyMs.p50 <= s.produce.latencyMs.p99 && s.produce.latencyMs.p99 <= s.produce.latencyMs.max, 'percentiles ordered');
    t.type(s.produce.msgsPerSec, 'number');
    t.type(s.produce.mbPerSec, 'number');
    t.ok(s.broker.pid > 0, 'broker pid');
    t.ok(s.broker.rssMiB > 0, 'broker RSS read from /proc');
    t.ok(s.broker.cpuSeconds >= 0 && s.broker.messages === 3000, 'broker CPU accounted over the produced messages');
    // the file images in the RSS, as our broker reports them in GET_BROKER_RUNTIME_INFO
    t.ok(s.broker.memory, 'RSS split into file images and the rest');
    const m = s.broker.memory;
    t.ok(m.consumeQueueMiB > 0 && m.indexMiB > 0 && m.commitLogMiB > 0, `queues ${m.consumeQueueMiB}, index ${m.indexMiB}, commit log ${m.commitLogMiB} MiB`);
    t.ok(Math.abs(m.fileCachesMiB - (m.commitLogMiB + m.consumeQueueMiB + m.indexMiB)) < 0.5, 'the parts add up');
    t.match(r.stderr, /memory\s+RSS [\d.]+ MiB = file images/, 'printed');
    for (const f of ['timeline.json', 'chart.svg', 'chart.html', 'send-latency.hgrm', 'broker.log']) t.ok(existsSync(join(r.out, f)), f);
    t.match(r.stderr, /verify\s+PASSED/, 'the printed summary says verification passed');
    rmSync(r.out, { recursive: true, force: true });
  });

  t.test('consume: prefill then consume, sync sends in batches', async (t) => {
    const r = run(['--scenario', 'consume', '--count', '2000', '--size', '256', '--mode', 'sync', '--inflight', '4', '--batch', '10']);
    t.equal(r.code, 0, `exit code (stderr: ${r.stderr.slice(-2000)})`);
    const s = r.summary;
    if (!s) { t.fail('summary.json written'); return; }
    t.match(s, {
      scenario: 'consume', produce: null, prefill: { count: 2000, acked: 2000 },
      verify: { passed: true, expected: 2000, distinct: 2000, missing: 0, corrupt: 0 },
    });
    t.ok(s.consume.received >= 2000);
    rmSync(r.out, { recursive: true, force: true });
  });
});
