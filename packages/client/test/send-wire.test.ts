// SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE requests built like the Apache 4.9.8 client's
// (send-sync.json, send-compressed.json, send-delay.json, send-batch.json, send-tags-keys-properties.json).
import t from 'tap';
import { inflateSync } from 'node:zlib';
import { encodeSendMessageRequestHeaderV2 as sendMessageV2Fields, encodePullMessageRequestHeader as pullMessageFields } from '@rmq/remoting';
import { prepareMessage } from '../src/producer/prepare.js';
import { encodeBatch, prepareBatch } from '../src/producer/batch.js';
import { propertiesToString, stringToProperties } from '../src/message.js';
import { buildSubscriptionData, subscriptionJson } from '../src/consumer/subscription.js';
import { request } from './fixtures.js';

const PREP = { maxMessageSize: 4 * 1024 * 1024, compressOverBytes: 4096, compressLevel: 5, uniqKey: true };

function headerFor(msg: Parameters<typeof prepareMessage>[0], javaExt: Record<string, string>) {
  const p = prepareMessage(msg, PREP);
  const fields = sendMessageV2Fields({
    producerGroup: 'FixtureProducerGroup', topic: p.topic, defaultTopic: 'TBW102', defaultTopicQueueNums: 4,
    queueId: Number(javaExt['e']), sysFlag: p.sysFlag, bornTimestamp: Number(javaExt['g']), flag: p.flag,
    properties: propertiesToString(p.properties), reconsumeTimes: 0, unitMode: false, batch: false, brokerName: 'broker-a',
  });
  return { p, fields };
}

t.test('SEND_MESSAGE_V2 header has the same fields and values as send-sync.json', async (t) => {
  const java = request('send-sync.json', 310);
  const ext = java.header.extFields!;
  const { fields, p } = headerFor({ topic: 'FixtureTopic', tags: 'TagA', body: 'Hello RocketMQ sync' }, ext);
  t.same(Object.keys(fields).sort(), Object.keys(ext).sort(), 'same field names (a..k, m, n)');
  for (const k of Object.keys(ext)) if (k !== 'i') t.equal(fields[k], ext[k], `field ${k}`);
  const ours = stringToProperties(fields['i']!);
  const theirs = stringToProperties(ext['i']!);
  t.same(Object.keys(ours).sort(), Object.keys(theirs).sort(), 'same properties');
  t.equal(ours['TAGS'], 'TagA');
  t.equal(ours['WAIT'], 'true');
  t.match(ours['UNIQ_KEY'], /^[0-9A-F]{32}$/);
  t.equal(p.body.toString(), java.body.toString());
});

t.test('tags, keys and user properties as in send-tags-keys-properties.json', async (t) => {
  const java = request('send-tags-keys-properties.json', 310);
  const theirs = stringToProperties(java.header.extFields!['i']!);
  const user: Record<string, string> = {};
  for (const [k, v] of Object.entries(theirs)) if (!['UNIQ_KEY', 'WAIT', 'TAGS', 'KEYS'].includes(k)) user[k] = v;
  const { fields } = headerFor({ topic: 'FixtureTopic', tags: theirs['TAGS']!, keys: theirs['KEYS']!.split(' '), properties: user, body: java.body }, java.header.extFields!);
  const ours = stringToProperties(fields['i']!);
  t.same(Object.keys(ours).sort(), Object.keys(theirs).sort());
  for (const k of Object.keys(theirs)) if (k !== 'UNIQ_KEY') t.equal(ours[k], theirs[k], `property ${k}`);
  t.throws(() => prepareMessage({ topic: 'T', body: 'x', properties: { UNIQ_KEY: 'x' } }, PREP), /used by the system/);
});

t.test('bodies over 4 KiB are zlib-compressed with sysFlag 769 as in send-compressed.json', async (t) => {
  const java = request('send-compressed.json', 310);
  const text = inflateSync(java.body);
  const { fields, p } = headerFor({ topic: 'FixtureTopic', tags: 'TagBig', body: text }, java.header.extFields!);
  t.equal(fields['f'], java.header.extFields!['f']);
  t.equal(fields['f'], '769');
  t.same(inflateSync(p.body), text);
  t.ok(p.body.length < text.length);
  const small = prepareMessage({ topic: 'T', body: Buffer.alloc(4095, 97) }, PREP);
  t.equal(small.sysFlag, 0);
});

t.test('delay level travels as the DELAY property (send-delay.json)', async (t) => {
  const java = request('send-delay.json', 310);
  const theirs = stringToProperties(java.header.extFields!['i']!);
  const { fields } = headerFor({ topic: 'FixtureTopic', tags: theirs['TAGS']!, delayTimeLevel: Number(theirs['DELAY']), body: java.body }, java.header.extFields!);
  t.equal(stringToProperties(fields['i']!)['DELAY'], theirs['DELAY']);
});

t.test('retry-topic resends move RECONSUME_TIME / MAX_RECONSUME_TIMES to header fields j and l', async (t) => {
  const fields = sendMessageV2Fields({
    producerGroup: 'g', topic: '%RETRY%g', defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 0, sysFlag: 0,
    bornTimestamp: 1, flag: 0, properties: '', reconsumeTimes: 3, unitMode: false, batch: false, maxReconsumeTimes: 16, brokerName: 'b',
  });
  t.equal(fields['j'], '3');
  t.equal(fields['l'], '16');
});

t.test('SEND_BATCH_MESSAGE body is byte-identical to send-batch.json for the same messages', async (t) => {
  const java = request('send-batch.json', 320);
  t.equal(java.header.extFields!['m'], 'true');
  t.equal(java.header.extFields!['i'], 'WAIT\u0001true');
  // Decode Java's items, then re-encode them.
  const items: Array<{ body: Buffer; flag: number; properties: Map<string, string> }> = [];
  for (let p = 0; p < java.body.length;) {
    const total = java.body.readInt32BE(p);
    t.equal(java.body.readInt32BE(p + 4), 0, 'magic 0');
    t.equal(java.body.readInt32BE(p + 8), 0, 'crc 0');
    const flag = java.body.readInt32BE(p + 12);
    const bodyLen = java.body.readInt32BE(p + 16);
    const body = java.body.subarray(p + 20, p + 20 + bodyLen);
    const propLen = java.body.readInt16BE(p + 20 + bodyLen);
    const props = java.body.toString('utf8', p + 22 + bodyLen, p + 22 + bodyLen + propLen);
    items.push({ body, flag, properties: new Map(Object.entries(stringToProperties(props))) });
    p += total;
  }
  t.equal(items.length, 3);
  t.same(encodeBatch(items), java.body);

  // prepareBatch gives the same shape: per-message UNIQ_KEY, KEYS, WAIT, TAGS; WAIT-only wrapper.
  const b = prepareBatch([0, 1, 2].map((i) => ({ topic: 'FixtureTopic', tags: 'TagBatch', keys: `batch-key-${i}`, body: `batch message ${i}` })), 4 << 20);
  // Java's ids are 56 hex chars (its host had an IPv6 address); with ours swapped in, the bytes match.
  const expected = encodeBatch(items.map((it, i) => ({ ...it, properties: new Map([...it.properties].map(([k, v]) => [k, k === 'UNIQ_KEY' ? b.uniqKeys[i]! : v])) })));
  t.same(b.body, expected);
  t.equal(propertiesToString(b.properties), 'WAIT\u0001true');
  t.equal(b.uniqKeys.length, 3);
  t.throws(() => prepareBatch([{ topic: 'A', body: 'x' }, { topic: 'B', body: 'y' }], 1 << 20), /same/);
  t.throws(() => prepareBatch([{ topic: 'A', body: 'x', delayTimeLevel: 2 }], 1 << 20), /Delay/i);
});

t.test('PULL_MESSAGE header has the fields push-consumer.json shows', async (t) => {
  const java = request('push-consumer.json', 11);
  const ext = java.header.extFields!;
  const fields = pullMessageFields({
    consumerGroup: ext['consumerGroup']!, topic: ext['topic']!, queueId: Number(ext['queueId']), queueOffset: Number(ext['queueOffset']),
    maxMsgNums: 32, sysFlag: 2, commitOffset: 0, suspendTimeoutMillis: 15000, subVersion: Number(ext['subVersion']),
    expressionType: 'TAG', brokerName: 'broker-a',
  });
  t.same(fields, ext);
});

t.test('subscription data matches the HEART_BEAT of push-consumer.json', async (t) => {
  const java = request('push-consumer.json', 34);
  const hb = JSON.parse(java.body.toString());
  const theirs = hb.consumerDataSet[0].subscriptionDataSet.find((s: { topic: string }) => s.topic === 'FixtureTopic');
  const ours = subscriptionJson(buildSubscriptionData('FixtureTopic', 'TagA || TagB || TagBig || TagBatch', theirs.subVersion));
  t.same(Object.keys(ours), Object.keys(theirs), 'same keys, same (alphabetical) order');
  t.same([...(ours['tagsSet'] as string[])].sort(), [...theirs.tagsSet].sort());
  t.same([...(ours['codeSet'] as number[])].sort(), [...theirs.codeSet].sort());
  t.equal(ours['subString'], theirs.subString);
  const all = subscriptionJson(buildSubscriptionData('%RETRY%G', '*', 1));
  t.same(all['tagsSet'], []);
  t.equal(all['subString'], '*');
});

t.test('the send fast path (sendCommand) encodes the same frame bytes as the generic request builder', async (t) => {
  const { MQClientAPI } = await import('../src/instance/mq-client-api.js');
  const { RemotingCommand, encodeCommandToBuffer, silentLogger } = await import('@rmq/remoting');
  const { CLIENT_VERSION } = await import('../src/protocol.js');
  const api = new MQClientAPI({ namesrvAddr: '127.0.0.1:9876', logger: silentLogger as never });
  const p = prepareMessage({ topic: 'FixtureTopic', tags: 'TagA', keys: ['k1', 'k2'], properties: { a: '1', 'b"\\': 'é\u0001' }, body: 'Hello' }, PREP);
  for (const extra of [{}, { maxReconsumeTimes: 16, reconsumeTimes: 3 }]) {
    for (const code of [310, 320, 325]) {
      const h = {
        producerGroup: 'FixtureProducerGroup', topic: p.topic, defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 3, sysFlag: 4,
        bornTimestamp: 1700000000123, flag: 7, properties: propertiesToString(p.properties), reconsumeTimes: 0, unitMode: false,
        batch: code === 320, brokerName: 'broker-a', ...extra,
      };
      const fast = api.sendCommand(code, h, p.body);
      const generic = RemotingCommand.request(code, sendMessageV2Fields(h), p.body);
      generic.version = CLIENT_VERSION;
      fast.opaque = generic.opaque = 42;
      t.same(encodeCommandToBuffer(fast), encodeCommandToBuffer(generic), `code ${code} ${JSON.stringify(extra)}`);
      t.same(Object.keys(fast.extFields!), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', ...('maxReconsumeTimes' in extra ? ['l'] : []), 'm', 'n']);
    }
  }
  await api.remoting.close();
});

t.test('prepareMessage: property order KEYS, UNIQ_KEY, WAIT, TAGS, DELAY, user keys; reserved names refused', async (t) => {
  const p = prepareMessage({ topic: 'T', tags: 'tg', keys: 'k', delayTimeLevel: 3, properties: { z: '1', y: '2' }, body: 'x' }, PREP);
  t.same([...p.properties.keys()], ['KEYS', 'UNIQ_KEY', 'WAIT', 'TAGS', 'DELAY', 'z', 'y']);
  const q = prepareMessage({ topic: 'T', body: 'x', waitStoreMsgOK: false }, { ...PREP, uniqKey: false });
  t.same([...q.properties.entries()], [['WAIT', 'false']]);
  for (const k of ['UNIQ_KEY', 'TAGS', 'KEYS', 'DELAY', 'TRAN_MSG']) {
    t.throws(() => prepareMessage({ topic: 'T', body: 'x', properties: { [k]: 'v' } }, PREP), /used by the system/, k);
    t.throws(() => prepareMessage({ topic: 'T', body: 'x', properties: { [k]: 'v' } }, { ...PREP, uniqKey: false }), /used by the system/, k);
  }
  t.throws(() => prepareMessage({ topic: 'bad topic', body: 'x' }, PREP), /illegal characters/);
  t.throws(() => prepareMessage({ topic: 'bad topic', body: 'x' }, PREP), /illegal characters/, 'refused again (no stale cache)');
});
