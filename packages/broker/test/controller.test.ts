// BrokerController against a fake name server: REGISTER_BROKER at start with the 4.9.8 header
// fields and body, a oneway re-register after a topic is created, periodic re-registration,
// UNREGISTER_BROKER on shutdown; consumer channels expire without heartbeats; metadata files
// survive a restart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import t from 'tap';
import { RemotingClient, RemotingCommand, RemotingServer, silentLogger, type Channel } from '@rmq/remoting';
import type { StoreConfig } from '@rmq/store';
import { BrokerController } from '../src/controller.js';
import { defaultBrokerConfig, type BrokerConfig } from '../src/config.js';
import { MemoryStore } from './helpers/memory-store.js';
import { FIXTURES_DIR as FIXTURES } from '../../../test/helpers/fixtures.js';
import { waitFor } from '../../../test/helpers/wait.js';


async function fakeNamesrv(t: { teardown(fn: () => unknown): void }) {
  const seen: RemotingCommand[] = [];
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  server.registerProcessor(103, (req) => { seen.push(req); return RemotingCommand.response(0, null, {}); });
  server.registerProcessor(104, (req) => { seen.push(req); return RemotingCommand.response(0, null); });
  const port = await server.listen();
  t.teardown(() => server.close());
  return { seen, addr: `127.0.0.1:${port}` };
}

function broker(t: { teardown(fn: () => unknown): void }, over: Partial<BrokerConfig>, dir?: string): BrokerController {
  const root = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'broker-ctl-'));
  if (!dir) t.teardown(() => fs.rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }));
  const storeConfig = { storePathRootDir: root, storeHost: { ip: '127.0.0.1', port: 0 }, maxMessageSize: 4 << 20 } as unknown as StoreConfig;
  return new BrokerController(defaultBrokerConfig({ listenPort: 0, ...over }), storeConfig, { logger: silentLogger, openStore: (c) => MemoryStore.open(c) });
}

t.test('registration with the name server', async (t) => {
  const ns = await fakeNamesrv(t);
  const b = broker(t, { namesrvAddr: ns.addr, registerBrokerIntervalMs: 1000 });
  await b.start();
  t.teardown(() => b.shutdown());
  t.equal(ns.seen.length, 1, 'REGISTER_BROKER during start');
  const reg = ns.seen[0]!;
  const apache = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'broker-register.json'), 'utf8')).frames[0];
  t.same(Object.keys(reg.extFields!).sort(), Object.keys(apache.header.extFields).sort(), 'same header fields as Apache');
  t.match(reg.extFields, { brokerName: 'broker-a', clusterName: 'DefaultCluster', brokerId: '0', compressed: 'false',
    brokerAddr: `127.0.0.1:${b.port}`, haServerAddr: `127.0.0.1:${b.port + 1}` });
  const body = reg.body as Buffer;
  t.equal(Number(reg.extFields!.bodyCrc32), crc32(body) & 0x7fffffff, 'bodyCrc32 = CRC32 & 0x7fffffff (UtilAll.crc32)');
  const parsed = JSON.parse(body.toString());
  t.same(Object.keys(parsed), ['filterServerList', 'topicConfigSerializeWrapper']);
  t.ok(parsed.topicConfigSerializeWrapper.topicConfigTable.TBW102, 'topic table included');
  t.match(parsed.topicConfigSerializeWrapper.dataVersion, { counter: Number, timestamp: Number });
  t.notOk(reg.isOneway());

  // A topic created on the send path: one oneway REGISTER_BROKER right away.
  const client = new RemotingClient({ logger: silentLogger });
  t.teardown(() => client.close());
  const send = await client.invoke(b.brokerAddr, RemotingCommand.request(310, { a: 'p', b: 'Auto1', c: 'TBW102', d: 4, e: 0, f: 0, g: 1, h: 0, i: '' }, Buffer.from('x')), 3000);
  t.equal(send.code, 0);
  await waitFor(() => ns.seen.slice(1).some((r) => r.isOneway()), 5000, 'the oneway REGISTER_BROKER');
  const oneway = ns.seen.slice(1).find((r) => r.isOneway());
  t.ok(oneway, 'oneway REGISTER_BROKER after the topic was created');
  t.ok(JSON.parse((oneway!.body as Buffer).toString()).topicConfigSerializeWrapper.topicConfigTable.Auto1, 'with the new topic');
  const before = ns.seen.filter((r) => !r.isOneway()).length;
  await waitFor(() => ns.seen.filter((r) => !r.isOneway()).length > before, 5000, 'the next periodic REGISTER_BROKER');
  t.ok(ns.seen.filter((r) => !r.isOneway()).length > before, 'periodic REGISTER_BROKER');
  await b.shutdown();
  t.equal(ns.seen.at(-1)!.code, 104, 'UNREGISTER_BROKER on shutdown');
  t.match(ns.seen.at(-1)!.extFields, { brokerName: 'broker-a', clusterName: 'DefaultCluster', brokerId: '0', brokerAddr: `127.0.0.1:${b.port}` });
});

t.test('consumer channels expire without heartbeats; close leaves the group', async (t) => {
  const b = broker(t, {});
  await b.start();
  t.teardown(() => b.shutdown());
  const notified: string[] = [];
  const mkChannel = (id: number): Channel => ({
    id, remoteAddress: `127.0.0.1:${1000 + id}`, localAddress: '', closed: false, attrs: new Map(),
    send() {}, reply() {}, invoke: async () => RemotingCommand.response(0), invokeOneway: (cmd) => { notified.push(`${id}:${cmd.code}`); }, close() {},
  });
  const a = mkChannel(1);
  const c = mkChannel(2);
  const cm = b.consumerManager;
  const info = (ch: Channel, clientId: string, ts: number) => ({ channel: ch, clientId, language: 'JAVA', version: 0, lastUpdateTimestamp: ts });
  t.ok(cm.registerConsumer('g', info(a, 'A', 0), 'PUSH', 'CLUSTERING', 'LAST', [], true), 'new member');
  t.ok(cm.registerConsumer('g', info(c, 'C', 100_000), 'PUSH', 'CLUSTERING', 'LAST', [], true));
  t.same(notified, ['1:40', '1:40', '2:40'], 'NOTIFY_CONSUMER_IDS_CHANGED to every member on each change');
  t.notOk(cm.registerConsumer('g', info(c, 'C', 110_000), 'PUSH', 'CLUSTERING', 'LAST', [], true), 'heartbeat of a known member: no change');
  const expired = cm.scanNotActiveChannel(125_000);
  t.same(expired.map((x) => x.id), [1], 'A silent for more than 120 s');
  t.same(cm.getConsumerGroupInfo('g')!.allClientIds(), ['C']);
  cm.doChannelCloseEvent(c);
  t.equal(cm.getConsumerGroupInfo('g'), undefined, 'last member gone: group removed');
});

t.test('metadata survives a restart', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'broker-ctl-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }));
  const b1 = broker(t, {}, dir);
  await b1.start();
  const client = new RemotingClient({ logger: silentLogger });
  t.teardown(() => client.close());
  await client.invoke(b1.brokerAddr, RemotingCommand.request(310, { a: 'p', b: 'Kept', c: 'TBW102', d: 2, e: 0, f: 0, g: 1, h: 0, i: '' }, Buffer.from('x')), 3000);
  await client.invoke(b1.brokerAddr, RemotingCommand.request(15, { consumerGroup: 'cg', topic: 'Kept', queueId: 1, commitOffset: 42 }), 3000);
  b1.subscriptionGroupManager.findSubscriptionGroupConfig('cg');
  await b1.shutdown();
  for (const f of ['topics.json', 'subscriptionGroup.json', 'consumerOffset.json', 'delayOffset.json']) {
    t.ok(fs.existsSync(path.join(dir, 'config', f)), `${f} written`);
    t.notOk(fs.existsSync(path.join(dir, 'config', f + '.tmp')), `${f}: no temp file left`);
  }
  const b2 = broker(t, {}, dir);
  await b2.start();
  t.teardown(() => b2.shutdown());
  t.match(b2.topicConfigManager.selectTopicConfig('Kept'), { readQueueNums: 2 });
  t.equal(b2.consumerOffsetManager.queryOffset('cg', 'Kept', 1), 42);
  t.ok(b2.subscriptionGroupManager.table.has('cg'));
});

t.test('a broker without write permission registers its topics read-only', async (t) => {
  const ns = await fakeNamesrv(t);
  const b = broker(t, { namesrvAddr: ns.addr, brokerPermission: 4 });
  await b.start();
  t.teardown(() => b.shutdown());
  const table = JSON.parse((ns.seen[0]!.body as Buffer).toString()).topicConfigSerializeWrapper.topicConfigTable;
  t.equal(table.TBW102.perm, 4, 'perm 7 & 4');
  t.equal(table.SELF_TEST_TOPIC.perm, 4, 'perm 6 & 4');
  t.equal(b.topicConfigManager.selectTopicConfig('TBW102')!.perm, 7, 'the stored config is unchanged');
  const client = new RemotingClient({ logger: silentLogger });
  t.teardown(() => client.close());
  const r = await client.invoke(b.brokerAddr, RemotingCommand.request(310, { a: 'p', b: 'SELF_TEST_TOPIC', c: 'TBW102', d: 4, e: 0, f: 0, g: 1, h: 0, i: '' }, Buffer.from('x')), 3000);
  t.equal(r.code, 16, 'sending is forbidden: NO_PERMISSION');
});
