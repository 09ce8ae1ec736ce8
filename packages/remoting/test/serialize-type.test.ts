// RemotingClient with serializeType 'rocketmq': requests in the binary header, replies in the request's
// type, and the fallback to JSON for a peer that never answers a binary request.
import t from 'tap';
import net from 'node:net';
import { RemotingServer } from '../src/server.js';
import { RemotingClient } from '../src/client.js';
import { RemotingCommand } from '../src/command.js';
import { RemotingError, RemotingErrorCode } from '../src/connection.js';
import { encodeCommandToBuffer, FrameDecoder } from '../src/codec.js';
import { createLogger } from '../src/logger.js';

const logLines: string[] = [];
const logger = createLogger('test', { level: 'debug', sink: (l) => logLines.push(l) });

t.test('binary requests to our server: the processor sees type 1, the reply comes back binary', async (t) => {
  const seen: number[] = [];
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger });
  server.registerProcessor(10, (req) => {
    seen.push(req.serializeType);
    return RemotingCommand.response(0, 'ok ✓', { echo: req.ext('v') ?? '', n: '42' }, req.bodyBuffer());
  });
  const addr = `127.0.0.1:${await server.listen()}`;
  const bin = new RemotingClient({ logger, serializeType: 'rocketmq' });
  const json = new RemotingClient({ logger, serializeType: 'json' });
  t.teardown(async () => { await bin.close(); await json.close(); await server.close(); });
  const r = await bin.invoke(addr, RemotingCommand.request(10, { v: 'é' }, Buffer.from('body')), 2000);
  t.equal(r.serializeType, 1);
  t.same([r.code, r.remark, r.ext('echo'), r.ext('n'), r.bodyBuffer()!.toString()], [0, 'ok ✓', 'é', '42', 'body']);
  const j = await json.invoke(addr, RemotingCommand.request(10, { v: 'x' }), 2000);
  t.equal(j.serializeType, 0);
  bin.connection(addr)!.invokeOneway(RemotingCommand.request(10, { v: 'oneway' }));
  await bin.invoke(addr, RemotingCommand.request(10), 2000);
  t.same(seen, [1, 0, 1, 1], 'binary, JSON, binary oneway, binary');
});

/** A peer that speaks only JSON headers: on a binary frame it closes the connection, or (ignore) stays silent. */
async function jsonOnlyPeer(onBinary: 'close' | 'ignore'): Promise<{ addr: string; types: number[]; close: () => Promise<void> }> {
  const types: number[] = [];
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    let binarySeen = false;
    s.on('data', (chunk) => {
      if (binarySeen) return;
      // the type byte sits at offset 4 of each frame; a JSON-only peer reads it as part of the length
      if (chunk[4] === 1) {
        types.push(1);
        binarySeen = true;
        if (onBinary === 'close') s.destroy();
        return;
      }
      for (const req of new FrameDecoder().push(chunk)) {
        types.push(req.serializeType);
        const resp = RemotingCommand.response(0, null, { from: 'json-peer' });
        resp.opaque = req.opaque;
        s.write(encodeCommandToBuffer(resp));
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  return {
    addr: `127.0.0.1:${port}`, types,
    close: () => { for (const s of sockets) s.destroy(); return new Promise<void>((r) => srv.close(() => r())); },
  };
}

const FALLBACKS = [
  { onBinary: 'close' as const, timeoutMs: 2000, fails: RemotingErrorCode.CHANNEL_CLOSED, name: 'a peer that closes the connection on a binary header' },
  { onBinary: 'ignore' as const, timeoutMs: 150, fails: RemotingErrorCode.TIMEOUT, name: 'a peer that never answers a binary header (the connection is dropped after the timeout)' },
];
for (const f of FALLBACKS) {
  t.test(`${f.name} gets JSON from the next connection on`, async (t) => {
    const peer = await jsonOnlyPeer(f.onBinary);
    const client = new RemotingClient({ logger, serializeType: 'rocketmq' });
    t.teardown(async () => { await client.close(); await peer.close(); });
    const first = await client.invoke(peer.addr, RemotingCommand.request(10), f.timeoutMs).catch((e: unknown) => e);
    t.ok(first instanceof RemotingError && first.code === f.fails, `the binary request fails with ${f.fails}`);
    const second = await client.invoke(peer.addr, RemotingCommand.request(10), 2000);
    t.equal(second.ext('from'), 'json-peer');
    const third = await client.invoke(peer.addr, RemotingCommand.request(10), 2000);
    t.equal(third.code, 0);
    t.same(peer.types, [1, 0, 0]);
    t.ok(logLines.some((l) => l.includes('did not answer the binary (ROCKETMQ) header')), 'the fallback is logged');
  });
}

t.test('a binary peer that answered keeps binary after a later close; our own close is no fallback', async (t) => {
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger });
  const seen: number[] = [];
  server.registerProcessor(10, (req) => { seen.push(req.serializeType); return RemotingCommand.response(0, null); });
  server.registerProcessor(11, () => new Promise<RemotingCommand>(() => undefined)); // never answers
  const addr = `127.0.0.1:${await server.listen()}`;
  const client = new RemotingClient({ logger, serializeType: 'rocketmq' });
  t.teardown(async () => { await client.close(); await server.close(); });
  await client.invoke(addr, RemotingCommand.request(10), 2000);
  client.closeChannel(addr);
  await new Promise((r) => setTimeout(r, 50));
  await client.invoke(addr, RemotingCommand.request(10), 2000);
  // a fresh connection whose only request is pending when we close it ourselves
  client.closeChannel(addr);
  await new Promise((r) => setTimeout(r, 50));
  const pending = client.invoke(addr, RemotingCommand.request(11), 2000).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 50));
  client.closeChannel(addr);
  t.ok((await pending) instanceof RemotingError);
  await new Promise((r) => setTimeout(r, 50));
  await client.invoke(addr, RemotingCommand.request(10), 2000);
  t.same(seen, [1, 1, 1], 'still binary');
});

t.test('oneway binary requests alone are no evidence: a close after them keeps binary', async (t) => {
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger });
  const seen: number[] = [];
  server.registerProcessor(10, (req) => { seen.push(req.serializeType); return RemotingCommand.response(0, null); });
  server.registerProcessor(12, (req, ch) => { seen.push(req.serializeType); ch.close(); return null; });
  const addr = `127.0.0.1:${await server.listen()}`;
  const client = new RemotingClient({ logger, serializeType: 'rocketmq' });
  t.teardown(async () => { await client.close(); await server.close(); });
  await client.invokeOneway(addr, RemotingCommand.request(12));
  for (let i = 0; i < 50 && client.connection(addr) !== undefined; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(client.connection(addr), undefined, 'the server closed the connection');
  await client.invoke(addr, RemotingCommand.request(10), 2000);
  t.same(seen, [1, 1], 'the next connection still sends binary');
});
