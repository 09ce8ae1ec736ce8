// Transactional messages. A prepared send is stored as a "half" message in
// RMQ_SYS_TRANS_HALF_TOPIC (queue 0) with its destination in REAL_TOPIC/REAL_QID, invisible to
// consumers. END_TRANSACTION commits it (re-put to the real topic) or rolls it back; either way an
// op record (body = the half queue offset, tag "d") goes to RMQ_SYS_TRANS_OP_HALF_TOPIC so the
// resolution survives a restart. Half messages unresolved after transactionTimeOut are checked
// back with a producer of their group (CHECK_TRANSACTION_STATE, 39, oneway) up to
// transactionCheckMax times, every transactionCheckInterval.

import { MessageSysFlag, RemotingCommand, RequestCode, type Logger } from '@rmq/remoting';
import { SysFlag, encodeRecord, recordSize, type MessageStore } from '@rmq/store';
import type { BrokerConfig } from '../config.js';
import type { TopicConfigManager } from '../topic/topic-config-manager.js';
import type { ConsumerOffsetManager } from '../offset/consumer-offset-manager.js';
import type { ProducerManager } from '../client/producer-manager.js';
import { PERM_READ, PERM_WRITE, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC } from '../common/perm.js';
import { PROP_PGROUP, PROP_REAL_QID, PROP_REAL_TOPIC, PROP_UNIQ_KEY, getProperty, putProperty } from '../common/properties.js';
import { decodeRecord, type StoredMessage } from '../common/record.js';

const { CHECK_TRANSACTION_STATE } = RequestCode;
export const {
  TRANSACTION_NOT_TYPE, TRANSACTION_PREPARED_TYPE, TRANSACTION_COMMIT_TYPE, TRANSACTION_ROLLBACK_TYPE,
} = MessageSysFlag;
const CHECK_GROUP = 'CID_SYS_RMQ_TRANS';
const PROP_CHECK_TIMES = 'TRANSACTION_CHECK_TIMES';
const OP_TAG = 'd';
const SCAN_BATCH = 32;

export class TransactionalMessageService {
  /** Half queue offsets already committed or rolled back. */
  private readonly resolved = new Set<number>();
  private readonly checkTimes = new Map<number, number>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(
    private readonly config: BrokerConfig,
    private readonly store: MessageStore,
    private readonly topics: TopicConfigManager,
    private readonly offsets: ConsumerOffsetManager,
    private readonly producers: ProducerManager,
    private readonly storeHost: { ip: string; port: number },
    private readonly logger: Logger,
  ) {}

  /** Rebuilds the resolved set from the op topic and starts the check-back timer. */
  start(): void {
    let offset = 0;
    for (;;) {
      const r = this.store.getMessage(CHECK_GROUP, TRANS_OP_HALF_TOPIC, 0, offset, SCAN_BATCH, 1 << 20, null);
      if (r.status !== 'FOUND') break;
      for (const b of r.buffers) {
        const n = Number(decodeRecord(b).body.toString());
        if (Number.isSafeInteger(n)) this.resolved.add(n);
      }
      offset = r.nextBeginOffset;
    }
    this.timer = setInterval(() => void this.check(), Math.max(1000, this.config.transactionCheckInterval));
    this.timer.unref();
  }

  shutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The half-message form of a prepared send. */
  stageHalf(topic: string, queueId: number, properties: string, sysFlag: number): { topic: string; queueId: number; properties: string; sysFlag: number } {
    this.topics.createTopicInSendMessageBackMethod(TRANS_HALF_TOPIC, 1, PERM_READ | PERM_WRITE, 0);
    let props = putProperty(properties, PROP_REAL_TOPIC, topic);
    props = putProperty(props, PROP_REAL_QID, String(queueId));
    return { topic: TRANS_HALF_TOPIC, queueId: 0, properties: props, sysFlag: (sysFlag & ~TRANSACTION_ROLLBACK_TYPE) | TRANSACTION_NOT_TYPE };
  }

  /** Offsets below the check progress are all resolved (and pruned from the set). */
  isResolved(halfQueueOffset: number): boolean {
    return halfQueueOffset < this.offsets.queryOffset(CHECK_GROUP, TRANS_HALF_TOPIC, 0) || this.resolved.has(halfQueueOffset);
  }

  private prune(): void {
    const progress = this.offsets.queryOffset(CHECK_GROUP, TRANS_HALF_TOPIC, 0);
    for (const off of this.resolved) if (off < progress) this.resolved.delete(off);
    for (const off of this.checkTimes.keys()) if (off < progress) this.checkTimes.delete(off);
  }

  /** Records a commit or rollback (op message) so neither happens twice nor is checked back. */
  async markResolved(half: StoredMessage): Promise<void> {
    if (this.isResolved(half.queueOffset)) return;
    this.resolved.add(half.queueOffset);
    this.checkTimes.delete(half.queueOffset);
    this.topics.createTopicInSendMessageBackMethod(TRANS_OP_HALF_TOPIC, 1, PERM_READ | PERM_WRITE, 0);
    const r = await this.store.putMessage({
      topic: TRANS_OP_HALF_TOPIC, queueId: 0, flag: 0, body: Buffer.from(String(half.queueOffset)),
      properties: `TAGS\u0001${OP_TAG}\u0002WAIT\u0001false`, sysFlag: 0, bornTimestamp: Date.now(),
      bornHost: { ip: this.storeHost.ip, port: this.storeHost.port }, reconsumeTimes: 0, preparedTransactionOffset: 0,
    });
    if (r.status !== 'PUT_OK') this.logger.warn(`transaction op record for half offset ${half.queueOffset}: ${r.status}`);
  }

  /** One scan of the half queue: check back what is old enough, advance past what is resolved. */
  async check(now = Date.now()): Promise<number> {
    if (this.checking) return 0;
    this.checking = true;
    let checked = 0;
    try {
      let offset = Math.max(0, this.offsets.queryOffset(CHECK_GROUP, TRANS_HALF_TOPIC, 0));
      let contiguous = true;
      for (;;) {
        const r = this.store.getMessage(CHECK_GROUP, TRANS_HALF_TOPIC, 0, offset, SCAN_BATCH, 1 << 20, null);
        if (r.status === 'OFFSET_TOO_SMALL' || r.status === 'OFFSET_OVERFLOW_BADLY') { offset = r.nextBeginOffset; continue; }
        if (r.status !== 'FOUND') break;
        let stop = false;
        // Decode (and copy bodies) before any await: the buffers are views over the page cache.
        const halves = r.buffers.map((b) => {
          const m = decodeRecord(b);
          return { ...m, body: Buffer.from(m.body) };
        });
        for (const half of halves) {
          if (this.resolved.has(half.queueOffset)) {
            if (contiguous) this.offsets.commitOffset(CHECK_GROUP, TRANS_HALF_TOPIC, 0, half.queueOffset + 1);
            continue;
          }
          if (now - half.storeTimestamp < this.config.transactionTimeOut) { stop = true; break; }
          contiguous = false;
          const times = (this.checkTimes.get(half.queueOffset) ?? 0) + 1;
          if (times > this.config.transactionCheckMax) {
            this.logger.warn(`half message ${half.queueOffset} checked ${times - 1} times: discarded`);
            await this.markResolved(half);
            continue;
          }
          if (this.sendCheck(half, times)) {
            this.checkTimes.set(half.queueOffset, times);
            checked++;
          }
        }
        if (stop) break;
        offset = r.nextBeginOffset;
      }
      this.prune();
    } catch (e) {
      this.logger.error(`transaction check failed: ${(e as Error).message}`);
    } finally {
      this.checking = false;
    }
    return checked;
  }

  /** CHECK_TRANSACTION_STATE to a producer of the half message's group; the body is the message. */
  private sendCheck(half: StoredMessage, times: number): boolean {
    const group = getProperty(half.properties, PROP_PGROUP);
    const ch = group ? this.producers.getAvailableChannel(group) : undefined;
    if (!ch) return false;
    const uniq = getProperty(half.properties, PROP_UNIQ_KEY) ?? half.offsetMsgId;
    const realTopic = getProperty(half.properties, PROP_REAL_TOPIC) ?? half.topic;
    const realQid = Number(getProperty(half.properties, PROP_REAL_QID) ?? 0);
    const body = encodeForCheck(half, realTopic, realQid, putProperty(half.properties, PROP_CHECK_TIMES, String(times)));
    const cmd = RemotingCommand.request(CHECK_TRANSACTION_STATE, {
      commitLogOffset: half.commitLogOffset, msgId: uniq, tranStateTableOffset: half.queueOffset,
      offsetMsgId: half.offsetMsgId, transactionId: uniq,
    }, body);
    cmd.markOneway();
    try {
      ch.invokeOneway(cmd);
      return true;
    } catch (e) {
      this.logger.warn(`check back to ${ch.remoteAddress} failed: ${(e as Error).message}`);
      return false;
    }
  }
}

/** The half message as a V1 record addressed to its real topic/queue (check-back body; IPv6 hosts as 127.0.0.1, CRC 0). */
function encodeForCheck(m: StoredMessage, topic: string, queueId: number, properties: string): Buffer {
  const topicBytes = Buffer.from(topic);
  const propertiesLength = Buffer.byteLength(properties);
  const sysFlag = m.sysFlag & ~(SysFlag.BORNHOST_V6 | SysFlag.STOREHOST_V6);
  const size = recordSize(sysFlag, m.body.length, topicBytes.length, propertiesLength);
  const b = Buffer.alloc(size);
  encodeRecord(b, 0, size, {
    topicBytes, queueId, flag: m.flag, body: m.body, properties, propertiesLength, sysFlag, bornTimestamp: m.bornTimestamp,
    bornHost: ipv4(m.bornHost), reconsumeTimes: m.reconsumeTimes, preparedTransactionOffset: m.preparedTransactionOffset, bodyCRC: 0,
  }, m.queueOffset, m.commitLogOffset, m.storeTimestamp, ipv4(m.storeHost));
  return b;
}

function ipv4(host: { ip: string; port: number }): { ip: string; port: number } {
  return host.ip.includes(':') ? { ip: '127.0.0.1', port: host.port } : host;
}
