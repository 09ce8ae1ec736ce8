// Prometheus text exposition (format 0.0.4) of the broker's counters and gauges. Per-queue series
// are bounded so a broker with many topics cannot make a scrape unbounded.

import type { AdminHttpContext, BrokerStatsView, TopicView } from './context.js';
import { renderExporterSeries } from './exporter-metrics.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
/** At most this many per-queue offset series (each of min and max) per scrape. */
export const QUEUE_SERIES_MAX = 4096;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class Exposition {
  private readonly lines: string[] = [];
  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }
  sample(name: string, value: number, labels?: Record<string, string>): this {
    const l = labels ? Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',') : '';
    this.lines.push(`${name}${l ? `{${l}}` : ''} ${num(value)}`);
    return this;
  }
  /** A family of one sample (no sample when value is undefined: the source does not report it). */
  single(name: string, type: 'counter' | 'gauge', help: string, value: number | undefined, labels?: Record<string, string>): this {
    return value === undefined ? this : this.family(name, type, help).sample(name, value, labels);
  }
  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

function renderStats(x: Exposition, s: BrokerStatsView, base: Record<string, string>): void {
  x.single('rocketmq_messages_put_total', 'counter', 'Messages stored by this broker.', s.messagesPutTotal, base)
    .single('rocketmq_messages_got_total', 'counter', 'Messages returned to pulls by this broker.', s.messagesGotTotal, base)
    .single('rocketmq_message_bytes_put_total', 'counter', 'Message bytes stored.', s.bytesPutTotal, base)
    .single('rocketmq_message_bytes_got_total', 'counter', 'Message bytes returned to pulls.', s.bytesGotTotal, base);
  if (s.replication !== undefined) {
    const r = s.replication;
    const l = { ...base, role: r.role };
    x.single('rocketmq_replication_lag_bytes', 'gauge', 'Commit log bytes the slave is behind (master: the most up-to-date slave).', r.bytes, l)
      .single('rocketmq_replication_lag_ms', 'gauge', 'Milliseconds since the slave was last caught up.', r.ms, l)
      .single('rocketmq_replication_slaves', 'gauge', 'Slaves connected to this master.', r.slaves, l);
  }
  if (s.putLatency !== undefined) {
    const h = s.putLatency;
    const name = 'rocketmq_put_latency_seconds';
    x.family(name, 'histogram', 'Time from put to stored with the configured durability.');
    let cumulative = 0;
    h.boundsMs.forEach((b, i) => {
      cumulative += h.counts[i] ?? 0;
      x.sample(`${name}_bucket`, cumulative, { ...base, le: String(b / 1000) });
    });
    cumulative += h.counts[h.boundsMs.length] ?? 0;
    x.sample(`${name}_bucket`, cumulative, { ...base, le: '+Inf' });
    x.sample(`${name}_sum`, h.sumMs / 1000, base).sample(`${name}_count`, h.count, base);
  }
  x.single('rocketmq_commitlog_min_offset_bytes', 'gauge', 'Smallest commit log offset still on disk.', s.commitLogMinOffset, base)
    .single('rocketmq_commitlog_max_offset_bytes', 'gauge', 'Commit log write position.', s.commitLogMaxOffset, base)
    .single('rocketmq_dispatch_behind_bytes', 'gauge', 'Commit log bytes not yet dispatched to consume queues and index.', s.dispatchBehindBytes, base)
    .single('rocketmq_page_cache_bytes', 'gauge', 'Bytes of commit log pages held in memory.', s.pageCacheBytes, base)
    .single('rocketmq_connections', 'gauge', 'Open client connections to the broker port.', s.connections, base);
}

function renderQueues(x: Exposition, topics: TopicView[], base: Record<string, string>): void {
  const rows: Array<{ topic: string; queueId: number; min: number; max: number }> = [];
  for (const t of topics) {
    for (const q of t.queues ?? []) {
      if (rows.length >= QUEUE_SERIES_MAX) break;
      rows.push({ topic: t.topic, queueId: q.queueId, min: q.minOffset, max: q.maxOffset });
    }
  }
  x.single('rocketmq_topics', 'gauge', 'Topics configured on this broker.', topics.length, base);
  x.family('rocketmq_queue_max_offset', 'gauge', 'Next consume queue offset (messages) per queue.');
  for (const r of rows) x.sample('rocketmq_queue_max_offset', r.max, { ...base, topic: r.topic, queue_id: String(r.queueId) });
  x.family('rocketmq_queue_min_offset', 'gauge', 'Smallest consume queue offset still readable per queue.');
  for (const r of rows) x.sample('rocketmq_queue_min_offset', r.min, { ...base, topic: r.topic, queue_id: String(r.queueId) });
}

export function renderMetrics(ctx: AdminHttpContext): string {
  const info = ctx.brokerInfo();
  const base = { cluster: info.brokerClusterName, broker: info.brokerName };
  const x = new Exposition();
  x.single('rocketmq_broker_info', 'gauge', 'Broker identity (always 1).', 1,
    { ...base, broker_id: String(info.brokerId), role: info.brokerRole, version: info.version })
    .single('rocketmq_broker_uptime_seconds', 'gauge', 'Seconds since the broker started.', Math.max(0, (Date.now() - info.startTimeMs) / 1000), base);
  renderStats(x, ctx.stats(), base);
  renderQueues(x, ctx.topics(), base);
  const groups = ctx.groups();
  x.family('rocketmq_consumer_group_online_clients', 'gauge', 'Online client instances per consumer group.');
  for (const g of groups) x.sample('rocketmq_consumer_group_online_clients', g.online, { ...base, group: g.group });
  x.family('rocketmq_consumer_group_diff_messages', 'gauge', 'Messages not yet consumed per consumer group.');
  for (const g of groups) {
    if (g.diffTotal !== undefined) x.sample('rocketmq_consumer_group_diff_messages', g.diffTotal, { ...base, group: g.group });
  }
  if (ctx.exporter) renderExporterSeries(x, info, ctx.exporter());
  const mem = process.memoryUsage();
  x.single('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.', mem.rss)
    .single('nodejs_heap_used_bytes', 'gauge', 'V8 heap in use.', mem.heapUsed);
  return x.text();
}
