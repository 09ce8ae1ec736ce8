// Interop with the npm client ali-ons (a real RocketMQ 4.x remoting client): what ali-ons
// produces, @rmq/client consumes, and the other way round, with tags, keys, bodies (one
// compressed) and message ids intact.
import t from 'tap';
import { Producer, PushConsumer, type MessageExt } from '../packages/client/src/index.js';
import { closeAdmin, createTopic, startStandalone, waitFor } from './helpers/mq-process.js';
import { closeOnsInnerProducer, httpclientStub as httpclient, ons, quietOnsLogger as logger } from './helpers/ons.js';

const noop = (): void => {};

t.teardown(closeAdmin);

t.test('ali-ons <-> @rmq/client', async (t) => {
  const { namesrvAddr, broker } = await startStandalone(t);
  await createTopic(namesrvAddr, [broker], 'InteropOnsToUs');
  await createTopic(namesrvAddr, [broker], 'InteropUsToOns');

  // ali-ons produces, we consume.
  const onsProducer = new ons.Producer({ nameSrv: namesrvAddr, httpclient, producerGroup: 'interop_ons_producer', logger });
  onsProducer.on('error', noop);
  await onsProducer.ready();
  const sentByOns = new Map<string, { msgId: string; tags: string; keys: string }>();
  for (let i = 0; i < 20; i++) {
    const msg = new ons.Message('InteropOnsToUs', i % 2 ? 'TagX' : 'TagY', `from ali-ons ${i} ✓`);
    msg.keys = [`ok${i}`, 'shared'];
    const r = await onsProducer.send(msg);
    t.equal(r.sendStatus, 'SEND_OK');
    sentByOns.set(`from ali-ons ${i} ✓`, { msgId: r.msgId, tags: i % 2 ? 'TagX' : 'TagY', keys: `ok${i} shared` });
  }
  const got = new Map<string, MessageExt>();
  const ours = new PushConsumer({ groupName: 'interop_us_consumer', namesrvAddr, instanceName: 'interop-c', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  ours.subscribe('InteropOnsToUs', 'TagX || TagY').onMessage((m) => { got.set(m.body.toString(), m); });
  await ours.start();
  await waitFor(() => got.size >= 20, 20000, 'our consumer got what ali-ons sent');
  for (const [body, s] of sentByOns) {
    const m = got.get(body)!;
    t.ok(m, body);
    t.equal(m.tags, s.tags);
    t.equal(m.keys, s.keys);
    t.equal(m.offsetMsgId, s.msgId, 'ali-ons msgId is the offset message id');
    t.equal(m.msgId, s.msgId, 'no UNIQ_KEY from ali-ons: msgId falls back to the offset id');
  }

  // We produce, ali-ons consumes.
  const producer = new Producer({ groupName: 'interop_us_producer', namesrvAddr, instanceName: 'interop-p' });
  await producer.start();
  const sentByUs = new Map<string, { offsetMsgId: string; tags: string }>();
  const bodies = Array.from({ length: 20 }, (_, i) => (i === 7 ? `big ${'y'.repeat(8000)}` : `from rmq client ${i} ✓`));
  for (const [i, body] of bodies.entries()) {
    const r = await producer.send({ topic: 'InteropUsToOns', body, tags: 'TagZ', keys: [`uk${i}`], properties: { idx: String(i) } });
    sentByUs.set(body, { offsetMsgId: r.offsetMsgId, tags: 'TagZ' });
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const onsGot = new Map<string, any>();
  const onsConsumer = new ons.Consumer({ nameSrv: namesrvAddr, httpclient, consumerGroup: 'interop_ons_consumer', logger,
    consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', rebalanceInterval: 1000, persistent: false });
  onsConsumer.on('error', noop);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  onsConsumer.subscribe('InteropUsToOns', 'TagZ', async (msg: any) => { onsGot.set(msg.body.toString(), msg); });
  await onsConsumer.ready();
  await waitFor(() => onsGot.size >= 20, 30000, 'ali-ons got what we sent');
  for (const [i, body] of bodies.entries()) {
    const m = onsGot.get(body);
    t.ok(m, `ali-ons received message ${i}`);
    t.equal(m.tags, 'TagZ');
    t.same([m.keys].flat().join(" "), `uk${i}`);
    t.equal(m.properties.idx, String(i));
    t.equal(m.msgId, sentByUs.get(body)!.offsetMsgId, 'ali-ons sees the offset id our send returned');
    t.match(m.properties.UNIQ_KEY, /^[0-9A-F]{32}$/);
  }
  // Close the clients while the server still runs (teardowns run after the server is stopped).
  await ours.shutdown();
  await producer.shutdown();
  // ali-ons's producer and consumer share one client (ip@pid): closing them at once races its sockets.
  await onsConsumer.close().catch((e: Error) => t.comment(`ali-ons consumer close: ${e.message}`));
  await onsProducer.close().catch((e: Error) => t.comment(`ali-ons producer close: ${e.message}`));
  await closeOnsInnerProducer();
});
