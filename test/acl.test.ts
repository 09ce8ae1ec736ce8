// ACL 1.0 (Apache plain_acl.yml): signed requests from Apache's AclClientRPCHook layout, ali-ons and
// our client are served; a wrong secret, an unknown key, a denied topic or group, a non-admin admin call
// get NO_PERMISSION (16) with the reason and write nothing; a white-listed address needs no key; the
// file is reloaded when it changes. Plus the signature against a value computed by hand.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { RemotingClient, RemotingCommand, aclClientRPCHook, aclSignature, silentLogger } from '../packages/remoting/dist/index.js';
import { parseAclConfig, parseYaml, addressMatcher } from '../packages/broker/dist/acl/index.js';
import { Producer } from '../packages/client/dist/index.js';
import { sendHeaderV2, startServer, tmpDir, waitFor } from './helpers/mq-process.js';
import { closeOnsInnerProducer, httpclientStub as httpclient, ons, quietOnsLogger as onsLogger } from './helpers/ons.js';

const noop = (): void => {};

t.test('signature: Apache AclClientRPCHook layout, checked against a value computed by hand', async (t) => {
  // Sorted by field name (Java String order: 'AccessKey' < 'a' < 'b'), Signature left out, values
  // concatenated, body appended: "RocketMQ" + "GroupA" + "TopicA" + "hello", HmacSHA1 key "12345678".
  // printf 'RocketMQGroupATopicAhello' | openssl dgst -sha1 -hmac 12345678 -binary | base64
  const expected = 'DCdQ+JOzGeD7L1k+q844tLM+620=';
  t.equal(aclSignature({ b: 'TopicA', AccessKey: 'RocketMQ', a: 'GroupA', Signature: 'old' }, Buffer.from('hello'), '12345678'), expected);
  t.equal(aclSignature({ b: 'TopicA', AccessKey: 'RocketMQ', a: 'GroupA' }, [Buffer.from('hel'), Buffer.from('lo')], '12345678'), expected, 'body in parts');
  const cmd = RemotingCommand.request(310, { a: 'GroupA', b: 'TopicA' }, Buffer.from('hello'));
  aclClientRPCHook({ accessKey: 'RocketMQ', secretKey: '12345678' }).doBeforeRequest!('127.0.0.1:1', cmd);
  t.equal(cmd.ext('AccessKey'), 'RocketMQ');
  t.equal(cmd.ext('Signature'), expected, 'the client hook adds AccessKey, then signs');
});

const ACL_YML = (extraWhite = ''): string => `# Apache's sample layout
globalWhiteRemoteAddresses:
  - 10.10.103.*
  - 192.168.0.*${extraWhite ? `\n  - ${extraWhite}` : ''}

accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - AclTopicOk=PUB|SUB
      - AclTopicDenied=DENY
      - AclTopicSubOnly=SUB
    groupPerms:
      # the group is checked as its retry topic
      - aclGroupDenied=DENY
      - aclGroupOk=SUB
  - accessKey: rocketmq2
    secretKey: "12345678"
    whiteRemoteAddress: 192.168.1.*
    # if it is admin, it could access all resources
    admin: true
`;

t.test('yaml subset and address patterns', async (t) => {
  const doc = parseYaml(ACL_YML()) as Record<string, unknown>;
  t.same(doc['globalWhiteRemoteAddresses'], ['10.10.103.*', '192.168.0.*']);
  const cfg = parseAclConfig(ACL_YML());
  t.equal(cfg.accounts.size, 2);
  const a = cfg.accounts.get('RocketMQ')!;
  t.equal(a.secretKey, '12345678');
  t.equal(a.admin, false);
  t.equal(a.perms.get('%RETRY%aclGroupDenied'), 1, 'DENY');
  t.equal(a.perms.get('AclTopicOk'), 12, 'PUB|SUB');
  t.equal(cfg.accounts.get('rocketmq2')!.admin, true);
  t.same(parseYaml('a: [x, "y z", \'q\']\nb:\n- 1\n- 2\n'), { a: ['x', 'y z', 'q'], b: ['1', '2'] });
  t.throws(() => parseAclConfig('accounts:\n  - accessKey: short\n    secretKey: 12345678\n'), /length should longer than 6/);
  t.throws(() => parseYaml('a: &anchor x\n'), /unsupported/);
  t.ok(addressMatcher('192.168.1.{1,5}')('192.168.1.5'));
  t.notOk(addressMatcher('192.168.1.{1,5}')('192.168.1.4'));
  t.ok(addressMatcher('10.1-3.*.*')('10.2.9.9'));
  t.notOk(addressMatcher('10.1-3.*.*')('10.4.9.9'));
  t.ok(addressMatcher('*')('1.2.3.4'));
  t.notOk(addressMatcher('')('1.2.3.4'));
});

t.test('broker with aclEnable=true', async (t) => {
  const dir = tmpDir('acl');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const storeDir = path.join(dir, 'store');
  const aclFile = path.join(dir, 'plain_acl.yml');
  fs.writeFileSync(aclFile, ACL_YML());
  const s = await startServer({ storeDir, extra: ['--aclEnable=true', `--aclPlainFile=${aclFile}`, '--autoCreateTopicEnable=false'] });
  t.teardown(() => s.stop());
  const client = (accessKey?: string, secretKey?: string): RemotingClient => {
    const c = new RemotingClient({ logger: silentLogger, rpcHook: accessKey ? aclClientRPCHook({ accessKey, secretKey: secretKey! }) : undefined });
    t.teardown(() => c.close());
    return c;
  };
  const user = client('RocketMQ', '12345678');
  const admin = client('rocketmq2', '12345678');
  const call = (c: RemotingClient, code: number, ext: Record<string, unknown>, body: Buffer | null = null) =>
    c.invoke(s.brokerAddr, RemotingCommand.request(code, ext as never, body), 5000);
  const createTopic = (c: RemotingClient, topic: string) => call(c, 17, {
    topic, defaultTopic: 'TBW102', readQueueNums: 1, writeQueueNums: 1, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
  });
  const maxOffset = async (topic: string): Promise<number> => {
    const r = await call(admin, 30, { topic, queueId: 0 });
    return Number(r.ext('offset'));
  };
  const pull = (c: RemotingClient, topic: string, group: string) => call(c, 11, {
    consumerGroup: group, topic, queueId: 0, queueOffset: 0, maxMsgNums: 32, sysFlag: 4, commitOffset: 0,
    suspendTimeoutMillis: 0, subscription: '*', subVersion: Date.now(), expressionType: 'TAG',
  });

  // admin calls: an admin account is served, a non-admin one refused
  let r = await createTopic(user, 'AclTopicOk');
  t.equal(r.code, 16, 'non-admin UPDATE_AND_CREATE_TOPIC: NO_PERMISSION');
  t.match(r.remark, /Need admin permission for request code=17/);
  for (const topic of ['AclTopicOk', 'AclTopicDenied', 'AclTopicSubOnly']) t.equal((await createTopic(admin, topic)).code, 0, `admin creates ${topic}`);

  // right key: served
  r = await call(user, 310, sendHeaderV2('AclTopicOk', 0, '', 'aclProducer'), Buffer.from('signed hello'));
  t.equal(r.code, 0, 'signed send to a PUB topic: served');
  r = await pull(user, 'AclTopicOk', 'aclGroupOk');
  t.equal(r.code, 0, 'signed pull with a SUB group: served');
  t.match(r.bodyBuffer()?.toString('latin1') ?? '', /signed hello/);

  // wrong secret, unknown key, no key at all
  r = await call(client('RocketMQ', 'wrong-secret'), 310, sendHeaderV2('AclTopicOk', 0), Buffer.from('bad secret'));
  t.equal(r.code, 16, 'wrong secret: NO_PERMISSION');
  t.match(r.remark, /Check signature failed for accessKey=RocketMQ/);
  r = await call(client('NoSuchKey1', '12345678'), 310, sendHeaderV2('AclTopicOk', 0), Buffer.from('unknown key'));
  t.equal(r.code, 16, 'unknown key: NO_PERMISSION');
  t.match(r.remark, /No acl config for NoSuchKey1/);
  const anon = client();
  r = await call(anon, 310, sendHeaderV2('AclTopicOk', 0), Buffer.from('no key'));
  t.equal(r.code, 16, 'no key from a non-white-listed address: NO_PERMISSION');
  t.match(r.remark, /No accessKey is configured/);

  // a tampered body after signing fails the signature
  const tampered = RemotingCommand.request(310, sendHeaderV2('AclTopicOk', 0) as never, Buffer.from('original'));
  aclClientRPCHook({ accessKey: 'RocketMQ', secretKey: '12345678' }).doBeforeRequest!(s.brokerAddr, tampered);
  tampered.body = Buffer.from('tampered');
  r = await anon.invoke(s.brokerAddr, tampered, 5000);
  t.equal(r.code, 16, 'body changed after signing: NO_PERMISSION');

  // denied topic / SUB-only topic / denied group
  r = await call(user, 310, sendHeaderV2('AclTopicDenied', 0), Buffer.from('denied'));
  t.equal(r.code, 16, 'send to a DENY topic: NO_PERMISSION');
  t.match(r.remark, /topic AclTopicDenied: needs PUB/);
  r = await call(user, 310, sendHeaderV2('AclTopicSubOnly', 0), Buffer.from('sub only'));
  t.equal(r.code, 16, 'send to a SUB-only topic: NO_PERMISSION');
  r = await pull(user, 'AclTopicOk', 'aclGroupDenied');
  t.equal(r.code, 16, 'pull with a DENY group: NO_PERMISSION');
  t.match(r.remark, /group aclGroupDenied: needs SUB/);
  r = await pull(user, 'AclTopicDenied', 'aclGroupOk');
  t.equal(r.code, 16, 'pull of a DENY topic: NO_PERMISSION');
  t.equal(await maxOffset('AclTopicDenied'), 0, 'nothing was written to the denied topic');
  t.equal(await maxOffset('AclTopicSubOnly'), 0, 'nothing was written to the SUB-only topic');
  t.equal(await maxOffset('AclTopicOk'), 1, 'only the signed, allowed send was written');

  // our client with accessKey/secretKey
  const producer = new Producer({ groupName: 'aclOurProducer', namesrvAddr: s.nsAddr, instanceName: 'acl-ours', accessKey: 'RocketMQ', secretKey: '12345678' });
  await producer.start();
  t.teardown(() => producer.shutdown());
  const sr = await producer.send({ topic: 'AclTopicOk', body: 'from our client' });
  t.equal(sr.status, 'SEND_OK', '@rmq/client with keys: served');
  const bad = new Producer({ groupName: 'aclOurProducer2', namesrvAddr: s.nsAddr, instanceName: 'acl-ours-bad', accessKey: 'RocketMQ', secretKey: 'not-the-secret', retryTimesWhenSendFailed: 0 });
  await bad.start();
  t.teardown(() => bad.shutdown());
  await t.rejects(bad.send({ topic: 'AclTopicOk', body: 'x' }), /Check signature failed|16/, '@rmq/client with a wrong secret: refused');

  // ali-ons with keys
  const onsProducer = new ons.Producer({ nameSrv: s.nsAddr, httpclient, producerGroup: 'aclOnsProducer', logger: onsLogger, accessKey: 'RocketMQ', secretKey: '12345678' });
  onsProducer.on('error', noop);
  await onsProducer.ready();
  const or = await onsProducer.send(new ons.Message('AclTopicOk', 'TagA', 'from ali-ons'));
  t.equal(or.sendStatus, 'SEND_OK', 'ali-ons with keys: served');
  await onsProducer.close().catch(noop);
  await closeOnsInnerProducer();
  t.equal(await maxOffset('AclTopicOk'), 3, 'both signed clients wrote');

  // the file changes: 127.0.0.1 becomes a global white address, a request without a key then passes
  fs.writeFileSync(aclFile, ACL_YML('127.0.0.1'));
  await waitFor(async () => (await call(anon, 310, sendHeaderV2('AclTopicDenied', 0), Buffer.from('white-listed'))).code === 0, 20000, 'the reloaded file to take effect');
  t.pass('white-listed address without a key: served (after the reload)');
  t.match(s.err() + s.out(), /acl: .*plain_acl\.yml reloaded/);
  // a broken edit keeps the previous rules
  fs.writeFileSync(aclFile, 'accounts:\n  - accessKey: x\n');
  await waitFor(() => /not reloaded/.test(s.err() + s.out()), 20000, 'the broken edit to be reported');
  t.equal((await call(anon, 30, { topic: 'AclTopicOk', queueId: 0 })).code, 0, 'previous rules kept after a broken edit');
});
