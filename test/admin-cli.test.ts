// mq-admin (packages/admin/dist/cli.js) as a child process against a real `mq-server standalone`:
// every subcommand once, human output and --json, usage errors (exit 2) and refusals (exit 1).
// Most calls go through run() in this process (the bin is a two-line wrapper around it; a node
// start per call would cost ~0.5 s each); the bin itself is spawned for the exit-code cases.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PushConsumer } from '../packages/client/dist/index.js';
import { run } from '../packages/admin/dist/main.js';
import { startServer, tmpDir, waitFor } from './helpers/mq-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'packages/admin/dist/cli.js');

interface Ran { code: number; out: string; err: string }

/** The bin as a child process (exit codes, stdout/stderr as a shell sees them). */
function spawnAdmin(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 99) : 0, out: String(out), err: String(err) });
    });
  });
}

async function mqAdmin(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  let out = '';
  let err = '';
  const code = await run(args, { out: (x) => { out += x; }, err: (x) => { err += x; }, env: { ...process.env, ...env } });
  return { code, out, err };
}

t.test('mq-admin subcommands against mq-server', async (t) => {
  const dir = tmpDir('admin-cli');
  const s = await startServer({ storeDir: dir });
  let consumer: InstanceType<typeof PushConsumer> | null = null;
  t.teardown(async () => {
    await consumer?.shutdown().catch(() => undefined);
    await s.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const n = ['-n', s.nsAddr];
  const json = async (args: string[]): Promise<any> => {
    const r = await mqAdmin([...args, ...n, '--json']);
    t.equal(r.code, 0, `${args[0]} exits 0 (${r.err.trim()})`);
    return JSON.parse(r.out);
  };
  const topic = 'CliTopic';
  const group = 'CliGroup';

  // Usage and help.
  let r = await spawnAdmin([]);
  t.equal(r.code, 0);
  t.match(r.out, /clusterRT/);
  r = await spawnAdmin(['nope']);
  t.equal(r.code, 2);
  t.match(r.err, /unknown subcommand "nope"/);
  r = await spawnAdmin(['topicRoute', ...n]);
  t.equal(r.code, 2, 'missing -t is a usage error');
  t.match(r.err, /missing -t \(--topic\)/);
  r = await mqAdmin(['updateTopic', '-t', topic, '-c', 'DefaultCluster', '-p', '7', ...n]);
  t.equal(r.code, 2);
  t.match(r.err, /-p must be 2, 4 or 6/);
  r = await mqAdmin(['help', 'updateTopic']);
  t.match(r.out, /-r, --readQueueNums/);

  // clusterList, brokerStatus (human and JSON); the name server from $NAMESRV_ADDR.
  r = await spawnAdmin(['clusterList'], { NAMESRV_ADDR: s.nsAddr });
  t.equal(r.code, 0);
  t.match(r.out, /^#Cluster Name\s+#Broker Name\s+#BID\s+#Addr/m);
  t.match(r.out, new RegExp(`DefaultCluster\\s+broker-a\\s+0\\s+${s.brokerAddr}\\s+V4_9_8`));
  t.equal((await json(['clusterList']))[0].brokerName, 'broker-a');
  t.equal((await json(['brokerStatus', '-b', s.brokerAddr])).brokerVersionDesc, 'V4_9_8');

  // Topics.
  r = await mqAdmin(['updateTopic', '-t', topic, '-c', 'DefaultCluster', '-r', '2', '-w', '2', ...n]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, `create topic to ${s.brokerAddr} success.`);
  await waitFor(async () => (await json(['topicList'])).includes(topic), 20000, 'topic listed');
  r = await mqAdmin(['topicList', ...n]);
  t.match(r.out, new RegExp(`^${topic}$`, 'm'));
  t.equal((await json(['topicRoute', '-t', topic])).queueDatas[0].writeQueueNums, 2);
  r = await spawnAdmin(['topicRoute', '-t', 'NoSuchTopic', ...n]);
  t.equal(r.code, 1, 'an unknown topic fails with exit 1');
  t.match(r.err, /no route/);

  // Messages: sendMessage, then every query.
  const sent = [];
  for (let i = 0; i < 4; i++) sent.push(await json(['sendMessage', '-t', topic, '-p', `cli body ${i}`, '-k', `ck${i}`, '-c', 'TagA']));
  r = await mqAdmin(['sendMessage', '-t', topic, '-p', 'to queue 1', '-b', 'broker-a', '-i', '1', ...n]);
  t.match(r.out, /broker-a\s+1\s+SEND_OK/);
  await waitFor(async () => (await json(['topicStatus', '-t', topic])).reduce((a: number, q: any) => a + q.maxOffset, 0) === 5, 10000, 'stored');
  r = await mqAdmin(['topicStatus', '-t', topic, ...n]);
  t.match(r.out, /#Broker Name\s+#QID\s+#Min Offset\s+#Max Offset\s+#Last Updated/);
  await waitFor(async () => (await json(['queryMsgByKey', '-t', topic, '-k', 'ck2'])).length === 1, 10000, 'indexed');
  t.equal((await json(['queryMsgByKey', '-t', topic, '-k', 'ck2']))[0].body, 'cli body 2');
  const byId = await json(['queryMsgById', '-i', sent[1].offsetMsgId]);
  t.equal(byId[0].body, 'cli body 1');
  r = await mqAdmin(['queryMsgById', '-i', sent[1].offsetMsgId, ...n]);
  t.match(r.out, /Message Body\s+: cli body 1/);
  t.equal((await json(['queryMsgByUniqueKey', '-t', topic, '-i', sent[3].msgId]))[0].body, 'cli body 3');
  const at = await json(['queryMsgByOffset', '-t', topic, '-b', 'broker-a', '-i', String(sent[0].queue.queueId), '-o', String(sent[0].queueOffset)]);
  t.equal(at.body, 'cli body 0');
  const all = await json(['consumeMessage', '-t', topic]);
  t.equal(all.length, 5);
  t.equal((await json(['consumeMessage', '-t', topic, '-b', 'broker-a', '-i', '1', '-c', '10'])).filter((m: any) => m.body === 'to queue 1').length, 1);
  t.equal((await json(['consumeMessage', '-t', topic, '-s', String(Date.now() - 60_000)])).length, 5);
  r = await mqAdmin(['queryMsgById', '-i', 'zz', ...n]);
  t.equal(r.code, 1);

  // Groups.
  r = await mqAdmin(['updateSubGroup', '-g', group, '-c', 'DefaultCluster', '-r', '5', ...n]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /create subscription group to .* success/);
  const seen: string[] = [];
  consumer = new PushConsumer({ groupName: group, namesrvAddr: s.nsAddr, instanceName: 'cli-c', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  consumer.subscribe(topic, '*').onMessage((m) => { seen.push(m.body.toString()); });
  await consumer.start();
  await waitFor(() => seen.length >= 5, 20000, 'consumed');
  await consumer.persistConsumerOffset(true);
  await waitFor(async () => (await json(['consumerProgress', '-g', group])).diff === 0, 10000, 'progress');
  r = await mqAdmin(['consumerProgress', '-g', group, ...n]);
  t.match(r.out, /#Topic\s+#Broker Name\s+#QID\s+#Broker Offset\s+#Consumer Offset\s+#Diff/);
  t.match(r.out, /Diff Total: 0/);
  const conn = await json(['consumerConnection', '-g', group]);
  t.equal(conn.connections.length, 1);
  r = await mqAdmin(['consumerConnection', '-g', group, ...n]);
  t.match(r.out, /MessageModel: CLUSTERING/);
  r = await mqAdmin(['consumerConnection', '-g', 'NobodyHere', ...n]);
  t.equal(r.code, 1);
  t.match(r.err, /not online/);

  // Resend a message to the consumer through queryMsgById -g -d.
  const resent = await json(['queryMsgById', '-i', sent[2].offsetMsgId, '-g', group, '-d', conn.connections[0].clientId]);
  t.equal(resent.consumeResult, 'CR_SUCCESS');
  await waitFor(() => seen.filter((x) => x === 'cli body 2').length === 2, 10000, 'resent');

  // Reset by time: everything again.
  const before = seen.length;
  const reset = await json(['resetOffsetByTime', '-g', group, '-t', topic, '-s', '0']);
  t.same(reset.map((x: any) => x.offset), [0, 0]);
  await waitFor(() => seen.length >= before + 5, 20000, 'consumed again');

  // Producers: a producer group that is online.
  const { Producer } = await import('../packages/client/dist/index.js');
  const producer = new Producer({ groupName: 'CliProducerGroup', namesrvAddr: s.nsAddr, instanceName: 'cli-p' });
  await producer.start();
  await producer.send({ topic, body: 'from producer' });
  const prods = await json(['producerConnection', '-g', 'CliProducerGroup', '-t', topic]);
  t.equal(prods.length, 1);
  r = await mqAdmin(['producerConnection', '-g', 'CliProducerGroup', '-t', topic, ...n]);
  t.match(r.out, /#ClientId\s+#ClientAddr\s+#Language\s+#Version/);
  await producer.shutdown();

  // Broker config and stats.
  t.equal((await json(['getBrokerConfig', '-b', s.brokerAddr])).brokerName, 'broker-a');
  r = await mqAdmin(['updateBrokerConfig', '-b', s.brokerAddr, '-k', 'maxMessageSize', '-v', '3145728', ...n]);
  t.equal(r.code, 0, r.err);
  r = await mqAdmin(['getBrokerConfig', '-c', 'DefaultCluster', ...n]);
  t.match(r.out, /maxMessageSize\s+: 3145728/);
  const stats = await json(['statsAll', '-t', topic]);
  t.match(stats.find((x: any) => x.group === group), { inMsgToday: 6 });
  r = await mqAdmin(['statsAll', '-a', ...n]);
  t.match(r.out, new RegExp(`${topic}\\s+${group}\\s+broker-a`));
  const rt = await json(['clusterRT', '-a', '3', '-s', '64']);
  t.match(rt[0], { brokerName: 'broker-a', successCount: 3, failCount: 0 });
  t.ok(rt[0].rtMsAvg > 0);

  // Delete.
  await consumer.shutdown();
  consumer = null;
  r = await mqAdmin(['deleteSubGroup', '-g', group, '-c', 'DefaultCluster', ...n]);
  t.equal(r.code, 0, r.err);
  r = await mqAdmin(['deleteTopic', '-t', topic, '-c', 'DefaultCluster', ...n]);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /delete topic \[CliTopic\] from NameServer success/);
  t.notOk((await json(['topicList'])).includes(topic));

  // Nothing listening: exit 1 with a connect error.
  r = await mqAdmin(['topicList', '-n', '127.0.0.1:1']);
  t.equal(r.code, 1);
  t.match(r.err, /mq-admin topicList: .*127\.0\.0\.1:1/);
});

t.test('with ACL on the broker: mq-admin and the dashboard sign with an account', async (t) => {
  const dir = tmpDir('admin-acl');
  const aclFile = path.join(dir, 'plain_acl.yml');
  fs.writeFileSync(aclFile, [
    'globalWhiteRemoteAddresses:', 'accounts:',
    '  - accessKey: AdminKey1', '    secretKey: 12345678', '    admin: true',
    '  - accessKey: UserKey1', '    secretKey: 87654321', '    admin: false', '    defaultTopicPerm: PUB|SUB', '    defaultGroupPerm: SUB', '',
  ].join('\n'));
  const { freePort } = await import('./helpers/mq-process.js');
  const httpPort = await freePort();
  const s = await startServer({ storeDir: path.join(dir, 'store'), extra: ['--aclEnable=true', `--aclPlainFile=${aclFile}`, `--adminHttpPort=${httpPort}`] });
  t.teardown(async () => { await s.stop(); fs.rmSync(dir, { recursive: true, force: true }); });
  const n = ['-n', s.nsAddr];
  const create = ['updateTopic', '-c', 'DefaultCluster', '-t', 'AclTopic', ...n];
  let r = await mqAdmin(create);
  t.equal(r.code, 1, 'unsigned: refused');
  t.match(r.err, /CODE: 16/);
  r = await mqAdmin([...create, '--accessKey', 'UserKey1', '--secretKey', '87654321']);
  t.equal(r.code, 1, 'a non-admin account: refused');
  t.match(r.err, /admin/);
  r = await mqAdmin([...create, '--accessKey=AdminKey1', '--secretKey=12345678']);
  t.equal(r.code, 0, `the admin account creates it (${r.err.trim()})`);
  r = await mqAdmin(['topicStatus', '-t', 'AclTopic', ...n], { MQ_ACCESS_KEY: 'AdminKey1', MQ_SECRET_KEY: '12345678' });
  t.equal(r.code, 0, 'credentials from the environment');
  r = await mqAdmin(['topicList', ...n, '--accessKey', 'AdminKey1']);
  t.equal(r.code, 2, 'half the credentials is a usage error');

  const post = async (headers: Record<string, string>) => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/console/api/topic`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ topic: 'AclWebTopic', readQueueNums: 2, writeQueueNums: 2 }),
    });
    return { status: res.status, body: await res.json() as { error?: string } };
  };
  t.equal((await post({})).status, 403, 'dashboard: no account, no action');
  const user = await post({ 'X-Access-Key': 'UserKey1', 'X-Secret-Key': '87654321' });
  t.equal(user.status, 403, 'dashboard: the broker refuses a non-admin account');
  t.match(user.body.error, /admin/);
  t.equal((await post({ 'X-Access-Key': 'AdminKey1', 'X-Secret-Key': '12345678' })).status, 200, 'dashboard: an ACL admin account may act');
  const session = await (await fetch(`http://127.0.0.1:${httpPort}/console/api/session`, { headers: { 'X-Access-Key': 'AdminKey1', 'X-Secret-Key': '12345678' } })).json() as { admin: boolean; acl: boolean };
  t.same([session.admin, session.acl], [true, true]);
});
