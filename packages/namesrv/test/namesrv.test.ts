// The name server over TCP: captured Apache exchanges replayed byte for byte, then the behaviours
// brokers and clients depend on (route forms, expiry, connection close, KV config, admin codes).
import fs from 'node:fs';
import { deflateSync } from 'node:zlib';
import path from 'node:path';
import t from 'tap';
import { parseFastJson, RemotingClient, RemotingCommand, silentLogger } from '@rmq/remoting';
import { NamesrvController } from '../src/controller.js';
import { bodyCrc32 } from '../src/wire.js';
import { fixtureFrames, frameBody, replay, startNamesrv, tempDir } from './helpers.js';
import { sleep, waitFor } from '../../../test/helpers/wait.js';

const BROKER_ADDR = '127.0.0.1:20911';
const FAQ = '\nSee http://rocketmq.apache.org/docs/faq/ for further details.';

function registerBody(topics: Array<[string, number, number]>, counter = 0): Buffer {
  const table: Record<string, object> = {};
  for (const [name, queues, perm] of topics) {
    table[name] = { order: false, perm, readQueueNums: queues, topicFilterType: 'SINGLE_TAG', topicName: name, topicSysFlag: 0, writeQueueNums: queues };
  }
  return Buffer.from(JSON.stringify({
    filterServerList: [],
    topicConfigSerializeWrapper: { dataVersion: { counter, timestamp: 1795742361224 }, topicConfigTable: table },
  }));
}

/** The topics of the fixture broker: FixtureTopic 4 queues perm 6, TBW102 8 queues perm 7, others 1. */
const fixtureTopics = (names: string[]): Array<[string, number, number]> =>
  names.map((n) => (n === 'FixtureTopic' ? [n, 4, 6] : n === 'TBW102' ? [n, 8, 7] : [n, 1, 6]));

function registerRequest(body: Buffer, over: Record<string, string> = {}): RemotingCommand {
  return RemotingCommand.request(103, {
    brokerId: '0', clusterName: 'DefaultCluster', brokerAddr: BROKER_ADDR, haServerAddr: '127.0.0.1:20912',
    compressed: 'false', brokerName: 'broker-a', ...over,
  }, body);
}

function client(t: { teardown(fn: () => unknown): void }): RemotingClient {
  const c = new RemotingClient({ logger: silentLogger });
  t.teardown(() => c.close());
  return c;
}

for (const file of ['nameserver-queries-java.json', 'rocketmq-serialize-route.json']) {
  t.test(`${file}: the Java admin's requests get Apache's replies byte for byte`, async (t) => {
    const frames = fixtureFrames(file).filter((f) => f.peer === 'namesrv');
    const topicListReply = frames.find((f) => f.dir === 's2c' && f.bodyText?.startsWith('{"topicList"'))!;
    const topics = (JSON.parse(topicListReply.bodyText!) as { topicList: string[] }).topicList;
    const ns = await startNamesrv(t);
    const broker = client(t);
    const reg = await broker.invoke(`127.0.0.1:${ns.port}`, registerRequest(registerBody(fixtureTopics(topics))), 3000);
    t.equal(reg.code, 0);

    const requests = frames.filter((f) => f.dir === 'c2s');
    const expected = frames.filter((f) => f.dir === 's2c');
    const replies = await replay(ns.port, requests.map((f) => Buffer.from(f.hex, 'hex')), expected.length);
    const byOpaque = new Map(expected.map((f) => [f.opaque, f]));
    for (const reply of replies) {
      const headerLength = reply.readUInt32BE(4) & 0xffffff;
      // binary header: code int16, language int8, version int16, then opaque int32
      const opaque = reply[4] === 1 ? reply.readInt32BE(13) : JSON.parse(reply.subarray(8, 8 + headerLength).toString()).opaque;
      const want = byOpaque.get(opaque);
      t.ok(want, `reply to opaque ${opaque} expected`);
      t.equal(reply.toString('hex'), want!.hex, `code ${want!.header.code} reply to opaque ${opaque}`);
    }
  });
}

t.test('broker-register.json: a 4.9.8 broker registers, re-registers and unregisters', async (t) => {
  const frames = fixtureFrames('broker-register.json').filter((f) => f.conn === 1);
  const ns = await startNamesrv(t);
  const requests = frames.filter((f) => f.dir === 'c2s');
  const expected = frames.filter((f) => f.dir === 's2c');
  t.ok(requests.some((f) => f.flag === 2), 'includes oneway registrations (no reply)');
  const replies = await replay(ns.port, requests.map((f) => Buffer.from(f.hex, 'hex')), expected.length);
  t.same(replies.map((r) => r.toString('hex')), expected.map((f) => f.hex));
  t.same(ns.routes.allTopics(), [], 'UNREGISTER_BROKER removed the broker and its topics');
});

t.test('route replies: fastjson for old clients, standard JSON for >= 401, 17 for unknown topics', async (t) => {
  const ns = await startNamesrv(t);
  const addr = `127.0.0.1:${ns.port}`;
  const c = client(t);
  const body = frameBody(fixtureFrames('broker-register.json').find((f) => f.code === 103 && f.dir === 'c2s')!);
  t.equal((await c.invoke(addr, registerRequest(body), 3000)).code, 0);

  const ask = async (topic: string, version: number, ext: Record<string, string> = {}, serializeType: 0 | 1 = 0) => {
    const req = RemotingCommand.request(105, { topic, ...ext });
    req.version = version;
    req.language = 'NODE_JS';
    req.serializeType = serializeType;
    return c.invoke(addr, req, 3000);
  };
  const old = await ask('TBW102', 121);
  t.equal(old.code, 0);
  t.equal(old.bodyBuffer()!.toString(), '{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:20911"},"brokerName":"broker-a",'
    + '"cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":7,'
    + '"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]}');
  t.same(parseFastJson(old.bodyBuffer()!.toString()).brokerDatas[0].brokerAddrs, { 0: BROKER_ADDR });
  const std = await ask('TBW102', 121, { acceptStandardJsonOnly: 'true' });
  t.same(JSON.parse(std.bodyBuffer()!.toString()).brokerDatas[0].brokerAddrs, { 0: BROKER_ADDR });
  const binary = await ask('TBW102', 409, {}, 1);
  t.equal(binary.code, 0);
  t.equal(binary.serializeType, 1, 'binary request, binary reply');
  t.same(JSON.parse(binary.bodyBuffer()!.toString()).queueDatas[0].writeQueueNums, 8);

  for (const serializeType of [0, 1] as const) {
    const missing = await ask('NoSuchTopic', 409, {}, serializeType);
    t.equal(missing.code, 17);
    t.equal(missing.remark, `No topic route info in name server for the topic: NoSuchTopic${FAQ}`);
    t.equal(missing.bodyLength(), 0);
  }
});

t.test('compressed REGISTER_BROKER bodies (compressedRegister=true) and the body CRC check', async (t) => {
  const ns = await startNamesrv(t);
  const addr = `127.0.0.1:${ns.port}`;
  const c = client(t);
  const part = (text: string) => {
    const b = Buffer.from(text);
    const len = Buffer.alloc(4);
    len.writeInt32BE(b.length);
    return [len, b];
  };
  const count = Buffer.alloc(4);
  count.writeInt32BE(2);
  const body = deflateSync(Buffer.concat([
    ...part('{"counter":3,"timestamp":1795742361224}'), count,
    ...part('Zipped 4 2 6 SINGLE_TAG'), ...part('TBW102 8 8 7 SINGLE_TAG'), ...part('[]'),
  ]));
  const reg = await c.invoke(addr, registerRequest(body, { compressed: 'true', bodyCrc32: String(bodyCrc32(body)) }), 3000);
  t.equal(reg.code, 0);
  const route = await c.invoke(addr, RemotingCommand.request(105, { topic: 'Zipped' }), 3000);
  t.same(JSON.parse(route.bodyBuffer()!.toString()).queueDatas,
    [{ brokerName: 'broker-a', perm: 6, readQueueNums: 4, topicSysFlag: 0, writeQueueNums: 2 }]);
  t.same(ns.routes.queryBrokerDataVersion(BROKER_ADDR), { timestamp: 1795742361224, counter: 3 });
  const badCrc = await c.invoke(addr, registerRequest(body, { compressed: 'true', bodyCrc32: '12345' }), 3000);
  t.equal(badCrc.code, 1);
  t.equal(badCrc.remark, 'crc32 not match');
});

t.test('name servers share nothing: a broker registered with one is unknown to another', async (t) => {
  const one = await startNamesrv(t);
  const two = await startNamesrv(t);
  const c = client(t);
  t.equal((await c.invoke(`127.0.0.1:${one.port}`, registerRequest(registerBody([['OnlyOne', 1, 6]])), 3000)).code, 0);
  t.equal((await c.invoke(`127.0.0.1:${one.port}`, RemotingCommand.request(105, { topic: 'OnlyOne' }), 3000)).code, 0);
  t.equal((await c.invoke(`127.0.0.1:${two.port}`, RemotingCommand.request(105, { topic: 'OnlyOne' }), 3000)).code, 17);
});

t.test('a broker that stops registering expires; its connection is closed', async (t) => {
  const ns = await startNamesrv(t, { scanNotActiveBrokerIntervalMs: 50, brokerChannelExpiredMs: 800 });
  const addr = `127.0.0.1:${ns.port}`;
  const broker = client(t);
  const asker = client(t);
  let brokerConnClosed = false;
  broker.on('close', () => (brokerConnClosed = true));
  const route = async () => (await asker.invoke(addr, RemotingCommand.request(105, { topic: 'T1' }), 3000)).code;

  const body = registerBody([['T1', 2, 6]]);
  for (let i = 0; i < 8; i++) {
    t.equal((await broker.invoke(addr, registerRequest(body), 3000)).code, 0);
    await sleep(150); // the broker's register interval: 8 rounds span 1200 ms, past the 800 ms expiry (the thing under test)
  }
  t.equal(await route(), 0, 'still routed while it keeps registering (1200 ms > 800 ms expiry)');
  await waitFor(async () => (await route()) === 17, 3000, 'the expired broker to leave the route');
  t.equal(await route(), 17, 'gone after it stopped');
  await waitFor(() => brokerConnClosed, 1000, 'the broker connection to close');
  t.ok(brokerConnClosed, 'the name server closed the broker connection');
});

t.test('a broker whose connection closes is removed at once', async (t) => {
  const ns = await startNamesrv(t);
  const addr = `127.0.0.1:${ns.port}`;
  const broker = client(t);
  const asker = client(t);
  t.equal((await broker.invoke(addr, registerRequest(registerBody([['T2', 2, 6]])), 3000)).code, 0);
  t.equal((await asker.invoke(addr, RemotingCommand.request(105, { topic: 'T2' }), 3000)).code, 0);
  asker.closeChannel(addr);
  await sleep(100); // a window for the close to reach the name server: nothing may change (the thing under test)
  t.equal((await asker.invoke(addr, RemotingCommand.request(105, { topic: 'T2' }), 3000)).code, 0, 'a client closing changes nothing');
  broker.closeChannel(addr);
  await waitFor(async () => (await asker.invoke(addr, RemotingCommand.request(105, { topic: 'T2' }), 3000)).code === 17, 2000, 'the route of T2 to go');
  t.equal((await asker.invoke(addr, RemotingCommand.request(105, { topic: 'T2' }), 3000)).code, 17, 'the closed broker left the route');
  t.same(ns.routes.liveBrokerAddrs(), []);
});

t.test('KV config: put/get/list/delete, persisted across a restart, order topic conf in routes', async (t) => {
  const dir = tempDir(t);
  const kvConfigPath = path.join(dir, 'sub', 'kvConfig.json');
  const c = client(t);
  let ns = await startNamesrv(t, { kvConfigPath });
  let addr = `127.0.0.1:${ns.port}`;
  const put = (namespace: string, key: string, value: string) =>
    c.invoke(addr, RemotingCommand.request(100, { namespace, key, value }), 3000);
  t.equal((await put('ORDER_TOPIC_CONFIG', 'T3', 'broker-a:2')).code, 0);
  t.equal((await put('ns1', 'k1', 'v1')).code, 0);
  t.equal((await put('ns1', 'k2', 'v2')).code, 0);
  const got = await c.invoke(addr, RemotingCommand.request(101, { namespace: 'ns1', key: 'k1' }), 3000);
  t.equal(got.code, 0);
  t.equal(got.ext('value'), 'v1');
  const list = await c.invoke(addr, RemotingCommand.request(219, { namespace: 'ns1' }), 3000);
  t.same(JSON.parse(list.bodyBuffer()!.toString()), { table: { k1: 'v1', k2: 'v2' } });
  t.ok(fs.existsSync(kvConfigPath));

  await ns.shutdown();
  ns = await startNamesrv(t, { kvConfigPath });
  addr = `127.0.0.1:${ns.port}`;
  const again = await c.invoke(addr, RemotingCommand.request(101, { namespace: 'ns1', key: 'k2' }), 3000);
  t.equal(again.ext('value'), 'v2', 'read back after restart');

  const reg = await c.invoke(addr, registerRequest(registerBody([['T3', 2, 6]])), 3000);
  t.same(JSON.parse(reg.bodyBuffer()!.toString()), { table: { T3: 'broker-a:2' } }, 'REGISTER_BROKER reply carries the order config');
  const route = await c.invoke(addr, RemotingCommand.request(105, { topic: 'T3' }), 3000);
  t.equal(JSON.parse(route.bodyBuffer()!.toString()).orderTopicConf, 'broker-a:2');

  t.equal((await c.invoke(addr, RemotingCommand.request(102, { namespace: 'ns1', key: 'k1' }), 3000)).code, 0);
  const gone = await c.invoke(addr, RemotingCommand.request(101, { namespace: 'ns1', key: 'k1' }), 3000);
  t.equal(gone.code, 22);
  t.equal(gone.remark, 'No config item, Namespace: ns1 Key: k1');
  const none = await c.invoke(addr, RemotingCommand.request(219, { namespace: 'nothing' }), 3000);
  t.equal(none.code, 22);
  t.equal(none.remark, 'No config item, Namespace: nothing');
  const restarted = new NamesrvController({ kvConfigPath, listenPort: 0, listenHost: '127.0.0.1' }, { logger: silentLogger });
  restarted.kv.load();
  t.equal(restarted.kv.get('ns1', 'k1'), null, 'the delete was persisted too');
});

t.test('cluster info, topic lists, write permission, data version, config and unknown codes', async (t) => {
  const ns = await startNamesrv(t);
  const addr = `127.0.0.1:${ns.port}`;
  const c = client(t);
  const call = (code: number, ext: Record<string, string> | null = null, body: Buffer | null = null) =>
    c.invoke(addr, RemotingCommand.request(code, ext, body), 3000);
  const text = (r: RemotingCommand) => r.bodyBuffer()?.toString() ?? '';

  await call(103, registerRequest(registerBody([['A', 4, 6], ['B', 2, 6]])).extFields, registerBody([['A', 4, 6], ['B', 2, 6]]));
  await call(103, { brokerId: '0', clusterName: 'C2', brokerAddr: '127.0.0.1:21911', haServerAddr: '127.0.0.1:21912', brokerName: 'broker-b' },
    registerBody([['A', 4, 6]]));
  const slave = await call(103, { brokerId: '1', clusterName: 'C2', brokerAddr: '127.0.0.1:21921', haServerAddr: '127.0.0.1:21922', brokerName: 'broker-b' },
    registerBody([['A', 4, 6]]));
  t.same(slave.extFields, { haServerAddr: '127.0.0.1:21912', masterAddr: '127.0.0.1:21911' }, 'slave told its master');

  const cluster = parseFastJson(text(await call(106)));
  t.same(cluster.clusterAddrTable, { DefaultCluster: ['broker-a'], C2: ['broker-b'] });
  t.same(cluster.brokerAddrTable['broker-b'].brokerAddrs, { 0: '127.0.0.1:21911', 1: '127.0.0.1:21921' });
  t.match(text(await call(106)), /"brokerAddrs":\{0:"127\.0\.0\.1:21911",1:"127\.0\.0\.1:21921"\}/);

  t.same(JSON.parse(text(await call(206))).topicList.sort(), ['A', 'B']);
  t.same(JSON.parse(text(await call(224, { cluster: 'C2' }))).topicList, ['A']);
  const sys = JSON.parse(text(await call(304)));
  t.same(sys.topicList.sort(), ['C2', 'DefaultCluster', 'broker-a', 'broker-b']);
  t.ok(sys.brokerAddr);
  t.same(JSON.parse(text(await call(311))), { topicList: [] });

  const wiped = await call(205, { brokerName: 'broker-a' });
  t.equal(wiped.ext('wipeTopicCount'), '2');
  const routeA = () => call(105, { topic: 'A' }).then((r) => JSON.parse(text(r)).queueDatas as Array<{ brokerName: string; perm: number }>);
  t.equal((await routeA()).find((q) => q.brokerName === 'broker-a')!.perm, 4);
  t.equal((await call(327, { brokerName: 'broker-a' })).ext('addTopicCount'), '2');
  t.equal((await routeA()).find((q) => q.brokerName === 'broker-a')!.perm, 6);

  const dvReq = { brokerName: 'broker-a', brokerAddr: BROKER_ADDR, clusterName: 'DefaultCluster', brokerId: '0' };
  const same = await call(322, dvReq, Buffer.from('{"counter":0,"timestamp":1795742361224}'));
  t.equal(same.ext('changed'), 'false');
  t.same(JSON.parse(text(same)), { counter: 0, timestamp: 1795742361224 });
  t.equal((await call(322, dvReq, Buffer.from('{"counter":5,"timestamp":1795742361224}'))).ext('changed'), 'true');

  t.equal((await call(216, { topic: 'B' })).code, 0);
  t.equal((await call(105, { topic: 'B' })).code, 17);

  t.match(text(await call(319)), /^scanNotActiveBrokerIntervalMs=10000$/m);
  t.equal((await call(318, null, Buffer.from('brokerChannelExpiredMs=5000\nnotAKey=1\n'))).code, 0);
  t.equal(ns.config.brokerChannelExpiredMs, 5000);
  t.match(text(await call(319)), /^brokerChannelExpiredMs=5000$/m);
  const refused = await call(318, null, Buffer.from('kvConfigPath=/tmp/x\n'));
  t.equal(refused.code, 16);
  const bad = await call(318, null, Buffer.from('brokerChannelExpiredMs=soon\n'));
  t.equal(bad.code, 1);
  t.match(bad.remark, /brokerChannelExpiredMs.*soon/);

  t.equal((await call(104, { ...dvReq })).code, 0);
  t.same((await routeA()).map((q) => q.brokerName), ['broker-b']);

  const unknown = await call(9999);
  t.equal(unknown.code, 3);
  const missingField = await call(105);
  t.equal(missingField.code, 1, 'a request without its header field fails, the connection stays');
  t.equal((await call(105, { topic: 'A' })).code, 0);
});
