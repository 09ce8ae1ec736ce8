// Malformed and hostile input on both ports of a running `mq-server standalone` (name server and
// broker): each bad frame gets either Apache's error response (code + remark) or a closed connection
// with a log line naming the reason, and the process keeps serving: after every case a normal
// SEND_MESSAGE_V2 and GET_ROUTEINFO_BY_TOPIC on fresh connections succeed. At the end the child's
// stderr has no unhandled rejection or TypeError trace, and SIGTERM still exits 0.
import net from 'node:net';
import fs from 'node:fs';
import t, { type Test } from 'tap';
import { decodeCommand, encodeCommandToBuffer, RemotingCommand, RequestCode } from '../packages/remoting/dist/index.js';
import { Admin, sendHeaderV2, sleep, startServer, tmpDir, waitFor, type MqServer } from './helpers/mq-process.js';

const TOPIC = 'RobustTopic';

interface Exchange { closed: boolean; replies: RemotingCommand[]; raw: Buffer }

/** Writes bytes on a new connection and collects what comes back until close or `waitMs`. */
function exchange(addr: string, bytes: Buffer | Buffer[], opts: { waitMs?: number; endAfterWrite?: boolean; replies?: number } = {}): Promise<Exchange> {
  const [host, port] = addr.split(':');
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(port), host!);
    let raw = Buffer.alloc(0);
    let closed = false;
    const finish = () => {
      clearTimeout(timer);
      const replies: RemotingCommand[] = [];
      let p = 0;
      while (raw.length - p >= 4) {
        const len = raw.readInt32BE(p);
        if (raw.length - p - 4 < len) break;
        replies.push(decodeCommand(raw.subarray(p, p + 4 + len)));
        p += 4 + len;
      }
      s.destroy();
      resolve({ closed, replies, raw });
    };
    const timer = setTimeout(finish, opts.waitMs ?? 2000);
    s.on('error', (e) => { if ((e as NodeJS.ErrnoException).code !== 'ECONNRESET' && (e as NodeJS.ErrnoException).code !== 'EPIPE') reject(e); });
    s.on('data', (d) => {
      raw = Buffer.concat([raw, d]);
      // enough complete replies: stop waiting
      let n = 0;
      let p = 0;
      while (raw.length - p >= 4 && raw.length - p - 4 >= raw.readInt32BE(p)) { n++; p += 4 + raw.readInt32BE(p); }
      if (opts.replies !== undefined && n >= opts.replies) finish();
    });
    s.on('close', () => { closed = true; finish(); });
    s.on('connect', () => {
      for (const b of Array.isArray(bytes) ? bytes : [bytes]) s.write(b);
      if (opts.endAfterWrite) s.end();
    });
  });
}

/** A frame with the given serialize type / header length field and raw header + body bytes. */
function frame(header: Buffer, body: Buffer = Buffer.alloc(0), o: { serializeType?: number; headerLength?: number; length?: number } = {}): Buffer {
  const b = Buffer.alloc(8 + header.length + body.length);
  b.writeInt32BE(o.length ?? 4 + header.length + body.length, 0);
  b.writeUInt32BE((((o.serializeType ?? 0) & 0xff) << 24 | (o.headerLength ?? header.length)) >>> 0, 4);
  header.copy(b, 8);
  body.copy(b, 8 + header.length);
  return b;
}

const jsonHeader = (o: Record<string, unknown>): Buffer => Buffer.from(JSON.stringify({ language: 'JAVA', version: 399, flag: 0, opaque: 7, ...o }));
const request = (code: number, ext: Record<string, unknown> | null, body: Buffer | null = null, serializeType: 0 | 1 = 0): Buffer => {
  const cmd = RemotingCommand.request(code, ext as never, body);
  cmd.serializeType = serializeType;
  return encodeCommandToBuffer(cmd);
};

let seq = 0;
/** The process still serves: a send to the broker and a route lookup at the name server, fresh connections. */
async function stillServing(t: Test, admin: Admin, s: MqServer, after: string): Promise<void> {
  t.equal(s.proc.exitCode, null, `${after}: the process is alive`);
  const r = await admin.call(s.brokerAddr, 310, sendHeaderV2(TOPIC, 0), Buffer.from(`probe ${seq++}`));
  t.equal(r.code, 0, `${after}: send ok`);
  const route = await admin.call(s.nsAddr, 105, { topic: TOPIC });
  t.equal(route.code, 0, `${after}: route ok`);
}

/** Waits for a log line on the child's stderr (after `from` characters). */
async function logged(s: MqServer, from: number, re: RegExp): Promise<boolean> {
  try {
    await waitFor(() => re.test(s.err().slice(from)), 3000, String(re));
    return true;
  } catch {
    return false;
  }
}

t.test('malformed frames on both ports', async (t) => {
  const dir = tmpDir('robust');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const server = await startServer({ storeDir: dir, extra: ['--maxMessageSize=65536'] });
  t.teardown(() => server.kill());
  const admin = new Admin();
  t.teardown(() => admin.close());
  await admin.createTopic(server, TOPIC, 2);
  await stillServing(t, admin, server, 'start');

  const ports: Array<[string, string]> = [['name server', server.nsAddr], ['broker', server.brokerAddr]];

  // Framing errors: the connection is closed and the reason logged.
  const closing: Array<[string, Buffer | Buffer[], RegExp]> = [
    ['length < 4', Buffer.from([0, 0, 0, 2, 0, 0]), /frame length 2 is below the minimum of 4/],
    ['negative length', Buffer.from([0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0]), /frame length -16 is below the minimum of 4/],
    ['length > 16 MiB', Buffer.from([0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0]), /frame length 16777217 exceeds the limit of 16777216/],
    ['header length beyond the frame', frame(Buffer.from('{"code":10}'), Buffer.alloc(0), { headerLength: 4000 }), /header length 4000 beyond frame/],
    ['garbage JSON header', frame(Buffer.from('{"code":10,,,garbage')), /bad JSON header/],
    ['JSON header not an object', frame(Buffer.from('[1,2,3]')), /JSON header is not an object/],
    ['JSON header without code', frame(jsonHeader({})), /JSON header has no code/],
    ['JSON header code not a number', frame(jsonHeader({ code: 'abc' })), /header field code is not an int32/],
    ['unknown serialize type', frame(jsonHeader({ code: 105 }), Buffer.alloc(0), { serializeType: 7 }), /unknown serialize type 7/],
    ['truncated binary header', frame(Buffer.from([0, 105, 0, 0]), Buffer.alloc(0), { serializeType: 1 }), /binary header truncated/],
    ['valid frame then garbage', [request(105, { topic: TOPIC }), Buffer.from([0, 0, 0, 1, 9])], /frame length 1 is below the minimum of 4/],
  ];
  for (const [where, addr] of ports) {
    for (const [what, bytes, re] of closing) {
      const from = server.err().length;
      const x = await exchange(addr, bytes);
      t.ok(x.closed, `${where}, ${what}: connection closed`);
      t.ok(await logged(server, from, new RegExp(`closing connection 127\\.0\\.0\\.1:\\d+: ${re.source}`)), `${where}, ${what}: logged (${re.source})`);
      await stillServing(t, admin, server, `${where}, ${what}`);
    }
    // A truncated frame, then the client goes away: nothing to answer, nothing leaks.
    for (const bytes of [Buffer.from([0, 0]), Buffer.from([0, 0, 1, 0, 0, 0, 0, 20, 123])]) {
      const from = server.err().length;
      const x = await exchange(addr, bytes, { endAfterWrite: true, waitMs: 1000 });
      t.equal(x.replies.length, 0, `${where}, truncated frame then close: no reply`);
      t.ok(await logged(server, from, new RegExp(`connection 127\\.0\\.0\\.1:\\d+ closed by the peer in the middle of a frame \\(${bytes.length} bytes of it received\\)`)), `${where}, truncated frame then close: logged`);
      await stillServing(t, admin, server, `${where}, truncated frame then close`);
    }
    // A frame announcing 15 MiB that never arrives, then close.
    const big = Buffer.alloc(8);
    big.writeInt32BE(15 * 1024 * 1024, 0);
    big.writeUInt32BE(10, 4);
    const from = server.err().length;
    const x = await exchange(addr, [big, Buffer.alloc(64 * 1024, 1)], { endAfterWrite: true, waitMs: 1000 });
    t.equal(x.replies.length, 0, `${where}, announced 15 MiB then close: no reply`);
    t.ok(await logged(server, from, /closed by the peer in the middle of a frame \(65544 bytes of it received\)/), `${where}, announced 15 MiB then close: logged`);
    await stillServing(t, admin, server, `${where}, announced 15 MiB then close`);
    // An unknown request code: REQUEST_CODE_NOT_SUPPORTED, and the connection stays usable.
    for (const st of [0, 1] as const) {
      const u = await exchange(addr, [request(9999, { a: 'b' }, null, st), request(9998, null, null, st)], { replies: 2 });
      t.equal(u.replies.length, 2, `${where}, unknown codes (${st ? 'ROCKETMQ' : 'JSON'}): both answered on one connection`);
      t.equal(u.replies[0]?.code, 3, `${where}: REQUEST_CODE_NOT_SUPPORTED`);
      t.match(u.replies[0]?.remark, /request type 9999 not supported/);
      t.equal(u.replies[0]?.serializeType, st, 'answered in the request\'s serialize type');
      t.notOk(u.closed, `${where}: connection kept`);
    }
  }

  // Request-level errors: an error response with Apache's code and a remark.
  const one = async (addr: string, bytes: Buffer): Promise<RemotingCommand | undefined> => (await exchange(addr, bytes, { replies: 1, waitMs: 5000 })).replies[0];
  const cases: Array<[string, string, Buffer, number, RegExp]> = [
    ['SEND with queueId "abc"', server.brokerAddr, request(310, { ...sendHeaderV2(TOPIC, 0), e: 'abc' }, Buffer.from('x')), 1, /queueId/],
    ['SEND without topic', server.brokerAddr, request(310, (({ b: _b, ...rest }) => rest)(sendHeaderV2(TOPIC, 0)), Buffer.from('x')), 1, /topic/],
    ['SEND with no header at all', server.brokerAddr, request(310, null, Buffer.from('x')), 1, /producerGroup|topic|null/],
    ['SEND with bornTimestamp "soon"', server.brokerAddr, request(310, { ...sendHeaderV2(TOPIC, 0), g: 'soon' }, Buffer.from('x')), 1, /bornTimestamp/],
    ['SEND with a body over maxMessageSize', server.brokerAddr, request(310, sendHeaderV2(TOPIC, 0), Buffer.alloc(65537, 0x61)), 13, /illegal/i],
    ['PULL without queueOffset', server.brokerAddr, request(11, { consumerGroup: 'g', topic: TOPIC, queueId: 0, maxMsgNums: 1, sysFlag: 0, commitOffset: 0, suspendTimeoutMillis: 0, subVersion: 0 }), 1, /queueOffset/],
    ['PULL with queueId "abc"', server.brokerAddr, request(11, { consumerGroup: 'g', topic: TOPIC, queueId: 'abc', queueOffset: 0, maxMsgNums: 1, sysFlag: 0, commitOffset: 0, suspendTimeoutMillis: 0, subVersion: 0 }), 1, /queueId/],
    ['PULL for an unknown topic', server.brokerAddr, request(11, { consumerGroup: 'g', topic: 'NoSuchTopic', queueId: 0, queueOffset: 0, maxMsgNums: 1, sysFlag: 4, commitOffset: 0, suspendTimeoutMillis: 0, subscription: '*', subVersion: 0 }), 17, /topic\[NoSuchTopic\] not exist/],
    ['QUERY_CONSUMER_OFFSET with queueId "abc"', server.brokerAddr, request(14, { consumerGroup: 'g', topic: TOPIC, queueId: 'abc' }), 1, /queueId/],
    ['route for an unknown topic', server.nsAddr, request(105, { topic: 'NoSuchTopic' }), 17, /No topic route info in name server for the topic: NoSuchTopic/],
    ['route without topic', server.nsAddr, request(105, {}), 1, /topic/],
    ['REGISTER_BROKER with a garbage body', server.nsAddr, request(103, { brokerName: 'x', brokerAddr: '127.0.0.1:1', clusterName: 'c', haServerAddr: '', brokerId: 0, compressed: false }, Buffer.from('{{{{')), 1, /./],
    ['REGISTER_BROKER with brokerId "abc"', server.nsAddr, request(103, { brokerName: 'x', brokerAddr: '127.0.0.1:1', clusterName: 'c', haServerAddr: '', brokerId: 'abc' }), 1, /brokerId/],
  ];
  for (const [what, addr, bytes, code, remark] of cases) {
    const r = await one(addr, bytes);
    t.ok(r, `${what}: answered`);
    t.equal(r?.code, code, `${what}: code ${code} (got ${r?.code} ${r?.remark})`);
    t.match(r?.remark ?? '', remark, `${what}: remark`);
    await stillServing(t, admin, server, what);
  }

  // Every request code on both ports, three ways wrong: no header fields, every usual field "abc" with a
  // garbage JSON body, and random bytes as the body in a binary (ROCKETMQ) header. Each is answered
  // (any code) or, for codes a server only sends, dropped; none crashes a processor.
  const fields = ['topic', 'queueId', 'queueOffset', 'consumerGroup', 'group', 'offset', 'brokerName', 'brokerId', 'brokerAddr',
    'clusterName', 'key', 'namespace', 'value', 'maxMsgNums', 'sysFlag', 'commitLogOffset', 'tranStateTableOffset', 'commitOrRollback',
    'producerGroup', 'msgId', 'timestamp', 'readQueueNums', 'writeQueueNums', 'perm', 'delayLevel', 'originMsgId', 'originTopic',
    'maxReconsumeTimes', 'beginTimestamp', 'endTimestamp', 'clientId', 'isForce', 'offsetTable', 'a', 'b', 'e', 'g', 'j'];
  const garbageExt = Object.fromEntries(fields.map((f) => [f, 'abc']));
  const unanswered: string[] = [];
  for (const [where, addr] of ports) {
    for (const code of [...new Set(Object.values(RequestCode))].filter((c) => c !== 105 || where === 'broker')) {
      const x = await exchange(addr, [
        request(code, {}),
        request(code, garbageExt, Buffer.from('{{{ not json')),
        request(code, { topic: 'FuzzTopic', queueId: '-7', queueOffset: '-1', consumerGroup: 'g' }, Buffer.from([0xff, 0x00, 0x13, 0x37, 0xca, 0xfe]), 1),
      ], { replies: 3, waitMs: 1500 });
      if (x.replies.length < 3) unanswered.push(`${where} ${code}: ${x.replies.length}/3${x.closed ? ' (closed)' : ''}`);
    }
    await stillServing(t, admin, server, `${where}: every request code with bad input`);
  }
  t.comment(`not answered: ${unanswered.join(', ') || 'none'}`);
  t.same(unanswered, [], 'every request answered');

  // Many bad connections at once, interleaved with good traffic.
  await Promise.all([
    ...Array.from({ length: 20 }, (_, i) => exchange(i % 2 ? server.brokerAddr : server.nsAddr, closing[i % closing.length]![1], { waitMs: 3000 })),
    stillServing(t, admin, server, 'during a burst of bad connections'),
  ]);
  await sleep(200); // a window for a late failure from the burst to show before the last check
  await stillServing(t, admin, server, 'after a burst of bad connections');

  const err = server.err();
  t.notMatch(err, /Unhandled|unhandledRejection|uncaughtException/, 'no unhandled rejection or exception');
  t.notMatch(err, /TypeError|RangeError|ReferenceError/, 'no TypeError/RangeError traces');
  t.notMatch(err, /processor for code \d+ failed/, 'no processor crashed on bad input');
  t.match(err, /WARN \[broker\] request code 310 from 127\.0\.0\.1:\d+ rejected: the custom field <queueId> is not a number: abc\n/, 'a bad header is one warning line');
  t.notMatch(err, /\n\s+at /, 'no stack traces');
  if (process.env['ROBUST_DUMP']) fs.writeFileSync(process.env['ROBUST_DUMP'], err); // ROBUST_DUMP=file keeps the server's stderr
  const exit = await server.stop();
  t.equal(exit.code, 0, 'SIGTERM: exit 0');
});
