// The series apache/rocketmq-exporter publishes, with its names, label names and types (all
// gauges, as its collector declares them), computed by the broker for itself, so dashboards
// built for the exporter (Grafana 10477 and ours in docs/grafana/) work on a scrape of /metrics.
// The exporter reads the same inputs over the admin protocol: VIEW_BROKER_STATS_DATA minute TPS,
// GET_CONSUME_STATS diffs, consumer connections and GET_BROKER_RUNTIME_INFO.
import type { Exposition } from './metrics.js';
import type { BrokerInfoView, ExporterView } from './context.js';
import { PUT_LATENCY_BOUNDS_MS, type HistogramSnapshot } from './histogram.js';

/** MessageModel.ordinal() as the exporter writes the msgModel label. */
const MSG_MODEL_ORDINAL: Record<string, string> = { BROADCASTING: '0', CLUSTERING: '1' };

function num(s: string | undefined): number {
  const v = Number.parseFloat(s ?? '');
  return Number.isFinite(v) ? v : 0;
}

/** "a b c" (10 s, 1 min, 10 min TPS) as GET_BROKER_RUNTIME_INFO writes putTps and friends. */
function tps3(s: string | undefined): [number, number, number] {
  const p = (s ?? '').trim().split(/\s+/).map(num);
  return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0];
}

/** "Total : 49.1 GiB, Free : 20.3 GiB." -> bytes. */
function capacity(s: string | undefined): { total: number; free: number } | null {
  const m = /Total : ([\d.]+) (\w+), Free : ([\d.]+) (\w+)/.exec(s ?? '');
  if (!m) return null;
  const unit = (u: string) => 1024 ** Math.max(0, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'].indexOf(u));
  return { total: Number(m[1]) * unit(m[2]!), free: Number(m[3]) * unit(m[4]!) };
}

/** "[<=0ms]:0 [0~10ms]:3 ..." -> bucket -> count. */
function distribution(s: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of (s ?? '').matchAll(/\[([^\]]+)\]:(\d+)/g)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** Latency percentile (ms) from the put histogram: the upper bound of the bucket holding it. */
function percentileMs(h: HistogramSnapshot | undefined, p: number): number {
  if (!h || h.count === 0) return 0;
  const rank = Math.ceil(h.count * p);
  let seen = 0;
  for (let i = 0; i < h.counts.length; i++) {
    seen += h.counts[i] ?? 0;
    if (seen >= rank) return i < h.boundsMs.length ? h.boundsMs[i]! : (PUT_LATENCY_BOUNDS_MS.at(-1)! * 2);
  }
  return 0;
}

const PMDT: Array<[string, string]> = [
  ['0ms', '<=0ms'], ['0to10ms', '0~10ms'], ['10to50ms', '10~50ms'], ['50to100ms', '50~100ms'], ['100to200ms', '100~200ms'],
  ['200to500ms', '200~500ms'], ['500to1s', '500ms~1s'], ['1to2s', '1~2s'], ['2to3s', '2~3s'], ['3to4s', '3~4s'], ['4to5s', '4~5s'],
  ['5to10s', '5~10s'], ['10stomore', '10s~'],
];

export function renderExporterSeries(x: Exposition, info: BrokerInfoView, v: ExporterView): void {
  const cluster = info.brokerClusterName;
  const broker = info.brokerName;
  const brokerIP = info.brokerAddr;
  const rt = v.runtime;
  const g = (name: string, help: string) => x.family(name, 'gauge', help);

  // Broker put/get rates (BrokerPutNums / BrokerGetNums).
  const [put10, put60, put600] = tps3(rt['putTps']);
  const [get10, get60, get600] = tps3(rt['getTotalTps']);
  g('rocketmq_broker_tps', 'BrokerPutNums').sample('rocketmq_broker_tps', put60, { cluster, brokerIP, broker });
  g('rocketmq_broker_qps', 'BrokerGetNums').sample('rocketmq_broker_qps', get60, { cluster, brokerIP, broker });

  // Topics.
  g('rocketmq_producer_tps', 'TopicPutNums');
  for (const t of v.topics) x.sample('rocketmq_producer_tps', t.putTps, { cluster, broker, topic: t.topic });
  g('rocketmq_producer_message_size', 'TopicPutMessageSize');
  for (const t of v.topics) x.sample('rocketmq_producer_message_size', t.putSizeTps, { cluster, broker, topic: t.topic });
  g('rocketmq_producer_offset', 'TopicOffset');
  for (const t of v.topics) x.sample('rocketmq_producer_offset', t.maxOffset, { cluster, broker, topic: t.topic });

  // Consumer groups per topic.
  g('rocketmq_consumer_tps', 'GroupGetNums');
  for (const r of v.groups) x.sample('rocketmq_consumer_tps', r.getTps, { cluster, broker, topic: r.topic, group: r.group });
  g('rocketmq_consumer_message_size', 'GroupGetMessageSize');
  for (const r of v.groups) x.sample('rocketmq_consumer_message_size', r.getSizeTps, { cluster, broker, topic: r.topic, group: r.group });
  g('rocketmq_consumer_offset', 'GroupBrokerTotalOffset');
  for (const r of v.groups) x.sample('rocketmq_consumer_offset', r.consumerOffset, { cluster, broker, topic: r.topic, group: r.group });
  g('rocketmq_group_consume_total_offset', 'GroupConsumeTotalOffset');
  for (const r of v.groups) x.sample('rocketmq_group_consume_total_offset', r.consumerOffset, { cluster, broker, topic: r.topic, group: r.group });
  const diffLabels = (r: ExporterView['groups'][number], topic: string) => ({
    group: r.group, topic, countOfOnlineConsumers: String(r.online), msgModel: MSG_MODEL_ORDINAL[r.messageModel] ?? '1',
  });
  g('rocketmq_group_diff', 'GroupDiff');
  for (const r of v.groups) x.sample('rocketmq_group_diff', r.diff, diffLabels(r, r.topic));
  g('rocketmq_group_retrydiff', 'GroupRetryDiff');
  for (const r of v.groups) x.sample('rocketmq_group_retrydiff', r.retryDiff, diffLabels(r, `%RETRY%${r.group}`));
  g('rocketmq_group_dlqdiff', 'GroupDLQDiff');
  for (const r of v.groups) x.sample('rocketmq_group_dlqdiff', r.dlqDiff, diffLabels(r, `%DLQ%${r.group}`));
  g('rocketmq_group_count', 'GroupCount');
  for (const c of v.connections) x.sample('rocketmq_group_count', c.count, { caddr: c.caddr, localaddr: c.localaddr, group: c.group });

  // Broker runtime (GET_BROKER_RUNTIME_INFO), labels as the exporter's BrokerRuntimeMetric.
  const labels = { cluster, brokerIP, brokerHost: '', des: rt['brokerVersionDesc'] ?? info.version, boottime: rt['bootTimestamp'] ?? String(info.startTimeMs), broker_version: rt['brokerVersion'] ?? '' };
  const b = (suffix: string, help: string, value: number) => {
    const name = `rocketmq_brokeruntime_${suffix}`;
    g(name, help).sample(name, value, labels);
  };
  for (const [suffix, bucket] of PMDT) b(`pmdt_${suffix}`, `PutMessageDistributeTimeMap${bucket}`, distribution(rt['putMessageDistributeTime']).get(bucket) ?? 0);
  b('msg_put_total_today_now', 'brokerRuntimeMsgPutTotalTodayNow', num(rt['msgPutTotalTodayNow']));
  b('msg_gettotal_today_now', 'brokerRuntimeMsgGetTotalTodayNow', num(rt['msgGetTotalTodayNow']));
  b('msg_gettotal_yesterdaymorning', 'brokerRuntimeMsgGetTotalYesterdayMorning', num(rt['msgGetTotalYesterdayMorning']));
  b('msg_puttotal_yesterdaymorning', 'brokerRuntimeMsgPutTotalYesterdayMorning', num(rt['msgPutTotalYesterdayMorning']));
  b('msg_gettotal_todaymorning', 'brokerRuntimeMsgGetTotalTodayMorning', num(rt['msgGetTotalTodayMorning']));
  b('msg_puttotal_todaymorning', 'brokerRuntimeMsgPutTotalTodayMorning', num(rt['msgPutTotalTodayMorning']));
  b('dispatch_behind_bytes', 'brokerRuntimeDispatchBehindBytes', num(rt['dispatchBehindBytes']));
  b('put_message_size_total', 'brokerRuntimePutMessageSizeTotal', num(rt['putMessageSizeTotal']));
  b('put_message_average_size', 'brokerRuntimePutMessageAverageSize', num(rt['putMessageAverageSize']));
  b('putmessage_times_total', 'brokerRuntimePutMessageTimesTotal', num(rt['putMessageTimesTotal']));
  b('earliest_message_timestamp', 'brokerRuntimeEarliestMessageTimeStamp', num(rt['earliestMessageTimeStamp']));
  b('commitlog_disk_ratio', 'brokerRuntimeCommitLogDiskRatio', num(rt['commitLogDiskRatio']));
  b('consumequeue_disk_ratio', 'brokerRuntimeConsumeQueueDiskRatio', num(rt['consumeQueueDiskRatio']));
  const [f10, f60, f600] = tps3(rt['getFoundTps']);
  const [t10, t60, t600] = tps3(rt['getTransferedTps']);
  const [m10, m60, m600] = tps3(rt['getMissTps']);
  b('getfound_tps600', 'brokerRuntimeGetFoundTps600', f600); b('getfound_tps60', 'brokerRuntimeGetFoundTps60', f60); b('getfound_tps10', 'brokerRuntimeGetFoundTps10', f10);
  b('gettotal_tps600', 'brokerRuntimeGetTotalTps600', get600); b('gettotal_tps60', 'brokerRuntimeGetTotalTps60', get60); b('gettotal_tps10', 'brokerRuntimeGetTotalTps10', get10);
  b('gettransfered_tps600', 'brokerRuntimeGetTransferedTps600', t600); b('gettransfered_tps60', 'brokerRuntimeGetTransferedTps60', t60); b('gettransfered_tps10', 'brokerRuntimeGetTransferedTps10', t10);
  b('getmiss_tps600', 'brokerRuntimeGetMissTps600', m600); b('getmiss_tps60', 'brokerRuntimeGetMissTps60', m60); b('getmiss_tps10', 'brokerRuntimeGetMissTps10', m10);
  b('put_tps600', 'brokerRuntimePutTps600', put600); b('put_tps60', 'brokerRuntimePutTps60', put60); b('put_tps10', 'brokerRuntimePutTps10', put10);
  b('put_latency_99', 'brokerRuntimePutLatency99', percentileMs(v.putLatency, 0.99));
  b('put_latency_999', 'brokerRuntimePutLatency999', percentileMs(v.putLatency, 0.999));
  b('commitlog_maxoffset', 'brokerRuntimeCommitLogMaxOffset', num(rt['commitLogMaxOffset']));
  b('commitlog_minoffset', 'brokerRuntimeCommitLogMinOffset', num(rt['commitLogMinOffset']));
  const cap = capacity(rt['commitLogDirCapacity']);
  if (cap) {
    b('commitlogdir_capacity_free', 'brokerRuntimeCommitLogDirCapacityFree', cap.free);
    b('commitlogdir_capacity_total', 'brokerRuntimeCommitLogDirCapacityTotal', cap.total);
  }
  b('send_threadpool_queue_size', 'brokerRuntimeSendThreadPoolQueueSize', num(rt['sendThreadPoolQueueSize']));
  b('send_threadpoolqueue_capacity', 'brokerRuntimeSendThreadPoolQueueCapacity', num(rt['sendThreadPoolQueueCapacity']));
  b('pull_threadpoolqueue_size', 'brokerRuntimePullThreadPoolQueueSize', num(rt['pullThreadPoolQueueSize']));
  b('pull_threadpoolqueue_capacity', 'brokerRuntimePullThreadPoolQueueCapacity', num(rt['pullThreadPoolQueueCapacity']));
  b('query_threadpoolqueue_size', 'brokerRuntimeQueryThreadPoolQueueSize', num(rt['queryThreadPoolQueueSize']));
  b('query_threadpool_queue_capacity', 'brokerRuntimeQueryThreadPoolQueueCapacity', num(rt['queryThreadPoolQueueCapacity']));
  b('pagecache_lock_time_mills', 'brokerRuntimePageCacheLockTimeMills', num(rt['pageCacheLockTimeMills']));
  b('dispatch_maxbuffer', 'brokerRuntimeDispatchMaxBuffer', num(rt['dispatchMaxBuffer']));
  b('remain_howmanydata_toflush', 'brokerRuntimeRemainHowManyDataToFlush', num(rt['remainHowManyDataToFlush']));
  b('start_accept_sendrequest_time', 'brokerRuntimeStartAcceptSendRequestTimeStamp', num(rt['startAcceptSendRequestTimeStamp']));
}
