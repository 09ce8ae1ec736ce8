// mqadmin against a real broker (BrokerController over @rmq/store on a temp dir): the captured
// mqadmin 4.9.8 requests are sent over TCP, and every reply must carry the captured reply's code,
// remark, ext field names and body shape. Messages come from the captured Java producer's send.
// Also checks the admin HTTP server the controller starts when adminHttpPort > 0.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import {
  RemotingClient, RemotingCommand, decodeCommand, decodeMessages, decodeOffsetMsgId, parseFastJson, silentLogger,
} from '../packages/remoting/dist/index.js';
// Built packages (`pnpm build` runs first): loading the TypeScript sources costs seconds per file set.
import { BrokerController, defaultBrokerConfig } from '../packages/broker/dist/index.js';
import { uwsNativeAvailable } from '../packages/broker/dist/http/index.js';
import { FIXTURES_DIR as FIXTURES } from './helpers/fixtures.js';
import { freePort, waitFor } from './helpers/mq-process.js';


interface Frame { dir: string; peer: string; code: number; opaque: number; requestCode?: number | null; hex: string }

function frames(file: string): Frame[] {
  return (JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as { frames: Frame[] }).frames.filter((f) => f.peer === 'broker');
}

function pair(file: string, code: number): { req: RemotingCommand; res: RemotingCommand } {
  const fs_ = frames(file);
  const q = fs_.find((f) => f.dir === 'c2s' && f.code === code)!;
  const r = fs_.find((f) => f.dir === 's2c' && f.requestCode === code && f.opaque === q.opaque)!;
  return { req: decodeCommand(Buffer.from(q.hex, 'hex')), res: decodeCommand(Buffer.from(r.hex, 'hex')) };
}

function shape(v: unknown): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])];
  if (typeof v === 'object') {
    const keys = Object.keys(v as object);
    if (keys.length > 0 && keys.every((k) => k.startsWith('{'))) {
      return { key: shape(parseFastJson(keys[0]!)), value: shape((v as Record<string, unknown>)[keys[0]!]) };
    }
    return keys.map((k) => [k, shape((v as Record<string, unknown>)[k])]);
  }
  return typeof v;
}

const body = (c: RemotingCommand): any => parseFastJson(c.bodyBuffer()!.toString('utf8'));

/** Everything a reply's header carries except values that differ run to run. */
function headerShape(c: RemotingCommand): unknown {
  return { code: c.code, remark: c.remark, ext: c.extFields === null ? null : Object.keys(c.extFields).sort() };
}

/** GET without keep-alive, so no idle connection outlives the test. */
function httpGet(port: number, p: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    }).on('error', reject);
  });
}

t.test('mqadmin 4.9.8 requests against a real broker', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'admin-mqadmin-'));
  const { defaultStoreConfig } = await import('../packages/store/dist/index.js');
  const adminHttpPort = await freePort();
  const broker = new BrokerController(
    defaultBrokerConfig({ listenPort: 0, namesrvAddr: '', adminHttpPort }),
    defaultStoreConfig({ storePathRootDir: dir, mappedFileSizeCommitLog: 4 * 1024 * 1024, mappedFileSizeConsumeQueue: 3000 * 20 }),
    { logger: silentLogger },
  );
  await broker.start();
  const client = new RemotingClient({ logger: silentLogger });
  t.teardown(async () => {
    await client.close();
    await broker.shutdown();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const addr = `127.0.0.1:${broker.port}`;
  const call = (c: RemotingCommand): Promise<RemotingCommand> => {
    const fresh = new RemotingCommand(c.code);
    fresh.extFields = c.extFields;
    fresh.body = c.body;
    fresh.opaque = Math.floor(Math.random() * 1e9);
    return client.invoke(addr, fresh, 5000);
  };

  // 17: updateTopic FixtureTopic (4/4, perm 6).
  let x = pair('admin-update-topic.json', 17);
  let r = await call(x.req);
  t.same(headerShape(r), headerShape(x.res), '17 reply');

  // The Java producer's send (tags TagB, keys "order-1001 key1 key2") three times.
  const send = pair('send-tags-keys-properties.json', 310);
  const msgIds: string[] = [];
  for (let i = 0; i < 3; i++) {
    const s = await call(send.req);
    t.equal(s.code, 0, 'send ok');
    msgIds.push(s.ext('msgId')!);
  }

  // 202: topicStatus (once the dispatcher has built the consume queues and the index).
  x = pair('admin-topic-status.json', 202);
  const q0 = (c: RemotingCommand) => body(c).offsetTable['{"brokerName":"broker-a","queueId":0,"topic":"FixtureTopic"}'].maxOffset;
  await waitFor(async () => q0(r = await call(x.req)) === 3, 10_000, 'the consume queues to hold the three messages').catch(() => undefined);
  t.same(headerShape(r), headerShape(x.res), '202 reply');
  t.same(shape(body(r)), shape(body(x.res)), '202 body shape');
  t.equal(body(r).offsetTable['{"brokerName":"broker-a","queueId":0,"topic":"FixtureTopic"}'].maxOffset, 3);

  // Offsets committed by a consumer, then 208: consumerProgress.
  for (let q = 0; q < 4; q++) {
    await client.invokeOneway(addr, RemotingCommand.request(15, { consumerGroup: 'FixtureConsumerGroup', topic: 'FixtureTopic', queueId: q, commitOffset: q === 0 ? 2 : 0 }).markOneway());
  }
  await waitFor(() => [0, 1, 2, 3].every((q) => broker.consumerOffsetManager.queryOffset('FixtureConsumerGroup', 'FixtureTopic', q) === (q === 0 ? 2 : 0)),
    5000, 'the four oneway commits');
  x = pair('admin-consumer-progress.json', 208);
  r = await call(x.req);
  t.same(headerShape(r), headerShape(x.res), '208 reply');
  const progress = body(r);
  t.same(shape(progress), shape(body(x.res)), '208 body shape');
  t.match(progress.offsetTable['{"brokerName":"broker-a","queueId":0,"topic":"FixtureTopic"}'], { brokerOffset: 3, consumerOffset: 2 });
  t.ok(progress.offsetTable['{"brokerName":"broker-a","queueId":0,"topic":"FixtureTopic"}'].lastTimestamp > 0);

  // 33: queryMsgById with the offset decoded from our msgId.
  x = pair('admin-query-msg-by-id.json', 33);
  const view = RemotingCommand.request(33, { offset: decodeOffsetMsgId(msgIds[1]!).offset });
  r = await call(view);
  t.same(headerShape(r), headerShape(x.res), '33 reply');
  const [m] = decodeMessages(r.bodyBuffer()!);
  const [captured] = decodeMessages(x.res.bodyBuffer()!);
  t.equal(m!.topic, captured!.topic);
  t.equal(m!.properties.TAGS ?? (m as any).tags, 'TagB');
  t.same(m!.body, captured!.body, 'same body as the Java client sent');

  // 300 + 203: who consumes FixtureTopic, and their (offline) connections.
  x = pair('admin-query-msg-by-id.json', 300);
  r = await call(x.req);
  t.same(headerShape(r), headerShape(x.res), '300 reply');
  t.same(body(r), { groupList: ['FixtureConsumerGroup'] });
  x = pair('admin-query-msg-by-id.json', 203);
  r = await call(x.req);
  t.same(headerShape(r), headerShape(x.res), '203 reply: 206 not online, same remark');

  // 12: queryMsgByKey (the IndexFile is built asynchronously, in batches: wait for it as a client would retry).
  await waitFor(async () => (r = await call(RemotingCommand.request(12, { topic: 'FixtureTopic', key: 'order-1001', maxNum: 32, beginTimestamp: 0,
    endTimestamp: Date.now() + 60_000 }))).code === 0
    && decodeMessages(r.bodyBuffer()!).length === 3, 10_000, 'the IndexFile to hold all three by key').catch(() => undefined);
  t.equal(r.code, 0, 'found by key through the IndexFile');
  t.equal(decodeMessages(r.bodyBuffer()!).length, 3);
  t.ok(Number(r.ext('indexLastUpdateTimestamp')) > 0);
  r = await call(RemotingCommand.request(12, { topic: 'FixtureTopic', key: 'nope', maxNum: 32, beginTimestamp: 0, endTimestamp: Date.now() + 60_000 }));
  t.equal(r.code, 22);

  // 28: clusterList's runtime info; 25/26 config.
  x = pair('admin-cluster-list.json', 28);
  r = await call(x.req);
  t.same(headerShape(r), headerShape(x.res), '28 reply');
  const table = body(r).table;
  for (const k of Object.keys(body(x.res).table)) {
    if (!k.startsWith('commitLogDiskRatio_') && !k.startsWith('scheduleMessageOffset_')) t.ok(k in table, `runtime info has ${k}`);
  }
  t.equal(table.msgPutTotalTodayNow, '3');
  x = pair('admin-update-broker-config.json', 25);
  r = await call(x.req);
  t.same(headerShape(r), headerShape(x.res), '25 reply');
  r = await call(RemotingCommand.request(26));
  t.match(r.bodyBuffer()!.toString(), /^transactionCheckInterval=5000$/m);

  // 21 / 43 / 201 / 317 parse.
  t.ok('FixtureTopic' in body(await call(RemotingCommand.request(21))).topicConfigTable);
  t.match((await call(RemotingCommand.request(43))).bodyBuffer()!.toString(), /"FixtureTopic@FixtureConsumerGroup":\{0:2/);
  t.ok('subscriptionGroupTable' in body(await call(RemotingCommand.request(201))));
  t.equal(body(await call(RemotingCommand.request(317, { isOrder: false }))).brokerAddr, addr);

  // Admin HTTP started by the controller.
  if (uwsNativeAvailable()) {
    t.equal(broker.adminHttpPort, adminHttpPort);
    const metrics = await httpGet(adminHttpPort, '/metrics');
    t.match(metrics, /^rocketmq_messages_put_total\{cluster="DefaultCluster",broker="broker-a"\} 3$/m);
    const topics = JSON.parse(await httpGet(adminHttpPort, '/api/topics')) as Array<{ topic: string; queues?: Array<{ maxOffset: number }> }>;
    t.equal(topics.find((x) => x.topic === 'FixtureTopic')!.queues![0]!.maxOffset, 3);
  }

  // 215: deleteTopic.
  r = await call(RemotingCommand.request(215, { topic: 'FixtureTopic' }));
  t.equal(r.code, 0);
  t.notOk('FixtureTopic' in body(await call(RemotingCommand.request(21))).topicConfigTable);
});
