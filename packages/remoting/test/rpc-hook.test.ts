// RPC hooks: server hooks run in order before every processor and may answer instead; after-hooks see
// the answer (sync and async processors); a throwing hook answers SYSTEM_ERROR; the client hook runs
// before every request is sent (invoke and oneway).
import t from 'tap';
import { RemotingServer, type RPCHook } from '../src/server.js';
import { RemotingClient } from '../src/client.js';
import { RemotingCommand } from '../src/command.js';
import { silentLogger } from '../src/logger.js';

t.test('server and client hooks', async (t) => {
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  const seen: string[] = [];
  let oneways = 0;
  server.registerProcessor(1, (req) => RemotingCommand.response(0, `sync ${req.ext('who') ?? '-'}`));
  server.registerProcessor(2, async () => RemotingCommand.response(0, 'async'));
  server.registerProcessor(3, () => { oneways++; return null; });
  const port = await server.listen();
  t.teardown(() => server.close());
  const addr = `127.0.0.1:${port}`;
  const plain = new RemotingClient({ logger: silentLogger });
  t.teardown(() => plain.close());
  t.equal((await plain.invoke(addr, RemotingCommand.request(1, { who: 'a' }), 3000)).remark, 'sync a', 'no hook: processor answers');

  const first: RPCHook = {
    doBeforeRequest: (req) => { seen.push(`first ${req.code}`); return req.ext('deny') ? RemotingCommand.response(16, 'denied by hook') : null; },
    doAfterResponse: (req, res) => { seen.push(`after ${req.code} ${res?.remark ?? 'null'}`); },
  };
  const second: RPCHook = {
    doBeforeRequest: (req) => { seen.push(`second ${req.code}`); if (req.ext('boom')) throw new Error('hook failed'); return undefined; },
  };
  t.equal(server.hasAfterResponseHooks(), false, 'no hooks: none watches responses');
  const beforeOnly = new RemotingServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  beforeOnly.registerRPCHook(second);
  t.equal(beforeOnly.hasAfterResponseHooks(), false, 'a before-only hook does not watch responses');
  server.registerRPCHook(first);
  server.registerRPCHook(second);
  t.equal(server.hasAfterResponseHooks(), true, 'an after-hook: processors must return their answers');
  let r = await plain.invoke(addr, RemotingCommand.request(1, { who: 'b' }), 3000);
  t.equal(r.remark, 'sync b');
  r = await plain.invoke(addr, RemotingCommand.request(2), 3000);
  t.equal(r.remark, 'async');
  r = await plain.invoke(addr, RemotingCommand.request(1, { deny: 1 }), 3000);
  t.equal(r.code, 16, 'a hook answers instead of the processor');
  t.equal(r.remark, 'denied by hook');
  r = await plain.invoke(addr, RemotingCommand.request(1, { boom: 1 }), 3000);
  t.equal(r.code, 1, 'a throwing hook: SYSTEM_ERROR');
  t.same(seen.slice(0, 9), ['first 1', 'second 1', 'after 1 sync b', 'first 2', 'second 2', 'after 2 async', 'first 1', 'after 1 denied by hook', 'first 1'], 'hooks in order, after-hooks see the answer');

  const sent: string[] = [];
  const hooked = new RemotingClient({ logger: silentLogger, rpcHook: { doBeforeRequest: (a, req) => { sent.push(`${a} ${req.code}`); req.setExt('who', 'hooked'); } } });
  t.teardown(() => hooked.close());
  r = await hooked.invoke(addr, RemotingCommand.request(1), 3000);
  t.equal(r.remark, 'sync hooked', 'the client hook adds ext fields before sending');
  const ow = RemotingCommand.request(3);
  ow.markOneway();
  await hooked.invokeOneway(addr, ow);
  t.same(sent, [`${addr} 1`, `${addr} 3`], 'client hook on invoke and oneway');
  const until = Date.now() + 5000;
  while (oneways === 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 10));
  t.equal(oneways, 1);
});
