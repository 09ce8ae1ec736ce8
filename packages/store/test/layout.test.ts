// The Apache byte layout: a record built by hand from the documented V1 layout equals what the store
// writes; a store directory laid out as Apache RocketMQ 4.9 writes it opens and serves its records.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { bodyCrc, decodeRecord, indexKeyHash, javaHashCode, MessageStore } from '../src/index.js';
import { msg, props, quietLogger, smallConfig, tmpDir, waitFor } from './helpers.js';

/** TOTALSIZE .. PROPERTIES, written field by field from the protocol document. */
function handRecord(o: { queueId: number; flag: number; queueOffset: number; phy: number; sysFlag: number; born: number;
  storeTs: number; reconsume: number; prepared: number; body: Buffer; topic: string; properties: string }): Buffer {
  const topic = Buffer.from(o.topic);
  const p = Buffer.from(o.properties);
  const size = 91 + o.body.length + topic.length + p.length;
  const b = Buffer.alloc(size);
  let i = 0;
  b.writeInt32BE(size, i); i += 4;
  b.writeUInt32BE(0xdaa320a7, i); i += 4;
  b.writeInt32BE((crc32(o.body) & 0x7fffffff) | 0, i); i += 4;
  b.writeInt32BE(o.queueId, i); i += 4;
  b.writeInt32BE(o.flag, i); i += 4;
  b.writeBigInt64BE(BigInt(o.queueOffset), i); i += 8;
  b.writeBigInt64BE(BigInt(o.phy), i); i += 8;
  b.writeInt32BE(o.sysFlag, i); i += 4;
  b.writeBigInt64BE(BigInt(o.born), i); i += 8;
  b.set([10, 0, 0, 7], i); i += 4; b.writeInt32BE(54321, i); i += 4;           // born host
  b.writeBigInt64BE(BigInt(o.storeTs), i); i += 8;
  b.set([127, 0, 0, 1], i); i += 4; b.writeInt32BE(10911, i); i += 4;           // store host
  b.writeInt32BE(o.reconsume, i); i += 4;
  b.writeBigInt64BE(BigInt(o.prepared), i); i += 8;
  b.writeInt32BE(o.body.length, i); i += 4; o.body.copy(b, i); i += o.body.length;
  b.writeInt8(topic.length, i); i += 1; topic.copy(b, i); i += topic.length;
  b.writeInt16BE(p.length, i); i += 2; p.copy(b, i); i += p.length;
  if (i !== size) throw new Error('hand layout size');
  return b;
}

t.test('body CRC is CRC32 & 0x7FFFFFFF', async (t) => {
  t.equal(bodyCrc(Buffer.from('123456789')), 0x4bf43926);
  t.equal(javaHashCode('TagA'), 2598919);
  t.equal(javaHashCode('polygenelubricants'), -2147483648);
  t.equal(indexKeyHash('polygenelubricants'), 0);
});

t.test('stored bytes equal the hand-built record', async (t) => {
  const store = await MessageStore.open(smallConfig(tmpDir('lay')), quietLogger);
  t.teardown(() => store.shutdown());
  await store.putMessage(msg('Pad', 0, 'padding'));
  const m = msg('LayoutTopic', 1, 'the body', { TAGS: 'T1', KEYS: 'a b' }, { flag: 3, reconsumeTimes: 2, preparedTransactionOffset: 5 });
  const r = await store.putMessage(m);
  await waitFor(() => store.getMaxOffsetInQueue('LayoutTopic', 1) === 1);
  const stored = store.getMessage('g', 'LayoutTopic', 1, 0, 1, 1 << 20).buffers[0];
  const hand = handRecord({ queueId: 1, flag: 3, queueOffset: 0, phy: r.wroteOffset, sysFlag: 0, born: 1700000000000,
    storeTs: r.storeTimestamp, reconsume: 2, prepared: 5, body: m.body, topic: 'LayoutTopic', properties: m.properties });
  t.same([...stored], [...hand]);
  t.equal(r.wroteBytes, 91 + 8 + 11 + Buffer.byteLength(m.properties));
});

t.test('blank record at the end of a file, next file named by its offset', async (t) => {
  const root = tmpDir('blank');
  const store = await MessageStore.open(smallConfig(root), quietLogger);
  const body = Buffer.alloc(1000, 1);
  let last = 0;
  for (let i = 0; i < 70; i++) last = (await store.putMessage(msg('R', 0, body))).wroteOffset;
  t.ok(last >= 65536, 'rolled to the second file');
  t.equal(last % 65536 === 0 || last > 65536, true);
  await store.shutdown();
  const files = fs.readdirSync(path.join(root, 'commitlog')).sort();
  t.same(files.slice(0, 2), ['00000000000000000000', '00000000000000065536']);
  const first = fs.readFileSync(path.join(root, 'commitlog', files[0]));
  t.equal(first.length, 65536);
  // walk the records to the blank
  let pos = 0;
  while (first.readUInt32BE(pos + 4) === 0xdaa320a7) pos += first.readInt32BE(pos);
  t.equal(first.readUInt32BE(pos + 4), 0xcbd43194, 'blank magic');
  t.equal(first.readInt32BE(pos), 65536 - pos, 'blank size covers the rest of the file');
  t.ok(65536 - pos < 1000 + 91 + 1 + 8 + 8, 'only when the next record does not fit');
});

t.test('a store directory laid out by Apache RocketMQ opens and serves its records', async (t) => {
  const root = tmpDir('apache');
  const fileSize = 64 * 1024;
  fs.mkdirSync(path.join(root, 'commitlog'), { recursive: true });
  const cl = Buffer.alloc(fileSize);
  const recs: Buffer[] = [];
  let phy = 0;
  for (let i = 0; i < 3; i++) {
    const r = handRecord({ queueId: 0, flag: 0, queueOffset: i, phy, sysFlag: 0, born: 1700000000000 + i,
      storeTs: 1700000001000 + i, reconsume: 0, prepared: 0, body: Buffer.from(`apache-${i}`), topic: 'ApacheTopic',
      properties: props({ TAGS: 'TagA', UNIQ_KEY: `UNIQ${i}`, KEYS: `key${i}` }) });
    r.copy(cl, phy);
    recs.push(r);
    phy += r.length;
  }
  fs.writeFileSync(path.join(root, 'commitlog', '00000000000000000000'), cl);
  // ConsumeQueue written by the broker for the first two records only (the third is rebuilt)
  const cqDir = path.join(root, 'consumequeue', 'ApacheTopic', '0');
  fs.mkdirSync(cqDir, { recursive: true });
  const cq = Buffer.alloc(100 * 20);
  let p = 0;
  for (let i = 0; i < 2; i++) {
    cq.writeBigInt64BE(BigInt(p), i * 20); cq.writeInt32BE(recs[i].length, i * 20 + 8); cq.writeBigInt64BE(BigInt(javaHashCode('TagA')), i * 20 + 12);
    p += recs[i].length;
  }
  fs.writeFileSync(path.join(cqDir, '00000000000000000000'), cq);
  // Apache checkpoint: three timestamps in a 4 KiB file
  const cp = Buffer.alloc(4096);
  cp.writeBigInt64BE(1700000001002n, 0); cp.writeBigInt64BE(1700000001001n, 8); cp.writeBigInt64BE(1700000001001n, 16);
  fs.writeFileSync(path.join(root, 'checkpoint'), cp);
  fs.writeFileSync(path.join(root, 'abort'), '');

  const store = await MessageStore.open(smallConfig(root), quietLogger);
  t.teardown(() => store.shutdown());
  t.equal(store.getMaxOffsetInQueue('ApacheTopic', 0), 3);
  t.equal(store.getMaxPhyOffset(), phy);
  const g = store.getMessage('g', 'ApacheTopic', 0, 0, 32, 1 << 20);
  t.equal(g.status, 'FOUND');
  t.equal(g.messageCount, 3);
  g.buffers.forEach((b, i) => t.same([...b], [...recs[i]], `record ${i} served byte for byte`));
  t.equal(decodeRecord(store.queryMessage('ApacheTopic', 'key2', 4, 0, Date.now()).buffers[0]).body.toString(), 'apache-2');
  const r = await store.putMessage(msg('ApacheTopic', 0, 'ours'));
  t.equal(r.queueOffset, 3);
  t.equal(r.wroteOffset, phy);
});

t.test('IndexFile layout: header, slot, entry', async (t) => {
  const root = tmpDir('idx');
  const store = await MessageStore.open(smallConfig(root, { maxHashSlotNum: 64, maxIndexNum: 256 }), quietLogger);
  const r = await store.putMessage(msg('IT', 0, 'x', { KEYS: 'order-1' }));
  await waitFor(() => store.getMaxOffsetInQueue('IT', 0) === 1);
  await store.shutdown();
  const names = fs.readdirSync(path.join(root, 'index'));
  t.equal(names.length, 1);
  t.match(names[0], /^\d{17}$/);
  const f = fs.readFileSync(path.join(root, 'index', names[0]));
  t.equal(f.length, 40 + 64 * 4 + 256 * 20);
  t.equal(Number(f.readBigInt64BE(0)), r.storeTimestamp, 'beginTimestamp');
  t.equal(Number(f.readBigInt64BE(8)), r.storeTimestamp, 'endTimestamp');
  t.equal(Number(f.readBigInt64BE(16)), r.wroteOffset, 'beginPhyOffset');
  t.equal(Number(f.readBigInt64BE(24)), r.wroteOffset, 'endPhyOffset');
  t.equal(f.readInt32BE(32), 1, 'hashSlotCount');
  t.equal(f.readInt32BE(36), 2, 'indexCount (entry 0 unused)');
  const h = indexKeyHash('IT#order-1');
  t.equal(f.readInt32BE(40 + (h % 64) * 4), 1, 'slot points at entry 1');
  const e = 40 + 64 * 4 + 20;
  t.equal(f.readInt32BE(e), h);
  t.equal(Number(f.readBigInt64BE(e + 4)), r.wroteOffset);
  t.equal(f.readInt32BE(e + 12), 0, 'time diff');
  t.equal(f.readInt32BE(e + 16), 0, 'previous entry');
});
