// Connection.invokeWith: a caller-made PendingCall instead of a promise (the producer's send path).
import t from 'tap';
import { RemotingServer } from '../src/server.js';
import { RemotingClient } from '../src/client.js';
import { RemotingCommand } from '../src/command.js';
import { RemotingError, RemotingErrorCode, type PendingCall } from '../src/connection.js';
import { silentLogger } from '../src/logger.js';

class Call implements PendingCall {
  deadline = 0;
  code = 0;
  timeoutMs = 0;
  results: Array<RemotingCommand | Error> = [];
  settled: Promise<void>;
  private settle: () => void = () => undefined;
  constructor() { this.settled = new Promise((r) => { this.settle = r; }); }
  resolve(cmd: RemotingCommand): void { this.results.push(cmd); this.settle(); }
  reject(err: Error): void { this.results.push(err); this.settle(); }
}

t.test('invokeWith: response, timeout, closed connection; each call settles once and never synchronously', async (t) => {
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  server.registerProcessor(10, (req) => RemotingCommand.response(0, null, { v: req.ext('v') ?? '' }));
  server.registerProcessor(11, () => new Promise<RemotingCommand>(() => undefined));
  const addr = `127.0.0.1:${await server.listen()}`;
  const client = new RemotingClient({ logger: silentLogger, serializeType: 'rocketmq' });
  t.teardown(async () => { await client.close(); await server.close(); });
  await client.invoke(addr, RemotingCommand.request(10), 2000);
  const conn = client.connection(addr)!;

  const ok = new Call();
  conn.invokeWith(RemotingCommand.request(10, { v: 'a' }), 2000, ok);
  t.equal(ok.code, 10);
  t.equal(ok.timeoutMs, 2000);
  t.equal(ok.results.length, 0, 'not settled synchronously');
  await ok.settled;
  t.equal((ok.results[0] as RemotingCommand).ext('v'), 'a');

  const slow = new Call();
  conn.invokeWith(RemotingCommand.request(11), 100, slow);
  await slow.settled;
  const e = slow.results[0];
  t.ok(e instanceof RemotingError && e.code === RemotingErrorCode.TIMEOUT, 'times out');

  const cut = new Call();
  conn.invokeWith(RemotingCommand.request(11), 5000, cut);
  conn.close();
  await cut.settled;
  t.ok(cut.results[0] instanceof RemotingError && (cut.results[0] as RemotingError).code === RemotingErrorCode.CHANNEL_CLOSED);

  const late = new Call();
  conn.invokeWith(RemotingCommand.request(10), 1000, late);
  t.equal(late.results.length, 0, 'closed: rejected later, not inside invokeWith');
  await late.settled;
  t.ok(late.results[0] instanceof RemotingError);
  await new Promise((r) => setTimeout(r, 150));
  t.same([ok, slow, cut, late].map((c) => c.results.length), [1, 1, 1, 1], 'each settled exactly once');
});
