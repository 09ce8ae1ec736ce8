// mq-server as a process: `mq-server namesrv` answers the npm client ali-ons (routes as it parses
// them, code 17 for unknown topics), refuses bad config (exit 2) and a busy port (exit 1), and exits
// 0 on SIGTERM.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { RemotingClient, RemotingCommand, silentLogger } from '../packages/remoting/dist/index.js';
import { freePort, spawnMq } from './helpers/mq-process.js';

const require = createRequire(import.meta.url);
const ons = require('ali-ons');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const httpclient = { request: async () => { throw new Error('no HTTP name-server lookup in tests'); } };

t.test('mq-server namesrv: ali-ons gets routes and code 17; a busy port exits 1; SIGTERM exits 0', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-server-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const port = await freePort();
  const common = [`--namesrvListenHost=127.0.0.1`, `--kvConfigPath=${path.join(dir, 'kv.json')}`];
  const server = spawnMq(['namesrv', `--namesrvListenPort=${port}`, ...common, '--notAKey=1'], { t });
  await server.waitOutput(new RegExp(`^name server listening on 127\\.0\\.0\\.1:${port}$`, 'm'));
  t.match(server.err(), /warning: unknown key 'notAKey' \(command line\) ignored/);

  // Short task intervals: ali-ons's scheduled loops only notice close() after their next sleep.
  const intervals = { pollNameServerInteval: 300, heartbeatBrokerInterval: 300, persistConsumerOffsetInterval: 300, rebalanceInterval: 300 };
  const producer = new ons.Producer({
    nameSrv: `127.0.0.1:${port}`, httpclient, producerGroup: 'mq_server_cli_test', logger: quiet, ...intervals,
  });
  // Its 300 ms loops may reach the name server after the SIGTERM below: an 'error' event, not a crash.
  producer.on('error', () => {});
  await producer.ready();
  t.teardown(async () => {
    await producer.close();
    await ons.Producer.defaultProducer?.close(); // the process-wide CLIENT_INNER_PRODUCER
  });

  const err = await producer.send(new ons.Message('NoSuchTopicForCli', 'TagA', 'hello')).then(() => null, (e: any) => e);
  t.ok(err, 'send to an unknown topic fails');
  t.equal(err.name, 'MQClientException');
  t.equal(err.code, 17);
  t.match(err.message, /No topic route info in name server for the topic: NoSuchTopicForCli/);

  // A broker registers; ali-ons parses the fastjson route (unquoted integer keys) it gets back.
  const broker = new RemotingClient({ logger: silentLogger });
  t.teardown(() => broker.close());
  const body = Buffer.from(JSON.stringify({
    filterServerList: [],
    topicConfigSerializeWrapper: {
      dataVersion: { counter: 0, timestamp: Date.now() },
      topicConfigTable: { CliTopic: { perm: 6, readQueueNums: 4, topicName: 'CliTopic', topicSysFlag: 0, writeQueueNums: 4 } },
    },
  }));
  const reg = await broker.invoke(`127.0.0.1:${port}`, RemotingCommand.request(103, {
    brokerName: 'broker-x', brokerAddr: '127.0.0.1:1', clusterName: 'DefaultCluster', haServerAddr: '', brokerId: 0,
  }, body), 3000);
  t.equal(reg.code, 0);
  const route = await producer._mqClient.getTopicRouteInfoFromNameServer('CliTopic', 3000);
  t.same(route.brokerDatas, [{ brokerAddrs: { 0: '127.0.0.1:1' }, brokerName: 'broker-x', cluster: 'DefaultCluster' }]);
  t.same(route.queueDatas, [{ brokerName: 'broker-x', perm: 6, readQueueNums: 4, topicSysFlag: 0, writeQueueNums: 4 }]);

  const busy = spawnMq(['namesrv', `--namesrvListenPort=${port}`, ...common]);
  t.equal((await busy.exited).code, 1, 'a second server on the same port exits 1');
  t.equal(busy.err().trim(), `mq-server: name server cannot listen on 127.0.0.1:${port}: address already in use`);

  t.equal((await server.kill('SIGTERM')).code, 0, 'SIGTERM: clean exit');
  t.match(server.out(), /SIGTERM received, shutting down/);
});

t.test('mq-server refuses bad values (exit 2) and prints every key for --help', async (t) => {
  const bad = spawnMq(['namesrv', '--namesrvListenPort=ninety']);
  t.equal((await bad.exited).code, 2);
  t.equal(bad.err().trim(), "mq-server: bad value for namesrvListenPort: 'ninety' is not a number (command line)");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-server-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const conf = path.join(dir, 'broker.conf');
  fs.writeFileSync(conf, '# comment\nbrokerChannelExpiredMs = soon\n');
  const badFile = spawnMq(['namesrv', '-c', conf]);
  t.equal((await badFile.exited).code, 2);
  t.match(badFile.err(), /bad value for brokerChannelExpiredMs: 'soon' is not a number/);

  const help = spawnMq(['--help']);
  t.equal((await help.exited).code, 0);
  for (const key of ['namesrvListenPort=9876', 'kvConfigPath=', 'scanNotActiveBrokerIntervalMs=10000', 'brokerChannelExpiredMs=120000']) {
    t.match(help.out(), key);
  }
  t.match(help.out(), /^ {2}namesrvListenHost=127\.0\.0\.1$/m, 'the name server listens on loopback by default');
  t.match(help.out(), /^ {2}diskMaxUsedSpaceRatio=75\n.*\n {6}allowed: an integer from 10 to 95 \(percent\)$/m);
});

t.test('every config refusal exits 2 with one line naming key, value and what is allowed; nothing starts', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-server-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const base = ['standalone', '--namesrvListenPort=0', '--listenPort=0', `--storePathRootDir=${path.join(dir, 'store')}`,
    `--kvConfigPath=${path.join(dir, 'kv.json')}`];
  const cases: Array<[string, RegExp]> = [
    ['--listenPort=abc', /^mq-server: bad value for listenPort: 'abc' is not a number \(command line\)$/],
    ['--messageDelayLevel=1x', /^mq-server: bad value for messageDelayLevel: '1x' is not space-separated durations/],
    ['--flushDiskType=SOMETIMES', /^mq-server: bad value for flushDiskType: 'SOMETIMES' is not one of ASYNC_FLUSH, SYNC_FLUSH/],
    ['--diskMaxUsedSpaceRatio=150', /^mq-server: bad value for diskMaxUsedSpaceRatio: '150' is not an integer from 10 to 95/],
    ['--deleteWhen=25', /^mq-server: bad value for deleteWhen: '25' is not hours of the day 00\.\.23/],
    ['--maxMessageSize=0', /^mq-server: bad value for maxMessageSize: '0' is not an integer >= 1/],
    ['--fileReservedTime=-1', /^mq-server: bad value for fileReservedTime: '-1' is not an integer >= 0/],
    ['--aclEnable=true', /^mq-server: aclEnable=true \(command line\) needs access control \(ACL\), which this server does not have yet; allowed without it: aclEnable=false$/],
    ['--brokerRole=SLAVE', /^mq-server: brokerRole=SLAVE .*(needs master\/slave replication|needs brokerId > 0)/],
  ];
  // Once ACL is in the broker, aclEnable=true is its business (it needs plain_acl.yml): not a refusal here.
  const broker = await import('../packages/broker/dist/index.js');
  const { defaultStoreConfig } = await import('../packages/store/dist/index.js');
  const { detectFeatures } = await import('../packages/server/dist/config-schema.js');
  const features = detectFeatures([broker.defaultBrokerConfig(), defaultStoreConfig()], broker);
  const active = cases.filter(([arg]) => !(arg.startsWith('--aclEnable') && features.acl));
  // Several at a time: each is a short-lived process that exits before listening.
  await Promise.all(active.map(async ([arg, re]) => {
    const r = spawnMq([...base, arg]);
    const { code } = await r.exited;
    t.equal(code, 2, `${arg}: exit 2`);
    t.match(r.err().trim(), re, arg);
    t.equal(r.err().trim().split('\n').length, 1, `${arg}: one line`);
    t.notMatch(r.out(), /listening/, `${arg}: nothing listened`);
  }));
  t.notOk(fs.existsSync(path.join(dir, 'store')), 'no store directory was created');

  // A 4.x conf file with the old spelling is accepted.
  const conf = path.join(dir, 'old.conf');
  fs.writeFileSync(conf, 'mapedFileSizeCommitLog=1048576\nmapedFileSizeConsumeQueue=600000\ndeleteWhen=04;05\npageCacheBytesMax=67108864\n');
  // A 1 MiB commit log file already there: the store refuses to start unless mappedFileSizeCommitLog is 1 MiB.
  fs.mkdirSync(path.join(dir, 'store', 'commitlog'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'store', 'commitlog', '00000000000000000000'), Buffer.alloc(1048576));
  const ok = spawnMq([...base, '-c', conf], { t });
  await ok.waitOutput(/^broker broker-a listening on 127\.0\.0\.1:\d+/m); // so the alias set the file size
  t.match(ok.out(), /^name server listening on 127\.0\.0\.1:\d+$/m, 'the name server listens on loopback too');
  await ok.waitOutput(/set brokerIP1=<reachable address> to serve others/);
  t.notMatch(ok.err(), /unknown key/);
  t.equal((await ok.kill('SIGTERM')).code, 0);
});
