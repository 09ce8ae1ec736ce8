// What the rocketmq-exporter-compatible series need from one broker: per-topic put rates, per
// group-and-topic get rates, offsets and diffs (main, retry and DLQ topics), online consumers, and
// the GET_BROKER_RUNTIME_INFO table the exporter itself reads. Built on each scrape from the
// broker's managers; bounded by the number of topics and groups the broker has.
import type { BrokerContext } from '../broker-context.js';
import { brokerRuntimeInfo } from '../processor/admin/runtime.js';
import type { ExporterView, ExporterGroupTopic } from './context.js';

const MINUTE = 60_000;
/** At most this many group x topic rows per scrape (each is ~10 series). */
export const EXPORTER_GROUP_ROWS_MAX = 2048;

function queueSums(ctx: BrokerContext, group: string, topic: string): { broker: number; consumer: number; diff: number } | null {
  const tc = ctx.topicConfigManager.selectTopicConfig(topic);
  if (!tc) return null;
  const offsets = ctx.consumerOffsetManager.queryOffsets(group, topic);
  let broker = 0, consumer = 0, diff = 0;
  for (let q = 0; q < tc.readQueueNums; q++) {
    const max = Math.max(0, ctx.store.getMaxOffsetInQueue(topic, q));
    const off = Math.max(0, offsets.get(q) ?? 0);
    broker += max;
    consumer += off;
    diff += Math.max(0, max - off);
  }
  return { broker, consumer, diff };
}

export function buildExporterView(ctx: BrokerContext): ExporterView {
  const st = ctx.stats;
  const avgSize = st.putMessages > 0 ? st.putBytes / st.putMessages : 0;
  const avgGetSize = st.getMessages > 0 ? st.getBytes / st.getMessages : 0;
  const topics: ExporterView['topics'] = [];
  for (const tc of ctx.topicConfigManager.table.values()) {
    const w = st.topicPutNums.window(tc.topicName, MINUTE);
    let maxOffsetSum = 0;
    for (let q = 0; q < tc.writeQueueNums; q++) maxOffsetSum += Math.max(0, ctx.store.getMaxOffsetInQueue(tc.topicName, q));
    const putTps = w ? w.sum / 60 : 0;
    topics.push({ topic: tc.topicName, putTps, putSizeTps: putTps * avgSize, maxOffset: maxOffsetSum });
  }
  const groups: ExporterGroupTopic[] = [];
  const connections: ExporterView['connections'] = [];
  for (const group of ctx.subscriptionGroupManager.table.keys()) {
    const online = ctx.consumerManager.getConsumerGroupInfo(group);
    const channels = online ? [...online.channels.values()] : [];
    connections.push({
      group, count: channels.length,
      caddr: channels.map((c) => c.channel.remoteAddress).join(','),
      localaddr: channels.map((c) => c.clientId.split('@')[0]).join(','),
    });
    const topicSet = new Set<string>(online ? online.subscriptions.keys() : []);
    for (const t of ctx.consumerOffsetManager.whichTopicByConsumer(group)) topicSet.add(t);
    for (const topic of topicSet) {
      if (topic.startsWith('%RETRY%') || topic.startsWith('%DLQ%')) continue;
      if (groups.length >= EXPORTER_GROUP_ROWS_MAX) break;
      const main = queueSums(ctx, group, topic);
      if (!main) continue;
      const retry = queueSums(ctx, group, `%RETRY%${group}`);
      const dlqTopic = `%DLQ%${group}`;
      const dlqTc = ctx.topicConfigManager.selectTopicConfig(dlqTopic);
      let dlq = 0;
      if (dlqTc) for (let q = 0; q < dlqTc.readQueueNums; q++) dlq += Math.max(0, ctx.store.getMaxOffsetInQueue(dlqTopic, q));
      const w = st.groupGetNums.window(`${topic}@${group}`, MINUTE);
      const getTps = w ? w.sum / 60 : 0;
      groups.push({
        group, topic, online: channels.length, messageModel: online?.messageModel ?? 'CLUSTERING',
        getTps, getSizeTps: getTps * avgGetSize, brokerOffset: main.broker, consumerOffset: main.consumer, diff: main.diff,
        retryDiff: retry?.diff ?? 0, dlqDiff: dlq,
      });
    }
  }
  return { topics, groups, connections, runtime: brokerRuntimeInfo(ctx), putLatency: st.putLatency.snapshot() };
}
