// The client's Admin API against a real `mq-server standalone` (built dist): every call goes over
// the remoting protocol to the name server and the broker, as mqadmin's would.
import t from 'tap';
import { Admin, PushConsumer } from '../packages/client/dist/index.js';
import { startServer, tmpDir, waitFor } from './helpers/mq-process.js';

t.test('Admin API over the protocol', async (t) => {
  const dir = tmpDir('admin-api');
  const s = await startServer({ storeDir: dir, t, dir });
  const admin = new Admin({ namesrvAddr: s.nsAddr, timeoutMs: 5000 });
  let consumer: InstanceType<typeof PushConsumer> | null = null;
  t.teardown(async () => { await consumer?.shutdown().catch(() => undefined); await admin.close(); });

  // Cluster.
  const info = await admin.clusterInfo();
  t.same(info.clusters, { DefaultCluster: ['broker-a'] });
  t.equal(info.brokers['broker-a']!.brokerAddrs['0'], s.brokerAddr);
  const rows = await admin.clusterBrokers();
  t.equal(rows.length, 1);
  t.equal(rows[0]!.runtime!['brokerVersionDesc'], 'V4_9_8');

  // Topics: create on the cluster, list, route, status.
  const topic = 'AdminApiTopic';
  t.same(await admin.createOrUpdateTopic({ topic, readQueueNums: 2, writeQueueNums: 2 }, { clusterName: 'DefaultCluster' }), [s.brokerAddr]);
  await waitFor(async () => (await admin.topicList()).includes(topic), 20000, 'topic in the list');
  const route = (await admin.topicRoute(topic))!;
  t.equal(route.queueDatas[0]!.writeQueueNums, 2);
  t.equal(await admin.topicRoute('NoSuchTopicHere'), null);
  t.equal((await admin.topicConfigs(s.brokerAddr))[topic]!.readQueueNums, 2);
  await t.rejects(admin.createOrUpdateTopic({ topic: 'bad topic!' }, { clusterName: 'DefaultCluster' }), /not allowed/);
  await t.rejects(admin.createOrUpdateTopic({ topic: 'x' }, {}), /-b|-c/);

  // Messages: send with keys, then each kind of query.
  const sent = [];
  for (let i = 0; i < 6; i++) sent.push(await admin.sendMessage({ topic, body: `hello ${i}`, keys: [`k${i}`, 'shared'], tags: 'T' }));
  const q1 = await admin.sendMessage({ topic, body: 'to q1' }, { brokerName: 'broker-a', queueId: 1 });
  t.equal(q1.queue.queueId, 1);
  await waitFor(async () => (await admin.topicStatus(topic)).reduce((a, q) => a + q.maxOffset, 0) === 7, 10000, 'dispatch');
  const status = await admin.topicStatus(topic);
  t.equal(status.length, 2);
  t.ok(status.every((q) => q.lastUpdateTimestamp > 0 && q.minOffset === 0));

  await waitFor(async () => (await admin.queryMessageByKey(topic, 'shared')).length === 6, 10000, 'index');
  const byKey = await admin.queryMessageByKey(topic, 'k3');
  t.same(byKey.map((m) => m.body.toString()), ['hello 3']);
  const byUniq = await admin.queryMessageByUniqueKey(topic, sent[2]!.msgId);
  t.same(byUniq.map((m) => m.body.toString()), ['hello 2']);
  const byId = await admin.viewMessage(sent[4]!.offsetMsgId);
  t.equal(byId.body.toString(), 'hello 4');
  t.equal(byId.brokerName, 'broker-a');
  t.same((await admin.findMessage(topic, sent[5]!.msgId)).map((m) => m.body.toString()), ['hello 5']);
  const at = await admin.queryMessageByOffset(topic, 'broker-a', sent[1]!.queue.queueId, sent[1]!.queueOffset);
  t.equal(at?.body.toString(), 'hello 1');
  const inRange = await admin.queryMessageByTime(topic, Date.now() - 60_000, Date.now() + 1000);
  t.equal(inRange.length, 7);
  t.same(await admin.queryMessageByTime(topic, 0, 1000), []);
  await t.rejects(admin.viewMessage('nothex'), /not an offset message id/);

  // Producers: the admin's own producer is a connection of TOOLS_PRODUCER.
  const prods = await admin.producerConnection('TOOLS_PRODUCER', topic);
  t.equal(prods.length, 1);
  t.match(prods[0]!, { language: 'JAVA' });

  // Groups: create, list, consume, progress, connection, reset, consume directly.
  const group = 'AdminApiGroup';
  await admin.createOrUpdateGroup({ groupName: group, retryMaxTimes: 3 }, { brokerAddr: s.brokerAddr });
  t.equal((await admin.subscriptionGroups(s.brokerAddr))[group]!.retryMaxTimes, 3);
  const seen: string[] = [];
  consumer = new PushConsumer({ groupName: group, namesrvAddr: s.nsAddr, instanceName: 'admin-api-c', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  consumer.subscribe(topic, '*').onMessage((m) => { seen.push(m.body.toString()); });
  await consumer.start();
  await waitFor(() => seen.length >= 7, 20000, 'first pass');
  await consumer.persistConsumerOffset(true);
  await waitFor(async () => (await admin.consumeStats(group)).diff === 0 && (await admin.consumeStats(group)).queues.length === 2, 10000, 'progress');
  const cs = await admin.consumeStats(group, topic);
  t.equal(cs.queues.reduce((a, q) => a + q.consumerOffset, 0), 7);
  const conn = await admin.consumerConnection(group);
  t.equal(conn.connections.length, 1);
  t.equal(conn.messageModel, 'CLUSTERING');
  t.ok(topic in conn.subscriptions);
  t.same(await admin.topicConsumedBy(topic), [group]);

  const direct = await admin.consumeMessageDirectly(group, conn.connections[0]!.clientId, sent[0]!.offsetMsgId, topic);
  t.equal(direct.consumeResult, 'CR_SUCCESS');
  await waitFor(() => seen.filter((x) => x === 'hello 0').length === 2, 10000, 'resent to the group');

  const before = seen.length;
  const reset = await admin.resetOffsetByTime(group, topic, 0);
  t.same(reset.map((r) => r.offset), [0, 0]);
  await waitFor(() => seen.length >= before + 7, 20000, 'consumed again after the reset');
  await consumer.shutdown();
  consumer = null;

  // The group is offline now: offsets are committed directly (mqadmin's fallback).
  const offline = await admin.resetOffsetByTime(group, topic, 0);
  t.same(offline.map((r) => r.offset), [0, 0]);
  t.equal((await admin.consumeStats(group, topic)).diff, 7);
  t.same((await admin.skipAccumulated(group, topic)).map((r) => r.offset).sort(), status.map((q) => q.maxOffset).sort());
  t.equal((await admin.consumeStats(group, topic)).diff, 0);
  await t.rejects(admin.resetOffsetByTime('NeverSeenGroup', topic, 0), /not exist/);

  // Broker config and stats.
  const cfg = await admin.getBrokerConfig(s.brokerAddr);
  t.equal(cfg['brokerName'], 'broker-a');
  await admin.updateBrokerConfig({ maxMessageSize: '2097152' }, { brokerAddr: s.brokerAddr });
  t.equal((await admin.getBrokerConfig(s.brokerAddr))['maxMessageSize'], '2097152');
  const put = await admin.viewBrokerStats(s.brokerAddr, 'TOPIC_PUT_NUMS', topic);
  t.equal(put!.statsDay.sum, 7);
  t.equal(await admin.viewBrokerStats(s.brokerAddr, 'TOPIC_PUT_NUMS', 'never-put'), null);
  const stats = await admin.statsAll(topic);
  t.match(stats.find((r) => r.group === group), { inMsgToday: 7, brokerName: 'broker-a' });

  // Delete group and topic.
  await admin.deleteGroup(group, { clusterName: 'DefaultCluster' }, true);
  t.notOk(group in await admin.subscriptionGroups(s.brokerAddr));
  await admin.deleteTopic(topic, 'DefaultCluster');
  t.equal(await admin.topicRoute(topic), null);
  t.notOk((await admin.topicList()).includes(topic));
});
