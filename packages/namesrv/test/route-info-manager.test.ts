// RouteInfoManager: registration, routes, expiry and removal, without sockets.
import t from 'tap';
import { RouteInfoManager, type ChannelLike, type RegisterBrokerInput, type TopicConfig } from '../src/route-info-manager.js';
import { javaHashOrder } from '../src/java-hash-order.js';

class FakeChannel implements ChannelLike {
  closed = false;
  close() {
    this.closed = true;
  }
}

const topic = (topicName: string, queues = 4, perm = 6, topicSysFlag = 0): TopicConfig =>
  ({ topicName, readQueueNums: queues, writeQueueNums: queues, perm, topicSysFlag });

function reg(over: Partial<RegisterBrokerInput> = {}): RegisterBrokerInput {
  return {
    clusterName: 'DefaultCluster',
    brokerAddr: '127.0.0.1:20911',
    brokerName: 'broker-a',
    brokerId: 0,
    haServerAddr: '127.0.0.1:20912',
    dataVersion: { timestamp: 1, counter: 0 },
    topicConfigs: [topic('FixtureTopic'), topic('TBW102', 8, 7)],
    filterServerList: [],
    channel: new FakeChannel(),
    ...over,
  };
}

t.test('a registered master serves the routes of its topics', async (t) => {
  const r = new RouteInfoManager();
  const result = r.registerBroker(reg());
  t.same(result, { haServerAddr: null, masterAddr: null });
  const route = r.pickupTopicRouteData('FixtureTopic');
  t.ok(route);
  t.same(route!.queueDatas, [{ brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }]);
  t.equal(route!.brokerDatas.length, 1);
  t.equal(route!.brokerDatas[0]!.cluster, 'DefaultCluster');
  t.same([...route!.brokerDatas[0]!.brokerAddrs], [[0, '127.0.0.1:20911']]);
  t.equal(r.pickupTopicRouteData('NoSuchTopic'), null);
});

t.test('a slave gets the master address and HA address; its topics are not applied', async (t) => {
  const r = new RouteInfoManager();
  r.registerBroker(reg());
  const result = r.registerBroker(reg({
    brokerId: 1, brokerAddr: '127.0.0.1:30911', haServerAddr: '127.0.0.1:30912', topicConfigs: [topic('SlaveOnly')],
  }));
  t.same(result, { haServerAddr: '127.0.0.1:20912', masterAddr: '127.0.0.1:20911' });
  t.equal(r.pickupTopicRouteData('SlaveOnly'), null);
  t.same([...r.pickupTopicRouteData('FixtureTopic')!.brokerDatas[0]!.brokerAddrs.keys()], [0, 1]);
});

t.test('topic configs are re-read only when the data version changes', async (t) => {
  const r = new RouteInfoManager();
  r.registerBroker(reg());
  r.registerBroker(reg({ topicConfigs: [topic('FixtureTopic', 8)] }));
  t.equal(r.pickupTopicRouteData('FixtureTopic')!.queueDatas[0]!.writeQueueNums, 4, 'same data version: ignored');
  r.registerBroker(reg({ topicConfigs: [topic('FixtureTopic', 8)], dataVersion: { timestamp: 1, counter: 1 } }));
  t.equal(r.pickupTopicRouteData('FixtureTopic')!.queueDatas[0]!.writeQueueNums, 8);
  t.equal(r.isBrokerTopicConfigChanged('127.0.0.1:20911', { timestamp: 1, counter: 1 }), false);
  t.equal(r.isBrokerTopicConfigChanged('127.0.0.1:20911', { timestamp: 1, counter: 2 }), true);
});

t.test('two brokers serving one topic: both in the route', async (t) => {
  const r = new RouteInfoManager();
  r.registerBroker(reg());
  r.registerBroker(reg({ brokerName: 'broker-b', brokerAddr: '127.0.0.1:21911' }));
  const route = r.pickupTopicRouteData('FixtureTopic')!;
  t.same(route.queueDatas.map((q) => q.brokerName), ['broker-a', 'broker-b']);
  t.same(route.brokerDatas.map((b) => b.brokerName).sort(), ['broker-a', 'broker-b']);
  t.same(r.clusterInfo().clusterAddrTable, [['DefaultCluster', javaHashOrder(['broker-a', 'broker-b'])]]);
  t.same(r.topicsByCluster('DefaultCluster').sort(), ['FixtureTopic', 'TBW102']);
  t.same(r.topicsByCluster('Other'), []);
});

t.test('unregistering the last address of a broker removes its topics and cluster entry', async (t) => {
  const r = new RouteInfoManager();
  r.registerBroker(reg());
  r.unregisterBroker('DefaultCluster', '127.0.0.1:20911', 'broker-a', 0);
  t.equal(r.pickupTopicRouteData('FixtureTopic'), null);
  t.same(r.allTopics(), []);
  t.same(r.clusterInfo(), { brokerAddrTable: [], clusterAddrTable: [] });
  t.same(r.liveBrokerAddrs(), []);
});

t.test('a silent broker expires; its channel is returned to be closed', async (t) => {
  const r = new RouteInfoManager();
  const ch = new FakeChannel();
  r.registerBroker(reg({ channel: ch }), 1000);
  r.registerBroker(reg({ brokerName: 'broker-b', brokerAddr: '127.0.0.1:21911' }), 5000);
  t.same(r.scanNotActiveBroker(120_000, 100_000), [], 'nothing expired yet');
  const expired = r.scanNotActiveBroker(120_000, 121_001);
  t.same(expired.map((e) => e.brokerAddr), ['127.0.0.1:20911']);
  t.equal(expired[0]!.channel, ch);
  t.same(r.pickupTopicRouteData('FixtureTopic')!.queueDatas.map((q) => q.brokerName), ['broker-b']);
  r.updateBrokerInfoUpdateTimestamp('127.0.0.1:21911', 200_000);
  t.same(r.scanNotActiveBroker(120_000, 300_000), [], 'QUERY_DATA_VERSION counts as a heartbeat');
});

t.test('a closed channel removes the broker registered over it, other channels do nothing', async (t) => {
  const r = new RouteInfoManager();
  const ch = new FakeChannel();
  r.registerBroker(reg({ channel: ch }));
  t.equal(r.onChannelDestroy(new FakeChannel()), null);
  t.ok(r.pickupTopicRouteData('FixtureTopic'));
  t.equal(r.onChannelDestroy(ch), '127.0.0.1:20911');
  t.equal(r.pickupTopicRouteData('FixtureTopic'), null);
});

t.test('a slave promoted to master keeps one entry per address', async (t) => {
  const r = new RouteInfoManager();
  r.registerBroker(reg({ brokerId: 1 }));
  r.registerBroker(reg({ brokerId: 0 }));
  t.same([...r.clusterInfo().brokerAddrTable[0]!.brokerAddrs], [[0, '127.0.0.1:20911']]);
});

t.test('write permission wipe and add', async (t) => {
  const r = new RouteInfoManager();
  r.registerBroker(reg());
  t.equal(r.wipeWritePermOfBroker('broker-a'), 2);
  t.equal(r.pickupTopicRouteData('TBW102')!.queueDatas[0]!.perm, 5);
  t.equal(r.pickupTopicRouteData('FixtureTopic')!.queueDatas[0]!.perm, 4);
  t.equal(r.addWritePermOfBroker('broker-a'), 2);
  t.equal(r.pickupTopicRouteData('FixtureTopic')!.queueDatas[0]!.perm, 6);
  t.equal(r.wipeWritePermOfBroker('nobody'), 0);
});

t.test('delete topic, optionally per cluster', async (t) => {
  const r = new RouteInfoManager();
  r.registerBroker(reg());
  r.registerBroker(reg({ clusterName: 'C2', brokerName: 'broker-b', brokerAddr: '127.0.0.1:21911' }));
  r.deleteTopic('FixtureTopic', 'C2');
  t.same(r.pickupTopicRouteData('FixtureTopic')!.queueDatas.map((q) => q.brokerName), ['broker-a']);
  r.deleteTopic('FixtureTopic');
  t.equal(r.pickupTopicRouteData('FixtureTopic'), null);
  t.ok(r.pickupTopicRouteData('TBW102'));
});

t.test('system topics are cluster and broker names; unit topics by sys flag', async (t) => {
  const r = new RouteInfoManager();
  r.registerBroker(reg({ topicConfigs: [topic('U', 1, 6, 1), topic('S', 1, 6, 2), topic('US', 1, 6, 3)] }));
  const sys = r.systemTopicList();
  t.same(sys.topics.sort(), ['DefaultCluster', 'broker-a']);
  t.equal(sys.brokerAddr, '127.0.0.1:20911');
  t.same(r.unitTopics('unit').sort(), ['U', 'US']);
  t.same(r.unitTopics('hasUnitSub').sort(), ['S', 'US']);
  t.same(r.unitTopics('hasUnitSubUnUnit'), ['S']);
});

t.test('topic lists come in java.util.HashSet order, as captured from Apache', async (t) => {
  // GET_ALL_TOPIC_LIST_FROM_NAMESERVER bodies in admin-topic-list.json / nameserver-queries-java.json
  const captured = [
    ['RMQ_SYS_TRANS_HALF_TOPIC', 'FixtureAutoTopic', 'BenchmarkTest', 'OFFSET_MOVED_EVENT', 'TBW102', 'FixtureTopic',
      '%RETRY%FixtureConsumerGroup', 'SELF_TEST_TOPIC', 'DefaultCluster', 'SCHEDULE_TOPIC_XXXX',
      'DefaultCluster_REPLY_TOPIC', '%RETRY%FixtureRetryGroup', 'broker-a', '%RETRY%FixtureOrderlyGroup'],
    ['SCHEDULE_TOPIC_XXXX', 'RMQ_SYS_TRANS_HALF_TOPIC', 'DefaultCluster_REPLY_TOPIC', 'FixtureAutoTopic',
      'BenchmarkTest', 'OFFSET_MOVED_EVENT', 'broker-a', 'TBW102', 'FixtureTopic', 'SELF_TEST_TOPIC', 'DefaultCluster'],
  ];
  // Keys sharing a bucket keep their insertion order, which depends on the broker's history:
  // inserting in the captured order keeps those ties as Apache had them.
  for (const list of captured) {
    const r = new RouteInfoManager();
    r.registerBroker(reg({ topicConfigs: list.map((n) => topic(n)) }));
    t.same(r.allTopics(), list);
  }
});
