// mqadmin's main subcommands, each a set of options (mqadmin's letters) and a run() over the
// client's Admin API that returns both a JSON value (--json) and the human text.
import { Admin, isDlqTopic, isRetryTopic, type MessageExt } from '@rmq/client';
import { UsageError, boolValue, intValue, timeValue, type OptionSpec } from './args.js';
import { bodyText, fixed, keyValues, table, time } from './format.js';

export interface CommandContext {
  admin: Admin;
  o: Record<string, string>;
}

export interface CommandResult {
  json: unknown;
  text: string;
}

export interface Command {
  name: string;
  summary: string;
  options: OptionSpec[];
  run(ctx: CommandContext): Promise<CommandResult>;
}

const NS: OptionSpec = { short: 'n', long: 'namesrvAddr', help: 'name server address list, e.g. 127.0.0.1:9876;127.0.0.2:9876 (default $NAMESRV_ADDR or 127.0.0.1:9876)' };
const opt = (short: string, long: string, help: string, required = false): OptionSpec => ({ short, long, help, required });
const TOPIC = opt('t', 'topic', 'topic name', true);
const GROUP = opt('g', 'consumerGroup', 'consumer group name', true);
const BROKER_ADDR = opt('b', 'brokerAddr', 'broker address ip:port');
const CLUSTER = opt('c', 'clusterName', 'cluster name');

function target(o: Record<string, string>): { brokerAddr?: string; clusterName?: string } {
  if (o['brokerAddr']) return { brokerAddr: o['brokerAddr'] };
  if (o['clusterName']) return { clusterName: o['clusterName'] };
  throw new UsageError('give -b (broker address) or -c (cluster name)');
}

/**
 * A key/value map read from the broker -b names, or from each master of cluster -c: JSON is that one
 * map or the maps by broker address; text is each map under its heading.
 */
async function eachBroker(admin: Admin, o: Record<string, string>, read: (addr: string) => Promise<Record<string, string>>,
  heading: (addr: string, many: boolean) => string): Promise<CommandResult> {
  const t = target(o);
  const addrs = t.brokerAddr ? [t.brokerAddr] : (await admin.masters(t.clusterName)).map((m) => m.addr);
  const out: Record<string, Record<string, string>> = {};
  for (const a of addrs) out[a] = await read(a);
  const text = addrs.map((a) => heading(a, addrs.length > 1) + keyValues(out[a]!)).join('\n');
  return { json: t.brokerAddr ? out[t.brokerAddr] : out, text };
}

function messageJson(m: MessageExt): Record<string, unknown> {
  return {
    topic: m.topic, msgId: m.msgId, offsetMsgId: m.offsetMsgId, brokerName: m.brokerName, queueId: m.queueId, queueOffset: m.queueOffset,
    commitLogOffset: m.commitLogOffset, tags: m.tags ?? null, keys: m.keys ?? null, bornTimestamp: m.bornTimestamp, bornHost: m.bornHost,
    storeTimestamp: m.storeTimestamp, storeHost: m.storeHost, reconsumeTimes: m.reconsumeTimes, storeSize: m.storeSize, sysFlag: m.sysFlag,
    properties: m.properties, body: m.body.toString('utf8'), bodyBase64: m.body.toString('base64'),
  };
}

function messageDetail(m: MessageExt): string {
  return keyValues({
    Topic: m.topic, Tags: `[${m.tags ?? ''}]`, Keys: `[${m.keys ?? ''}]`, 'Queue ID': m.queueId, 'Queue Offset': m.queueOffset,
    'CommitLog Offset': m.commitLogOffset, 'Reconsume Times': m.reconsumeTimes, 'Born Timestamp': time(m.bornTimestamp),
    'Store Timestamp': time(m.storeTimestamp), 'Born Host': m.bornHost, 'Store Host': m.storeHost, 'System Flag': m.sysFlag,
    'Properties': JSON.stringify(m.properties), 'Message ID': m.msgId, 'Offset Message ID': m.offsetMsgId, 'Message Body': bodyText(m.body),
  } as Record<string, unknown>);
}

function messageRows(list: MessageExt[]): string {
  return table(['#MessageId', '#OffsetMsgId', '#Queue', '#Offset', '#StoreTime', '#Tags', '#Keys', '#Body'],
    list.map((m) => [m.msgId, m.offsetMsgId, `${m.brokerName}:${m.queueId}`, m.queueOffset, time(m.storeTimestamp), m.tags, m.keys, bodyText(m.body, 60)]));
}

async function resendIfAsked(ctx: CommandContext, list: MessageExt[]): Promise<CommandResult | null> {
  const group = ctx.o['consumerGroup'];
  const clientId = ctx.o['clientId'];
  if (!group && !clientId) return null;
  if (!group || !clientId) throw new UsageError('resending to a consumer needs both -g (group) and -d (client id)');
  const m = list[0];
  if (!m) throw new Error('no message to resend');
  const r = await ctx.admin.consumeMessageDirectly(group, clientId, m.offsetMsgId, m.topic);
  return { json: r, text: keyValues({ ConsumeResult: r.consumeResult, Order: r.order, AutoCommit: r.autoCommit, SpentTimeMills: r.spentTimeMills, Remark: r.remark }) };
}

export const COMMANDS: Command[] = [
  {
    name: 'clusterList', summary: 'List the brokers of each cluster with their runtime figures',
    options: [NS, opt('c', 'clusterName', 'only this cluster')],
    async run({ admin, o }) {
      const rows = await admin.clusterBrokers(o['clusterName']);
      const text = table(['#Cluster Name', '#Broker Name', '#BID', '#Addr', '#Version', '#InTPS(LOAD)', '#OutTPS(LOAD)', '#PCWait(ms)', '#Hour', '#SPACE'],
        rows.map((r) => {
          const rt = r.runtime ?? {};
          const tps = (s: string | undefined) => fixed(Number((s ?? '0').split(' ')[0]));
          const hour = Number(rt['earliestMessageTimeStamp'] ?? 0) > 0 ? fixed((Date.now() - Number(rt['earliestMessageTimeStamp'])) / 3_600_000) : '-';
          return [r.cluster, r.brokerName, r.brokerId, r.addr, rt['brokerVersionDesc'] ?? (r.error ? `error: ${r.error}` : '-'),
            tps(rt['putTps']), tps(rt['getTransferedTps']), rt['pageCacheLockTimeMills'] ?? '0', hour, rt['commitLogDiskRatio'] ?? '-'];
        }));
      return { json: rows, text };
    },
  },
  {
    name: 'brokerStatus', summary: "Print a broker's runtime info (GET_BROKER_RUNTIME_INFO)",
    options: [NS, BROKER_ADDR, CLUSTER],
    async run({ admin, o }) {
      return eachBroker(admin, o, (a) => admin.brokerRuntimeInfo(a), (a, many) => (many ? `${a}\n` : ''));
    },
  },
  {
    name: 'topicList', summary: 'List the topics the name server knows',
    options: [NS, opt('c', 'clusterName', 'only topics of this cluster')],
    async run({ admin, o }) {
      const topics = await admin.topicList(o['clusterName']);
      return { json: topics, text: topics.join('\n') + (topics.length ? '\n' : '') };
    },
  },
  {
    name: 'topicRoute', summary: "Print a topic's route (brokers and queues)",
    options: [NS, TOPIC],
    async run({ admin, o }) {
      const route = await admin.topicRoute(o['topic']!);
      if (!route) throw new Error(`topic ${o['topic']} has no route (not created, or no broker serves it)`);
      const text = table(['#Broker Name', '#Cluster', '#Addrs', '#Read', '#Write', '#Perm'], route.brokerDatas.map((b) => {
        const q = route.queueDatas.find((x) => x.brokerName === b.brokerName);
        return [b.brokerName, b.cluster, Object.entries(b.brokerAddrs).map(([id, a]) => `${id}=${a}`).join(' '), q?.readQueueNums, q?.writeQueueNums, q?.perm];
      }));
      return { json: route, text };
    },
  },
  {
    name: 'topicStatus', summary: 'Per-queue min/max offsets and last update time of a topic',
    options: [NS, TOPIC],
    async run({ admin, o }) {
      const qs = await admin.topicStatus(o['topic']!);
      return { json: qs, text: table(['#Broker Name', '#QID', '#Min Offset', '#Max Offset', '#Last Updated'], qs.map((q) => [q.brokerName, q.queueId, q.minOffset, q.maxOffset, time(q.lastUpdateTimestamp)])) };
    },
  },
  {
    name: 'updateTopic', summary: 'Create or update a topic on a broker or every master of a cluster',
    options: [NS, BROKER_ADDR, CLUSTER, TOPIC, opt('r', 'readQueueNums', 'read queues (default 8)'), opt('w', 'writeQueueNums', 'write queues (default 8)'),
      opt('p', 'perm', 'permission: 2 write, 4 read, 6 read+write (default 6)'), opt('o', 'order', 'ordered topic: true/false (default false)'),
      opt('s', 'hasUnitSub', 'has unit sub (accepted for compatibility)'), opt('u', 'unit', 'unit topic (accepted for compatibility)')],
    async run({ admin, o }) {
      const perm = intValue(o['perm'], '-p', 6);
      if (![2, 4, 6].includes(perm)) throw new UsageError('-p must be 2, 4 or 6');
      const cfg = { topic: o['topic']!, readQueueNums: intValue(o['readQueueNums'], '-r', 8), writeQueueNums: intValue(o['writeQueueNums'], '-w', 8), perm, order: boolValue(o['order'], '-o', false) };
      if (cfg.readQueueNums < 1 || cfg.writeQueueNums < 1 || cfg.readQueueNums > 1024 || cfg.writeQueueNums > 1024) throw new UsageError('-r and -w must be between 1 and 1024');
      const addrs = await admin.createOrUpdateTopic(cfg, target(o));
      return { json: { topicConfig: cfg, brokers: addrs }, text: addrs.map((a) => `create topic to ${a} success.\n`).join('') + `${JSON.stringify(cfg)}\n` };
    },
  },
  {
    name: 'deleteTopic', summary: 'Delete a topic from the brokers of a cluster and from the name servers',
    options: [NS, TOPIC, opt('c', 'clusterName', 'cluster whose masters lose the topic (default: the brokers of its route)')],
    async run({ admin, o }) {
      const addrs = await admin.deleteTopic(o['topic']!, o['clusterName']);
      return { json: { topic: o['topic'], brokers: addrs }, text: `delete topic [${o['topic']}] from cluster [${o['clusterName'] ?? addrs.join(',')}] success.\ndelete topic [${o['topic']}] from NameServer success.\n` };
    },
  },
  {
    name: 'updateSubGroup', summary: 'Create or update a subscription (consumer) group',
    options: [NS, BROKER_ADDR, CLUSTER, GROUP, opt('s', 'consumeEnable', 'consume enable (default true)'), opt('m', 'consumeFromMinEnable', 'from min enable (default true)'),
      opt('d', 'consumeBroadcastEnable', 'broadcast enable (default true)'), opt('q', 'retryQueueNums', 'retry queues (default 1)'), opt('r', 'retryMaxTimes', 'retry max times (default 16)'),
      opt('i', 'brokerId', 'consume from broker id (default 0)'), opt('w', 'whichBrokerWhenConsumeSlowly', 'slave id when slow (default 1)'),
      opt('a', 'notifyConsumerIdsChanged', 'notify consumer ids changed (default true)')],
    async run({ admin, o }) {
      const cfg = {
        groupName: o['consumerGroup']!, consumeEnable: boolValue(o['consumeEnable'], '-s', true), consumeFromMinEnable: boolValue(o['consumeFromMinEnable'], '-m', true),
        consumeBroadcastEnable: boolValue(o['consumeBroadcastEnable'], '-d', true), retryQueueNums: intValue(o['retryQueueNums'], '-q', 1),
        retryMaxTimes: intValue(o['retryMaxTimes'], '-r', 16), brokerId: intValue(o['brokerId'], '-i', 0),
        whichBrokerWhenConsumeSlowly: intValue(o['whichBrokerWhenConsumeSlowly'], '-w', 1), notifyConsumerIdsChangedEnable: boolValue(o['notifyConsumerIdsChanged'], '-a', true),
      };
      const addrs = await admin.createOrUpdateGroup(cfg, target(o));
      return { json: { subscriptionGroupConfig: cfg, brokers: addrs }, text: addrs.map((a) => `create subscription group to ${a} success.\n`).join('') + `${JSON.stringify(cfg)}\n` };
    },
  },
  {
    name: 'deleteSubGroup', summary: 'Delete a subscription group from a broker or a cluster',
    options: [NS, BROKER_ADDR, CLUSTER, opt('g', 'groupName', 'subscription group name', true), opt('r', 'removeOffset', 'remove its offsets too (default false)')],
    async run({ admin, o }) {
      const addrs = await admin.deleteGroup(o['groupName']!, target(o), boolValue(o['removeOffset'], '-r', false));
      return { json: { group: o['groupName'], brokers: addrs }, text: addrs.map((a) => `delete subscription group [${o['groupName']}] from broker [${a}] success.\n`).join('') };
    },
  },
  {
    name: 'consumerProgress', summary: "A consumer group's offsets and lag (diff) per queue",
    options: [NS, GROUP, opt('t', 'topic', 'only this topic')],
    async run({ admin, o }) {
      const cs = await admin.consumeStats(o['consumerGroup']!, o['topic']);
      if (cs.queues.length === 0) throw new Error(`no consume stats for group ${o['consumerGroup']}: it has no offsets (it never consumed, or it does not exist)`);
      const text = table(['#Topic', '#Broker Name', '#QID', '#Broker Offset', '#Consumer Offset', '#Diff', '#LastTime'],
        cs.queues.map((q) => [q.topic, q.brokerName, q.queueId, q.brokerOffset, q.consumerOffset, q.diff, time(q.lastTimestamp)]))
        + `\nConsume TPS: ${fixed(cs.consumeTps)}\nDiff Total: ${cs.diff}\n`;
      return { json: cs, text };
    },
  },
  {
    name: 'consumerConnection', summary: "A consumer group's online clients and subscriptions",
    options: [NS, GROUP],
    async run({ admin, o }) {
      const c = await admin.consumerConnection(o['consumerGroup']!);
      const text = table(['#', '#ClientId', '#ClientAddr', '#Language', '#Version'], c.connections.map((x, i) => [i + 1, x.clientId, x.clientAddr, x.language, x.version]))
        + '\nBelow is subscription:\n'
        + table(['#', '#Topic', '#SubExpression'], Object.entries(c.subscriptions).map(([t, s], i) => [i + 1, t, s.subString]))
        + `\nConsumeType: ${c.consumeType}\nMessageModel: ${c.messageModel}\nConsumeFromWhere: ${c.consumeFromWhere}\n`;
      return { json: c, text };
    },
  },
  {
    name: 'producerConnection', summary: "A producer group's online clients",
    options: [NS, opt('g', 'producerGroup', 'producer group name', true), opt('t', 'topic', 'a topic it sends to (its brokers are asked)')],
    async run({ admin, o }) {
      const list = await admin.producerConnection(o['producerGroup']!, o['topic']);
      return { json: list, text: table(['#', '#ClientId', '#ClientAddr', '#Language', '#Version'], list.map((x, i) => [i + 1, x.clientId, x.clientAddr, x.language, x.version])) };
    },
  },
  {
    name: 'queryMsgById', summary: 'Look a message up by its offset message id (and optionally resend it to a consumer)',
    options: [NS, opt('i', 'msgId', 'offset message id(s), comma separated', true), opt('g', 'consumerGroup', 'resend: consumer group'), opt('d', 'clientId', 'resend: consumer client id')],
    async run(ctx) {
      const list: MessageExt[] = [];
      for (const id of ctx.o['msgId']!.split(',').map((s) => s.trim()).filter(Boolean)) list.push(await ctx.admin.viewMessage(id));
      const resent = await resendIfAsked(ctx, list);
      if (resent) return resent;
      return { json: list.map(messageJson), text: list.map(messageDetail).join('\n') };
    },
  },
  {
    name: 'queryMsgByKey', summary: 'Find messages by key through the index',
    options: [NS, TOPIC, opt('k', 'msgKey', 'message key', true), opt('f', 'maxNum', 'at most this many (default 64)'),
      opt('b', 'beginTimestamp', 'from (epoch ms or date, default 0)'), opt('e', 'endTimestamp', 'to (default: no limit)')],
    async run({ admin, o }) {
      const list = await admin.queryMessageByKey(o['topic']!, o['msgKey']!, intValue(o['maxNum'], '-f', 64), timeValue(o['beginTimestamp'], '-b', 0),
        o['endTimestamp'] ? timeValue(o['endTimestamp'], '-e') : undefined);
      return { json: list.map(messageJson), text: messageRows(list) };
    },
  },
  {
    name: 'queryMsgByUniqueKey', summary: 'Find a message by its client message id (UNIQ_KEY), optionally resend it',
    options: [NS, TOPIC, opt('i', 'msgId', 'client message id', true), opt('g', 'consumerGroup', 'resend: consumer group'), opt('d', 'clientId', 'resend: consumer client id')],
    async run(ctx) {
      const list = await ctx.admin.findMessage(ctx.o['topic']!, ctx.o['msgId']!);
      if (list.length === 0) throw new Error(`no message with id ${ctx.o['msgId']} in ${ctx.o['topic']}`);
      const resent = await resendIfAsked(ctx, list);
      if (resent) return resent;
      return { json: list.map(messageJson), text: list.map(messageDetail).join('\n') };
    },
  },
  {
    name: 'queryMsgByOffset', summary: 'The message at a queue offset',
    options: [NS, TOPIC, opt('b', 'brokerName', 'broker name', true), opt('i', 'queueId', 'queue id', true), opt('o', 'offset', 'queue offset', true)],
    async run({ admin, o }) {
      const m = await admin.queryMessageByOffset(o['topic']!, o['brokerName']!, intValue(o['queueId'], '-i', 0), intValue(o['offset'], '-o', 0));
      if (!m) throw new Error(`no message at ${o['brokerName']}:${o['queueId']} offset ${o['offset']}`);
      return { json: messageJson(m), text: messageDetail(m) };
    },
  },
  {
    name: 'sendMessage', summary: 'Send one message',
    options: [NS, TOPIC, opt('p', 'body', 'message body', true), opt('k', 'key', 'message key(s)'), opt('c', 'tags', 'message tag'),
      opt('b', 'broker', 'broker name (with -i: exactly this queue)'), opt('i', 'qid', 'queue id')],
    async run({ admin, o }) {
      if ((o['broker'] === undefined) !== (o['qid'] === undefined)) throw new UsageError('-b (broker name) and -i (queue id) go together');
      const queue = o['broker'] !== undefined ? { brokerName: o['broker'], queueId: intValue(o['qid'], '-i', 0) } : undefined;
      const msg: { topic: string; body: string; keys?: string; tags?: string } = { topic: o['topic']!, body: o['body']! };
      if (o['key']) msg.keys = o['key'];
      if (o['tags']) msg.tags = o['tags'];
      const r = await admin.sendMessage(msg, queue);
      return { json: r, text: table(['#Broker Name', '#QID', '#Send Result', '#MsgId'], [[r.queue.brokerName, r.queue.queueId, r.status, r.msgId]]) };
    },
  },
  {
    name: 'consumeMessage', summary: 'Read messages of a topic from the queues (nothing is committed)',
    options: [NS, TOPIC, opt('b', 'brokerName', 'only this broker'), opt('i', 'queueId', 'only this queue'), opt('o', 'offset', 'from this offset (default: the queue start)'),
      opt('c', 'messageNumber', 'at most this many (default 128)'), opt('s', 'beginTimestamp', 'from this store time'), opt('e', 'endTimestamp', 'up to this store time')],
    async run({ admin, o }) {
      const topic = o['topic']!;
      const max = intValue(o['messageNumber'], '-c', 128);
      const begin = o['beginTimestamp'] ? timeValue(o['beginTimestamp'], '-s') : undefined;
      const end = o['endTimestamp'] ? timeValue(o['endTimestamp'], '-e') : undefined;
      let list: MessageExt[];
      if (begin !== undefined || end !== undefined) {
        list = await admin.queryMessageByTime(topic, begin ?? 0, end ?? Date.now() + 1000, { maxNum: max });
      } else {
        const route = await admin.topicRoute(topic);
        if (!route) throw new Error(`topic ${topic} has no route`);
        list = [];
        for (const qd of route.queueDatas) {
          if (o['brokerName'] && qd.brokerName !== o['brokerName']) continue;
          for (let q = 0; q < qd.readQueueNums && list.length < max; q++) {
            if (o['queueId'] !== undefined && q !== intValue(o['queueId'], '-i', 0)) continue;
            let off = o['offset'] !== undefined ? intValue(o['offset'], '-o', 0) : -1;
            for (;;) {
              const r = await admin.pullMessages(topic, qd.brokerName, q, Math.max(0, off), Math.min(32, max - list.length));
              if (off < 0 && r.messages.length === 0 && r.minOffset > 0) { off = r.minOffset; continue; }
              list.push(...r.messages);
              if (r.messages.length === 0 || list.length >= max || r.nextOffset <= Math.max(0, off)) break;
              off = r.nextOffset;
            }
          }
        }
      }
      return { json: list.map(messageJson), text: messageRows(list) + `\n${list.length} message(s)\n` };
    },
  },
  {
    name: 'resetOffsetByTime', summary: "Move a consumer group's offsets on a topic to a point in time",
    options: [NS, GROUP, TOPIC, opt('s', 'timestamp', 'epoch ms, now, yyyy-MM-dd#HH:mm:ss:SSS or ISO 8601; -1 = the end (skip accumulated)', true),
      opt('f', 'force', 'also move offsets forward (default true)')],
    async run({ admin, o }) {
      const ts = o['timestamp'] === '-1' ? -1 : timeValue(o['timestamp'], '-s');
      const list = await admin.resetOffsetByTime(o['consumerGroup']!, o['topic']!, ts, boolValue(o['force'], '-f', true));
      return { json: list, text: table(['#Broker Name', '#QID', '#Offset'], list.map((r) => [r.brokerName, r.queueId, r.offset])) };
    },
  },
  {
    name: 'getBrokerConfig', summary: "Print a broker's configuration",
    options: [NS, BROKER_ADDR, CLUSTER],
    async run({ admin, o }) {
      return eachBroker(admin, o, (a) => admin.getBrokerConfig(a), (a) => `============${a}============\n`);
    },
  },
  {
    name: 'updateBrokerConfig', summary: 'Change one broker configuration key at run time',
    options: [NS, BROKER_ADDR, CLUSTER, opt('k', 'key', 'config key', true), opt('v', 'value', 'config value', true)],
    async run({ admin, o }) {
      const addrs = await admin.updateBrokerConfig({ [o['key']!]: o['value']! }, target(o));
      return { json: { key: o['key'], value: o['value'], brokers: addrs }, text: addrs.map((a) => `update broker config success, ${a}\n`).join('') };
    },
  },
  {
    name: 'statsAll', summary: 'Put/get TPS and today\'s counts per topic and consumer group',
    options: [NS, opt('t', 'topic', 'only this topic'), { short: 'a', long: 'activeTopic', help: 'only rows with traffic', flag: true }],
    async run({ admin, o }) {
      let rows = await admin.statsAll(o['topic']);
      if (o['activeTopic'] === 'true') rows = rows.filter((r) => r.inMsgToday > 0 || r.outMsgToday > 0);
      return { json: rows, text: table(['#Topic', '#Consumer Group', '#Broker', '#InTPS', '#OutTPS', '#InMsg24Hour', '#OutMsg24Hour', '#Accumulation'],
        rows.map((r) => [r.topic, r.group ?? '', r.brokerName, fixed(r.inTpsMinute), fixed(r.outTpsMinute), r.inMsgToday, r.outMsgToday, r.diff ?? ''])) };
    },
  },
  {
    name: 'clusterRT', summary: 'Send test messages to every master and print the send round trip',
    options: [NS, opt('a', 'amount', 'messages per broker (default 10)'), opt('s', 'size', 'message body bytes (default 128)'), opt('c', 'clusterName', 'only this cluster')],
    async run({ admin, o }) {
      const amount = intValue(o['amount'], '-a', 10);
      const size = intValue(o['size'], '-s', 128);
      if (amount < 1 || amount > 10_000 || size < 1 || size > 4 * 1024 * 1024) throw new UsageError('-a must be 1..10000 and -s 1..4194304');
      const body = Buffer.alloc(size, 'a');
      const rows: Array<{ cluster: string; brokerName: string; addr: string; rtMsAvg: number | null; successCount: number; failCount: number; error?: string }> = [];
      for (const m of await admin.masters(o['clusterName'])) {
        let ok = 0, fail = 0, total = 0;
        let error: string | undefined;
        for (let i = 0; i < amount; i++) {
          const t0 = process.hrtime.bigint();
          try {
            // As mqadmin: the topic named after the broker, so each broker is measured alone.
            await admin.sendMessage({ topic: m.brokerName, body }, { brokerName: m.brokerName, queueId: 0 });
            total += Number(process.hrtime.bigint() - t0) / 1e6;
            ok++;
          } catch (e) {
            fail++;
            error = (e as Error).message;
          }
        }
        const row: (typeof rows)[number] = { cluster: m.cluster, brokerName: m.brokerName, addr: m.addr, rtMsAvg: ok ? total / ok : null, successCount: ok, failCount: fail };
        if (error) row.error = error;
        rows.push(row);
      }
      return { json: rows, text: table(['#Cluster Name', '#Broker Name', '#RT(ms)', '#successCount', '#failCount'], rows.map((r) => [r.cluster, r.brokerName, r.rtMsAvg === null ? '-' : fixed(r.rtMsAvg), r.successCount, r.failCount]))
        + rows.filter((r) => r.error).map((r) => `${r.brokerName}: ${r.error}\n`).join('') };
    },
  },
];

/** Topic list filters the dashboard and `topicList --json` consumers share. */
export function topicKind(t: string): 'retry' | 'dlq' | 'system' | 'normal' {
  if (isRetryTopic(t)) return 'retry';
  if (isDlqTopic(t)) return 'dlq';
  return /^(TBW102|SCHEDULE_TOPIC_XXXX|BenchmarkTest|RMQ_SYS_.*|TRANS_CHECK_MAX_TIME_TOPIC|SELF_TEST_TOPIC|OFFSET_MOVED_EVENT|rmq_sys_.*|.*_REPLY_TOPIC)$/.test(t) ? 'system' : 'normal';
}
