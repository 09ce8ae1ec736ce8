#!/usr/bin/env node
// Stand-in for Apache RocketMQ's Java benchmark Producer (example/.../benchmark/Producer.java, 4.9):
// N threads (default 64) of synchronous sends through one connection, each waiting for its reply
// before the next send, one 1 KiB message per SEND_MESSAGE_V2 request with the JSON header exactly as
// the Java 4.9 client writes it (one-letter extFields a..n, fastjson's key order, control characters
// of the properties escaped as \u0001/\u0002, "language":"JAVA", "version":409: see
// /work/shared/fixtures/send-sync.json). A lean raw-remoting client (header text from a template,
// replies read by scanning for code and opaque, frames of one tick written in one writev) so the driver
// is not the bound.
//
//   node perf/dist/sync-bench.js --spawn-broker [--repo DIR] [--flush-disk-type SYNC_FLUSH] [--duration 20s]
//   node perf/dist/sync-bench.js --broker 127.0.0.1:10911            (any running 4.x broker; topic auto-created)
//   node perf/dist/sync-bench.js --compare /work/baseline --rounds 2  (alternate baseline build / this one)
//   --stages: broker-side stage timers (RMQ_STAGE_TIMERS), --profile: node --cpu-prof on the broker
// Reports msgs/s, latency p50/p90/p99/max, broker CPU µs per message (all threads, /proc), driver CPU,
// the machine's busy cores, and with our broker the per-stage breakdown (RMQ_STAGE_TIMERS).
import { connect, type Socket } from 'node:net';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpawnedBroker, terminateSpawned } from './lib/broker.js';
import { createTopics, masterBrokers } from './lib/admin.js';
import { HostCpu, ProcTracker } from './lib/procstat.js';
import { profileReport } from './lib/cpuprofile.js';

const perfDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(perfDir, '..');

export interface BenchOptions {
  threads: number; size: number; durationMs: number; warmupMs: number; queues: number;
  flushDiskType: 'ASYNC_FLUSH' | 'SYNC_FLUSH'; topic: string; producerGroup: string;
  broker: string | null; repo: string; compare: string | null; rounds: number; profile: boolean; stages: boolean; out: string;
  brokerArgs: string[];
  /** Request header: 'json' (default, what the Java client sends) or 'rocketmq' (its -Drocketmq.serialize.type=ROCKETMQ). */
  serializeType: 'json' | 'rocketmq';
}

export interface BenchResult {
  label: string; repo: string; msgs: number; errors: number; seconds: number; rate: number;
  p50Ms: number; p90Ms: number; p99Ms: number; maxMs: number;
  brokerCpuUsPerMsg: number | null; driverCpuUsPerMsg: number; hostBusyCores: number | null;
  brokerRssMiB: number | null;
  stages?: Record<string, { count: number; meanUs: number; p50Us: number; p99Us: number }>;
  profileTop?: string;
}

// ------------------------------------------------------------------ the Java client's SEND_MESSAGE_V2 header

/**
 * The header text of one send, fastjson's order: code, extFields {a..n}, flag, language, opaque,
 * serializeTypeCurrentRPC, version. Properties as the 4.9 producer sets them for a plain message:
 * UNIQ_KEY then WAIT=true (no TAGS/KEYS: the benchmark sets none by default).
 */
export function javaSendHeader(group: string, topic: string, queueId: number, bornMs: number, uniqKey: string, opaque: number, brokerName: string): string {
  return '{"code":310,"extFields":{"a":"' + group + '","b":"' + topic + '","c":"TBW102","d":"4","e":"' + queueId
    + '","f":"0","g":"' + bornMs + '","h":"0","i":"UNIQ_KEY\\u0001' + uniqKey + '\\u0002WAIT\\u0001true","j":"0","k":"false","m":"false","n":"'
    + brokerName + '"},"flag":0,"language":"JAVA","opaque":' + opaque + ',"serializeTypeCurrentRPC":"JSON","version":409}';
}

/**
 * The same send with the ROCKETMQ binary header (Apache's RocketMQSerializable: int16 code, int8
 * language, int16 version, int32 opaque, int32 flag, int32 remark length, int32 ext length, then
 * int16 key length | key | int32 value length | value per field), the whole frame with the body.
 * All values are ASCII, so char count = byte count.
 */
export function javaSendBinaryFrame(group: string, topic: string, queueId: number, bornMs: number, uniqKey: string, opaque: number,
  brokerName: string, body: Buffer): Buffer {
  const pairs = ['a', group, 'b', topic, 'c', 'TBW102', 'd', '4', 'e', String(queueId), 'f', '0', 'g', String(bornMs), 'h', '0',
    'i', 'UNIQ_KEY\u0001' + uniqKey + '\u0002WAIT\u0001true', 'j', '0', 'k', 'false', 'm', 'false', 'n', brokerName];
  let ext = 0;
  for (let i = 0; i < pairs.length; i += 2) ext += 6 + pairs[i]!.length + pairs[i + 1]!.length;
  const hl = 21 + ext;
  const f = Buffer.allocUnsafe(8 + hl + body.length);
  f.writeInt32BE(4 + hl + body.length, 0);
  f.writeUInt32BE((1 << 24) | hl, 4);
  f.writeInt16BE(310, 8); f[10] = 0; f.writeInt16BE(409, 11); f.writeInt32BE(opaque, 13); f.writeInt32BE(0, 17);
  f.writeInt32BE(0, 21); f.writeInt32BE(ext, 25);
  let p = 29;
  for (let i = 0; i < pairs.length; i += 2) {
    const k = pairs[i]!, v = pairs[i + 1]!;
    f.writeInt16BE(k.length, p); p += 2; p += f.write(k, p, 'latin1');
    f.writeInt32BE(v.length, p); p += 4; p += f.write(v, p, 'latin1');
  }
  body.copy(f, p);
  return f;
}

/** UNIQ_KEY as the Java client makes it: 32 hex chars (ip, pid, class hash, time, counter). */
function uniqKeyMaker(): (n: number) => string {
  const prefix = 'AC1100' + (process.pid & 0xffff).toString(16).toUpperCase().padStart(4, '0') + '1B6D' + Date.now().toString(16).toUpperCase().slice(-8);
  return (n) => prefix + (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

// ------------------------------------------------------------------ raw connection

class RawConnection {
  private buf: Buffer = Buffer.alloc(0);
  private out: Buffer[] = [];
  private flushQueued = false;
  onReply: (opaque: number, code: number) => void = () => {};
  constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.onData(c));
  }

  static open(addr: string): Promise<RawConnection> {
    const i = addr.lastIndexOf(':');
    return new Promise((res, rej) => {
      const s = connect({ host: addr.slice(0, i), port: Number(addr.slice(i + 1)) }, () => res(new RawConnection(s)));
      s.once('error', rej);
    });
  }

  /** With --write-per-frame, one write(2) per frame, as Netty's writeAndFlush from 64 Java threads tends to. */
  static perFrame = false;
  /** Queues one frame; everything queued in this tick goes out in one writev. */
  write(frame: Buffer): void {
    if (RawConnection.perFrame) { this.socket.write(frame); return; }
    this.out.push(frame);
    if (!this.flushQueued) { this.flushQueued = true; queueMicrotask(this.flush); }
  }
  private readonly flush = (): void => {
    this.flushQueued = false;
    const out = this.out;
    this.out = [];
    if (out.length === 1) { this.socket.write(out[0]!); return; }
    this.socket.cork();
    for (const f of out) this.socket.write(f);
    this.socket.uncork();
  };

  private onData(chunk: Buffer): void {
    let b = this.buf.length > 0 ? Buffer.concat([this.buf, chunk]) : chunk;
    let off = 0;
    while (b.length - off >= 8) {
      const len = b.readInt32BE(off);
      if (b.length - off - 4 < len) break;
      const field = b.readUInt32BE(off + 4);
      const hs = off + 8, he = hs + (field & 0xffffff);
      let code: number, opaque: number;
      if (field >>> 24 === 0) {
        // {"code":N,...,"opaque":N,...}: the code is the first field in both fastjson's and our order
        code = readIntAfter(b, hs, he, CODE_KEY);
        opaque = readIntAfter(b, hs, he, OPAQUE_KEY);
      } else {
        code = b.readInt16BE(hs);
        opaque = b.readInt32BE(hs + 5);
      }
      this.onReply(opaque, code);
      off += 4 + len;
    }
    this.buf = off < b.length ? Buffer.from(b.subarray(off)) : Buffer.alloc(0);
    b = this.buf;
  }
}

const CODE_KEY = Buffer.from('"code":');
const OPAQUE_KEY = Buffer.from('"opaque":');
function readIntAfter(b: Buffer, from: number, to: number, key: Buffer): number {
  const at = b.indexOf(key, from);
  if (at < 0 || at >= to) return -1;
  let p = at + key.length, n = 0, neg = false;
  if (b[p] === 45) { neg = true; p++; }
  for (; p < to; p++) { const c = b[p]!; if (c < 48 || c > 57) break; n = n * 10 + (c - 48); }
  return neg ? -n : n;
}

// ------------------------------------------------------------------ latency recorder

class Latencies {
  private v = new Float64Array(1 << 20);
  n = 0;
  add(ms: number): void {
    if (this.n === this.v.length) { const w = new Float64Array(this.v.length * 2); w.set(this.v); this.v = w; }
    this.v[this.n++] = ms;
  }
  summary(): { p50: number; p90: number; p99: number; max: number } {
    const s = this.v.subarray(0, this.n).slice().sort();
    const q = (p: number): number => (s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor(p * s.length))]!);
    return { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: s.length ? s[s.length - 1]! : 0 };
  }
}

// ------------------------------------------------------------------ one run

function stageFile(dir: string): string { return join(dir, 'stages.json'); }

interface StageSnap { stages: Record<string, { count: number; sumUs: number; buckets: number[] }> }
function stageDiff(a: StageSnap | null, b: StageSnap | null): BenchResult['stages'] {
  if (!b) return undefined;
  const out: NonNullable<BenchResult['stages']> = {};
  for (const [name, s] of Object.entries(b.stages)) {
    const p = a?.stages[name];
    const count = s.count - (p?.count ?? 0);
    const sum = s.sumUs - (p?.sumUs ?? 0);
    const buckets = s.buckets.map((x, i) => x - (p?.buckets[i] ?? 0));
    const q = (pp: number): number => {
      let seen = 0;
      for (let i = 0; i < buckets.length; i++) { seen += buckets[i]!; if (seen >= pp * count) return (2 ** ((i + 1) / 8) - 1) / 10; }
      return 0;
    };
    out[name] = { count, meanUs: count ? sum / count : 0, p50Us: q(0.5), p99Us: q(0.99) };
  }
  return out;
}
function readSnap(path: string): StageSnap | null {
  try { return JSON.parse(readFileSync(path, 'utf8')) as StageSnap; } catch { return null; }
}

export async function runOnce(o: BenchOptions, repo: string, label: string): Promise<BenchResult> {
  const outDir = join(o.out, label);
  mkdirSync(outDir, { recursive: true });
  let spawned: SpawnedBroker | null = null;
  let brokerAddr = o.broker;
  let brokerName = 'broker-a';
  const stagesPath = stageFile(outDir);
  rmSync(stagesPath, { force: true });
  if (brokerAddr === null) {
    const profileDir = o.profile ? join(outDir, 'profile') : null;
    if (profileDir) { rmSync(profileDir, { recursive: true, force: true }); mkdirSync(profileDir, { recursive: true }); }
    if (o.stages) process.env.RMQ_STAGE_TIMERS = stagesPath;
    spawned = await SpawnedBroker.start({
      repoRoot: repo, flushDiskType: o.flushDiskType, queues: o.queues, extraArgs: o.brokerArgs, nodeArgs: [],
      logPath: join(outDir, 'broker.log'), profileDir,
    });
    delete process.env.RMQ_STAGE_TIMERS;
    // BenchmarkTest is a system topic (1024 queues on Apache's brokers and ours), as the Java tool uses it
    const [m] = o.topic === 'BenchmarkTest' ? await masterBrokers(spawned.namesrv) : await createTopics(spawned.namesrv, [o.topic], o.queues);
    brokerAddr = m!.masterAddr;
    brokerName = m!.brokerName;
  }
  const conn = await RawConnection.open(brokerAddr);
  const tracker = spawned ? new ProcTracker(spawned.pid) : null;
  const host = new HostCpu();
  const body = Buffer.alloc(o.size, 0x61);
  const queues = o.topic === 'BenchmarkTest' ? 1024 : o.queues;
  const uniq = uniqKeyMaker();
  let seq = 0;
  let opaqueNext = 1;
  const sentAt = new Map<number, number>();
  const lat = new Latencies();
  let measuring = false, stopping = false;
  let msgs = 0, errors = 0, inFlight = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => { done = r; });

  const binary = o.serializeType === 'rocketmq';
  const sendOne = (): void => {
    const opaque = opaqueNext++;
    const n = seq++;
    if (binary) {
      sentAt.set(opaque, performance.now());
      inFlight++;
      conn.write(javaSendBinaryFrame(o.producerGroup, o.topic, n % queues, Date.now(), uniq(n), opaque, brokerName, body));
      return;
    }
    const header = javaSendHeader(o.producerGroup, o.topic, n % queues, Date.now(), uniq(n), opaque, brokerName);
    const hl = Buffer.byteLength(header);
    const frame = Buffer.allocUnsafe(8 + hl + body.length);
    frame.writeInt32BE(4 + hl + body.length, 0);
    frame.writeInt32BE(hl, 4);
    frame.write(header, 8, 'latin1');
    body.copy(frame, 8 + hl);
    sentAt.set(opaque, performance.now());
    inFlight++;
    conn.write(frame);
  };
  conn.onReply = (opaque, code) => {
    const t0 = sentAt.get(opaque);
    if (t0 === undefined) return;
    sentAt.delete(opaque);
    inFlight--;
    if (measuring) {
      if (code === 0) { msgs++; lat.add(performance.now() - t0); } else errors++;
    }
    if (!stopping) sendOne();
    else if (inFlight === 0) done();
  };
  for (let i = 0; i < o.threads; i++) sendOne();
  await new Promise((r) => setTimeout(r, o.warmupMs));
  const stageA = readSnap(stagesPath);
  tracker?.rebase();
  host.start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, o.durationMs));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  tracker?.tick();
  const busy = host.busyCores();
  const cpu = process.cpuUsage(cpu0);
  stopping = true;
  await Promise.race([finished, new Promise((r) => setTimeout(r, 5000))]);
  await new Promise((r) => setTimeout(r, 1200)); // one more stage snapshot
  const stageB = readSnap(stagesPath);
  conn.socket.destroy();
  const rss = tracker?.last?.rssBytes ?? null;
  const s = lat.summary();
  const res: BenchResult = {
    label, repo, msgs, errors, seconds, rate: msgs / seconds, p50Ms: s.p50, p90Ms: s.p90, p99Ms: s.p99, maxMs: s.max,
    brokerCpuUsPerMsg: tracker && msgs ? (tracker.cpuMsDelta() * 1000) / msgs : null,
    driverCpuUsPerMsg: msgs ? (cpu.user + cpu.system) / msgs : 0,
    hostBusyCores: busy, brokerRssMiB: rss === null ? null : rss / 1048576,
    stages: stageDiff(stageA, stageB),
  };
  if (spawned) {
    await spawned.stop();
    if (o.profile) {
      const dir = join(outDir, 'profile');
      const f = existsSync(dir) ? readdirSync(dir).find((x) => x.endsWith('.cpuprofile')) : undefined;
      if (f) { res.profileTop = profileReport(join(dir, f), repo, 25); writeFileSync(join(outDir, 'profile.txt'), res.profileTop); }
    }
  }
  writeFileSync(join(outDir, 'result.json'), JSON.stringify(res, null, 2));
  return res;
}

// ------------------------------------------------------------------ command line

function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s);
  if (!m) throw new Error(`bad duration ${s}`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60000 : n * 1000;
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const o: BenchOptions = {
    threads: 64, size: 1024, durationMs: 20000, warmupMs: 3000, queues: 8, flushDiskType: 'ASYNC_FLUSH',
    topic: 'BenchmarkTest', producerGroup: 'benchmark_producer', broker: null, repo: repoRoot, compare: null, rounds: 1,
    profile: false, stages: false, out: join(tmpdir(), 'perf', `sync-bench-${Date.now()}`), brokerArgs: [], serializeType: 'json',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    const val = (): string => (eq > 0 ? a.slice(eq + 1) : argv[++i]!);
    switch (key) {
      case '--threads': o.threads = Number(val()); break;
      case '--size': { const v = val(); o.size = /k$/i.test(v) ? Number(v.slice(0, -1)) * 1024 : Number(v); break; }
      case '--duration': o.durationMs = parseDuration(val()); break;
      case '--warmup': o.warmupMs = parseDuration(val()); break;
      case '--queues': o.queues = Number(val()); break;
      case '--flush-disk-type': o.flushDiskType = val() as BenchOptions['flushDiskType']; break;
      case '--topic': o.topic = val(); break;
      case '--broker': o.broker = val(); break;
      case '--spawn-broker': break;
      case '--repo': o.repo = resolve(val()); break;
      case '--compare': o.compare = resolve(val()); break;
      case '--rounds': o.rounds = Number(val()); break;
      case '--profile': o.profile = true; break;
      case '--stages': o.stages = true; break;
      case '--write-per-frame': RawConnection.perFrame = true; break;
      case '--out': o.out = resolve(val()); break;
      case '--broker-arg': o.brokerArgs.push(val()); break;
      case '--serialize-type': {
        const v = val();
        if (v !== 'json' && v !== 'rocketmq') throw new Error(`--serialize-type must be json or rocketmq, not ${v}`);
        o.serializeType = v;
        break;
      }
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return o;
}

const fmt = (n: number | null | undefined, d = 0): string => (n === null || n === undefined ? '-' : n.toFixed(d));

export function resultLine(r: BenchResult): string {
  return `${r.label.padEnd(12)} ${fmt(r.rate).padStart(7)} msgs/s  p50 ${fmt(r.p50Ms, 2)} ms  p90 ${fmt(r.p90Ms, 2)}  p99 ${fmt(r.p99Ms, 2)}  max ${fmt(r.maxMs, 1)}`
    + `  broker ${fmt(r.brokerCpuUsPerMsg, 1)} µs/msg  driver ${fmt(r.driverCpuUsPerMsg, 1)} µs/msg  host busy ${fmt(r.hostBusyCores, 2)} cores  rss ${fmt(r.brokerRssMiB)} MiB  errors ${r.errors}`;
}

export function stagesTable(r: BenchResult): string {
  if (!r.stages) return '';
  return Object.entries(r.stages).map(([k, s]) => `    ${k.padEnd(8)} mean ${fmt(s.meanUs, 1).padStart(7)} µs  p50 ${fmt(s.p50Us, 1).padStart(7)}  p99 ${fmt(s.p99Us, 1).padStart(8)}  (${s.count})`).join('\n');
}

async function main(): Promise<void> {
  const o = parseBenchArgs(process.argv.slice(2));
  console.log(`sync-bench: ${o.threads} synchronous senders, ${o.size} B, ${o.flushDiskType}, ${o.serializeType} headers, ${o.durationMs / 1000} s (+${o.warmupMs / 1000} s warm-up), results in ${o.out}`);
  const results: BenchResult[] = [];
  for (let round = 1; round <= o.rounds; round++) {
    const order: Array<[string, string]> = o.compare ? (round % 2 === 1 ? [['baseline', o.compare], ['ours', o.repo]] : [['ours', o.repo], ['baseline', o.compare]]) : [['ours', o.repo]];
    for (const [name, repo] of order) {
      const r = await runOnce(o, repo, `${name}-r${round}`);
      results.push(r);
      console.log(resultLine(r));
      const st = stagesTable(r);
      if (st) console.log(st);
    }
  }
  if (o.compare) {
    const avg = (name: string, f: (r: BenchResult) => number | null): number => {
      const xs = results.filter((r) => r.label.startsWith(name)).map(f).filter((x): x is number => x !== null);
      return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    };
    console.log(`ours / baseline: rate ${(avg('ours', (r) => r.rate) / avg('baseline', (r) => r.rate)).toFixed(2)}x, `
      + `p99 ${(avg('ours', (r) => r.p99Ms) / avg('baseline', (r) => r.p99Ms)).toFixed(2)}x, `
      + `broker CPU/msg ${(avg('ours', (r) => r.brokerCpuUsPerMsg) / avg('baseline', (r) => r.brokerCpuUsPerMsg)).toFixed(2)}x`);
  }
  for (const r of results) if (r.profileTop) console.log(`\n# profile ${r.label}\n${r.profileTop.split('\n').slice(0, 32).join('\n')}`);
  writeFileSync(join(o.out, 'results.json'), JSON.stringify(results, null, 2));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  process.on('SIGINT', () => { terminateSpawned(); setTimeout(() => process.exit(130), 2000).unref(); });
  main().then(() => setTimeout(() => process.exit(0), 100).unref(), (e: unknown) => { console.error((e as Error).stack ?? e); terminateSpawned(); process.exit(1); });
}
