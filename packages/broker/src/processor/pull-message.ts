// PULL_MESSAGE (11). Checks as Apache's PullMessageProcessor does (broker/group/topic
// permissions, queue range, subscription from the request or from the group's heartbeat),
// filters by ConsumeQueue tags hash or SQL92 over the stored properties, maps the store's
// GetStatus to a response code, and holds an empty pull (sysFlag bit 1) in the long-polling
// service. The FOUND body is the store's records as one buffer (they are views of one), leased from the
// store's body pool and released by the connection once written; every reply carries nextBeginOffset,
// minOffset, maxOffset and suggestWhichBrokerId. A commit offset rides along with sysFlag bit 0.

import {
  RemotingCommand, RequestCode, ResponseCode as RC, decodePullMessageRequestHeader, encodePullMessageResponseHeader,
  type Channel, type PullMessageRequestHeader, type PullMessageResponseHeader, type Processor,
} from '@rmq/remoting';
import type { GetResult, GetStatus, MessageFilter } from '@rmq/store';
import type { BrokerContext } from '../broker-context.js';
import type { RequestFamily } from './request-family.js';
import { FAQ_URL, MASTER_ID, OFFSET_MOVED_EVENT, isReadable } from '../common/perm.js';
import { parseProperties } from '../common/properties.js';
import { recordProperties } from '../common/record.js';
import { SUB_ALL, buildSubscriptionData, isTagType, type SubscriptionData } from '../client/subscription-data.js';
import { compileSql92Cached } from '../filter/sql92.js';
import { bornHostOf } from './send-message.js';

const { PULL_MESSAGE } = RequestCode;

const FLAG_COMMIT_OFFSET = 0x1;
const FLAG_SUSPEND = 0x2;
const FLAG_SUBSCRIPTION = 0x4;
const FILTER_CACHE_MAX = 4096;

export function parsePullHeader(req: RemotingCommand): PullMessageRequestHeader {
  return decodePullMessageRequestHeader(req.extFields);
}

const MATCH_ALL: MessageFilter = { matchByConsumeQueue: () => true };

/** Tag filter: a ConsumeQueue entry matches when its tags hash is in the subscription's codeSet. */
export function tagFilter(sd: SubscriptionData): MessageFilter {
  if (sd.subString === SUB_ALL || sd.codeSet.length === 0) return MATCH_ALL;
  const codes = new Set(sd.codeSet);
  return { matchByConsumeQueue: (tagsCode: number) => codes.has(tagsCode) };
}

/** SQL92 filter: every ConsumeQueue entry is a candidate; the stored properties decide. */
export function sql92Filter(expression: string): MessageFilter {
  const compiled = compileSql92Cached(expression);
  return {
    matchByConsumeQueue: () => true,
    matchByCommitLog: (record: Buffer) => {
      try {
        return compiled.evaluate(parseProperties(recordProperties(record))) === true;
      } catch {
        return false;
      }
    },
  };
}

/** Apache's GetMessageStatus -> response code mapping for a pull. */
export function pullResponseCode(status: GetStatus, requestOffset: number): number {
  switch (status) {
    case 'FOUND': return RC.SUCCESS;
    case 'MESSAGE_WAS_REMOVING': return RC.PULL_RETRY_IMMEDIATELY;
    case 'NO_MATCHED_LOGIC_QUEUE':
    case 'NO_MESSAGE_IN_QUEUE':
      return requestOffset !== 0 ? RC.PULL_OFFSET_MOVED : RC.PULL_NOT_FOUND;
    case 'NO_MATCHED_MESSAGE': return RC.PULL_RETRY_IMMEDIATELY;
    case 'OFFSET_FOUND_NULL': return RC.PULL_NOT_FOUND;
    case 'OFFSET_OVERFLOW_BADLY': return RC.PULL_OFFSET_MOVED;
    case 'OFFSET_OVERFLOW_ONE': return RC.PULL_NOT_FOUND;
    case 'OFFSET_TOO_SMALL': return RC.PULL_OFFSET_MOVED;
    default: return RC.SYSTEM_ERROR;
  }
}

/**
 * The FOUND body: the store's records are views of one buffer per pull, in order, so the reply
 * writes that one buffer (one iovec, not one per message); anything else goes as the list.
 */
export function replyBody(r: GetResult): Buffer | Buffer[] {
  const b = r.buffers;
  if (b.length < 2) return b;
  const first = b[0]!;
  let end = first.byteOffset + first.length;
  for (let i = 1; i < b.length; i++) {
    const x = b[i]!;
    if (x.buffer !== first.buffer || x.byteOffset !== end) return b;
    end += x.length;
  }
  return Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset);
}

type FilterOrError = { filter: MessageFilter } | { code: number; remark: string };

export class PullMessageProcessor {
  /** expressionType + subString -> filter, for pulls that carry their subscription. */
  private readonly filterCache = new Map<string, FilterOrError>();

  constructor(private readonly ctx: BrokerContext) {}

  private offsets(h: { topic: string; queueId: number; queueOffset: number } | null): PullMessageResponseHeader {
    if (!h) return { suggestWhichBrokerId: MASTER_ID, nextBeginOffset: 0, minOffset: 0, maxOffset: 0 };
    let minOffset = 0;
    let maxOffset = 0;
    try {
      minOffset = this.ctx.store.getMinOffsetInQueue(h.topic, h.queueId);
      maxOffset = this.ctx.store.getMaxOffsetInQueue(h.topic, h.queueId);
    } catch { /* unknown queue */ }
    return { suggestWhichBrokerId: MASTER_ID, nextBeginOffset: h.queueOffset, minOffset, maxOffset };
  }

  private error(code: number, remark: string, h: PullMessageRequestHeader | null): RemotingCommand {
    return RemotingCommand.response(code, remark, encodePullMessageResponseHeader(this.offsets(h)));
  }

  private filterFor(expressionType: string, subString: string, build: () => SubscriptionData): FilterOrError {
    const key = expressionType + '\u0001' + subString;
    const cached = this.filterCache.get(key);
    if (cached) return cached;
    let result: FilterOrError;
    try {
      const sd = build();
      result = { filter: isTagType(sd.expressionType) ? tagFilter(sd) : sql92Filter(sd.subString) };
    } catch (e) {
      result = { code: RC.SUBSCRIPTION_PARSE_FAILED, remark: `parse the consumer's subscription failed: ${(e as Error).message}` };
    }
    if (this.filterCache.size >= FILTER_CACHE_MAX) this.filterCache.clear();
    this.filterCache.set(key, result);
    return result;
  }

  /** First run (allowSuspend) or a wake-up of a held pull (no suspend). */
  processRequest(req: RemotingCommand, ch: Channel, allowSuspend: boolean): RemotingCommand | null | Promise<RemotingCommand | null> {
    const ctx = this.ctx;
    const cfg = ctx.config;
    const h = parsePullHeader(req);
    if (allowSuspend) ctx.stats.pullRequests++;

    if (!isReadable(cfg.brokerPermission)) {
      return this.error(RC.NO_PERMISSION, `the broker[${cfg.brokerIP1}] pulling message is forbidden`, h);
    }
    const sgc = ctx.subscriptionGroupManager.findSubscriptionGroupConfig(h.consumerGroup);
    if (!sgc) {
      return this.error(RC.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group [${h.consumerGroup}] does not exist, ${FAQ_URL}`, h);
    }
    if (!sgc.consumeEnable) {
      return this.error(RC.NO_PERMISSION, `subscription group no permission, ${h.consumerGroup}`, h);
    }
    const hasSuspend = (h.sysFlag & FLAG_SUSPEND) !== 0;
    const hasCommitOffset = (h.sysFlag & FLAG_COMMIT_OFFSET) !== 0;
    const hasSubscription = (h.sysFlag & FLAG_SUBSCRIPTION) !== 0;

    const tc = ctx.topicConfigManager.selectTopicConfig(h.topic);
    if (!tc) {
      return this.error(RC.TOPIC_NOT_EXIST, `topic[${h.topic}] not exist, apply first please! ${FAQ_URL}`, null);
    }
    if (!isReadable(tc.perm)) {
      return this.error(RC.NO_PERMISSION, `the topic[${h.topic}] pulling message is forbidden`, null);
    }
    if (h.queueId < 0 || h.queueId >= tc.readQueueNums) {
      return this.error(RC.SYSTEM_ERROR,
        `queueId[${h.queueId}] is illegal, topic:[${h.topic}] topicConfig.readQueueNums:[${tc.readQueueNums}] consumer:[${ch.remoteAddress}]`, null);
    }

    let f: FilterOrError;
    let expressionType: string;
    if (hasSubscription) {
      expressionType = h.expressionType || 'TAG';
      const subString = h.subscription ?? SUB_ALL;
      f = this.filterFor(expressionType, subString, () => buildSubscriptionData(h.topic, subString, expressionType, h.subVersion));
    } else {
      const group = ctx.consumerManager.getConsumerGroupInfo(h.consumerGroup);
      if (!group) return this.error(RC.SUBSCRIPTION_NOT_EXIST, "the consumer's group info not exist", h);
      if (!sgc.consumeBroadcastEnable && group.messageModel === 'BROADCASTING') {
        return this.error(RC.NO_PERMISSION, `the consumer group[${h.consumerGroup}] can not consume by broadcast way`, h);
      }
      const sd = group.subscriptions.get(h.topic);
      if (!sd) return this.error(RC.SUBSCRIPTION_NOT_EXIST, "the consumer's subscription not exist", h);
      if (sd.subVersion < h.subVersion) return this.error(RC.SUBSCRIPTION_NOT_LATEST, "the consumer's subscription not latest", h);
      expressionType = sd.expressionType || 'TAG';
      f = this.filterFor(expressionType, sd.subString, () => sd);
    }
    if (!isTagType(expressionType) && !cfg.enablePropertyFilter) {
      return this.error(RC.SYSTEM_ERROR, `The broker does not support consumer to filter message by ${expressionType}`, h);
    }
    if ('code' in f) return this.error(f.code, f.remark, h);

    const maxNums = Math.min(Math.max(h.maxMsgNums, 1), cfg.maxTransferCountOnMessageInMemory);
    const r: GetResult = ctx.store.getMessage(h.consumerGroup, h.topic, h.queueId, h.queueOffset, maxNums,
      cfg.maxTransferBytesOnMessageInMemory, f.filter, true);
    let code = pullResponseCode(r.status, h.queueOffset);
    if (code === RC.PULL_OFFSET_MOVED) {
      if (cfg.brokerRole === 'SLAVE') code = RC.PULL_RETRY_IMMEDIATELY;
      else if (allowSuspend) this.offsetMovedEvent(h, r.nextBeginOffset, ch);
    }

    // Commit the consumer's offset on the first run only, as Apache does.
    if (allowSuspend && hasCommitOffset && cfg.brokerRole !== 'SLAVE') {
      ctx.consumerOffsetManager.commitOffset(h.consumerGroup, h.topic, h.queueId, h.commitOffset);
    }

    if (code === RC.PULL_NOT_FOUND && allowSuspend && hasSuspend) {
      const timeoutMillis = cfg.longPollingEnable ? h.suspendTimeoutMillis : cfg.shortPollingTimeMills;
      return this.suspend(req, ch, h, timeoutMillis) ?? this.reply(code, r, h);
    }
    return this.reply(code, r, h);
  }

  /** Apache records every offset correction as a message in OFFSET_MOVED_EVENT (tag = group). */
  private offsetMovedEvent(h: PullMessageRequestHeader, offsetNew: number, ch: Channel): void {
    const event = {
      consumerGroup: h.consumerGroup,
      messageQueue: { brokerName: this.ctx.config.brokerName, queueId: h.queueId, topic: h.topic },
      offsetNew, offsetRequest: h.queueOffset,
    };
    this.ctx.store.putMessage({
      topic: OFFSET_MOVED_EVENT, queueId: 0, flag: 0, body: Buffer.from(JSON.stringify(event)),
      properties: `TAGS\u0001${h.consumerGroup}\u0002CLUSTER\u0001${this.ctx.config.brokerClusterName}`, sysFlag: 0,
      bornTimestamp: Date.now(), bornHost: bornHostOf(ch), reconsumeTimes: 0, preparedTransactionOffset: 0,
    }).catch((e: Error) => this.ctx.logger.warn(`offset moved event not stored: ${e.message}`));
  }

  private reply(code: number, r: GetResult, h: { topic: string; consumerGroup: string; queueId?: number }): RemotingCommand {
    const ha = this.ctx.ha;
    const ext = encodePullMessageResponseHeader({
      suggestWhichBrokerId: ha && this.ctx.config.slaveReadEnable ? ha.suggestBrokerId(code === RC.SUCCESS && h.queueId !== undefined
        ? this.ctx.store.getCommitLogOffsetInQueue(h.topic, h.queueId, r.nextBeginOffset - 1) : -1,
      this.ctx.subscriptionGroupManager.findSubscriptionGroupConfig(h.consumerGroup)) : MASTER_ID, nextBeginOffset: r.nextBeginOffset, minOffset: r.minOffset, maxOffset: r.maxOffset,
    });
    if (code === RC.SUCCESS) {
      this.ctx.stats.getMessages += r.messageCount;
      this.ctx.stats.getBytes += r.bufferTotalSize;
      this.ctx.stats.groupGetNums.add(`${h.topic}@${h.consumerGroup}`, r.messageCount);
      const resp = RemotingCommand.response(code, r.status, ext, replyBody(r));
      // the body's pooled memory goes back when the connection has written it
      resp.bodyLease = r.lease ?? null;
      return resp;
    }
    r.lease?.release();
    return RemotingCommand.response(code, r.status, ext);
  }

  /** Parks the pull; resolves with the reply of the re-run when woken. null when the bound is hit. */
  private suspend(req: RemotingCommand, ch: Channel, h: PullMessageRequestHeader, timeoutMillis: number): Promise<RemotingCommand | null> | null {
    const hold = this.ctx.pullRequestHoldService;
    let resolve!: (c: RemotingCommand | null) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<RemotingCommand | null>((res, rej) => { resolve = res; reject = rej; });
    const ok = hold.suspend({
      topic: h.topic,
      queueId: h.queueId,
      pullFromThisOffset: h.queueOffset,
      suspendTimestamp: Date.now(),
      timeoutMillis,
      isDead: () => ch.closed,
      cancel: () => resolve(null),
      wake: () => {
        this.ctx.stats.pullWakeups++;
        try {
          Promise.resolve(this.processRequest(req, ch, false)).then(resolve, reject);
        } catch (e) {
          reject(e);
        }
      },
    });
    if (!ok) return null;
    this.ctx.stats.pullSuspended++;
    return promise;
  }
}

export function requests(ctx: BrokerContext): RequestFamily {
  const p = new PullMessageProcessor(ctx);
  return new Map<number, Processor>([
    [PULL_MESSAGE, (req, ch) => p.processRequest(req, ch, true)],
  ]);
}
