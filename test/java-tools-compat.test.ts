// The Apache RocketMQ 4.9.8 Java tools against `mq-server standalone`, spoken raw: each request is
// built the way the Java client / mqadmin / benchmark tool builds it (version 409, language JAVA,
// JSON headers, and the ROCKETMQ binary header the benchmark tools switch on), and each reply is
// checked the way the Java side decodes it: the code it branches on, every @CFNotNull response
// header field present and parseable as its Java type (Long / Integer), and the fastjson body
// fields the tool reads, with the Java types it needs.
//
// Java facts this file encodes (apache/rocketmq 4.9.8):
// - decodeCommandCustomHeader throws on a missing @CFNotNull field and Long.parseLong's a Long one:
//   SendMessageResponseHeader {msgId, queueId: Integer, queueOffset: Long}, PullMessageResponseHeader
//   {suggestWhichBrokerId, nextBeginOffset, minOffset, maxOffset: Long}, QueryConsumerOffset /
//   GetMaxOffset / GetMinOffset / SearchOffset {offset: Long}, GetEarliestMsgStoretime {timestamp: Long},
//   QueryMessageResponseHeader {indexLastUpdateTimestamp, indexLastUpdatePhyoffset: Long},
//   GetBrokerConfigResponseHeader {version: String}.
// - queryMsgByKey sends QUERY_MESSAGE with endTimestamp = Long.MAX_VALUE; queryMsgByUniqueKey does too,
//   plus ext `_UNIQUE_KEY_QUERY=true`, and keeps records whose UNIQ_KEY equals the key.
// - clusterList: Long.parseLong of the msgPut/msgGet totals, Double.parseDouble of the first word of
//   putTps / getTransferedTps, commitLogDiskRatio, Long.valueOf(earliestMessageTimeStamp).
// - statsAll: VIEW_BROKER_STATS_DATA TOPIC_PUT_NUMS <topic> and GROUP_GET_NUMS <topic>@<group>
//   (errors are swallowed per broker; a reply is read as statsMinute/statsHour/statsDay {sum, tps}).
// - getConsumerStatus: INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223) to the broker, which asks each
//   client with GET_CONSUMER_STATUS_FROM_CLIENT (221) and answers GetConsumerStatusBody.consumerTable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  FastJsonMap, RemotingClient, RemotingCommand, decodeMessages, parseFastJson, silentLogger, stringifyFastJson,
} from '../packages/remoting/dist/index.js';
import { spawnMq, waitFor } from './helpers/mq-process.js';

const LONG_MAX = '9223372036854775807';

/** A Java request: version 409 (V4_9_8), language JAVA, JSON (0) or ROCKETMQ (1) header. */
function javaRequest(code: number, ext: Record<string, string | number | boolean | null> | null, body: Buffer | null = null, st: 0 | 1 = 0): RemotingCommand {
  const c = RemotingCommand.request(code, ext, body);
  c.version = 409;
  c.language = 'JAVA';
  c.serializeType = st;
  return c;
}

/** Long.parseLong / Integer.parseInt as decodeCommandCustomHeader does. */
function javaLong(v: string | undefined): boolean {
  if (v === undefined || !/^-?\d+$/.test(v)) return false;
  const b = BigInt(v);
  return b >= -(2n ** 63n) && b < 2n ** 63n;
}
function javaInt(v: string | undefined): boolean {
  return javaLong(v) && Math.abs(Number(v)) < 2 ** 31;
}
/** Double.parseDouble. */
function javaDouble(v: string | undefined): boolean {
  return v !== undefined && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v.trim());
}

const body = (c: RemotingCommand): any => parseFastJson(c.bodyBuffer()!.toString('utf8'));

function props(p: Record<string, string>): string {
  return Object.entries(p).map(([k, v]) => `${k}\u0001${v}`).join('\u0002');
}

/** A Java client's UNIQ_KEY (MessageClientIDSetter layout: ip, pid, classloader hash, time since month start, counter). */
function uniqKey(n: number): string {
  const start = new Date(); start.setDate(1); start.setHours(0, 0, 0, 0);
  const b = Buffer.alloc(16);
  b.writeUInt32BE(0x7f000001, 0); b.writeUInt16BE(process.pid & 0xffff, 4); b.writeInt32BE(0x1234, 6);
  b.writeUInt32BE((Date.now() - start.getTime()) >>> 0, 10); b.writeUInt16BE(n, 14);
  return b.toString('hex').toUpperCase();
}

t.test('Java 4.9.8 tools against mq-server standalone', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'java-tools-compat-'));
  // ports 0: the listening lines say which ports were taken (and the broker's name and cluster)
  const child = spawnMq(['standalone', '--namesrvListenPort=0', '--listenPort=0',
    `--storePathRootDir=${dir}`, `--kvConfigPath=${path.join(dir, 'kv.json')}`, '--namesrvListenHost=127.0.0.1',
    '--mappedFileSizeCommitLog=8388608'], { t, dir });
  const m = await child.waitOutput(/^name server listening on 127\.0\.0\.1:(\d+)$[\s\S]*^broker (\S+) listening on 127\.0\.0\.1:(\d+) \(cluster (\S+),/m);
  const ns = `127.0.0.1:${m[1]}`;
  const brokerName = m[2]!;
  const brokerAddr = `127.0.0.1:${m[3]}`;
  const cluster = m[4]!;
  const client = new RemotingClient({ logger: silentLogger });
  t.teardown(() => client.close());
  const call = (addr: string, code: number, ext: Record<string, string | number | boolean | null> | null = null, b: Buffer | null = null, st: 0 | 1 = 0) =>
    client.invoke(addr, javaRequest(code, ext, b, st), 10_000);
  const mq = (topic: string, queueId: number) => JSON.stringify({ brokerName, queueId, topic });

  /** TopicRouteData as the Java client reads it. */
  const checkRoute = (r: RemotingCommand, what: string) => {
    t.equal(r.code, 0, `${what}: route found`);
    const route = body(r);
    t.ok(Array.isArray(route.queueDatas) && Array.isArray(route.brokerDatas), `${what}: queueDatas/brokerDatas`);
    t.equal(route.brokerDatas[0]?.brokerAddrs?.['0'], brokerAddr, `${what}: master address`);
    for (const q of route.queueDatas) {
      t.ok(Number.isInteger(q.readQueueNums) && Number.isInteger(q.writeQueueNums) && Number.isInteger(q.perm)
        && Number.isInteger(q.topicSysFlag) && typeof q.brokerName === 'string', `${what}: QueueData fields`);
    }
    return route;
  };
  const waitRoute = async (topic: string, st: 0 | 1 = 0) => {
    let r = null as RemotingCommand | null;
    await waitFor(async () => (r = await call(ns, 105, { topic }, null, st)).code === 0, 10_000, `the route of ${topic}`).catch(() => undefined);
    return r!;
  };

  // -------------------------------------------------------------- benchmark Producer (ROCKETMQ header)
  await t.test('benchmark Producer: BenchmarkTest routed, auto-create through TBW102', async (t) => {
    const bench = checkRoute(await waitRoute('BenchmarkTest', 1), 'BenchmarkTest');
    t.equal(bench.queueDatas[0].writeQueueNums, 1024, 'BenchmarkTest has 1024 queues, as Apache creates it');
    // sendDefaultImpl for a topic nobody created: 105 -> 17, then the TBW102 route, then send with defaultTopic.
    const missing = await call(ns, 105, { topic: 'JavaAutoTopic' }, null, 1);
    t.equal(missing.code, 17, 'unknown topic: TOPIC_NOT_EXIST');
    t.equal(missing.serializeType, 1, 'answered in the ROCKETMQ header');
    const tbw = checkRoute(await call(ns, 105, { topic: 'TBW102' }, null, 1), 'TBW102');
    t.equal(tbw.queueDatas[0].perm & 1, 1, 'TBW102 perm has PERM_INHERIT');
    const hb = { clientID: '127.0.0.1@bench', consumerDataSet: [], producerDataSet: [{ groupName: 'benchmark_producer' }, { groupName: 'CLIENT_INNER_PRODUCER' }] };
    t.equal((await call(brokerAddr, 34, null, Buffer.from(JSON.stringify(hb)), 1)).code, 0, 'heartbeat');
    for (const topic of ['JavaAutoTopic', 'BenchmarkTest']) {
      const s = await call(brokerAddr, 310, {
        a: 'benchmark_producer', b: topic, c: 'TBW102', d: 4, e: 3, f: 0, g: Date.now(), h: 0,
        i: props({ UNIQ_KEY: uniqKey(1), WAIT: 'true' }), j: 0, k: false, m: false,
      }, Buffer.alloc(128, 0x61), 1);
      t.equal(s.code, 0, `${topic}: SEND_OK`);
      t.equal(s.serializeType, 1, 'ROCKETMQ reply');
      t.ok(typeof s.ext('msgId') === 'string' && javaInt(s.ext('queueId')) && javaLong(s.ext('queueOffset')),
        `${topic}: SendMessageResponseHeader msgId/queueId/queueOffset`);
    }
    const auto = checkRoute(await waitRoute('JavaAutoTopic', 1), 'auto-created topic');
    t.equal(auto.queueDatas[0].writeQueueNums, 4, 'min(defaultTopicQueueNums 4, TBW102 8) queues');
    t.equal(auto.queueDatas[0].perm, 6, 'created without PERM_INHERIT');
  });

  // -------------------------------------------------------------- quickstart producer/consumer + admin
  const TOPIC = 'JavaCompatTopic';
  const GROUP = 'JavaCompatGroup';
  const sent: Array<{ msgId: string; uniq: string; queueId: number }> = [];
  await t.test('updateTopic, producer sends with keys and tags', async (t) => {
    // updateTopic: 106 for the masters, then 17 to each.
    const ci = await call(ns, 106);
    t.equal(ci.code, 0);
    const info = body(ci);
    t.same(info.clusterAddrTable[cluster], [brokerName], 'ClusterInfo.clusterAddrTable');
    t.equal(info.brokerAddrTable[brokerName].brokerAddrs['0'], brokerAddr, 'ClusterInfo.brokerAddrTable');
    const up = await call(brokerAddr, 17, { topic: TOPIC, defaultTopic: 'TBW102', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicFilterType: 'SINGLE_TAG', topicSysFlag: 0, order: false });
    t.equal(up.code, 0, 'UPDATE_AND_CREATE_TOPIC');
    checkRoute(await waitRoute(TOPIC), 'topicRoute');
    const list = await call(ns, 206);
    t.ok(body(list).topicList.includes(TOPIC), 'topicList (206)');
    for (let i = 0; i < 6; i++) {
      const uniq = uniqKey(100 + i);
      const s = await call(brokerAddr, 310, {
        a: 'please_rename_unique_group_name', b: TOPIC, c: 'TBW102', d: 4, e: i % 2, f: 0, g: Date.now(), h: 0,
        i: props({ KEYS: `order-${i} common-key`, UNIQ_KEY: uniq, WAIT: 'true', TAGS: i % 2 ? 'TagB' : 'TagA', color: i % 2 ? 'red' : 'blue' }),
        j: 0, k: false, m: false,
      }, Buffer.from(`Hello RocketMQ ${i}`));
      t.equal(s.code, 0, 'send');
      sent.push({ msgId: s.ext('msgId')!, uniq, queueId: i % 2 });
    }
  });

  const clientId = '127.0.0.1@java-compat';
  const subVersion = Date.now();
  const heartbeat = (expr = '*', type = 'TAG', version = subVersion) => Buffer.from(JSON.stringify({
    clientID: clientId,
    consumerDataSet: [{
      consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', consumeType: 'CONSUME_PASSIVELY', groupName: GROUP, messageModel: 'CLUSTERING',
      subscriptionDataSet: [
        { classFilterMode: false, codeSet: [], expressionType: type, subString: expr, subVersion: version, tagsSet: expr === '*' ? [] : expr.split('||'), topic: TOPIC },
        { classFilterMode: false, codeSet: [], expressionType: 'TAG', subString: '*', subVersion: version, tagsSet: [], topic: `%RETRY%${GROUP}` },
      ],
      unitMode: false,
    }],
    producerDataSet: [{ groupName: 'CLIENT_INNER_PRODUCER' }],
  }));

  await t.test('push consumer rebalance and pull', async (t) => {
    t.equal((await call(brokerAddr, 34, null, heartbeat())).code, 0, 'HEART_BEAT');
    checkRoute(await waitRoute(`%RETRY%${GROUP}`), 'retry topic routed after the heartbeat');
    const ids = await call(brokerAddr, 38, { consumerGroup: GROUP });
    t.equal(ids.code, 0, 'GET_CONSUMER_LIST_BY_GROUP');
    t.same(body(ids).consumerIdList, [clientId]);
    // Rebalance: computePullFromWhere asks 14; a fresh group on a queue starting at 0 reads 0.
    for (const queueId of [1, 0]) { // dispatch of all six
      await waitFor(async () => (await call(brokerAddr, 30, { topic: TOPIC, queueId })).ext('offset') === '3', 10_000, `queue ${queueId} dispatched`);
    }
    const q = await call(brokerAddr, 14, { consumerGroup: GROUP, topic: TOPIC, queueId: 0 });
    t.equal(q.code, 0, 'QUERY_CONSUMER_OFFSET, fresh group: 0');
    t.ok(javaLong(q.ext('offset')), 'QueryConsumerOffsetResponseHeader.offset');
    const max = await call(brokerAddr, 30, { topic: TOPIC, queueId: 0 });
    t.ok(max.code === 0 && javaLong(max.ext('offset')) && max.ext('offset') === '3', 'GET_MAX_OFFSET');
    const min = await call(brokerAddr, 31, { topic: TOPIC, queueId: 0 });
    t.ok(min.code === 0 && javaLong(min.ext('offset')), 'GET_MIN_OFFSET');
    const search = await call(brokerAddr, 29, { topic: TOPIC, queueId: 0, timestamp: Date.now() - 3_600_000 });
    t.ok(search.code === 0 && search.ext('offset') === '0', 'SEARCH_OFFSET_BY_TIMESTAMP');
    const early = await call(brokerAddr, 32, { topic: TOPIC, queueId: 0 });
    t.ok(early.code === 0 && javaLong(early.ext('timestamp')) && Number(early.ext('timestamp')) > 0, 'GET_EARLIEST_MSG_STORETIME');
    // Pull as DefaultMQPushConsumerImpl: sysFlag suspend (2), subscription in the heartbeat, subVersion.
    for (const st of [0, 1] as const) {
      const p = await call(brokerAddr, 11, { consumerGroup: GROUP, topic: TOPIC, queueId: 0, queueOffset: 0, maxMsgNums: 32, sysFlag: 2,
        commitOffset: 0, suspendTimeoutMillis: 15000, subVersion, expressionType: 'TAG' }, null, st);
      t.equal(p.code, 0, `PULL_MESSAGE FOUND (serializeType ${st})`);
      for (const f of ['suggestWhichBrokerId', 'nextBeginOffset', 'minOffset', 'maxOffset']) t.ok(javaLong(p.ext(f)), `pull header ${f}`);
      t.equal(decodeMessages(p.bodyBuffer()!).length, 3);
    }
    // With commitOffset (sysFlag 3) the pull commits the offset, as the Java consumer does.
    const p2 = await call(brokerAddr, 11, { consumerGroup: GROUP, topic: TOPIC, queueId: 0, queueOffset: 3, maxMsgNums: 32, sysFlag: 1,
      commitOffset: 2, suspendTimeoutMillis: 15000, subVersion, expressionType: 'TAG' });
    t.equal(p2.code, 19, 'no new message (no suspend flag): PULL_NOT_FOUND');
    for (const f of ['suggestWhichBrokerId', 'nextBeginOffset', 'minOffset', 'maxOffset']) t.ok(javaLong(p2.ext(f)), `19 header ${f}`);
    const stale = await call(brokerAddr, 11, { consumerGroup: GROUP, topic: TOPIC, queueId: 0, queueOffset: 0, maxMsgNums: 32, sysFlag: 0,
      commitOffset: 0, suspendTimeoutMillis: 15000, subVersion: subVersion + 1000, expressionType: 'TAG' });
    t.equal(stale.code, 25, 'subVersion newer than the heartbeat: SUBSCRIPTION_NOT_LATEST');
    const q2 = await call(brokerAddr, 14, { consumerGroup: GROUP, topic: TOPIC, queueId: 0 });
    t.ok(q2.code === 0 && q2.ext('offset') === '2', 'offset committed through the pull');
    // Sync UPDATE_CONSUMER_OFFSET (persistConsumerOffset is oneway; the admin fallback is sync).
    const u = await call(brokerAddr, 15, { consumerGroup: GROUP, topic: TOPIC, queueId: 1, commitOffset: 1 });
    t.equal(u.code, 0, 'UPDATE_CONSUMER_OFFSET');
  });

  await t.test('filter examples: CHECK_CLIENT_CONFIG and a SQL92 subscription from the heartbeat', async (t) => {
    const sd = { classFilterMode: false, codeSet: [], expressionType: 'SQL92', subString: "color = 'red'", subVersion, tagsSet: [], topic: TOPIC };
    const check = await call(brokerAddr, 46, null, Buffer.from(JSON.stringify({ clientId: '127.0.0.1@sql', group: 'JavaSqlGroup', subscriptionData: sd })));
    t.equal(check.code, 0, 'CHECK_CLIENT_CONFIG SQL92');
    const bad = await call(brokerAddr, 46, null, Buffer.from(JSON.stringify({ clientId: '127.0.0.1@sql', group: 'JavaSqlGroup', subscriptionData: { ...sd, subString: 'color = = ' } })));
    t.equal(bad.code, 23, 'CHECK_CLIENT_CONFIG bad SQL92: SUBSCRIPTION_PARSE_FAILED');
    const sqlClient = new RemotingClient({ logger: silentLogger });
    t.teardown(() => sqlClient.close());
    const hb = { clientID: '127.0.0.1@sql', consumerDataSet: [{ consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', consumeType: 'CONSUME_PASSIVELY',
      groupName: 'JavaSqlGroup', messageModel: 'BROADCASTING', subscriptionDataSet: [sd], unitMode: false }], producerDataSet: [] };
    t.equal((await sqlClient.invoke(brokerAddr, javaRequest(34, null, Buffer.from(JSON.stringify(hb))), 5000)).code, 0, 'heartbeat (broadcast)');
    const p = await sqlClient.invoke(brokerAddr, javaRequest(11, { consumerGroup: 'JavaSqlGroup', topic: TOPIC, queueId: 1, queueOffset: 0,
      maxMsgNums: 32, sysFlag: 0, commitOffset: 0, suspendTimeoutMillis: 15000, subVersion, expressionType: 'SQL92' }), 5000);
    t.equal(p.code, 0, 'SQL92 pull');
    const msgs = decodeMessages(p.bodyBuffer()!);
    t.ok(msgs.length === 3 && msgs.every((x) => x.properties.color === 'red'), 'only color = red');
    const q0 = await sqlClient.invoke(brokerAddr, javaRequest(11, { consumerGroup: 'JavaSqlGroup', topic: TOPIC, queueId: 0, queueOffset: 0,
      maxMsgNums: 32, sysFlag: 0, commitOffset: 0, suspendTimeoutMillis: 15000, subVersion, expressionType: 'SQL92' }), 5000);
    t.ok(q0.code === 20 || q0.code === 19, 'queue with only blue messages: nothing matched');
    t.ok(javaLong(q0.ext('nextBeginOffset')), 'nextBeginOffset on a filtered-out reply');
    // request-reply: the replier sends to <cluster>_REPLY_TOPIC, which must be routed.
    checkRoute(await waitRoute(`${cluster}_REPLY_TOPIC`), 'reply topic');
  });

  await t.test('consumerProgress, consumerConnection, producerConnection, topicStatus', async (t) => {
    const cs = await call(brokerAddr, 208, { consumerGroup: GROUP });
    t.equal(cs.code, 0, 'GET_CONSUME_STATS');
    const stats = body(cs);
    t.equal(typeof stats.consumeTps, 'number', 'ConsumeStats.consumeTps (double)');
    t.ok(stats.consumeTps > 0, 'consumeTps from the group\'s pulls in the last minute');
    const w = stats.offsetTable[mq(TOPIC, 0)];
    t.match(w, { brokerOffset: 3, consumerOffset: 2 }, 'OffsetWrapper');
    t.ok(Number.isInteger(w.lastTimestamp) && w.lastTimestamp > Date.now() - 60_000, 'lastTimestamp: store time of the last consumed message');
    const cc = await call(brokerAddr, 203, { consumerGroup: GROUP });
    t.equal(cc.code, 0, 'GET_CONSUMER_CONNECTION_LIST');
    const conn = body(cc);
    t.match(conn, { consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    t.match(conn.connectionSet[0], { clientId, language: 'JAVA', version: 409 });
    t.equal(typeof conn.connectionSet[0].clientAddr, 'string');
    t.equal(conn.subscriptionTable[TOPIC].subString, '*', 'subscriptionTable');
    const pc = await call(brokerAddr, 204, { producerGroup: 'benchmark_producer', topic: 'BenchmarkTest' });
    t.equal(pc.code, 0, 'GET_PRODUCER_CONNECTION_LIST');
    t.match(body(pc).connectionSet[0], { clientId: '127.0.0.1@bench', language: 'JAVA', version: 409 });
    // A Node client (language NODE_JS, not in Java's LanguageCode enum) is listed as OTHER.
    const node = new RemotingClient({ logger: silentLogger });
    t.teardown(() => node.close());
    const nodeHb = javaRequest(34, null, Buffer.from(JSON.stringify({ clientID: '127.0.0.1@node', consumerDataSet: [], producerDataSet: [{ groupName: 'NodeProducerGroup' }] })));
    nodeHb.language = 'NODE_JS';
    t.equal((await node.invoke(brokerAddr, nodeHb, 5000)).code, 0);
    const npc = await call(brokerAddr, 204, { producerGroup: 'NodeProducerGroup', topic: TOPIC });
    t.equal(body(npc).connectionSet[0].language, 'OTHER', 'NODE_JS connection reported as a Java LanguageCode');
    const ts = await call(brokerAddr, 202, { topic: TOPIC });
    t.equal(ts.code, 0, 'GET_TOPIC_STATS_INFO');
    const o = body(ts).offsetTable[mq(TOPIC, 0)];
    t.match(o, { minOffset: 0, maxOffset: 3 });
    t.ok(o.lastUpdateTimestamp > Date.now() - 60_000, 'TopicOffset.lastUpdateTimestamp');
    const tc = await call(brokerAddr, 202, { topic: 'NoSuchTopic' });
    t.equal(tc.code, 17, 'topicStatus on a missing topic: TOPIC_NOT_EXIST');
  });

  await t.test('clusterList, brokerStatus, getBrokerConfig, updateBrokerConfig', async (t) => {
    const rt = await call(brokerAddr, 28);
    t.equal(rt.code, 0, 'GET_BROKER_RUNTIME_INFO');
    const table = body(rt).table as Record<string, string>;
    for (const k of ['msgPutTotalYesterdayMorning', 'msgPutTotalTodayMorning', 'msgPutTotalTodayNow', 'msgGetTotalYesterdayMorning',
      'msgGetTotalTodayMorning', 'msgGetTotalTodayNow', 'earliestMessageTimeStamp', 'bootTimestamp', 'commitLogMinOffset', 'commitLogMaxOffset']) {
      t.ok(javaLong(table[k]), `${k} parses as a Java long`);
    }
    for (const k of ['putTps', 'getTransferedTps']) t.ok(javaDouble(table[k]?.split(' ')[0]), `${k} first word parses as a double`);
    t.ok(javaDouble(table.commitLogDiskRatio), 'commitLogDiskRatio is a double');
    for (const k of ['brokerVersionDesc', 'sendThreadPoolQueueSize', 'pullThreadPoolQueueSize', 'sendThreadPoolQueueHeadWaitTimeMills',
      'pullThreadPoolQueueHeadWaitTimeMills', 'pageCacheLockTimeMills']) t.equal(typeof table[k], 'string', `${k} present`);
    const earliest = Number(table.earliestMessageTimeStamp);
    t.ok(earliest > Date.now() - 600_000 && earliest <= Date.now(), 'earliestMessageTimeStamp is the first stored message time');
    const cfg = await call(brokerAddr, 26);
    t.equal(cfg.code, 0, 'GET_BROKER_CONFIG');
    t.ok(typeof cfg.ext('version') === 'string', 'GetBrokerConfigResponseHeader.version');
    t.match(cfg.bodyBuffer()!.toString(), /^brokerName=/m);
    const upd = await call(brokerAddr, 25, null, Buffer.from('maxMessageSize=4194304\n'));
    t.equal(upd.code, 0, 'UPDATE_BROKER_CONFIG');
  });

  await t.test('queryMsgByKey, queryMsgByUniqueKey, queryMsgById, printMsg', async (t) => {
    // QueryMsgByKeySubCommand: queryMessage(topic, key, 64, 0, Long.MAX_VALUE).
    let r = null as RemotingCommand | null;
    await waitFor(async () => (r = await call(brokerAddr, 12, { topic: TOPIC, key: 'common-key', maxNum: 64, beginTimestamp: 0, endTimestamp: LONG_MAX })).code === 0
      && decodeMessages(r.bodyBuffer()!).length === 6, 10_000, 'the index to hold all six by the shared key').catch(() => undefined);
    t.equal(r!.code, 0, 'QUERY_MESSAGE with endTimestamp Long.MAX_VALUE');
    t.ok(javaLong(r!.ext('indexLastUpdateTimestamp')) && javaLong(r!.ext('indexLastUpdatePhyoffset')), 'QueryMessageResponseHeader');
    t.equal(decodeMessages(r!.bodyBuffer()!).length, 6, 'all six by the shared key');
    // MQAdminImpl.queryMessageByUniqKey: begin = time from the id - 1000, end = Long.MAX_VALUE, flag ext.
    const u = await call(brokerAddr, 12, { topic: TOPIC, key: sent[2]!.uniq, maxNum: 32, beginTimestamp: Date.now() - 120_000,
      endTimestamp: LONG_MAX, _UNIQUE_KEY_QUERY: 'true' });
    t.equal(u.code, 0, 'QUERY_MESSAGE by unique key');
    const found = decodeMessages(u.bodyBuffer()!);
    t.ok(found.length >= 1 && found.every((x) => x.properties.UNIQ_KEY === sent[2]!.uniq), 'record with that UNIQ_KEY');
    const none = await call(brokerAddr, 12, { topic: TOPIC, key: 'nope', maxNum: 64, beginTimestamp: 0, endTimestamp: LONG_MAX });
    t.equal(none.code, 22, 'not found: QUERY_NOT_FOUND');
    t.ok(javaLong(none.ext('indexLastUpdateTimestamp')), 'header present on 22 too');
    // queryMsgById / printMsg path: VIEW_MESSAGE_BY_ID with the offset from the offset msgId.
    const offset = BigInt(`0x${sent[0]!.msgId.slice(16)}`).toString();
    const v = await call(brokerAddr, 33, { offset });
    t.equal(v.code, 0, 'VIEW_MESSAGE_BY_ID');
    t.equal(decodeMessages(v.bodyBuffer()!)[0]!.properties.UNIQ_KEY, sent[0]!.uniq);
    // printMsg: route, then per queue min/max (31/30) and DefaultMQPullConsumer.pull: sysFlag = subscription (4), no suspend.
    const pm = await call(brokerAddr, 11, { consumerGroup: 'TOOLS_CONSUMER', topic: TOPIC, queueId: 1, queueOffset: 0, maxMsgNums: 32,
      sysFlag: 4, commitOffset: 0, suspendTimeoutMillis: 20000, subscription: '*', subVersion: 0, expressionType: 'TAG' });
    t.equal(pm.code, 0, 'pull with the subscription in the request (pull consumer)');
    t.equal(decodeMessages(pm.bodyBuffer()!).length, 3);
    const byWho = await call(brokerAddr, 300, { topic: TOPIC });
    t.ok(body(byWho).groupList.includes(GROUP), 'QUERY_TOPIC_CONSUME_BY_WHO');
  });

  await t.test('statsAll: VIEW_BROKER_STATS_DATA', async (t) => {
    const topicPut = await call(brokerAddr, 315, { statsName: 'TOPIC_PUT_NUMS', statsKey: TOPIC });
    t.equal(topicPut.code, 0, 'TOPIC_PUT_NUMS for a topic that received messages');
    const d = body(topicPut);
    for (const k of ['statsMinute', 'statsHour', 'statsDay']) {
      t.ok(Number.isInteger(d[k].sum) && typeof d[k].tps === 'number' && typeof d[k].avgpt === 'number', `${k} {sum, tps, avgpt}`);
    }
    t.equal(d.statsDay.sum + 0 >= 0, true);
    const groupGet = await call(brokerAddr, 315, { statsName: 'GROUP_GET_NUMS', statsKey: `${TOPIC}@${GROUP}` });
    t.equal(groupGet.code, 0, 'GROUP_GET_NUMS for a group that pulled');
    const missing = await call(brokerAddr, 315, { statsName: 'TOPIC_PUT_NUMS', statsKey: 'NoSuchTopic' });
    t.equal(missing.code, 1, 'unknown stats key: SYSTEM_ERROR (statsAll swallows it)');
    const brokerPut = await call(brokerAddr, 315, { statsName: 'BROKER_PUT_NUMS', statsKey: cluster });
    t.equal(brokerPut.code, 0, 'BROKER_PUT_NUMS');
  });

  await t.test('getConsumerStatus: 223 -> 221 to the client', async (t) => {
    let asked = null as RemotingCommand | null;
    client.registerProcessor(221, (req) => {
      asked = req;
      const table = new FastJsonMap([[{ brokerName, queueId: 0, topic: TOPIC }, 2], [{ brokerName, queueId: 1, topic: TOPIC }, 1]]);
      return RemotingCommand.response(0, null, null, Buffer.from(stringifyFastJson({ messageQueueTable: table })));
    });
    const r = await call(brokerAddr, 223, { topic: TOPIC, group: GROUP });
    t.equal(r.code, 0, 'INVOKE_BROKER_TO_GET_CONSUMER_STATUS');
    t.match(asked?.extFields, { topic: TOPIC, group: GROUP }, 'the client was asked with GetConsumerStatusRequestHeader');
    const b = body(r);
    t.equal(b.consumerTable[clientId][mq(TOPIC, 0)], 2, 'consumerTable[clientId][mq] = offset');
    const other = await call(brokerAddr, 223, { topic: TOPIC, group: GROUP, clientAddr: 'someone-else' });
    t.equal(other.code, 0);
    t.same(body(other).consumerTable, {}, 'another clientId: empty table');
    const offline = await call(brokerAddr, 223, { topic: TOPIC, group: 'NoSuchGroup' });
    t.equal(offline.code, 1, 'group not online: SYSTEM_ERROR');
  });

  await t.test('resetOffsetByTime, cloneGroupOffset, updateSubGroup, deleteSubGroup, deleteTopic', async (t) => {
    const notices: RemotingCommand[] = [];
    client.registerProcessor(220, (req) => { notices.push(req); return null; });
    // Broker2Client.resetOffset needs a committed offset on every queue ("THe consumer group <g> not exist").
    const early = await call(brokerAddr, 222, { topic: TOPIC, group: GROUP, timestamp: Date.now() - 3_600_000, isForce: true });
    t.equal(early.code, 1, 'a queue without a committed offset: SYSTEM_ERROR, as Apache');
    for (const q of [2, 3]) await call(brokerAddr, 15, { consumerGroup: GROUP, topic: TOPIC, queueId: q, commitOffset: 0 });
    const reset = await call(brokerAddr, 222, { topic: TOPIC, group: GROUP, timestamp: Date.now() - 3_600_000, isForce: true });
    t.equal(reset.code, 0, 'INVOKE_BROKER_TO_RESET_OFFSET');
    t.equal(body(reset).offsetTable[mq(TOPIC, 0)], 0, 'ResetOffsetBody.offsetTable');
    await waitFor(() => notices.length > 0, 5000, 'the reset notice').catch(() => undefined);
    t.equal(notices[0]?.code, 220, 'RESET_CONSUMER_CLIENT_OFFSET pushed to the consumer');
    const clone = await call(brokerAddr, 314, { srcGroup: GROUP, destGroup: 'JavaCompatClone', topic: TOPIC, offline: false });
    t.equal(clone.code, 0, 'CLONE_GROUP_OFFSET');
    const cq = await call(brokerAddr, 14, { consumerGroup: 'JavaCompatClone', topic: TOPIC, queueId: 0 });
    t.ok(cq.code === 0 && javaLong(cq.ext('offset')), 'cloned offset');
    const sub = { groupName: 'JavaCompatSub', consumeEnable: true, consumeFromMinEnable: false, consumeBroadcastEnable: true,
      retryQueueNums: 1, retryMaxTimes: 16, brokerId: 0, whichBrokerWhenConsumeSlowly: 1, notifyConsumerIdsChangedEnable: true };
    t.equal((await call(brokerAddr, 200, null, Buffer.from(JSON.stringify(sub)))).code, 0, 'UPDATE_AND_CREATE_SUBSCRIPTIONGROUP');
    const all = body(await call(brokerAddr, 201));
    t.match(all.subscriptionGroupTable.JavaCompatSub, { retryMaxTimes: 16, consumeBroadcastEnable: true });
    t.equal((await call(brokerAddr, 207, { groupName: 'JavaCompatSub', removeOffset: false })).code, 0, 'DELETE_SUBSCRIPTIONGROUP');
    // deleteSubGroup also deletes %RETRY%/%DLQ% topics on the broker and name server.
    t.equal((await call(brokerAddr, 215, { topic: '%RETRY%JavaCompatSub' })).code, 0, 'delete retry topic');
    t.equal((await call(ns, 216, { topic: '%RETRY%JavaCompatSub' })).code, 0, 'DELETE_TOPIC_IN_NAMESRV');
    // topicClusterList: 106 + route. deleteTopic: 215 on masters, 216 on name servers, 102 order conf.
    t.equal((await call(brokerAddr, 215, { topic: 'JavaAutoTopic' })).code, 0, 'DELETE_TOPIC_IN_BROKER');
    t.equal((await call(ns, 216, { topic: 'JavaAutoTopic' })).code, 0, 'DELETE_TOPIC_IN_NAMESRV');
    t.equal((await call(ns, 102, { namespace: 'ORDER_TOPIC_CONFIG', key: 'JavaAutoTopic' })).code, 0, 'DELETE_KV_CONFIG');
    t.equal((await call(ns, 105, { topic: 'JavaAutoTopic' })).code, 17, 'route gone');
  });

  await t.test('unregister', async (t) => {
    const u = await call(brokerAddr, 35, { clientID: clientId, consumerGroup: GROUP });
    t.equal(u.code, 0, 'UNREGISTER_CLIENT');
    const ids = await call(brokerAddr, 38, { consumerGroup: GROUP });
    t.equal(ids.code, 1, 'no consumer left');
  });
});
