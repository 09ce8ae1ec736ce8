// Broker-initiated requests through a real broker: mqadmin-style calls that the broker forwards to
// our consumer (GET_CONSUMER_RUNNING_INFO 307, CONSUME_MESSAGE_DIRECTLY 309) and an offset reset
// (INVOKE_BROKER_TO_RESET_OFFSET 222 -> RESET_CONSUMER_CLIENT_OFFSET 220) that makes it re-consume.
import t from 'tap';
import { Producer, PushConsumer } from '../packages/client/src/index.js';
import { adminInvoke, closeAdmin, createTopic, sleep, startStandalone, waitFor } from './helpers/mq-process.js';

t.teardown(closeAdmin);

t.test('running info, consume directly and offset reset via the broker', async (t) => {
  const { namesrvAddr, broker } = await startStandalone(t);
  const topic = 'ClientAdmin';
  await createTopic(namesrvAddr, [broker], topic);
  const producer = new Producer({ groupName: 'adm_producer', namesrvAddr, instanceName: 'adm-p' });
  await producer.start();
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) ids.push((await producer.send({ topic, body: `adm ${i}` })).offsetMsgId);
  const seen: string[] = [];
  const consumer = new PushConsumer({ groupName: 'adm_group', namesrvAddr, instanceName: 'adm-c', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  consumer.subscribe(topic, '*').onMessage((m) => { seen.push(m.body.toString()); });
  await consumer.start();
  await waitFor(() => seen.length >= 10, 20000, 'first pass');

  const info = await adminInvoke(broker.brokerAddr, 307, { consumerGroup: 'adm_group', clientId: consumer.clientId!, jstackEnable: 'false' });
  t.equal(info.code, 0, `running info (${info.remark})`);
  t.match(info.body?.toString(), /"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY"/);

  const direct = await adminInvoke(broker.brokerAddr, 309, { consumerGroup: 'adm_group', clientId: consumer.clientId!, msgId: ids[3]! });
  t.equal(direct.code, 0, `consume directly (${direct.remark})`);
  t.equal(JSON.parse(direct.body!.toString()).consumeResult, 'CR_SUCCESS');
  t.equal(seen.at(-1), 'adm 3', 'the handler got the message');

  await consumer.persistConsumerOffset(true);
  const before = seen.length;
  const reset = await adminInvoke(broker.brokerAddr, 222, { topic, group: 'adm_group', timestamp: '0', isForce: 'true' });
  t.equal(reset.code, 0, `reset (${reset.remark})`);
  await waitFor(() => seen.length >= before + 10, 20000, 'every message again after the reset');
  t.same(seen.slice(before).sort(), Array.from({ length: 10 }, (_, i) => `adm ${i}`).sort());
  await consumer.shutdown();
  await producer.shutdown();
});

t.test('SQL92 subscription: the broker filters by properties', async (t) => {
  const { namesrvAddr, broker } = await startStandalone(t);
  const topic = 'ClientSql';
  await createTopic(namesrvAddr, [broker], topic);
  const producer = new Producer({ groupName: 'sql_producer', namesrvAddr, instanceName: 'sql-p' });
  await producer.start();
  for (let n = 0; n < 10; n++) await producer.send({ topic, body: `sql ${n}`, tags: n % 2 ? 'Odd' : 'Even', properties: { n: String(n) } });
  const seen = new Set<string>();
  const consumer = new PushConsumer({ groupName: 'sql_group', namesrvAddr, instanceName: 'sql-c', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  consumer.subscribe(topic, { type: 'SQL92', expression: "n >= 5 AND TAGS = 'Odd'" }).onMessage((m) => { seen.add(m.body.toString()); });
  await consumer.start();
  await waitFor(() => seen.size >= 3, 20000, 'matching messages');
  await sleep(1000); // a window in which no other message may arrive (the filter under test)
  t.same([...seen].sort(), ['sql 5', 'sql 7', 'sql 9']);
  await consumer.shutdown();
  await producer.shutdown();
});
