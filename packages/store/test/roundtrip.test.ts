// Round trip: every field of a message put through the store comes back from getMessage,
// lookMessageByOffset and queryMessage.
import t from 'tap';
import { decodeRecord, SysFlag, javaHashCode } from '../src/index.js';
import { msg, openStore, settle, tmpDir, waitFor } from './helpers.js';

t.test('put then get returns every field', async (t) => {
  const root = tmpDir('rt');
  const store = await openStore(root);
  t.teardown(() => store.shutdown());
  const m = msg('TopicA', 2, 'hello world', { TAGS: 'TagA', KEYS: 'k1 k2', UNIQ_KEY: 'U1' }, { flag: 7, reconsumeTimes: 3, preparedTransactionOffset: 99, sysFlag: SysFlag.MULTI_TAGS });
  const r = await store.putMessage(m);
  t.equal(r.status, 'PUT_OK');
  t.equal(r.queueOffset, 0);
  t.equal(r.wroteOffset, 0);
  t.equal(r.msgId.length, 32);
  t.match(r.msgId, /^7F00000100002A9F0{16}$/);
  const r2 = await store.putMessage(msg('TopicA', 2, 'second', { TAGS: 'TagB' }));
  t.equal(r2.queueOffset, 1);
  t.equal(r2.wroteOffset, r.wroteBytes);
  await waitFor(() => store.getMaxOffsetInQueue('TopicA', 2) === 2);
  const g = store.getMessage('g', 'TopicA', 2, 0, 32, 1 << 20);
  t.equal(g.status, 'FOUND');
  t.equal(g.messageCount, 2);
  t.equal(g.nextBeginOffset, 2);
  t.equal(g.minOffset, 0);
  t.equal(g.maxOffset, 2);
  const d = decodeRecord(g.buffers[0]);
  t.equal(d.totalSize, r.wroteBytes);
  t.equal(d.topic, 'TopicA');
  t.equal(d.queueId, 2);
  t.equal(d.flag, 7);
  t.equal(d.queueOffset, 0);
  t.equal(d.commitLogOffset, 0);
  t.equal(d.sysFlag, SysFlag.MULTI_TAGS);
  t.equal(d.bornTimestamp, 1700000000000);
  t.same(d.bornHost, { ip: '10.0.0.7', port: 54321 });
  t.equal(d.storeTimestamp, r.storeTimestamp);
  t.same(d.storeHost, { ip: '127.0.0.1', port: 10911 });
  t.equal(d.reconsumeTimes, 3);
  t.equal(d.preparedTransactionOffset, 99);
  t.equal(d.body.toString(), 'hello world');
  t.equal(d.properties, m.properties);
  // filter by tags code
  const tagB = javaHashCode('TagB');
  const f = store.getMessage('g', 'TopicA', 2, 0, 32, 1 << 20, { matchByConsumeQueue: (c) => c === tagB });
  t.equal(f.messageCount, 1);
  t.equal(decodeRecord(f.buffers[0]).body.toString(), 'second');
  // look up by offset and by key (the index is built by the DISPATCH pool)
  await settle(store);
  t.equal(decodeRecord(store.lookMessageByOffset(r2.wroteOffset)!).body.toString(), 'second');
  const q = store.queryMessage('TopicA', 'k2', 10, 0, Date.now() + 1000);
  t.equal(q.buffers.length, 1);
  t.equal(decodeRecord(q.buffers[0]).body.toString(), 'hello world');
  t.equal(store.queryMessage('TopicA', 'U1', 10, 0, Date.now() + 1000).buffers.length, 1);
  t.equal(store.queryMessage('TopicB', 'U1', 10, 0, Date.now() + 1000).buffers.length, 0);
  t.equal(store.getCommitLogOffsetInQueue('TopicA', 2, 1), r2.wroteOffset);
  t.equal(store.getMessageStoreTimeStamp('TopicA', 2, 1), r2.storeTimestamp);
  t.equal(store.getEarliestMessageTime('TopicA', 2), r.storeTimestamp);
});

t.test('get statuses follow Apache', async (t) => {
  const store = await openStore(tmpDir('st'));
  t.teardown(() => store.shutdown());
  t.equal(store.getMessage('g', 'Nope', 0, 0, 32, 1 << 20).status, 'NO_MATCHED_LOGIC_QUEUE');
  for (let i = 0; i < 5; i++) await store.putMessage(msg('T', 0, `m${i}`));
  await waitFor(() => store.getMaxOffsetInQueue('T', 0) === 5);
  t.equal(store.getMessage('g', 'T', 0, 5, 32, 1 << 20).status, 'OFFSET_OVERFLOW_ONE');
  const bad = store.getMessage('g', 'T', 0, 9, 32, 1 << 20);
  t.equal(bad.status, 'OFFSET_OVERFLOW_BADLY');
  t.equal(bad.nextBeginOffset, 0);
  const two = store.getMessage('g', 'T', 0, 1, 2, 1 << 20);
  t.equal(two.messageCount, 2);
  t.equal(two.nextBeginOffset, 3);
  const bytes = store.getMessage('g', 'T', 0, 0, 32, 1);
  t.equal(bytes.messageCount, 1, 'at least one message even over maxTotalBytes');
  const none = store.getMessage('g', 'T', 0, 0, 32, 1 << 20, { matchByConsumeQueue: () => false });
  t.equal(none.status, 'NO_MATCHED_MESSAGE');
  t.equal(none.nextBeginOffset, 5);
});

t.test('batch put assigns consecutive offsets', async (t) => {
  const store = await openStore(tmpDir('batch'));
  t.teardown(() => store.shutdown());
  await store.putMessage(msg('B', 1, 'x'));
  const r = await store.putMessages('B', 1, [msg('B', 1, 'a'), msg('B', 1, 'b'), msg('B', 1, 'c')]);
  t.equal(r.status, 'PUT_OK');
  t.equal(r.queueOffset, 1);
  t.equal(r.msgNum, 3);
  t.equal(r.msgIds!.length, 3);
  await waitFor(() => store.getMaxOffsetInQueue('B', 1) === 4);
  const g = store.getMessage('g', 'B', 1, 1, 32, 1 << 20);
  t.same(g.buffers.map((b) => decodeRecord(b).body.toString()), ['a', 'b', 'c']);
  t.same(g.buffers.map((b) => decodeRecord(b).queueOffset), [1, 2, 3]);
});

t.test('illegal messages are refused', async (t) => {
  const store = await openStore(tmpDir('ill'));
  t.teardown(() => store.shutdown());
  t.equal((await store.putMessage(msg('x'.repeat(128), 0, 'a'))).status, 'MESSAGE_ILLEGAL');
  t.equal((await store.putMessage(msg('T', 0, Buffer.alloc(17 * 1024)))).status, 'MESSAGE_ILLEGAL');
  t.equal((await store.putMessage(msg('T', 0, 'a', { K: 'v'.repeat(40000) }))).status, 'PROPERTIES_SIZE_EXCEEDED');
  t.equal((await store.putMessage(msg('T', 0, 'ok'))).status, 'PUT_OK');
});

t.test('onNewMessage fires after dispatch; offsets by time', async (t) => {
  const store = await openStore(tmpDir('notify'));
  t.teardown(() => store.shutdown());
  const seen: string[] = [];
  store.onNewMessage((topic, q, max) => seen.push(`${topic}/${q}/${max}`));
  const r1 = await store.putMessage(msg('N', 3, 'a'));
  await waitFor(() => seen.length > 0);
  t.equal(seen[0], 'N/3/1');
  await new Promise((r) => setTimeout(r, 15));
  const r2 = await store.putMessage(msg('N', 3, 'b'));
  await waitFor(() => store.getMaxOffsetInQueue('N', 3) === 2);
  t.equal(store.getOffsetInQueueByTime('N', 3, r1.storeTimestamp), 0);
  t.equal(store.getOffsetInQueueByTime('N', 3, r2.storeTimestamp), 1);
  t.equal(store.getOffsetInQueueByTime('N', 3, r2.storeTimestamp + 100000), 1);
  t.equal(store.getOffsetInQueueByTime('N', 3, 0), 0);
});

t.test('the index rolls to a new file when full and queries span files, newest first', async (t) => {
  const store = await openStore(tmpDir('idxroll'), { maxIndexNum: 16, maxHashSlotNum: 8 });
  t.teardown(() => store.shutdown());
  for (let i = 0; i < 40; i++) await store.putMessage(msg('IR', i % 2, `v${i}`, { KEYS: `same k${i}`, UNIQ_KEY: `U${i}` }));
  await settle(store);
  t.ok(Number(store.runtimeInfo().indexFiles) >= 3, `${store.runtimeInfo().indexFiles} index files`);
  const now = Date.now() + 1000;
  t.equal(decodeRecord(store.queryMessage('IR', 'k0', 4, 0, now).buffers[0]).body.toString(), 'v0');
  t.equal(decodeRecord(store.queryMessage('IR', 'U39', 4, 0, now).buffers[0]).body.toString(), 'v39');
  const same = store.queryMessage('IR', 'same', 5, 0, now);
  t.same(same.buffers.map((b) => decodeRecord(b).body.toString()), ['v39', 'v38', 'v37', 'v36', 'v35'], 'latest matches first');
  t.ok(same.indexLastUpdatePhyoffset > 0);
});

t.test('IPv6 born host (sysFlag 0x10) round trips and grows the record by 12 bytes', async (t) => {
  const store = await openStore(tmpDir('v6'));
  t.teardown(() => store.shutdown());
  const v4 = await store.putMessage(msg('V6', 0, 'body'));
  const v6 = await store.putMessage(msg('V6', 0, 'body', {}, { sysFlag: SysFlag.BORNHOST_V6, bornHost: { ip: '2001:db8::7', port: 4242 } }));
  t.equal(v6.wroteBytes, v4.wroteBytes + 12);
  await settle(store);
  const d = decodeRecord(store.lookMessageByOffset(v6.wroteOffset)!);
  t.same(d.bornHost, { ip: '2001:db8:0:0:0:0:0:7', port: 4242 });
  t.same(d.storeHost, { ip: '127.0.0.1', port: 10911 });
  t.equal(d.storeTimestamp, v6.storeTimestamp);
  t.equal(d.body.toString(), 'body');
  t.equal(store.getMessageStoreTimeStamp('V6', 0, 1), v6.storeTimestamp);
});
