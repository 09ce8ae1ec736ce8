// Fuzzing the frame decoder and the server with random and mutated frames: the decoder may only ever
// return well-formed commands or throw FrameError, and a server drops just the connections that send garbage.
import t from 'tap';
import net from 'node:net';
import { encodeCommand, encodeCommandToBuffer, FrameDecoder, FrameError } from '../src/codec.js';
import { RemotingCommand } from '../src/command.js';
import { RemotingServer } from '../src/server.js';
import { RemotingClient } from '../src/client.js';
import { createLogger } from '../src/logger.js';
import { frameBytes, loadFixtures } from './fixtures.js';

// deterministic PRNG so a failure can be replayed (seed printed on failure)
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const fixtureFrames = loadFixtures().flatMap((f) => f.frames.map(frameBytes));

function prefix(len: number, serializeType: number, headerLen: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(len | 0, 0);
  b.writeUInt32BE((((serializeType & 0xff) << 24) | (headerLen & 0xffffff)) >>> 0, 4);
  return b;
}

function withHeader(serializeType: number, header: Buffer, body = Buffer.alloc(0)): Buffer {
  return Buffer.concat([prefix(4 + header.length + body.length, serializeType, header.length), header, body]);
}

const JSON_PIECES = ['{', '}', '[', ']', '"code"', ':', ',', '105', '-1', '1e400', '"x"', 'null', 'true', '"extFields"', '{"a":1}', '"\\u0000"', '"remark"', '"opaque"', '\u00ff', '"__proto__"', '"flag"'];

function generate(r: () => number): Buffer {
  const pick = Math.floor(r() * 10);
  const n = (max: number) => Math.floor(r() * max);
  switch (pick) {
    case 0: { // length below 4
      const b = Buffer.alloc(4 + n(8));
      b.writeInt32BE(n(4) - (r() < 0.3 ? 1000 : 0), 0);
      return b;
    }
    case 1: // length above the 16 MiB limit
      return prefix(16 * 1024 * 1024 + 1 + n(1 << 30), n(2), n(100));
    case 2: { // header length beyond the frame
      const hl = 10 + n(1000);
      const body = Buffer.alloc(n(hl - 1));
      return Buffer.concat([prefix(4 + body.length, n(2), hl), body]);
    }
    case 3: { // garbage JSON built from JSON-ish pieces
      let s = '';
      for (let i = n(20); i >= 0; i--) s += JSON_PIECES[n(JSON_PIECES.length)];
      return withHeader(0, Buffer.from(s));
    }
    case 4: // unknown serialize type
      return withHeader(2 + n(254), Buffer.from('{"code":1}'));
    case 5: { // truncated binary header from a real binary frame or a fresh one
      const c = RemotingCommand.request(105, { topic: 'T'.repeat(n(40)), k: 'v' });
      c.remark = r() < 0.5 ? 'remark' : null;
      c.serializeType = 1;
      const whole = encodeCommandToBuffer(c);
      const hl = whole.readUInt32BE(4) & 0xffffff;
      const cut = n(hl);
      return withHeader(1, whole.subarray(8, 8 + cut));
    }
    case 6: { // binary header with random lengths inside
      const h = Buffer.alloc(21 + n(60));
      for (let i = 0; i < h.length; i++) h[i] = n(256);
      return withHeader(1, h);
    }
    case 7: { // random bytes
      const b = Buffer.alloc(n(64));
      for (let i = 0; i < b.length; i++) b[i] = n(256);
      return b;
    }
    default: { // mutated fixture frame
      const src = fixtureFrames[n(fixtureFrames.length)]!;
      const b = Buffer.from(src);
      const edits = 1 + n(4);
      for (let i = 0; i < edits; i++) {
        const at = r() < 0.5 ? n(Math.min(b.length, 12)) : n(b.length);
        const kind = n(3);
        if (kind === 0) b[at] = n(256);
        else if (kind === 1) b[at] = b[at]! ^ (1 << n(8));
        else b[at] = 0x22; // a quote in the middle of JSON is a classic
      }
      return r() < 0.2 ? b.subarray(0, n(b.length)) : b;
    }
  }
}

function checkCommand(c: unknown): boolean {
  if (!(c instanceof RemotingCommand)) return false;
  if (!Number.isInteger(c.code) || !Number.isInteger(c.opaque) || !Number.isInteger(c.flag) || !Number.isInteger(c.version)) return false;
  if (typeof c.language !== 'string' || (c.remark !== null && typeof c.remark !== 'string')) return false;
  if (c.serializeType !== 0 && c.serializeType !== 1) return false;
  if (c.body !== null && !Buffer.isBuffer(c.body)) return false;
  if (c.extFields !== null) {
    if (typeof c.extFields !== 'object') return false;
    for (const k of Object.keys(c.extFields)) if (typeof c.extFields[k] !== 'string') return false;
  }
  // whatever was decoded must encode again
  encodeCommand(c);
  return true;
}

t.test('FrameDecoder on 120k random and mutated frames: commands or FrameError, nothing else', async (t) => {
  const seed = Number(process.env.FUZZ_SEED ?? 20261127);
  const r = rng(seed);
  const total = 120_000;
  const start = Date.now();
  let decoded = 0;
  let rejected = 0;
  let waiting = 0;
  const problems: string[] = [];
  for (let i = 0; i < total; i++) {
    const input = generate(r);
    const dec = new FrameDecoder();
    try {
      // feed in one go or split at a random point
      let out: RemotingCommand[];
      if (r() < 0.3 && input.length > 1) {
        const cut = 1 + Math.floor(r() * (input.length - 1));
        out = [...dec.push(input.subarray(0, cut)), ...dec.push(input.subarray(cut))];
      } else {
        out = dec.push(input);
      }
      if (!Array.isArray(out)) throw new Error('push returned a non-array');
      for (const c of out) if (!checkCommand(c)) throw new Error('malformed command');
      if (out.length > 0) decoded++;
      else waiting++;
    } catch (e) {
      if (e instanceof FrameError) rejected++;
      else if (problems.length < 5) problems.push(`#${i} seed ${seed}: ${(e as Error).stack} input ${input.subarray(0, 200).toString('hex')}`);
    }
  }
  t.same(problems, [], 'only FrameError is ever thrown');
  t.ok(rejected > total / 3, `${rejected} rejected, ${decoded} decoded, ${waiting} incomplete`);
  t.ok(decoded > 1000, 'mutations that keep a frame valid still decode');
  t.comment(`fuzzed ${total} frames in ${Date.now() - start} ms`);
});

t.test('a stream of concatenated good frames with one bad frame keeps the good ones before it', async (t) => {
  const r = rng(99);
  for (let i = 0; i < 200; i++) {
    const good = fixtureFrames.slice(0, 1 + Math.floor(r() * 20));
    const bad = withHeader(3, Buffer.from('{"code":1}'));
    const stream = Buffer.concat([...good, bad, ...fixtureFrames.slice(0, 3)]);
    const dec = new FrameDecoder();
    const got: RemotingCommand[] = [];
    let failed = false;
    let off = 0;
    while (off < stream.length && !failed) {
      const n = 1 + Math.floor(r() * 2000);
      try {
        got.push(...dec.push(stream.subarray(off, off + n)));
      } catch (e) {
        t.ok(e instanceof FrameError);
        got.push(...(e as FrameError).commands);
        failed = true;
      }
      off += n;
    }
    if (!failed || got.length !== good.length) t.fail(`round ${i}: ${got.length} of ${good.length}`);
  }
  t.pass('good frames before garbage are decoded');
});

t.test('server: garbage connections are logged and closed, a well-behaved one keeps getting answers', async (t) => {
  const lines: string[] = [];
  const logger = createLogger('fuzz', { level: 'info', sink: (l) => lines.push(l) });
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger });
  server.registerProcessor(10, (req) => RemotingCommand.response(0, null, { i: req.ext('i') }));
  server.registerDefaultProcessor(() => RemotingCommand.response(0));
  const port = await server.listen();
  const addr = `127.0.0.1:${port}`;
  const client = new RemotingClient({ logger });

  // the good client calls in a loop while garbage arrives on other connections
  let answered = 0;
  let stop = false;
  const good = (async () => {
    for (let i = 0; !stop; i++) {
      const rsp = await client.invoke(addr, RemotingCommand.request(10, { i }), 5000);
      if (rsp.ext('i') === String(i)) answered++;
    }
  })();

  const r = rng(7);
  const definitelyBad: Buffer[] = [
    Buffer.from([0, 0, 0, 1, 0]),
    prefix(32 * 1024 * 1024, 0, 10),
    withHeader(9, Buffer.from('{"code":1}')),
    withHeader(0, Buffer.from('{"code":1,')),
    withHeader(0, Buffer.from('not json at all')),
    withHeader(1, Buffer.from([0, 1, 0])),
    Buffer.concat([prefix(20, 0, 200), Buffer.alloc(16)]),
  ];
  const connections = 60;
  const results = await Promise.all(
    Array.from({ length: connections }, (_, i) => new Promise<{ bad: boolean; closedByServer: boolean }>((resolve) => {
      const bad = i < definitelyBad.length * 4;
      const sock = net.connect(port, '127.0.0.1');
      sock.on('error', () => {});
      let hungUpByUs = false;
      sock.on('close', () => resolve({ bad, closedByServer: !hungUpByUs }));
      sock.on('connect', () => {
        // some valid frames first, then garbage (definitely bad, or random/mutated)
        const parts: Buffer[] = [fixtureFrames[i % fixtureFrames.length]!];
        parts.push(bad ? definitelyBad[i % definitelyBad.length]! : generate(r));
        const all = Buffer.concat(parts);
        // dribble it in small writes to exercise split frames on the server
        let off = 0;
        const step = (): void => {
          if (off >= all.length) {
            // random garbage may leave the server waiting for more bytes: hang up after a moment
            setTimeout(() => {
              hungUpByUs = true;
              sock.destroy();
            }, bad ? 3000 : 300);
            return;
          }
          const n = 1 + Math.floor(r() * 64);
          sock.write(all.subarray(off, off + n));
          off += n;
          setImmediate(step);
        };
        step();
      });
    })),
  );
  stop = true;
  await good;
  const badOnes = results.filter((x) => x.bad);
  t.ok(badOnes.every((x) => x.closedByServer), 'every definitely-bad connection was closed by the server');
  const closeLines = lines.filter((l) => /closing connection/.test(l));
  t.ok(closeLines.length >= badOnes.length, `${closeLines.length} "closing connection" lines for ${badOnes.length} bad peers`);
  t.ok(answered > 10, `${answered} calls answered on the good connection meanwhile`);
  t.equal((await client.invoke(addr, RemotingCommand.request(10, { i: 'last' }), 2000)).ext('i'), 'last', 'still served after the storm');
  t.equal([...server.channels()].length, 1, 'only the good connection is left');
  await client.close();
  await server.close();
});
