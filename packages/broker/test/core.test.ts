// Unit tests of the broker core: properties, topic/group/offset managers and their files, queue
// locks, long-polling hold service, subscription parsing, request header parsing, status mapping.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { RemotingCommand } from '@rmq/remoting';
import { defaultBrokerConfig, parseDelayLevels } from '../src/config.js';
import { getProperty, javaHashCode, parseProperties, putProperty, removeProperty, tagsCodeOf } from '../src/common/properties.js';
import { TopicConfigManager } from '../src/topic/topic-config-manager.js';
import { SubscriptionGroupManager } from '../src/subscription/subscription-group-manager.js';
import { ConsumerOffsetManager } from '../src/offset/consumer-offset-manager.js';
import { RebalanceLockManager } from '../src/client/rebalance-lock-manager.js';
import { PullRequestHoldService, type HeldPull } from '../src/longpolling/pull-request-hold-service.js';
import { buildSubscriptionData } from '../src/client/subscription-data.js';
import { decodeBatchBody, parseSendHeader } from '../src/processor/send-message.js';
import { pullResponseCode, tagFilter } from '../src/processor/pull-message.js';
import { tryDecodeOffsetMsgId as decodeOffsetMsgId } from '@rmq/remoting';
import { offsetMsgId } from '../src/common/record.js';
import { validateTopic } from '../src/common/perm.js';
import { FIXTURES_DIR as FIXTURES } from '../../../test/helpers/fixtures.js';


function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'broker-unit-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }));
  return dir;
}

t.test('properties: lookups, edits, Java hash', async (t) => {
  const p = 'UNIQ_KEY\u0001AB\u0002WAIT\u0001true\u0002TAGS\u0001TagA\u0002';
  t.equal(getProperty(p, 'TAGS'), 'TagA');
  t.equal(getProperty(p, 'WAIT'), 'true');
  t.equal(getProperty(p, 'AIT'), undefined, 'only whole keys match');
  t.equal(removeProperty(p, 'WAIT'), 'UNIQ_KEY\u0001AB\u0002TAGS\u0001TagA');
  t.equal(putProperty(p, 'TAGS', 'TagB'), 'UNIQ_KEY\u0001AB\u0002WAIT\u0001true\u0002TAGS\u0001TagB');
  t.equal(putProperty('', 'DELAY', '3'), 'DELAY\u00013');
  t.same([...parseProperties(p)], [['UNIQ_KEY', 'AB'], ['WAIT', 'true'], ['TAGS', 'TagA']]);
  t.equal(javaHashCode('TagA'), 2598919, 'codeSet value ali-ons and Java send for TagA');
  t.equal(javaHashCode('TagBatch'), -726516768);
  t.equal(tagsCodeOf(p), 2598919);
  t.equal(tagsCodeOf('KEYS\u0001k'), 0, 'no TAGS: 0');
});

t.test('offset message ids round-trip', async (t) => {
  const id = offsetMsgId({ ip: '127.0.0.1', port: 20911 }, 663);
  t.equal(id, '7F000001000051AF0000000000000297', 'the fixture ORIGIN_MESSAGE_ID of offset 663');
  t.same(decodeOffsetMsgId(id), { ip: '127.0.0.1', port: 20911, offset: 663 });
  t.equal(decodeOffsetMsgId('nope'), null);
});

t.test('topic validation as Apache does', async (t) => {
  t.equal(validateTopic('Good_topic-1%|x'), null);
  t.match(validateTopic(''), /blank/);
  t.match(validateTopic('a b'), /illegal characters/);
  t.match(validateTopic('x'.repeat(128)), /longer than/);
});

t.test('topic configs: system topics match the 4.9.8 REGISTER_BROKER body', async (t) => {
  const m = new TopicConfigManager(defaultBrokerConfig(), tmp(t));
  const frames = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'broker-register.json'), 'utf8')).frames;
  const first = frames.find((f: { code: number; dir: string }) => f.code === 103 && f.dir === 'c2s');
  const apache = JSON.parse(first.bodyText).topicConfigSerializeWrapper.topicConfigTable;
  const ours = m.wrapper().topicConfigTable;
  const expected: Record<string, unknown> = { ...apache };
  t.same(ours, expected, 'same system topics, queue counts and perms');
  t.same(Object.keys(ours.TBW102!), Object.keys(apache.TBW102), 'fastjson field order');
});

t.test('topic configs: cluster / broker-name topics keep only PERM_INHERIT when disabled (Apache)', async (t) => {
  const m = new TopicConfigManager(defaultBrokerConfig({ clusterTopicEnable: false, brokerTopicEnable: false }), tmp(t));
  t.equal(m.selectTopicConfig('DefaultCluster')!.perm, 1);
  t.equal(m.selectTopicConfig(defaultBrokerConfig().brokerName)!.perm, 1);
  const on = new TopicConfigManager(defaultBrokerConfig(), tmp(t));
  t.equal(on.selectTopicConfig('DefaultCluster')!.perm, 7);
});

t.test('topic configs: auto-create from TBW102, persistence, reload', async (t) => {
  const dir = tmp(t);
  const m = new TopicConfigManager(defaultBrokerConfig(), dir);
  let created = 0;
  m.onTopicCreated = () => created++;
  const v0 = m.dataVersion.counter;
  const tc = m.createTopicInSendMessageMethod('NewTopic', 'TBW102', 4, 0)!;
  t.match(tc, { readQueueNums: 4, writeQueueNums: 4, perm: 6 });
  t.equal(m.createTopicInSendMessageMethod('Big', 'TBW102', 64, 0)!.writeQueueNums, 8, 'capped by the template');
  t.equal(m.createTopicInSendMessageMethod('X', 'SELF_TEST_TOPIC', 4, 0), undefined, 'template without inherit');
  t.equal(m.createTopicInSendMessageMethod('X', 'NoTemplate', 4, 0), undefined, 'no template');
  t.equal(created, 2);
  t.equal(m.dataVersion.counter, v0 + 2, 'dataVersion bumped per creation');
  await m.persist();
  const file = path.join(dir, 'config', 'topics.json');
  t.ok(fs.existsSync(file));
  t.notOk(fs.existsSync(file + '.tmp'), 'written through a temp file and renamed');
  const m2 = new TopicConfigManager(defaultBrokerConfig(), dir);
  m2.load(file);
  t.match(m2.selectTopicConfig('NewTopic'), { readQueueNums: 4, perm: 6 });
  t.equal(m2.dataVersion.counter, m.dataVersion.counter);
  const off = new TopicConfigManager(defaultBrokerConfig({ autoCreateTopicEnable: false }), tmp(t));
  t.equal(off.selectTopicConfig('TBW102'), undefined, 'no TBW102 when auto-create is off');
});

t.test('subscription groups: auto-create, retry limit from config, persistence', async (t) => {
  const dir = tmp(t);
  const m = new SubscriptionGroupManager(defaultBrokerConfig({ maxReconsumeTimes: 3 }), dir);
  t.match(m.findSubscriptionGroupConfig('g1'), { groupName: 'g1', retryQueueNums: 1, retryMaxTimes: 3, consumeEnable: true });
  m.flushSync();
  const m2 = new SubscriptionGroupManager(defaultBrokerConfig(), dir);
  m2.load(path.join(dir, 'config', 'subscriptionGroup.json'));
  t.match(m2.table.get('g1'), { retryMaxTimes: 3 });
  const off = new SubscriptionGroupManager(defaultBrokerConfig({ autoCreateSubscriptionGroup: false }), dir);
  t.equal(off.findSubscriptionGroupConfig('g2'), undefined);
});

t.test('consumer offsets: fastjson file format and reload', async (t) => {
  const dir = tmp(t);
  const m = new ConsumerOffsetManager(dir);
  m.commitOffset('g', 'T', 0, 12);
  m.commitOffset('g', 'T', 3, 5);
  m.commitOffset('h', 'T', 1, 1);
  t.equal(m.queryOffset('g', 'T', 3), 5);
  t.equal(m.queryOffset('g', 'T', 2), -1);
  t.equal(m.encode(), '{"offsetTable":{"T@g":{0:12,3:5},"T@h":{1:1}}}');
  t.same([...m.whichGroupByTopic('T')].sort(), ['g', 'h']);
  await m.persistIfDirty();
  const m2 = new ConsumerOffsetManager(dir);
  m2.load(path.join(dir, 'config', 'consumerOffset.json'));
  t.equal(m2.queryOffset('g', 'T', 0), 12);
  t.equal(m2.queryOffset('h', 'T', 1), 1);
});

t.test('queue locks: owner, expiry, unlock', async (t) => {
  const m = new RebalanceLockManager(60_000);
  const mq = { topic: 'T', brokerName: 'b', queueId: 0 };
  t.same(m.tryLockBatch('g', [mq], 'A', 1000), [mq]);
  t.same(m.tryLockBatch('g', [mq], 'B', 2000), [], 'held by A');
  t.same(m.tryLockBatch('g', [mq], 'A', 30_000), [mq], 'A renews');
  t.same(m.tryLockBatch('g', [mq], 'B', 89_000), [], 'still within 60 s of the renewal');
  t.same(m.tryLockBatch('g', [mq], 'B', 91_001), [mq], 'expired: B takes it');
  m.unlockBatch('g', [mq], 'A');
  t.same(m.tryLockBatch('g', [mq], 'A', 91_002), [], 'A cannot unlock B');
  m.unlockBatch('g', [mq], 'B');
  t.same(m.tryLockBatch('g', [mq], 'A', 91_003), [mq]);
});

t.test('long polling hold service: wake on arrival, timeout, bound, dead channels', async (t) => {
  const s = new PullRequestHoldService(3, 1_000_000);
  const events: string[] = [];
  const held = (name: string, offset: number, timeoutMillis = 10_000, dead = () => false): HeldPull => ({
    topic: 'T', queueId: 0, pullFromThisOffset: offset, suspendTimestamp: 1000, timeoutMillis,
    wake: () => events.push(`wake ${name}`), isDead: dead, cancel: () => events.push(`cancel ${name}`),
  });
  t.ok(s.suspend(held('a', 5)));
  t.ok(s.suspend(held('b', 6)));
  t.ok(s.suspend({ ...held('other', 0), queueId: 1 }));
  t.notOk(s.suspend(held('c', 5)), 'bounded');
  s.notifyMessageArriving('T', 0, 5);
  t.same(events, [], 'max offset 5: nothing past offset 5 yet');
  s.notifyMessageArriving('T', 0, 6);
  t.same(events, ['wake a'], 'a message at offset 5 wakes the pull from 5 only');
  s.sweep(5000);
  t.same(events, ['wake a'], 'not yet timed out');
  s.sweep(11_000);
  t.same(events, ['wake a', 'wake b', 'wake other'], 'timed out');
  t.equal(s.size, 0);
  let dead = false;
  s.suspend(held('d', 0, 10_000, () => dead));
  dead = true;
  s.sweep(2000);
  t.same(events.at(-1), 'cancel d', 'closed connection: dropped without a reply');
  t.equal(s.size, 0);
  const seen = events.length;
  s.notifyMessageArriving('T', 0, 100);
  t.equal(events.length, seen, 'nothing held: a notify does nothing');
  t.ok(s.suspend(held('e', 7)));
  s.notifyMessageArriving('T', 1, 100);
  t.equal(events.length, seen, 'another queue does not wake it');
  s.notifyMessageArriving('T', 0, 8);
  t.same(events.at(-1), 'wake e', 'held again after the table emptied: the next message wakes it');
  t.equal(s.size, 0);
});

t.test('subscriptions and tag filters', async (t) => {
  const sd = buildSubscriptionData('T', 'TagA || TagB ||TagA', 'TAG', 1);
  t.same(sd.tagsSet, ['TagA', 'TagB']);
  t.same(sd.codeSet, [2598919, 2598920]);
  t.equal(buildSubscriptionData('T', '', undefined, 1).subString, '*');
  t.throws(() => buildSubscriptionData('T', ' || ', 'TAG', 1));
  const f = tagFilter(sd);
  t.ok(f.matchByConsumeQueue(2598919));
  t.notOk(f.matchByConsumeQueue(1));
  t.ok(tagFilter(buildSubscriptionData('T', '*', 'TAG', 1)).matchByConsumeQueue(1));
});

t.test('GetStatus to pull response code, as PullMessageProcessor maps it', async (t) => {
  t.equal(pullResponseCode('FOUND', 0), 0);
  t.equal(pullResponseCode('NO_MATCHED_MESSAGE', 0), 20);
  t.equal(pullResponseCode('MESSAGE_WAS_REMOVING', 0), 20);
  t.equal(pullResponseCode('OFFSET_OVERFLOW_ONE', 4), 19);
  t.equal(pullResponseCode('OFFSET_FOUND_NULL', 4), 19);
  t.equal(pullResponseCode('OFFSET_OVERFLOW_BADLY', 4), 21);
  t.equal(pullResponseCode('OFFSET_TOO_SMALL', 4), 21);
  t.equal(pullResponseCode('NO_MESSAGE_IN_QUEUE', 0), 19);
  t.equal(pullResponseCode('NO_MESSAGE_IN_QUEUE', 3), 21);
  t.equal(pullResponseCode('NO_MATCHED_LOGIC_QUEUE', 0), 19);
});

t.test('send headers: V2 short names, V1 long names, errors', async (t) => {
  const v2 = RemotingCommand.request(310, { a: 'pg', b: 'T', c: 'TBW102', d: 4, e: 1, f: 0, g: 123, h: 0, i: 'TAGS\u0001A', j: 0, k: false, l: 3, m: false });
  t.match(parseSendHeader(v2), { producerGroup: 'pg', topic: 'T', queueId: 1, bornTimestamp: 123, properties: 'TAGS\u0001A', maxReconsumeTimes: 3, batch: false });
  const v1 = RemotingCommand.request(10, { producerGroup: 'pg', topic: 'T', defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 2, sysFlag: 0, bornTimestamp: 5, flag: 0 });
  t.match(parseSendHeader(v1), { topic: 'T', queueId: 2, properties: '', reconsumeTimes: 0, maxReconsumeTimes: undefined });
  t.throws(() => parseSendHeader(RemotingCommand.request(310, { a: 'pg', c: 'TBW102' })), /topic/);
  t.throws(() => parseSendHeader(RemotingCommand.request(310, { a: 'pg', b: 'T', c: 'x', d: 4, e: 'one', f: 0, g: 1, h: 0 })), /queueId/);
});

t.test('batch bodies: the fixture batch decodes into three messages', async (t) => {
  const frames = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'send-batch.json'), 'utf8')).frames;
  const f = frames.find((x: { code: number }) => x.code === 320);
  const buf = Buffer.from(f.hex, 'hex');
  const body = buf.subarray(8 + (buf.readUInt32BE(4) & 0xffffff));
  const msgs = decodeBatchBody(body);
  t.equal(msgs.length, 3);
  t.ok(msgs.every((m) => getProperty(m.properties, 'UNIQ_KEY')), 'each message has its UNIQ_KEY');
  t.throws(() => decodeBatchBody(body.subarray(0, body.length - 3)), /bad|truncated/);
});

t.test('delay levels', async (t) => {
  t.same(parseDelayLevels('1s 5s 10s 30s 1m 2m 1h 2h 100ms 1d').slice(0, 6), [1000, 5000, 10_000, 30_000, 60_000, 120_000]);
  t.equal(parseDelayLevels(defaultBrokerConfig().messageDelayLevel).length, 18);
  t.throws(() => parseDelayLevels('1s 5x'));
});
