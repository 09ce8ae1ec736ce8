// Runtime figures: GET_BROKER_RUNTIME_INFO (28), VIEW_BROKER_STATS_DATA (315), from ctx.runtimeSampler and
// the store.
import { statfsSync } from 'node:fs';
import { ResponseCode, decodeStoredRecord } from '@rmq/remoting';
import type { BrokerContext } from '../../broker-context.js';
import { reqStr } from '../../common/header.js';
import { BROKER_VERSION, BROKER_VERSION_DESC, Handler, fail, javaDouble, json, ok } from './common.js';

// ---------------------------------------------------------------- 28: runtime info

export function humanBytes(n: number): string {
  // MixAll.humanReadableByteCount(bytes, si=false)
  if (n < 1024) return `${n} B`;
  const exp = Math.min(6, Math.floor(Math.log(n) / Math.log(1024)));
  return `${(n / 1024 ** exp).toFixed(1)} ${'KMGTPE'[exp - 1]}iB`;
}

export function runtimeText(uptimeMs: number): string {
  const s = Math.floor(uptimeMs / 1000);
  return `[ ${Math.floor(s / 86400)} days, ${Math.floor((s % 86400) / 3600)} hours, ${Math.floor((s % 3600) / 60)} minutes, ${s % 60} seconds ]`;
}

export function diskInfo(path: string): { ratio: string; capacity: string } | null {
  try {
    const st = statfsSync(path);
    const total = st.blocks * st.bsize;
    const free = st.bavail * st.bsize;
    if (total <= 0) return null;
    return {
      ratio: String(Math.round(((total - free) / total) * 100) / 100),
      capacity: `Total : ${humanBytes(total)}, Free : ${humanBytes(free)}.`,
    };
  } catch {
    return null;
  }
}

/** The GET_BROKER_RUNTIME_INFO table: Apache's key set, filled from our stats and store. */
export function brokerRuntimeInfo(ctx: BrokerContext): Record<string, string> {
  const sampler = ctx.runtimeSampler;
  const st = ctx.stats;
  const store = ctx.store;
  const tps3 = (w: 'put' | 'get'): string => `${sampler.tps(w, 10_000)} ${sampler.tps(w, 60_000)} ${sampler.tps(w, 600_000)}`;
  const root = ctx.storeConfig.storePathRootDir;
  const commitLogPath = ctx.storeConfig.storePathCommitLog ?? `${root}/commitlog`;
  const disk = diskInfo(root);
  const info: Record<string, string> = {
    brokerVersionDesc: BROKER_VERSION_DESC,
    brokerVersion: String(BROKER_VERSION),
    bootTimestamp: String(ctx.bootTimestamp),
    runtime: runtimeText(Date.now() - ctx.bootTimestamp),
    msgPutTotalYesterdayMorning: String(sampler.putYesterdayMorning),
    msgPutTotalTodayMorning: String(sampler.putTodayMorning),
    msgPutTotalTodayNow: String(st.putMessages),
    msgGetTotalYesterdayMorning: String(sampler.getYesterdayMorning),
    msgGetTotalTodayMorning: String(sampler.getTodayMorning),
    msgGetTotalTodayNow: String(st.getMessages),
    putMessageTimesTotal: String(st.putMessages),
    putMessageSizeTotal: String(st.putBytes),
    putMessageAverageSize: st.putMessages > 0 ? (st.putBytes / st.putMessages).toFixed(2) : '0.0',
    putMessageFailedTimes: String(st.sendRejected),
    putTps: tps3('put'),
    getTotalTps: tps3('get'),
    getTransferedTps: tps3('get'),
    getFoundTps: tps3('get'),
    getMissTps: '0.0 0.0 0.0',
    sendThreadPoolQueueSize: '0', sendThreadPoolQueueCapacity: '10000', sendThreadPoolQueueHeadWaitTimeMills: '0',
    pullThreadPoolQueueSize: '0', pullThreadPoolQueueCapacity: '100000', pullThreadPoolQueueHeadWaitTimeMills: '0',
    queryThreadPoolQueueSize: '0', queryThreadPoolQueueCapacity: '20000', queryThreadPoolQueueHeadWaitTimeMills: '0',
    EndTransactionQueueSize: '0', EndTransactionThreadPoolQueueCapacity: '100000',
    dispatchBehindBytes: String(store.dispatchBehindBytes()),
    pageCacheLockTimeMills: '0',
    commitLogMinOffset: String(store.getMinPhyOffset()),
    commitLogMaxOffset: String(store.getMaxPhyOffset()),
    earliestMessageTimeStamp: String(earliestMessageTime(ctx)),
    startAcceptSendRequestTimeStamp: '0',
    remainTransientStoreBufferNumbs: '2147483647',
    remainHowManyDataToFlush: '0 B',
    dispatchMaxBuffer: '0',
    getMessageEntireTimeMax: '0',
    putMessageEntireTimeMax: '0',
    putLatency99: '0.00',
    putLatency999: '0.00',
    putMessageDistributeTime: '[<=0ms]:0 [0~10ms]:0 [10~50ms]:0 [50~100ms]:0 [100~200ms]:0 [200~500ms]:0 [500ms~1s]:0 [1~2s]:0 [2~3s]:0 [3~4s]:0 [4~5s]:0 [5~10s]:0 [10s~]:0 ',
  };
  const delayOffsets = (ctx.scheduleMessageService as { offsetTable?: Map<number, number> }).offsetTable;
  for (const [level, offset] of delayOffsets ?? []) {
    info[`scheduleMessageOffset_${level}`] = `${offset},${store.getMaxOffsetInQueue('SCHEDULE_TOPIC_XXXX', level - 1)}`;
  }
  if (disk) {
    info.commitLogDiskRatio = disk.ratio;
    info[`commitLogDiskRatio_${commitLogPath}`] = disk.ratio;
    info.consumeQueueDiskRatio = disk.ratio;
    info.commitLogDirCapacity = disk.capacity;
  }
  return { ...info, ...safeStoreRuntimeInfo(ctx) };
}

/** Store time of the first record in the commit log, -1 when there is none (clusterList's hours). */
export function earliestMessageTime(ctx: BrokerContext): number {
  try {
    const rec = ctx.store.lookMessageByOffset(ctx.store.getMinPhyOffset());
    if (!rec) return -1;
    return decodeStoredRecord(rec).storeTimestamp;
  } catch {
    return -1;
  }
}

export function safeStoreRuntimeInfo(ctx: BrokerContext): Record<string, string> {
  try {
    return { ...ctx.store.runtimeInfo(), ...ctx.ha?.runtimeInfo() }; // ha/: replication fields
  } catch (e) {
    ctx.logger.warn(`store runtime info failed: ${(e as Error).message}`);
    return {};
  }
}

export const getBrokerRuntimeInfo: Handler = (ctx) => ok(json({ table: brokerRuntimeInfo(ctx) }));

// ---------------------------------------------------------------- 315

/** Broker-wide counters this broker keeps, keyed by cluster name. */
export const BROKER_STATS: Record<string, 'put' | 'get'> = { BROKER_PUT_NUMS: 'put', BROKER_GET_NUMS: 'get' };

export type StatsWindow = { sum: number; times: number; ms?: number };

export function statsItemJson({ sum, times, ms }: StatsWindow, windowMs: number): string {
  const span = ms ?? windowMs;
  const tps = span > 0 ? (sum * 1000) / span : 0;
  const avgpt = times > 0 ? sum / times : 0;
  return `{"avgpt":${javaDouble(avgpt)},"sum":${sum},"tps":${javaDouble(tps)}}`;
}

export function brokerStatsDataText(item: (windowMs: number) => StatsWindow): string {
  return `{"statsDay":${statsItemJson(item(86_400_000), 86_400_000)},"statsHour":${statsItemJson(item(3_600_000), 3_600_000)},`
    + `"statsMinute":${statsItemJson(item(60_000), 60_000)}}`;
}

/**
 * VIEW_BROKER_STATS_DATA (statsAll, brokerConsumeStats): BrokerStatsData for TOPIC_PUT_NUMS <topic>,
 * GROUP_GET_NUMS <topic>@<group>, BROKER_PUT_NUMS / BROKER_GET_NUMS <cluster>. A key never counted is
 * SYSTEM_ERROR "The stats <name> <key> not exist", as Apache answers (statsAll skips it).
 */
export const viewBrokerStatsData: Handler = (ctx, req) => {
  const name = reqStr(req.extFields, 'statsName');
  const key = reqStr(req.extFields, 'statsKey');
  const notExist = () => fail(ResponseCode.SYSTEM_ERROR, `The stats <${name}> <${key}> not exist`);
  const keyed = name === 'TOPIC_PUT_NUMS' ? ctx.stats.topicPutNums : name === 'GROUP_GET_NUMS' ? ctx.stats.groupGetNums : null;
  if (keyed) {
    if (!keyed.has(key)) return notExist();
    const now = Date.now();
    return ok(Buffer.from(brokerStatsDataText((w) => keyed.window(key, w, now)!), 'utf8'));
  }
  const which = BROKER_STATS[name];
  const sampler = ctx.runtimeSampler;
  if (!which || key !== ctx.config.brokerClusterName || !sampler) return notExist();
  return ok(Buffer.from(brokerStatsDataText((w) => {
    const x = sampler.window(which, w);
    return { sum: x.sum, times: 0, ms: x.ms };
  }), 'utf8'));
};
