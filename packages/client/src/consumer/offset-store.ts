// Consumer offsets: kept on the broker for clustering (QUERY/UPDATE_CONSUMER_OFFSET, persisted
// every 5 s), in a local JSON file for broadcasting (every instance reads every message).
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import os from 'node:os';
import type { MessageQueue } from '../message.js';
import { mqKey } from '../message.js';
import type { MQClientInstance } from '../instance/mq-client-instance.js';
import { MQBrokerError } from '../errors.js';
import type { ClientLogger } from '../logger.js';
import { createClientLogger } from '../logger.js';

export type ReadOffsetType = 'MEMORY' | 'STORE' | 'MEMORY_FIRST_THEN_STORE';

export interface OffsetStore {
  load(): Promise<void>;
  updateOffset(mq: MessageQueue, offset: number, increaseOnly: boolean): void;
  /** -1 when unknown. */
  readOffset(mq: MessageQueue, type: ReadOffsetType): Promise<number>;
  persistAll(mqs: MessageQueue[]): Promise<void>;
  persist(mq: MessageQueue): Promise<void>;
  removeOffset(mq: MessageQueue): void;
  /** Writes the offset to the store at once (lite pull commitSync, reset). */
  updateConsumeOffsetToBroker?(mq: MessageQueue, offset: number): Promise<void>;
  entries(topic?: string): Array<{ mq: MessageQueue; offset: number }>;
}

abstract class MemoryOffsets {
  protected readonly table = new Map<string, { mq: MessageQueue; offset: number }>();

  /** The entry last updated, by MessageQueue object identity: consecutive updates mostly hit one queue. */
  private lastMq: MessageQueue | null = null;
  private lastEntry: { mq: MessageQueue; offset: number } | null = null;

  updateOffset(mq: MessageQueue, offset: number, increaseOnly: boolean): void {
    let cur = mq === this.lastMq ? this.lastEntry : null;
    if (cur === null || cur.mq.topic !== mq.topic || cur.mq.brokerName !== mq.brokerName || cur.mq.queueId !== mq.queueId) {
      const k = mqKey(mq);
      cur = this.table.get(k) ?? null;
      if (cur === null) { cur = { mq, offset }; this.table.set(k, cur); }
      else if (!increaseOnly || offset > cur.offset) cur.offset = offset;
      this.lastMq = mq;
      this.lastEntry = cur;
      return;
    }
    if (!increaseOnly || offset > cur.offset) cur.offset = offset;
  }

  protected memory(mq: MessageQueue): number | undefined {
    return this.table.get(mqKey(mq))?.offset;
  }

  removeOffset(mq: MessageQueue): void {
    this.table.delete(mqKey(mq));
    this.lastMq = null;
    this.lastEntry = null;
  }

  entries(topic?: string): Array<{ mq: MessageQueue; offset: number }> {
    return [...this.table.values()].filter((e) => topic === undefined || e.mq.topic === topic).map((e) => ({ ...e }));
  }
}

export class RemoteBrokerOffsetStore extends MemoryOffsets implements OffsetStore {
  constructor(private readonly instance: MQClientInstance, private readonly group: string) {
    super();
  }

  async load(): Promise<void> {}

  private async brokerAddr(mq: MessageQueue): Promise<string> {
    let found = this.instance.findBrokerAddressInSubscribe(mq.brokerName, 0, true) ?? this.instance.findBrokerAddressInSubscribe(mq.brokerName, 0, false);
    if (!found) {
      await this.instance.updateTopicRouteInfoFromNameServer(mq.topic);
      found = this.instance.findBrokerAddressInSubscribe(mq.brokerName, 0, false);
    }
    if (!found) throw new Error(`The broker[${mq.brokerName}] not exist`);
    return found.addr;
  }

  async readOffset(mq: MessageQueue, type: ReadOffsetType): Promise<number> {
    if (type !== 'STORE') {
      const m = this.memory(mq);
      if (m !== undefined || type === 'MEMORY') return m ?? -1;
    }
    try {
      const addr = await this.brokerAddr(mq);
      const off = await this.instance.api.queryConsumerOffset(addr, mq, this.group, this.instance.apiTimeoutMs);
      if (off >= 0) this.updateOffset(mq, off, false);
      return off;
    } catch (e) {
      if (e instanceof MQBrokerError) return -1; // the broker has no offset for this group
      this.instance.log.warn(`query offset of ${mqKey(mq)}: ${(e as Error).message}`);
      return -2; // the store could not be asked: callers must not start from a guessed offset
    }
  }

  async persist(mq: MessageQueue): Promise<void> {
    const off = this.memory(mq);
    if (off === undefined) return;
    await this.instance.api.updateConsumerOffsetOneway(await this.brokerAddr(mq), mq, this.group, off);
  }

  async persistAll(mqs: MessageQueue[]): Promise<void> {
    const keep = new Set(mqs.map(mqKey));
    await Promise.all([...this.table.entries()].map(async ([k, e]) => {
      if (!keep.has(k)) return;
      await this.persist(e.mq).catch((err) => this.instance.log.warn(`persist offset ${k}: ${(err as Error).message}`));
    }));
  }

  async updateConsumeOffsetToBroker(mq: MessageQueue, offset: number): Promise<void> {
    this.updateOffset(mq, offset, false);
    await this.instance.api.updateConsumerOffset(await this.brokerAddr(mq), mq, this.group, offset, this.instance.apiTimeoutMs);
  }
}

/** Broadcasting offsets, in <dir>/<clientId>/<group>/offsets.json (written atomically). */
export class LocalFileOffsetStore extends MemoryOffsets implements OffsetStore {
  readonly file: string;
  private readonly log: ClientLogger;
  /** Set after a failed load or write was logged; cleared by the next success (one line per outage). */
  private failing = false;

  constructor(clientId: string, group: string, dir = process.env['RMQ_CLIENT_OFFSET_DIR'] ?? path.join(os.homedir(), '.rocketmq_offsets'), log?: ClientLogger) {
    super();
    this.file = path.join(dir, clientId.replace(/[^A-Za-z0-9@._-]/g, '_'), group, 'offsets.json');
    this.log = log ?? createClientLogger(`offsets ${group}`);
  }

  private failed(what: string, e: unknown): void {
    if (!this.failing) this.log.warn(`${what} ${this.file} failed: ${(e as Error).message}`);
    this.failing = true;
  }

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return;
    }
    const data = JSON.parse(text) as { offsetTable?: Array<{ topic: string; brokerName: string; queueId: number; offset: number }> };
    for (const e of data.offsetTable ?? []) this.updateOffset({ topic: e.topic, brokerName: e.brokerName, queueId: e.queueId }, e.offset, false);
  }

  async readOffset(mq: MessageQueue, type: ReadOffsetType): Promise<number> {
    if (type === 'STORE') await this.load().catch((e) => this.failed('load offsets', e));
    return this.memory(mq) ?? -1;
  }

  async persist(_mq: MessageQueue): Promise<void> {
    await this.write();
  }

  async persistAll(_mqs: MessageQueue[]): Promise<void> {
    await this.write();
  }

  private writing: Promise<void> = Promise.resolve();

  /** Writes are chained: each one snapshots the table when its turn comes. */
  private write(): Promise<void> {
    const next = this.writing.then(async () => {
      if (this.table.size === 0) return;
      const offsetTable = [...this.table.values()].map((e) => ({ ...e.mq, offset: e.offset }));
      await mkdir(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      await writeFile(tmp, JSON.stringify({ offsetTable }, null, 1));
      await rename(tmp, this.file);
      this.failing = false;
    });
    // the chain goes on after a failure; the failure itself is logged once and still rejects `next`
    this.writing = next.catch((e) => this.failed('write offsets', e));
    return next;
  }

  async updateConsumeOffsetToBroker(mq: MessageQueue, offset: number): Promise<void> {
    this.updateOffset(mq, offset, false);
    await this.write();
  }
}
