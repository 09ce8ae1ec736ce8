// Request-reply: the requester waits for the reply message (CORRELATION_ID / REPLY_TO_CLIENT),
// which the responder sends with SEND_REPLY_MESSAGE_V2 and the broker pushes back with
// PUSH_REPLY_MESSAGE_TO_CLIENT. A refused reply fails the test.
import t from 'tap';
import { MQTimeoutError, Producer, PushConsumer, createReplyMessage } from '../packages/client/src/index.js';
import { closeAdmin, createTopic, startStandalone } from './helpers/mq-process.js';

t.teardown(closeAdmin);

t.test('request waits for the reply; unanswered requests time out', async (t) => {
  const { namesrvAddr, broker } = await startStandalone(t);
  const topic = 'ClientRequest';
  await createTopic(namesrvAddr, [broker], topic);
  const requester = new Producer({ groupName: 'req_producer', namesrvAddr, instanceName: 'req-p' });
  await requester.start();
  const replier = new Producer({ groupName: 'rep_producer', namesrvAddr, instanceName: 'rep-c' });
  await replier.start();
  let replyError: unknown;
  const responder = new PushConsumer({ groupName: 'rep_consumer', namesrvAddr, instanceName: 'rep-c', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET' });
  responder.subscribe(topic, 'Ask').onMessage(async (m) => {
    try {
      await replier.send(createReplyMessage(m, `re: ${m.body.toString()}`));
    } catch (e) {
      replyError = e;
    }
  });
  await responder.start();
  try {
    const reply = await requester.request({ topic, tags: 'Ask', body: 'ping' }, 8000);
    t.equal(reply.body.toString(), 're: ping');
    t.ok(reply.properties['CORRELATION_ID']);
    await t.rejects(requester.request({ topic, tags: 'NobodyAnswers', body: 'x' }, 1500), MQTimeoutError, 'unanswered request times out');
  } catch (e) {
    // The broker answers 324/325 (processor/reply-message.ts): a refused reply is a failure, never a skip.
    if (replyError) {
      t.fail(`reply send failed: ${(replyError as Error).message}`);
    } else {
      throw e;
    }
  } finally {
    await responder.shutdown();
    await replier.shutdown();
    await requester.shutdown();
  }
});
