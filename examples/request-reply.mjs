// Request-reply: producer.request() sends a message and waits for its reply; the responder
// consumes the request and answers with createReplyMessage(request, body).
//   node examples/request-reply.mjs
import { Producer, PushConsumer, createReplyMessage } from '@rmq/client';
import { namesrvAddr, suffix } from './common.mjs';

const topic = process.env.TOPIC ?? `ExampleRpc_${suffix}`;

// Responder: a consumer of the request topic and a producer for the replies.
const replier = new Producer({ groupName: `example_reply_producer_${suffix}`, namesrvAddr });
await replier.start();
const responder = new PushConsumer({ groupName: `example_responder_${suffix}`, namesrvAddr, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
responder.subscribe(topic, '*').onMessage(async (req) => {
  if (req.tags !== 'ask') return;
  await replier.send(createReplyMessage(req, `pong to ${req.body.toString()}`));
});

// Requester. A first plain message creates the topic so that the responder finds its route.
const requester = new Producer({ groupName: `example_requester_${suffix}`, namesrvAddr });
await requester.start();
await requester.send({ topic, tags: 'hello', body: 'creates the topic' });
await responder.start();
try {
  for (let i = 0; i < 3; i++) {
    const reply = await requester.request({ topic, tags: 'ask', body: `ping ${i}` }, 30_000);
    console.log(`reply: ${reply.body.toString()}`);
  }
} finally {
  await requester.shutdown();
  await responder.shutdown();
  await replier.shutdown();
}
