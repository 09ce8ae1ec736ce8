// /metrics of a real mq-server: parsed as Prometheus text format 0.0.4 (every line must parse, every
// sample's family declared once with a type), today's series kept, and rocketmq-exporter's series
// present with its label names and values that follow what was sent and consumed.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import { Admin, PushConsumer } from '../packages/client/dist/index.js';
import { freePort, startServer, tmpDir, waitFor } from './helpers/mq-process.js';

interface Sample { name: string; labels: Record<string, string>; value: number }

function get(port: number, p: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

/** A strict parser of the text exposition format; throws on a line it cannot read. */
export function parseExposition(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const labelRe = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/y;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (m) {
      if (m[1] === 'TYPE') {
        if (types.has(m[2]!)) throw new Error(`family declared twice: ${m[2]}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!)) throw new Error(`bad type: ${line}`);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`unparsable line: ${line}`);
    const labels: Record<string, string> = {};
    const inner = m[3] ?? '';
    let at = 0;
    while (at < inner.length) {
      labelRe.lastIndex = at;
      const lm = labelRe.exec(inner);
      if (!lm) throw new Error(`bad labels: ${line}`);
      labels[lm[1]!] = lm[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      at = labelRe.lastIndex;
      if (inner[at] === ',') at++;
    }
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    if (Number.isNaN(value) && m[4] !== 'NaN') throw new Error(`bad value: ${line}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, '');
    if (!types.has(m[1]!) && !types.has(family)) throw new Error(`sample without TYPE: ${line}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { types, samples };
}

t.test('exporter-compatible /metrics', async (t) => {
  const dir = tmpDir('admin-metrics');
  const httpPort = await freePort();
  const s = await startServer({ storeDir: dir, extra: [`--adminHttpPort=${httpPort}`], t, dir });
  const admin = new Admin({ namesrvAddr: s.nsAddr });
  let consumer: InstanceType<typeof PushConsumer> | null = null;
  t.teardown(async () => { await consumer?.shutdown().catch(() => undefined); await admin.close(); });
  const first = await get(httpPort, '/metrics').catch(() => ({ status: 0, type: '', body: '' }));
  if (first.status === 0) { t.comment('skipped: admin http not available (uWebSockets.js native binary missing)'); return; }
  t.equal(first.status, 200);
  t.match(first.type, /^text\/plain; version=0\.0\.4/);

  const topic = 'MetricsTopic';
  const group = 'MetricsGroup';
  await admin.createOrUpdateTopic({ topic, readQueueNums: 2, writeQueueNums: 2 }, { clusterName: 'DefaultCluster' });
  await waitFor(async () => (await admin.topicRoute(topic)) !== null, 20000, 'route');
  for (let i = 0; i < 10; i++) await admin.sendMessage({ topic, body: `m${i}`.padEnd(100, '.') });
  const seen: string[] = [];
  consumer = new PushConsumer({ groupName: group, namesrvAddr: s.nsAddr, instanceName: 'metrics-c', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  consumer.subscribe(topic, '*').onMessage((m) => { seen.push(m.body.toString()); });
  await consumer.start();
  await waitFor(() => seen.length >= 10, 20000, 'consumed');
  await consumer.persistConsumerOffset(true);
  await admin.createOrUpdateTopic({ topic: `%DLQ%${group}`, readQueueNums: 1, writeQueueNums: 1 }, { clusterName: 'DefaultCluster' });
  await waitFor(async () => (await admin.topicRoute(`%DLQ%${group}`)) !== null, 20000, 'DLQ route');
  for (let i = 0; i < 4; i++) await admin.sendMessage({ topic: `%DLQ%${group}`, body: 'dead' });

  let parsed = parseExposition((await get(httpPort, '/metrics')).body);
  const find = (name: string, where: Record<string, string> = {}) =>
    parsed.samples.filter((x) => x.name === name && Object.entries(where).every(([k, v]) => x.labels[k] === v));

  // Today's series stay.
  t.equal(find('rocketmq_messages_put_total')[0]!.value >= 10, true);
  t.equal(parsed.types.get('rocketmq_put_latency_seconds'), 'histogram');
  t.ok(find('rocketmq_queue_max_offset', { topic }).length === 2);

  // Exporter series: names, types (gauge), label names.
  const expectLabels: Record<string, string[]> = {
    rocketmq_producer_tps: ['cluster', 'broker', 'topic'],
    rocketmq_producer_message_size: ['cluster', 'broker', 'topic'],
    rocketmq_producer_offset: ['cluster', 'broker', 'topic'],
    rocketmq_consumer_tps: ['cluster', 'broker', 'topic', 'group'],
    rocketmq_consumer_message_size: ['cluster', 'broker', 'topic', 'group'],
    rocketmq_consumer_offset: ['cluster', 'broker', 'topic', 'group'],
    rocketmq_group_diff: ['group', 'topic', 'countOfOnlineConsumers', 'msgModel'],
    rocketmq_group_retrydiff: ['group', 'topic', 'countOfOnlineConsumers', 'msgModel'],
    rocketmq_group_dlqdiff: ['group', 'topic', 'countOfOnlineConsumers', 'msgModel'],
    rocketmq_group_count: ['caddr', 'localaddr', 'group'],
    rocketmq_broker_tps: ['cluster', 'brokerIP', 'broker'],
    rocketmq_broker_qps: ['cluster', 'brokerIP', 'broker'],
    rocketmq_brokeruntime_msg_put_total_today_now: ['cluster', 'brokerIP', 'brokerHost', 'des', 'boottime', 'broker_version'],
    rocketmq_brokeruntime_put_tps60: ['cluster', 'brokerIP', 'brokerHost', 'des', 'boottime', 'broker_version'],
    rocketmq_brokeruntime_commitlog_maxoffset: ['cluster', 'brokerIP', 'brokerHost', 'des', 'boottime', 'broker_version'],
    rocketmq_brokeruntime_pmdt_0to10ms: ['cluster', 'brokerIP', 'brokerHost', 'des', 'boottime', 'broker_version'],
  };
  for (const [name, labels] of Object.entries(expectLabels)) {
    t.equal(parsed.types.get(name), 'gauge', `${name} is a gauge`);
    const xs = find(name);
    t.ok(xs.length > 0, `${name} has samples`);
    t.same(Object.keys(xs[0]!.labels), labels, `${name} labels`);
  }
  t.equal(find('rocketmq_producer_offset', { topic })[0]!.value, 10);
  t.ok(find('rocketmq_producer_tps', { topic })[0]!.value > 0, 'put TPS over the last minute');
  t.ok(find('rocketmq_producer_message_size', { topic })[0]!.value > 0);
  t.ok(find('rocketmq_consumer_tps', { topic, group })[0]!.value > 0);
  t.equal(find('rocketmq_group_count', { group })[0]!.value, 1);
  t.equal(find('rocketmq_brokeruntime_msg_put_total_today_now')[0]!.labels.des, 'V4_9_8');
  t.ok(find('rocketmq_brokeruntime_msg_put_total_today_now')[0]!.value >= 10);

  // Lag: 5 more messages while the consumer is away show as rocketmq_group_diff = 5.
  await consumer.shutdown();
  consumer = null;
  for (let i = 0; i < 5; i++) await admin.sendMessage({ topic, body: `later ${i}` });
  await waitFor(async () => {
    parsed = parseExposition((await get(httpPort, '/metrics')).body);
    return find('rocketmq_group_diff', { group, topic })[0]?.value === 5;
  }, 10000, 'group diff 5');
  t.match(find('rocketmq_group_diff', { group, topic })[0]!.labels, { countOfOnlineConsumers: '0', msgModel: '1' });
  t.equal(find('rocketmq_group_dlqdiff', { group })[0]!.value, 4);
  t.equal(find('rocketmq_group_count', { group })[0]!.value, 0);

  // Every series the shipped Grafana dashboard queries is on the scrape.
  const dash = JSON.parse(fs.readFileSync(new URL('../docs/grafana/rocketmq-overview.json', import.meta.url), 'utf8'));
  const names = new Set<string>();
  for (const p of dash.panels) for (const q of p.targets) for (const m of String(q.expr).matchAll(/\b(rocketmq_[a-z0-9_]+)\b/g)) names.add(m[1]!);
  for (const v of dash.templating.list) for (const m of String(v.query.query).matchAll(/\b(rocketmq_[a-z0-9_]+)\b/g)) names.add(m[1]!);
  t.ok(names.size >= 10);
  for (const name of names) t.ok(parsed.types.has(name), `dashboard series ${name} is exported`);
});
