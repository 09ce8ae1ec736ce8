// Timer wheel benchmark (in process, no network): a MessageStore plus the broker's
// TimerMessageService. Phase 0 (baseline): N ordinary puts of the same message. Phase 1: N timer
// messages staged into rmq_sys_wheel_timer, all due in a window after the last one is enqueued (so N
// timers are pending at once). Phase 2: delivery; lateness = time of the delivery put - due time.
// Optional ordinary background traffic (--bg-rate msgs/s) during phase 2.
//   pnpm --filter @rmq/perf build && node --expose-gc perf/dist/timer-bench.js [--timers=1000000] [--window-s=30] [--bg-rate=0] [--dir=/tmp]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageStore, defaultStoreConfig, type MessageInner } from '@rmq/store';
import { arg } from './lib/flag.js';


const N = arg('timers', 1_000_000);
const WINDOW_MS = arg('window-s', 30) * 1000;
const BG_RATE = arg('bg-rate', 0);
const SIZE = arg('size', 128);
const INFLIGHT = 512;
const BASE = arg('dir', os.tmpdir());
const CACHE_MB = arg('cache-mb', 512);

const quiet = { debug() {}, info() {}, warn: (m: string) => console.error(m), error: (m: string) => console.error(m) };

function pct(a: Float64Array, n: number, p: number): number {
  return a[Math.min(n - 1, Math.floor((p / 100) * n))]!;
}

async function putAll(store: MessageStore, n: number, make: (i: number) => MessageInner): Promise<void> {
  let next = 0;
  let failed = 0;
  await new Promise<void>((resolve) => {
    let inflight = 0;
    const pump = () => {
      while (inflight < INFLIGHT && next < n) {
        inflight++;
        store.putMessage(make(next++)).then((r) => {
          if (r.status !== 'PUT_OK') failed++;
          inflight--;
          if (next >= n && inflight === 0) resolve(); else pump();
        });
      }
    };
    pump();
  });
  if (failed > 0) throw new Error(`${failed} puts failed`);
}

interface TimerService {
  start(): void; notifyMessageArriving(): void; shutdown(): Promise<void>; readonly pending: number;
  stage(topic: string, queueId: number, props: string): { topic: string; queueId: number; properties: string } | string | null;
  readonly stats: { enqueued: number; rolled: number; failed: number };
}
type TimerServiceCtor = new (store: MessageStore, cfg: object, dir: string, logger: object) => TimerService;

async function main(): Promise<void> {
  // the broker's service, loaded from its build (perf does not depend on @rmq/broker)
  const { TimerMessageService } = await import(new URL('../../packages/broker/dist/timer/timer-message-service.js', import.meta.url).href) as { TimerMessageService: TimerServiceCtor };
  const dir = fs.mkdtempSync(path.join(BASE, 'timer-bench-'));
  const store = await MessageStore.open(defaultStoreConfig({
    storePathRootDir: dir, mappedFileSizeCommitLog: 256 * 1024 * 1024, pageCacheBytesMax: CACHE_MB * 1024 * 1024,
  }), quiet);
  const cfg = { timerWheelEnable: true, timerMaxDelaySec: 3 * 86400, timerPrecisionMs: 100, timerWheelSlots: 216_000, timerFlushIntervalMs: 1000 };
  const svc = new TimerMessageService(store, cfg, dir, quiet);
  store.onNewMessage((topic) => { if (topic === 'rmq_sys_wheel_timer') svc.notifyMessageArriving(); });
  svc.start();
  const body = Buffer.alloc(SIZE, 0x61);
  const bornHost = { ip: '127.0.0.1', port: 1 };
  const base = (topic: string, props: string): MessageInner => ({
    topic, queueId: 0, flag: 0, body, properties: props, sysFlag: 0, bornTimestamp: Date.now(), bornHost, reconsumeTimes: 0, preparedTransactionOffset: 0,
  });

  // phase 0: baseline puts
  const BASE_N = Math.min(N, 200_000);
  let c0 = process.cpuUsage(); let w0 = performance.now();
  await putAll(store, BASE_N, (i) => base('BenchPlain', `UNIQ_KEY\u0001p${i}`));
  const baseCpuUs = (process.cpuUsage(c0).user + process.cpuUsage(c0).system) / BASE_N;
  const baseRate = BASE_N / ((performance.now() - w0) / 1000);

  // phase 1: enqueue N timers due in [T, T + window], T after the estimated enqueue time
  const estMs = (N / baseRate) * 1000 * 2.5 + 5000;
  const T = Date.now() + estMs;
  const due = (i: number) => T + Math.floor((i * WINDOW_MS) / N);
  const lateness = new Float64Array(N);
  let got = 0;
  let early = 0;
  const origPut = store.putMessage.bind(store);
  (store as { putMessage: typeof store.putMessage }).putMessage = (m: MessageInner) => {
    if (m.topic === 'BenchTimer') {
      const i = m.properties.indexOf('TIMER_OUT_MS\u0001');
      const d = Number(m.properties.slice(i + 13, m.properties.indexOf('\u0002', i) >>> 0 || undefined));
      const l = Date.now() - d;
      if (l < 0) early++;
      if (got < N) lateness[got++] = l;
    }
    return origPut(m);
  };
  const rss0 = process.memoryUsage().rss;
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  c0 = process.cpuUsage(); w0 = performance.now();
  await putAll(store, N, (i) => {
    const st = svc.stage('BenchTimer', 0, `UNIQ_KEY\u0001t${i}\u0002TIMER_DELIVER_MS\u0001${due(i)}`);
    if (st === null || typeof st === 'string') throw new Error(`stage: ${st}`);
    return base(st.topic, st.properties);
  });
  await new Promise<void>((r) => { const chk = () => (svc.stats.enqueued >= N ? r() : setTimeout(chk, 20)); chk(); });
  const enqCpu = process.cpuUsage(c0);
  const enqWall = performance.now() - w0;
  const pendingAt = svc.pending;
  const rssPending = process.memoryUsage().rss;
  global.gc?.();
  const heapPending = process.memoryUsage().heapUsed;
  const firstDueIn = T - Date.now();
  console.log(`enqueued ${N} timers in ${(enqWall / 1000).toFixed(1)} s; pending ${pendingAt}; first due in ${firstDueIn} ms`);

  // phase 2: delivery (with optional background traffic)
  let bg = 0;
  let bgTimer: NodeJS.Timeout | null = null;
  if (BG_RATE > 0) {
    const perTick = Math.ceil(BG_RATE / 100);
    bgTimer = setInterval(() => { for (let k = 0; k < perTick; k++) void origPut(base('BenchBackground', `UNIQ_KEY\u0001b${bg++}`)); }, 10);
  }
  c0 = process.cpuUsage(); w0 = performance.now();
  await new Promise<void>((r) => { const chk = () => (got >= N ? r() : setTimeout(chk, 50)); chk(); });
  const delCpu = process.cpuUsage(c0);
  if (bgTimer) clearInterval(bgTimer);
  const timerLogBytes = fs.readdirSync(path.join(dir, 'timer', 'timerlog')).reduce((s, f) => s + fs.statSync(path.join(dir, 'timer', 'timerlog', f)).size, 0);
  const wheelBytes = fs.statSync(path.join(dir, 'timer', 'timerwheel')).size;
  const sorted = lateness.slice(0, got).sort();
  const cpuPerTimer = (enqCpu.user + enqCpu.system + delCpu.user + delCpu.system) / N;
  const out = {
    timers: N, windowMs: WINDOW_MS, cacheMiB: CACHE_MB, bgRate: BG_RATE, bgSent: bg, cores: os.cpus().length, loadavg: os.loadavg()[0],
    latenessMs: { p50: pct(sorted, got, 50), p90: pct(sorted, got, 90), p99: pct(sorted, got, 99), p999: pct(sorted, got, 99.9), max: sorted[got - 1] },
    early,
    baselinePutCpuUs: +baseCpuUs.toFixed(2), baselinePutRate: Math.round(baseRate),
    timerCpuUs: { enqueue: +((enqCpu.user + enqCpu.system) / N).toFixed(2), deliver: +((delCpu.user + delCpu.system) / N).toFixed(2), total: +cpuPerTimer.toFixed(2) },
    cpuRatioToPlainPut: +(cpuPerTimer / baseCpuUs).toFixed(2),
    enqueueRate: Math.round(N / (enqWall / 1000)),
    heapMiBPerMillionPending: +(((heapPending - heap0) / 1048576) * (1_000_000 / N)).toFixed(1),
    rssMiBPerMillionPending: +(((rssPending - rss0) / 1048576) * (1_000_000 / N)).toFixed(1),
    diskBytesPerTimer: { timerlog: +(timerLogBytes / N).toFixed(1), wheelSnapshotMiB: +(wheelBytes / 1048576).toFixed(1) },
    wheel: { rolled: svc.stats.rolled, failed: svc.stats.failed },
  };
  console.log(JSON.stringify(out, null, 2));
  await svc.shutdown();
  await store.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => { console.error(e); process.exit(1); });
