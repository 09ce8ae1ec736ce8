// Offsets: QUERY_CONSUMER_OFFSET (14), UPDATE_CONSUMER_OFFSET (15), QUERY_BROKER_OFFSET (13),
// SEARCH_OFFSET_BY_TIMESTAMP (29), GET_MAX_OFFSET (30), GET_MIN_OFFSET (31),
// GET_EARLIEST_MSG_STORETIME (32).

import { totalmem } from 'node:os';
import {
  RemotingCommand, RequestCode, ResponseCode as RC, decodeQueryConsumerOffsetRequestHeader, decodeQueueOffsetRequestHeader,
  decodeSearchOffsetRequestHeader, decodeUpdateConsumerOffsetRequestHeader, encodeEarliestMsgStoretimeResponseHeader,
  encodeOffsetResponseHeader, type Processor,
} from '@rmq/remoting';
import type { BrokerContext } from '../broker-context.js';
import type { RequestFamily } from './request-family.js';

/** Apache's accessMessageInMemoryMaxRatio (40) of the machine's memory: commit-log bytes "in memory". */
const IN_MEMORY_RATIO = 0.4;

export class ConsumerManageProcessor {
  /** Commit-log bytes behind the write position that count as in memory (tests lower it). */
  inMemoryBytes = Math.floor(totalmem() * IN_MEMORY_RATIO);

  constructor(private readonly ctx: BrokerContext) {}

  /** Apache's checkInDiskByConsumeOffset: the record at cqOffset is further back than memory holds. */
  private inDisk(topic: string, queueId: number, cqOffset: number): boolean {
    const store = this.ctx.store;
    if (store.getMaxOffsetInQueue(topic, queueId) <= cqOffset) return false;
    const phy = store.getCommitLogOffsetInQueue(topic, queueId, cqOffset);
    return store.getMaxPhyOffset() - phy > this.inMemoryBytes;
  }

  /**
   * The committed offset; for a group without one, 0 when the queue still starts at offset 0 and
   * message 0 is still "in memory" (Apache's rule: a new group then reads the queue from the start),
   * else QUERY_NOT_FOUND (the Java consumer then applies consumeFromWhere).
   */
  queryConsumerOffset(req: RemotingCommand): RemotingCommand {
    const { consumerGroup: group, topic, queueId } = decodeQueryConsumerOffsetRequestHeader(req.extFields);
    const offset = this.ctx.consumerOffsetManager.queryOffset(group, topic, queueId);
    if (offset >= 0) return offsetReply(offset);
    const minOffset = this.ctx.store.getMinOffsetInQueue(topic, queueId);
    if (minOffset <= 0 && !this.inDisk(topic, queueId, 0)) return offsetReply(0);
    return RemotingCommand.response(RC.QUERY_NOT_FOUND, 'Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first');
  }

  /** ali-ons sends -1 for an in-memory offset of 0 (`offset || -1`): -1 means "no offset". */
  updateConsumerOffset(req: RemotingCommand): RemotingCommand {
    const { consumerGroup: group, topic, queueId, commitOffset } = decodeUpdateConsumerOffsetRequestHeader(req.extFields);
    if (commitOffset >= 0) this.ctx.consumerOffsetManager.commitOffset(group, topic, queueId, commitOffset);
    return RemotingCommand.response(RC.SUCCESS, null, {});
  }

  queryBrokerOffset(): RemotingCommand {
    return offsetReply(this.ctx.store.getMaxPhyOffset());
  }

  searchOffsetByTimestamp(req: RemotingCommand): RemotingCommand {
    const { topic, queueId, timestamp } = decodeSearchOffsetRequestHeader(req.extFields);
    return offsetReply(this.ctx.store.getOffsetInQueueByTime(topic, queueId, timestamp));
  }

  getMaxOffset(req: RemotingCommand): RemotingCommand {
    const { topic, queueId } = decodeQueueOffsetRequestHeader(req.extFields);
    return offsetReply(this.ctx.store.getMaxOffsetInQueue(topic, queueId));
  }

  getMinOffset(req: RemotingCommand): RemotingCommand {
    const { topic, queueId } = decodeQueueOffsetRequestHeader(req.extFields);
    return offsetReply(this.ctx.store.getMinOffsetInQueue(topic, queueId));
  }

  getEarliestMsgStoretime(req: RemotingCommand): RemotingCommand {
    const { topic, queueId } = decodeQueueOffsetRequestHeader(req.extFields);
    const timestamp = this.ctx.store.getEarliestMessageTime(topic, queueId);
    return RemotingCommand.response(RC.SUCCESS, null, encodeEarliestMsgStoretimeResponseHeader({ timestamp }));
  }
}

function offsetReply(offset: number): RemotingCommand {
  return RemotingCommand.response(RC.SUCCESS, null, encodeOffsetResponseHeader({ offset }));
}

export function requests(ctx: BrokerContext): RequestFamily {
  const p = new ConsumerManageProcessor(ctx);
  return new Map<number, Processor>([
    [RequestCode.QUERY_CONSUMER_OFFSET, (req) => p.queryConsumerOffset(req)],
    [RequestCode.UPDATE_CONSUMER_OFFSET, (req) => p.updateConsumerOffset(req)],
    [RequestCode.QUERY_BROKER_OFFSET, () => p.queryBrokerOffset()],
    [RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, (req) => p.searchOffsetByTimestamp(req)],
    [RequestCode.GET_MAX_OFFSET, (req) => p.getMaxOffset(req)],
    [RequestCode.GET_MIN_OFFSET, (req) => p.getMinOffset(req)],
    [RequestCode.GET_EARLIEST_MSG_STORETIME, (req) => p.getEarliestMsgStoretime(req)],
  ]);
}
