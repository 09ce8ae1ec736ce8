// Run options: defaults <- scenario file (perf/scenarios/*.json) <- command line, in that order.
// Parsing is pure (no I/O besides reading the scenario file the caller passes in) so it can be
// tested without a broker. Units are explicit in the names: sizeBytes, durationMs, rateMsgsPerSec.

export type Scenario = 'produce' | 'consume' | 'both';
export type SendMode = 'sync' | 'async' | 'oneway';
export type FlushDiskType = 'ASYNC_FLUSH' | 'SYNC_FLUSH';

export interface RunOptions {
  scenario: Scenario;
  name: string;                 // label in the summary; the scenario file's name by default
  namesrv: string;              // "host:port[;host:port]"
  sizeBytes: number;            // message body size (>= BODY_HEADER_BYTES)
  topics: number;
  queues: number;               // queues per topic (used when creating topics / spawning)
  topicPrefix: string;
  producers: number;
  consumers: number;
  inflight: number;             // per producer: outstanding sends (async/oneway) or send loops (sync)
  consumeConcurrency: number;   // per consumer
  pullBatch: number | null;     // per pull request (client default when null)
  mode: SendMode;
  batch: number;                // messages per send (1 = single send, >1 = sendBatch)
  durationMs: number | null;    // exactly one of durationMs / count drives the run
  count: number | null;         // total messages (produce/both), or the prefill (consume)
  rateMsgsPerSec: number | null; // null = closed loop (max rate); else open loop on a timetable
  warmupMs: number;             // samples in this first stretch are left out of the histograms
  prefill: boolean;             // consume: produce `count` messages first (not measured)
  createTopics: boolean;        // ask the broker(s) to create topics with `queues` queues
  drainTimeoutMs: number;       // after sending stops, how long consumers may take to catch up
  sendTimeoutMs: number;
  retries: number;              // producer retryTimesWhenSendFailed (duplicates become expected if > 0)
  brokerPid: number | null;
  spawnBroker: boolean;
  flushDiskType: FlushDiskType; // for --spawn-broker
  brokerArgs: string[];         // extra `--key=value` for the spawned server
  brokerNodeArgs: string[];     // extra node flags for the spawned server (e.g. --cpu-prof)
  profileBroker: boolean;       // --spawn-broker with node --cpu-prof; summarised after the run
  out: string | null;           // null = perf/results/<timestamp>
  progress: 'auto' | 'tty' | 'plain' | 'none';
  verify: boolean;
  serializeType: 'json' | 'rocketmq' | null; // request headers of our client (null: the client's default)
}

export const BODY_HEADER_BYTES = 28;

export function defaultOptions(): RunOptions {
  return {
    scenario: 'produce', name: '', namesrv: '127.0.0.1:9876', sizeBytes: 1024, topics: 1, queues: 8,
    topicPrefix: '', producers: 1, consumers: 1, inflight: 256, consumeConcurrency: 64, pullBatch: null,
    mode: 'async', batch: 1, durationMs: null, count: null, rateMsgsPerSec: null, warmupMs: 0,
    prefill: true, createTopics: true, drainTimeoutMs: 30_000, sendTimeoutMs: 3_000, retries: 0,
    brokerPid: null, spawnBroker: false, flushDiskType: 'ASYNC_FLUSH', brokerArgs: [], brokerNodeArgs: [],
    profileBroker: false, out: null, progress: 'auto', verify: true, serializeType: null,
  };
}

export class OptionError extends Error {
  override name = 'OptionError';
}

/** "30s", "1.5m", "500ms", "2h", "45" (seconds) -> milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) throw new OptionError(`bad duration '${text}' (use e.g. 500ms, 30s, 2m)`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}

/** "1024", "1k", "1KiB", "4m", "1MB" -> bytes (k = 1024). */
export function parseSizeBytes(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib)?\s*$/i.exec(text);
  if (!m) throw new OptionError(`bad size '${text}' (use e.g. 1024, 1k, 4KiB)`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit === 'b' ? 1 : unit.startsWith('k') ? 1024 : 1024 * 1024;
  return Math.round(Number(m[1]) * factor);
}

/** "20000", "20k", "1.5m" -> a count (k = 1000, m = 1e6). */
export function parseCount(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|m)?\s*$/i.exec(text);
  if (!m) throw new OptionError(`bad number '${text}'`);
  const unit = (m[2] ?? '').toLowerCase();
  return Math.round(Number(m[1]) * (unit === 'k' ? 1e3 : unit === 'm' ? 1e6 : 1));
}

type Setter = (o: RunOptions, v: string) => void;
const positive = (name: string, n: number): number => {
  if (!Number.isFinite(n) || n <= 0) throw new OptionError(`--${name} must be a positive number`);
  return n;
};
const intPositive = (name: string) => (v: string) => Math.floor(positive(name, parseCount(v)));
const oneOf = <T extends string>(name: string, allowed: readonly T[], v: string): T => {
  if (!(allowed as readonly string[]).includes(v)) throw new OptionError(`--${name} must be one of ${allowed.join('|')}`);
  return v as T;
};
const bool = (v: string): boolean => !/^(false|0|no|off)$/i.test(v);

// One entry per option: the setter, whether it takes a value, and a help line.
const OPTIONS: Record<string, { set: Setter; flag?: boolean; help: string }> = {
  scenario: { set: (o, v) => { o.scenario = oneOf('scenario', ['produce', 'consume', 'both'] as const, v); }, help: 'produce | consume | both' },
  name: { set: (o, v) => { o.name = v; }, help: 'label for the summary (default: the scenario file name)' },
  namesrv: { set: (o, v) => { o.namesrv = v; }, help: 'name server address(es), "host:port;host:port" (default 127.0.0.1:9876)' },
  size: { set: (o, v) => { o.sizeBytes = parseSizeBytes(v); }, help: `message body size, e.g. 1024, 1k (min ${BODY_HEADER_BYTES})` },
  topics: { set: (o, v) => { o.topics = intPositive('topics')(v); }, help: 'number of topics' },
  queues: { set: (o, v) => { o.queues = intPositive('queues')(v); }, help: 'queues per topic (when creating topics / spawning)' },
  'topic-prefix': { set: (o, v) => { o.topicPrefix = v; }, help: 'fixed topics <prefix>-0..N-1 (default: fresh PerfTopic_<run id>-i per run)' },
  producers: { set: (o, v) => { o.producers = intPositive('producers')(v); }, help: 'producer instances' },
  consumers: { set: (o, v) => { o.consumers = intPositive('consumers')(v); }, help: 'push consumer instances (one group)' },
  inflight: { set: (o, v) => { o.inflight = intPositive('inflight')(v); }, help: 'per producer: outstanding sends (async/oneway) or concurrent send loops (sync)' },
  'consume-concurrency': { set: (o, v) => { o.consumeConcurrency = intPositive('consume-concurrency')(v); }, help: 'per consumer: messages processed at once' },
  'pull-batch': { set: (o, v) => { o.pullBatch = intPositive('pull-batch')(v); }, help: 'messages per pull request (client default 32)' },
  mode: { set: (o, v) => { o.mode = oneOf('mode', ['sync', 'async', 'oneway'] as const, v); }, help: 'sync | async | oneway' },
  batch: { set: (o, v) => { o.batch = intPositive('batch')(v); }, help: 'messages per send (>1 uses sendBatch)' },
  duration: { set: (o, v) => { o.durationMs = positive('duration', parseDurationMs(v)); o.count = null; }, help: 'run time, e.g. 30s (exclusive with --count)' },
  count: { set: (o, v) => { o.count = intPositive('count')(v); o.durationMs = null; }, help: 'total messages to send (consume: the prefill)' },
  rate: { set: (o, v) => { o.rateMsgsPerSec = /^(max|0)$/i.test(v) ? null : positive('rate', parseCount(v)); }, help: 'target msgs/s, open loop on a fixed timetable (default: max, closed loop)' },
  warmup: { set: (o, v) => { o.warmupMs = parseDurationMs(v); }, help: 'leave the first stretch out of the histograms, e.g. 2s' },
  prefill: { set: (o, v) => { o.prefill = bool(v); }, flag: true, help: 'consume: produce --count messages first (default on; --no-prefill reads what is there)' },
  'create-topics': { set: (o, v) => { o.createTopics = bool(v); }, flag: true, help: 'create the topics on every master with --queues queues (default on)' },
  'drain-timeout': { set: (o, v) => { o.drainTimeoutMs = parseDurationMs(v); }, help: 'how long consumers may take to catch up after sending stops (default 30s)' },
  'send-timeout': { set: (o, v) => { o.sendTimeoutMs = parseDurationMs(v); }, help: 'producer send timeout (default 3s)' },
  retries: { set: (o, v) => { o.retries = Math.floor(parseCount(v)); }, help: 'producer retries on failure (duplicates are then expected)' },
  'broker-pid': { set: (o, v) => { o.brokerPid = intPositive('broker-pid')(v); }, help: 'pid of the broker process: report its CPU and RSS' },
  'spawn-broker': { set: (o, v) => { o.spawnBroker = bool(v); }, flag: true, help: 'start our server (packages/server/dist/cli.js standalone) on free ports with a temp store' },
  'flush-disk-type': { set: (o, v) => { o.flushDiskType = oneOf('flush-disk-type', ['ASYNC_FLUSH', 'SYNC_FLUSH'] as const, v); }, help: 'ASYNC_FLUSH | SYNC_FLUSH (for --spawn-broker)' },
  'broker-arg': { set: (o, v) => { o.brokerArgs.push(v); }, help: 'extra argument for the spawned server, repeatable, e.g. --broker-arg=--flushIntervalCommitLog=200' },
  'broker-node-arg': { set: (o, v) => { o.brokerNodeArgs.push(v); }, help: 'extra node flag for the spawned server, repeatable' },
  profile: { set: (o, v) => { o.profileBroker = bool(v); }, flag: true, help: 'with --spawn-broker: run it under node --cpu-prof, write broker.cpuprofile + profile-top.txt' },
  out: { set: (o, v) => { o.out = v; }, help: 'output directory (default perf/results/<timestamp>)' },
  progress: { set: (o, v) => { o.progress = oneOf('progress', ['auto', 'tty', 'plain', 'none'] as const, v); }, help: 'auto | tty (one line in place) | plain (a line a second) | none' },
  'serialize-type': { set: (o, v) => { o.serializeType = oneOf('serialize-type', ['json', 'rocketmq'] as const, v); }, help: 'request headers of our client: json | rocketmq (binary; the client default)' },
  verify: { set: (o, v) => { o.verify = bool(v); }, flag: true, help: 'check consumed bodies: sequence, duplicates, crc32 (default on)' },
};

export function helpText(): string {
  const lines = ['usage: node perf/dist/run.js [scenario.json | --scenario-file f.json] [options]', ''];
  for (const [k, d] of Object.entries(OPTIONS)) lines.push(`  --${(d.flag ? `[no-]${k}` : `${k} <v>`).padEnd(24)} ${d.help}`);
  lines.push('', 'A scenario file is JSON with the same option names (e.g. {"scenario":"produce","size":"1k","duration":"30s"}); the command line overrides it.');
  return lines.join('\n');
}

/** Applies a scenario file's object (keys as on the command line, values string/number/boolean/array). */
export function applyObject(o: RunOptions, obj: Record<string, unknown>, source: string): void {
  for (const [key, value] of Object.entries(obj)) {
    if (key === '$comment' || key === 'description') continue;
    const def = OPTIONS[key];
    if (!def) throw new OptionError(`${source}: unknown option '${key}'`);
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (v === null) { if (key === 'rate') o.rateMsgsPerSec = null; continue; }
      def.set(o, String(v));
    }
  }
}

export interface ParsedArgs { options: RunOptions; scenarioFile: string | null; help: boolean }

/**
 * Parses argv (without node and script). `readScenario` loads a scenario file (JSON) so callers
 * can inject it in tests. A bare `x.json` argument or `--scenario-file` names the file; a bare name
 * like `produce-1k` is looked up by the caller-provided reader as perf/scenarios/produce-1k.json.
 */
export function parseArgs(argv: string[], readScenario: (ref: string) => { path: string; data: Record<string, unknown> }): ParsedArgs {
  const o = defaultOptions();
  let scenarioFile: string | null = null;
  let help = false;
  // First pass: find the scenario file so the command line can override it.
  const rest: Array<[string, string | undefined]> = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') continue;
    if (a === '-h' || a === '--help') { help = true; continue; }
    if (!a.startsWith('--')) {
      if (scenarioFile) throw new OptionError(`unexpected argument '${a}'`);
      scenarioFile = a; continue;
    }
    const eq = a.indexOf('=');
    let key = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    let value: string | undefined = eq >= 0 ? a.slice(eq + 1) : undefined;
    if (key.startsWith('no-') && OPTIONS[key.slice(3)]?.flag) { key = key.slice(3); value = 'false'; }
    if (key === 'scenario-file' || key === 'file') {
      scenarioFile = value ?? argv[++i] ?? null; continue;
    }
    const def = OPTIONS[key];
    if (!def) throw new OptionError(`unknown option --${key} (see --help)`);
    if (value === undefined) {
      if (def.flag) value = 'true';
      else {
        value = argv[++i];
        if (value === undefined) throw new OptionError(`--${key} needs a value`);
      }
    }
    rest.push([key, value]);
  }
  // `--scenario produce` is the load shape; `--scenario foo.json` or `--scenario produce-1k` is a file.
  const cliScenario = rest.find(([k]) => k === 'scenario');
  if (cliScenario && !['produce', 'consume', 'both'].includes(cliScenario[1]!)) {
    if (scenarioFile) throw new OptionError('two scenario files given');
    scenarioFile = cliScenario[1]!;
    rest.splice(rest.indexOf(cliScenario), 1);
  }
  if (scenarioFile) {
    const { path, data } = readScenario(scenarioFile);
    applyObject(o, data, path);
    if (!o.name) o.name = path.replace(/^.*\//, '').replace(/\.json$/, '');
    scenarioFile = path;
  }
  for (const [k, v] of rest) OPTIONS[k]!.set(o, v!);
  if (!o.name) o.name = o.scenario;
  validate(o);
  return { options: o, scenarioFile, help };
}

export function validate(o: RunOptions): void {
  if (o.sizeBytes < BODY_HEADER_BYTES) throw new OptionError(`--size must be at least ${BODY_HEADER_BYTES} bytes (sequence + crc header)`);
  if (o.durationMs === null && o.count === null) o.durationMs = 10_000;
  if (o.scenario === 'consume' && o.prefill && o.count === null) {
    throw new OptionError('--scenario consume with prefill needs --count (the messages to pre-fill and then consume)');
  }
  if (o.mode === 'oneway' && o.batch > 1) throw new OptionError('--mode oneway does not support --batch > 1');
  if (o.profileBroker && !o.spawnBroker) throw new OptionError('--profile needs --spawn-broker');
  if (o.brokerPid !== null && o.spawnBroker) throw new OptionError('--broker-pid and --spawn-broker are exclusive');
}

/** The topic names a run uses. */
export function topicNames(o: RunOptions): string[] {
  return Array.from({ length: o.topics }, (_, i) => `${o.topicPrefix}-${i}`);
}
