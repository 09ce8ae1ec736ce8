// `mq-server standalone` as a process: name server + broker, the broker registered with the
// embedded name server, an ali-ons producer sending through both, SIGTERM -> broker then name
// server shut down, exit 0.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { RemotingClient, RemotingCommand, silentLogger } from '../packages/remoting/dist/index.js';
import { spawnMq, waitFor } from './helpers/mq-process.js';

const require = createRequire(import.meta.url);
const ons = require('ali-ons');
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const httpclient = { request: async () => { throw new Error('no HTTP name-server lookup in tests'); } };

t.test('standalone: one process serves routes and messages; SIGTERM exits 0', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mq-server-standalone-'));
  const conf = path.join(dir, 'broker.conf');
  fs.writeFileSync(conf, [
    '# standalone test',
    'brokerName = broker-standalone',
    'namesrvListenHost = 127.0.0.1',
    `kvConfigPath = ${path.join(dir, 'kv.json')}`,
    `storePathRootDir = ${path.join(dir, 'store')}`,
    'mappedFileSizeCommitLog = 8388608',
    '',
  ].join('\n'));
  // ports 0: the listening lines say which ports were taken
  const child = spawnMq(['standalone', '-c', conf, '--namesrvListenPort=0', '--listenPort=0'], { t, dir });
  const started = /^name server listening on 127\.0\.0\.1:(\d+)$[\s\S]*^broker broker-standalone listening on 127\.0\.0\.1:(\d+) \(cluster DefaultCluster, name server 127\.0\.0\.1:(\d+)\)$/m;
  const m = await child.waitOutput(started);
  t.ok(m, 'both components started');
  const [, nsPort, brokerPort, registeredWith] = m;
  t.equal(registeredWith, nsPort, 'the broker registers with the embedded name server');
  const nameSrv = `127.0.0.1:${nsPort}`;
  const brokerAddr = `127.0.0.1:${brokerPort}`;

  // Create a topic on the broker; it re-registers, and the name server routes it.
  const admin = new RemotingClient({ logger: silentLogger });
  t.teardown(() => admin.close());
  const created = await admin.invoke(brokerAddr, RemotingCommand.request(17, {
    topic: 'StandaloneTopic', defaultTopic: 'TBW102', readQueueNums: 2, writeQueueNums: 2, perm: 6,
    topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false,
  }), 5000);
  t.equal(created.code, 0);
  let route = null as RemotingCommand | null;
  await waitFor(async () => {
    route = await admin.invoke(nameSrv, RemotingCommand.request(105, { topic: 'StandaloneTopic' }), 3000);
    return route.code === 0;
  }, 10000, 'the route of StandaloneTopic');
  t.equal(route!.code, 0, 'the new topic is routed');
  t.match(route!.bodyBuffer()!.toString(), `"brokerAddrs":{"0":"${brokerAddr}"}`);

  const producer = new ons.Producer({
    nameSrv, httpclient, producerGroup: 'standalone_test', logger: quiet,
    pollNameServerInteval: 300, heartbeatBrokerInterval: 300, persistConsumerOffsetInterval: 300, rebalanceInterval: 300,
  });
  await producer.ready();
  const result = await producer.send(new ons.Message('StandaloneTopic', 'TagA', 'hello standalone'));
  t.equal(result.sendStatus, 'SEND_OK');
  await producer.close();
  await ons.Producer.defaultProducer?.close();

  t.equal((await child.kill('SIGTERM')).code, 0, 'SIGTERM: clean exit');
  t.match(child.out(), /SIGTERM received, shutting down/);
  t.match(child.err(), /broker broker-standalone stopped/);
});
