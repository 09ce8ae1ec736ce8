import t from 'tap';
import net from 'node:net';
import { RemotingServer } from '../src/server.js';
import { RemotingClient } from '../src/client.js';
import { RemotingCommand } from '../src/command.js';
import { RemotingError, RemotingErrorCode, type Channel } from '../src/connection.js';
import { decodeCommand, encodeCommandToBuffer, FrameDecoder } from '../src/codec.js';
import { createLogger } from '../src/logger.js';
import { frameBytes, loadFixtures } from './fixtures.js';
import { sleep, waitFor } from '../../../test/helpers/wait.js';

const logLines: string[] = [];
const logger = createLogger('test', { level: 'debug', sink: (l) => logLines.push(l) });

async function startServer(setup: (s: RemotingServer) => void): Promise<{ server: RemotingServer; addr: string }> {
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger, name: 'test-server' });
  setup(server);
  const port = await server.listen();
  return { server, addr: `127.0.0.1:${port}` };
}

/** Writes raw bytes on a fresh socket; resolves the first command that comes back. */
async function rawExchange(addr: string, bytes: Buffer): Promise<RemotingCommand> {
  const sock = net.connect(Number(addr.split(':')[1]), '127.0.0.1');
  sock.write(bytes);
  const dec = new FrameDecoder();
  const reply = await new Promise<RemotingCommand>((resolve) => sock.on('data', (c) => {
    const cmds = dec.push(c);
    if (cmds.length > 0) resolve(cmds[0]!);
  }));
  sock.destroy();
  return reply;
}

t.test('request/response, async processors, errors, unknown codes', async (t) => {
  const { server, addr } = await startServer((s) => {
    s.registerProcessor(10, (req) => RemotingCommand.response(0, null, { echo: req.ext('v') ?? '' }, req.bodyBuffer()));
    s.registerProcessor(11, async (req) => {
      await sleep(Number(req.ext('delay'))); // a deliberately slow processor (the thing under test)
      return RemotingCommand.response(0, 'late', { delay: req.ext('delay') });
    });
    s.registerProcessor(12, () => {
      throw new Error('boom');
    });
    s.registerProcessor(13, async () => {
      throw new Error('async boom');
    });
    s.registerProcessor(14, () => null);
  });
  const client = new RemotingClient({ logger });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });

  const r = await client.invoke(addr, RemotingCommand.request(10, { v: 'x' }, Buffer.from('payload')), 2000);
  t.equal(r.code, 0);
  t.equal(r.ext('echo'), 'x');
  t.equal(r.bodyBuffer()!.toString(), 'payload');
  t.ok(r.isResponse());

  const unknown = await client.invoke(addr, RemotingCommand.request(999), 2000);
  t.equal(unknown.code, 3);
  t.equal(unknown.remark, 'request type 999 not supported');

  const e1 = await client.invoke(addr, RemotingCommand.request(12), 2000);
  t.equal(e1.code, 1);
  t.match(e1.remark, /boom/);
  const e2 = await client.invoke(addr, RemotingCommand.request(13), 2000);
  t.equal(e2.code, 1);
  t.match(e2.remark, /async boom/);

  // responses arrive out of order and still match their requests
  const slow = client.invoke(addr, RemotingCommand.request(11, { delay: 80 }), 2000);
  const fast = client.invoke(addr, RemotingCommand.request(11, { delay: 5 }), 2000);
  const [a, b] = await Promise.all([slow, fast]);
  t.equal(a.ext('delay'), '80');
  t.equal(b.ext('delay'), '5');

  // a processor returning null sends nothing: the caller times out and the pending entry is removed
  const conn = client.connection(addr)!;
  const before = Date.now();
  const err = await client.invoke(addr, RemotingCommand.request(14), 100).catch((e: unknown) => e);
  t.ok(err instanceof RemotingError);
  t.equal((err as RemotingError).code, RemotingErrorCode.TIMEOUT);
  t.ok(Date.now() - before >= 90);
  t.equal(conn.pendingCount(), 0, 'timed-out call no longer pending');
  // the connection still works after a timeout
  t.equal((await client.invoke(addr, RemotingCommand.request(10), 2000)).code, 0);
});

t.test('binary (ROCKETMQ) requests get binary replies', async (t) => {
  const { server, addr } = await startServer((s) => s.registerProcessor(105, () => RemotingCommand.response(0, null, { k: 1 }, Buffer.from('{}'))));
  t.teardown(() => server.close());
  const route = loadFixtures().find((f) => f.file === 'rocketmq-serialize-route.json')!.frames[0]!;
  const reply = await rawExchange(addr, frameBytes(route));
  t.equal(reply.serializeType, 1);
  t.equal(reply.opaque, route.opaque);
  t.equal(reply.flag, 1);
  t.same(reply.extFields, { k: '1' });
});

t.test('ali-ons style requests: numbers in extFields, version 121', async (t) => {
  const { server, addr } = await startServer((s) => s.registerProcessor(310, (req) => RemotingCommand.response(0, null, { q: req.ext('e'), k: req.ext('k') })));
  t.teardown(() => server.close());
  const header = Buffer.from(JSON.stringify({ code: 310, language: 'JAVA', opaque: 77, flag: 0, version: 121, extFields: { e: 3, k: false, g: 1795738279544 } }));
  const f = Buffer.alloc(8);
  f.writeInt32BE(4 + header.length + 2, 0);
  f.writeInt32BE(header.length, 4);
  const reply = await rawExchange(addr, Buffer.concat([f, header, Buffer.from('hi')]));
  t.equal(reply.serializeType, 0);
  t.equal(reply.opaque, 77);
  t.same(reply.extFields, { q: '3', k: 'false' });
});

t.test('oneway requests are processed and never answered', async (t) => {
  let seen = 0;
  const { server, addr } = await startServer((s) => {
    s.registerProcessor(15, () => {
      seen++;
      return RemotingCommand.response(0);
    });
    s.registerProcessor(10, () => RemotingCommand.response(0));
  });
  const raw = net.connect(Number(addr.split(':')[1]), '127.0.0.1');
  const received: RemotingCommand[] = [];
  const dec = new FrameDecoder();
  raw.on('data', (c) => received.push(...dec.push(c)));
  const oneway = RemotingCommand.request(15).markOneway();
  const normal = RemotingCommand.request(10);
  raw.write(Buffer.concat([encodeCommandToBuffer(oneway), encodeCommandToBuffer(oneway), encodeCommandToBuffer(normal)]));
  // processed in order: once the normal request is answered, both oneways were seen (and not answered)
  await waitFor(() => seen === 2 && received.length >= 1, 5000, 'the reply to the normal request');
  raw.destroy();
  await server.close();
  t.equal(seen, 2);
  t.equal(received.length, 1);
  t.equal(received[0]!.opaque, normal.opaque);
  // through the client too
  const { server: s2, addr: a2 } = await startServer((s) => s.registerProcessor(15, () => {
    seen++;
    return RemotingCommand.response(0);
  }));
  const client = new RemotingClient({ logger });
  await client.invokeOneway(a2, RemotingCommand.request(15));
  await waitFor(() => seen === 3, 5000, 'the oneway through the client');
  t.equal(seen, 3);
  await client.close();
  await s2.close();
});

t.test('server-initiated requests with their own opaque counter, channel events', async (t) => {
  const connected: Channel[] = [];
  const closed: Channel[] = [];
  const { server, addr } = await startServer((s) => {
    s.registerProcessor(34, () => RemotingCommand.response(0));
    s.on('connect', (ch: Channel) => connected.push(ch));
    s.on('close', (ch: Channel) => closed.push(ch));
  });
  const client = new RemotingClient({ logger });
  const notified: RemotingCommand[] = [];
  client.registerProcessor(40, (req) => {
    notified.push(req);
    return null;
  });
  client.registerProcessor(307, (req) => RemotingCommand.response(0, null, { group: req.ext('consumerGroup') }, Buffer.from('{"running":true}')));
  await client.invoke(addr, RemotingCommand.request(34), 2000);
  t.equal(connected.length, 1);
  const ch = [...server.channels()][0]!;
  t.equal(ch, connected[0]);
  t.match(ch.remoteAddress, /^127\.0\.0\.1:\d+$/);
  t.equal(ch.localAddress, addr);
  ch.invokeOneway(RemotingCommand.request(40, { consumerGroup: 'g' }));
  const info = await ch.invoke(RemotingCommand.request(307, { consumerGroup: 'g' }), 2000);
  t.equal(info.ext('group'), 'g');
  t.equal(info.bodyBuffer()!.toString(), '{"running":true}');
  t.equal(notified.length, 1);
  t.ok(notified[0]!.isOneway());
  // a code the client has no processor for is answered with 3
  const unsupported = await ch.invoke(RemotingCommand.request(309), 2000);
  t.equal(unsupported.code, 3);
  // the server counts its own opaques from 0
  t.equal(notified[0]!.opaque, 0);

  const closeSeen = new Promise<string>((r) => client.once('close', r));
  ch.close();
  t.equal(await closeSeen, addr, 'client learns the connection closed');
  await waitFor(() => closed.length >= 1, 5000, 'the server\'s close event');
  t.equal(closed.length, 1);
  // next call reconnects
  t.equal((await client.invoke(addr, RemotingCommand.request(34), 2000)).code, 0);
  t.equal(connected.length, 2);
  await client.close();
  await server.close();
});

t.test('pending calls fail when the connection drops; connect failures; closed client', async (t) => {
  let reached = 0;
  const { server, addr } = await startServer((s) => s.registerProcessor(11, () => { reached++; return new Promise(() => {}); }));
  const client = new RemotingClient({ logger, connectTimeoutMs: 500 });
  const held = client.invoke(addr, RemotingCommand.request(11), 5000).catch((e: unknown) => e);
  await waitFor(() => reached === 1, 5000, 'the request to reach the server');
  for (const ch of server.channels()) ch.close();
  const err = await held;
  t.ok(err instanceof RemotingError);
  t.equal((err as RemotingError).code, RemotingErrorCode.CHANNEL_CLOSED);
  await server.close();

  const refused = await client.invoke(addr, RemotingCommand.request(11), 1000).catch((e: unknown) => e);
  t.equal((refused as RemotingError).code, RemotingErrorCode.CONNECT_FAILED);
  const badAddr = await client.invoke('nonsense', RemotingCommand.request(11), 1000).catch((e: unknown) => e);
  t.equal((badAddr as RemotingError).code, RemotingErrorCode.CONNECT_FAILED);
  await client.close();
  const afterClose = await client.invoke(addr, RemotingCommand.request(11), 1000).catch((e: unknown) => e);
  t.equal((afterClose as RemotingError).code, RemotingErrorCode.CLIENT_CLOSED);
});

t.test('many concurrent calls over one connection, replies batched per turn', async (t) => {
  const { server, addr } = await startServer((s) => {
    s.registerProcessor(10, (req) => RemotingCommand.response(0, null, { i: req.ext('i') }));
    s.registerProcessor(11, async (req) => {
      await sleep(Number(req.ext('i')) % 7); // replies out of order on purpose
      return RemotingCommand.response(0, null, { i: req.ext('i') }, [Buffer.from('a'), Buffer.from(req.ext('i')!)]);
    });
  });
  const client = new RemotingClient({ logger });
  const n = 5000;
  const calls: Promise<RemotingCommand>[] = [];
  for (let i = 0; i < n; i++) calls.push(client.invoke(addr, RemotingCommand.request(i % 2 === 0 ? 10 : 11, { i }), 10000));
  const replies = await Promise.all(calls);
  let ok = 0;
  for (let i = 0; i < n; i++) {
    if (replies[i]!.ext('i') === String(i) && (i % 2 === 0 || replies[i]!.bodyBuffer()!.toString() === 'a' + i)) ok++;
  }
  t.equal(ok, n, 'every reply matched its request');
  t.equal(client.connection(addr)!.pendingCount(), 0);
  t.equal([...server.channels()].length, 1, 'one connection per address');
  await client.close();
  await server.close();
});

t.test('a peer that does not read its replies is cut off at the pending-output limit', async (t) => {
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger, maxPendingWriteBytes: 256 * 1024 });
  server.registerProcessor(10, () => RemotingCommand.response(0, null, null, Buffer.alloc(64 * 1024)));
  const port = await server.listen();
  // a paused socket never reads the FIN, so watch the server side close the channel
  const closed = new Promise<void>((r) => server.once('close', () => r()));
  const sock = net.connect(port, '127.0.0.1');
  sock.pause();
  sock.on('error', () => {});
  const burst: Buffer[] = [];
  for (let i = 0; i < 2000; i++) burst.push(encodeCommandToBuffer(RemotingCommand.request(10)));
  sock.write(Buffer.concat(burst));
  await closed;
  t.ok(logLines.some((l) => /bytes of output pending/.test(l)), 'logged');
  sock.destroy();
  await server.close();
});

t.test('decoded fixtures replayed to a server get answers with matching opaques', async (t) => {
  const { server, addr } = await startServer((s) => s.registerDefaultProcessor((req) => RemotingCommand.response(0, null, { code: req.code })));
  const reqs = loadFixtures().flatMap((f) => f.frames).filter((f) => f.dir === 'c2s' && (f.flag & 2) === 0 && f.flag === 0);
  const sock = net.connect(Number(addr.split(':')[1]), '127.0.0.1');
  const dec = new FrameDecoder();
  const got: RemotingCommand[] = [];
  const done = new Promise<void>((r) => sock.on('data', (c) => {
    got.push(...dec.push(c));
    if (got.length === reqs.length) r();
  }));
  sock.write(Buffer.concat(reqs.map(frameBytes)));
  await done;
  sock.destroy();
  let match = 0;
  for (let i = 0; i < reqs.length; i++) {
    if (got[i]!.opaque === reqs[i]!.opaque && got[i]!.ext('code') === String(reqs[i]!.code) && got[i]!.serializeType === reqs[i]!.serializeType) match++;
  }
  t.equal(match, reqs.length, `${reqs.length} requests answered in order`);
  t.equal(decodeCommand(encodeCommandToBuffer(got[0]!)).opaque, got[0]!.opaque);
  await server.close();
});

t.test('idle connections are closed by the server', async (t) => {
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger, idleTimeoutMs: 100 });
  server.registerProcessor(34, () => RemotingCommand.response(0));
  const port = await server.listen();
  const client = new RemotingClient({ logger });
  const addr = `127.0.0.1:${port}`;
  await client.invoke(addr, RemotingCommand.request(34), 2000);
  const closed = new Promise<string>((r) => client.once('close', r));
  t.equal(await closed, addr);
  t.ok(logLines.some((l) => /idle for 100 ms/.test(l)));
  t.equal((await client.invoke(addr, RemotingCommand.request(34), 2000)).code, 0, 'reconnects');
  await client.close();
  await server.close();
});

t.test('logger levels', async (t) => {
  const lines: string[] = [];
  const warnOnly = createLogger('x', { level: 'warn', sink: (l) => lines.push(l) });
  warnOnly.debug('d');
  warnOnly.info('i');
  warnOnly.warn('w %d', 5);
  warnOnly.error('e');
  t.equal(lines.length, 2);
  t.match(lines[0]!, /WARN \[x\] w 5$/);
  const saved = process.env.MQ_LOG_LEVEL;
  process.env.MQ_LOG_LEVEL = 'error';
  const fromEnv = createLogger('y', { sink: (l) => lines.push(l) });
  fromEnv.warn('no');
  fromEnv.error('yes');
  if (saved === undefined) delete process.env.MQ_LOG_LEVEL;
  else process.env.MQ_LOG_LEVEL = saved;
  t.equal(lines.length, 3);
});

t.test('replies to a pipelined burst are written in a few batched writes, not one per reply', async (t) => {
  const { server, addr } = await startServer((s) => s.registerProcessor(10, () => RemotingCommand.response(0)));
  // a batch is one corked run of writes, or one write of a joined buffer outside a cork
  let batches = 0;
  let dataEvents = 0;
  server.on('connect', (ch: Channel) => {
    const sock = (ch as unknown as { socket: net.Socket }).socket;
    const cork = sock.cork.bind(sock);
    const uncork = sock.uncork.bind(sock);
    const write = sock.write.bind(sock) as (b: Buffer) => boolean;
    let corked = false;
    sock.cork = () => {
      batches++;
      corked = true;
      cork();
    };
    sock.uncork = () => {
      corked = false;
      uncork();
    };
    (sock as unknown as { write: (b: Buffer) => boolean }).write = (b: Buffer) => {
      if (!corked) batches++;
      return write(b);
    };
    sock.on('data', () => dataEvents++);
  });
  const n = 500;
  const sock = net.connect(Number(addr.split(':')[1]), '127.0.0.1');
  const dec = new FrameDecoder();
  let got = 0;
  const done = new Promise<void>((r) => sock.on('data', (c) => {
    got += dec.push(c).length;
    if (got === n) r();
  }));
  const reqs: Buffer[] = [];
  for (let i = 0; i < n; i++) reqs.push(encodeCommandToBuffer(RemotingCommand.request(10)));
  sock.write(Buffer.concat(reqs));
  await done;
  sock.destroy();
  t.ok(batches >= 1 && batches <= dataEvents, `${batches} batched writes for ${n} replies (${dataEvents} reads)`);
  await server.close();
});
