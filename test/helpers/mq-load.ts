// Load and read-back helpers for the process-level durability tests: a Producer keeping many sends in
// flight with self-checking bodies (sequence number + SHA-1), a signal sent to the server after N acks,
// and a raw-pull reader that checks every queue from offset 0.
import crypto from 'node:crypto';
import zlib from 'node:zlib';
import type { Test } from 'tap';
import { decodeMessages, type DecodedMessage } from '../../packages/remoting/dist/index.js';
import { Producer } from '../../packages/client/src/index.js';
import { sleep, type Admin, type MqServer } from './mq-process.js';
import { bounded } from './wait.js';

export const TOPICS = ['DurableA', 'DurableB'];
export const QUEUES = 4;
const IN_FLIGHT = 64;

export interface Ack { seq: number; topic: string; queueId: number; queueOffset: number; msgId: string }

export function makeBody(seq: number): string {
  const pad = crypto.randomBytes(20 + (seq % 200)).toString('hex');
  const head = `seq=${seq};pad=${pad}`;
  return `${head};sum=${crypto.createHash('sha1').update(head).digest('hex')}`;
}

/** The sequence number of an intact body, or -1. */
export function checkBody(body: Buffer): number {
  const m = /^(seq=(\d+);pad=[0-9a-f]+);sum=([0-9a-f]{40})$/.exec(body.toString('latin1'));
  if (!m || crypto.createHash('sha1').update(m[1]!).digest('hex') !== m[3]) return -1;
  return Number(m[2]);
}

const crc = (b: Buffer): number => (zlib.crc32(b) & 0x7fffffff) >>> 0;

/**
 * Keeps IN_FLIGHT sends going until the server process has exited; sends `signal` to it once
 * `killAfterAcks` sends were acknowledged. Returns every SEND_OK (some may come after the signal).
 */
export async function load(server: MqServer, killAfterAcks: number, group: string, signal: NodeJS.Signals = 'SIGKILL',
  beforeSignal?: () => Promise<void>, seqBase = 0): Promise<{ acks: Ack[]; failures: number; killedAt: number; afterSignal: number; signalAt: number }> {
  const producer = new Producer({ groupName: group, namesrvAddr: server.nsAddr, retryTimesWhenSendFailed: 0, sendMsgTimeoutMs: 5000, instanceName: `${group}-${process.pid}` });
  await producer.start();
  const acks: Ack[] = [];
  let failures = 0;
  let seq = seqBase;
  let killedAt = -1;
  let signalAt = 0;
  let gone = false;
  void server.exited.then(() => { gone = true; });
  const worker = async (): Promise<void> => {
    while (!gone) {
      const n = seq++;
      const topic = TOPICS[n % TOPICS.length]!;
      try {
        // Spread each topic over its queues (the producer's own round robin is one counter for all topics).
        const r = await producer.send({ topic, body: makeBody(n), keys: `k${n}` }, { selector: (qs) => qs[Math.floor(n / TOPICS.length) % qs.length]!, arg: n });
        if (r.status === 'SEND_OK') acks.push({ seq: n, topic, queueId: r.queue.queueId, queueOffset: r.queueOffset, msgId: r.msgId });
        else failures++;
      } catch {
        failures++;
        await sleep(20); // do not spin on a closed port
      }
      if (killedAt < 0 && acks.length >= killAfterAcks) {
        killedAt = acks.length;
        await beforeSignal?.(); // the other workers keep sending meanwhile
        signalAt = Date.now();
        server.proc.kill(signal);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await bounded(producer.shutdown().catch(() => undefined), 5000);
  return { acks, failures, killedAt, afterSignal: killedAt < 0 ? 0 : acks.length - killedAt, signalAt };
}

/** Every record of every queue, read with pulls from offset 0, checked as it is read. */
export async function readAll(t: Test, admin: Admin, server: MqServer): Promise<{ byKey: Map<string, DecodedMessage>; maxOffsets: Map<string, number>; problems: string[] }> {
  const byKey = new Map<string, DecodedMessage>();
  const maxOffsets = new Map<string, number>();
  const problems: string[] = [];
  for (const topic of TOPICS) {
    for (let q = 0; q < QUEUES; q++) {
      let offset = 0;
      let maxOffset = -1;
      for (let guard = 0; guard < 10000; guard++) {
        const r = await admin.pull(server, topic, q, offset, 32);
        const ext = r.extFields ?? {};
        maxOffset = Number(ext['maxOffset']);
        if (r.code === 19 || r.code === 20) { // PULL_NOT_FOUND / RETRY_IMMEDIATELY
          if (offset >= maxOffset) break;
          problems.push(`${topic}/${q}: pull at ${offset} < max ${maxOffset} answered ${r.code} ${r.remark}`);
          break;
        }
        if (r.code !== 0) { problems.push(`${topic}/${q}: pull at ${offset}: ${r.code} ${r.remark}`); break; }
        let msgs: DecodedMessage[];
        try {
          msgs = decodeMessages(r.bodyBuffer()!);
        } catch (e) {
          problems.push(`${topic}/${q}: undecodable pull body at ${offset}: ${(e as Error).message}`);
          break;
        }
        if (msgs.length === 0) { problems.push(`${topic}/${q}: FOUND with no records at ${offset}`); break; }
        for (const m of msgs) {
          if (m.queueOffset !== offset) problems.push(`${topic}/${q}: expected offset ${offset}, got ${m.queueOffset}`);
          if (m.topic !== topic || m.queueId !== q) problems.push(`${topic}/${q}@${m.queueOffset}: record of ${m.topic}/${m.queueId}`);
          if (m.bodyCRC !== crc(m.body)) problems.push(`${topic}/${q}@${m.queueOffset}: body CRC mismatch`);
          if (checkBody(m.body) < 0) problems.push(`${topic}/${q}@${m.queueOffset}: body checksum mismatch`);
          const key = `${topic}/${q}/${m.queueOffset}`;
          if (byKey.has(key)) problems.push(`${key} served twice`);
          byKey.set(key, m);
          offset = m.queueOffset + 1;
        }
        if (Number(ext['nextBeginOffset']) !== offset) problems.push(`${topic}/${q}: nextBeginOffset ${ext['nextBeginOffset']} != ${offset}`);
      }
      if (offset !== maxOffset) problems.push(`${topic}/${q}: read up to ${offset}, max offset ${maxOffset}`);
      maxOffsets.set(`${topic}/${q}`, maxOffset);
    }
  }
  t.comment(`read back ${byKey.size} records`);
  return { byKey, maxOffsets, problems };
}

