// Interop with a real third-party client: ali-ons's own Channel and RemotingCommand talk to our server.
import t from 'tap';
import { createRequire } from 'node:module';
import { RemotingServer } from '../src/server.js';
import { RemotingCommand } from '../src/command.js';
import { createLogger } from '../src/logger.js';

const require = createRequire(import.meta.url);
type Any = any;
let AliChannel: Any;
let AliCommand: Any;
try {
  AliChannel = require('ali-ons/lib/channel.js');
  AliCommand = require('ali-ons/lib/protocol/command/remoting_command.js');
} catch {
  AliChannel = null;
}

t.test('ali-ons Channel against RemotingServer', { skip: AliChannel === null ? 'ali-ons not installed' : false }, async (t) => {
  const seen: RemotingCommand[] = [];
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger: createLogger('ali', { level: 'error' }) });
  server.registerProcessor(310, (req) => {
    seen.push(req);
    return RemotingCommand.response(0, null, { msgId: '7F000001000051AF0000000000000000', queueId: req.ext('e'), queueOffset: 7 }, Buffer.from('ok'));
  });
  server.registerProcessor(15, (req) => {
    seen.push(req);
    return RemotingCommand.response(0);
  });
  const port = await server.listen();
  const ch = new AliChannel(`127.0.0.1:${port}`);
  t.teardown(async () => {
    ch.close();
    await server.close();
  });
  await ch.ready();

  const cmd = AliCommand.createRequestCommand(310, { a: 'grp', b: 'Topic', e: 2, k: false, g: 1795738279544, l: undefined });
  cmd.body = Buffer.from('hello');
  const resp = await ch.invoke(cmd, 3000);
  t.equal(resp.code, 0);
  t.equal(resp.opaque, cmd.opaque);
  t.same(resp.extFields, { msgId: '7F000001000051AF0000000000000000', queueId: '2', queueOffset: '7' });
  t.equal(resp.body.toString(), 'ok');
  t.same(seen[0]!.extFields, { a: 'grp', b: 'Topic', e: '2', k: 'false', g: '1795738279544' });
  t.equal(seen[0]!.version, 121);
  t.equal(seen[0]!.bodyBuffer()!.toString(), 'hello');

  // ali-ons sends "oneway" offset updates with flag 0 and simply ignores the reply; that must not disturb it
  await ch.invokeOneway(AliCommand.createRequestCommand(15, { topic: 'Topic', consumerGroup: 'g', queueId: 0, commitOffset: -1 }));
  const again = await ch.invoke(AliCommand.createRequestCommand(310, { e: 1 }), 3000);
  t.equal(again.extFields.queueId, '1');
  t.equal(seen.length, 3);
  t.equal(seen[1]!.ext('commitOffset'), '-1');

  // a broker-initiated oneway request (NOTIFY_CONSUMER_IDS_CHANGED) is read by ali-ons without breaking the channel
  for (const c of server.channels()) c.invokeOneway(RemotingCommand.request(40, { consumerGroup: 'g' }));
  const third = await ch.invoke(AliCommand.createRequestCommand(310, { e: 3 }), 3000);
  t.equal(third.extFields.queueId, '3');
});
