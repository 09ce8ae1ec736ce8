import t from 'tap';
import {
  decodeCommand, encodeCommand, encodeCommandToBuffer, FrameDecoder, FrameError, FrameOutput, jsonHeaderText, safeIntChars, writeSafeInt, jsonPlain
} from '../src/codec.js';
import { RemotingCommand, nextOpaque, SerializeType } from '../src/command.js';
import { RequestCode, ResponseCode, LanguageCode, LanguageName } from '../src/codes.js';
import { frameBytes, loadFixtures } from './fixtures.js';

const fixtures = loadFixtures();

function frame(serializeType: number, header: Buffer, body: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32BE(4 + header.length + body.length, 0);
  b.writeUInt32BE((serializeType << 24) | header.length, 4);
  return Buffer.concat([b, header, body]);
}

t.test('codes tables', async (t) => {
  t.equal(RequestCode.SEND_MESSAGE_V2, 310);
  t.equal(RequestCode.GET_ROUTEINFO_BY_TOPIC, 105);
  t.equal(RequestCode.NOTIFY_CONSUMER_IDS_CHANGED, 40);
  t.equal(ResponseCode.REQUEST_CODE_NOT_SUPPORTED, 3);
  t.equal(ResponseCode.NO_MESSAGE, 208);
  t.equal(LanguageCode.JAVA, 0);
  t.equal(LanguageCode.GO, 9);
  t.equal(LanguageCode.NODE_JS, 13);
  t.equal(LanguageName[13], 'NODE_JS');
});

t.test('command builders stringify ext values and keep flags', async (t) => {
  const a = RemotingCommand.request(310, { a: 'g', d: 4, k: false, big: 12345678901234567890n, gone: null, u: undefined });
  t.same(a.extFields, { a: 'g', d: '4', k: 'false', big: '12345678901234567890' });
  t.equal(a.isResponse(), false);
  t.equal(a.markOneway().isOneway(), true);
  const o1 = nextOpaque();
  const o2 = nextOpaque();
  t.equal(o2, o1 + 1);
  const r = RemotingCommand.response(0, 'ok', null, [Buffer.from('ab'), Buffer.from('cde')]);
  t.equal(r.isResponse(), true);
  t.equal(r.extFields, null);
  t.equal(r.bodyLength(), 5);
  t.equal(r.bodyBuffer()!.toString(), 'abcde');
  r.setExt('x', 5);
  t.equal(r.ext('x'), '5');
  t.equal(r.ext('toString'), undefined);
});

t.test('JSON header is written in fastjson order with string ext values', async (t) => {
  const c = RemotingCommand.response(0, 'FOUND', { suggestWhichBrokerId: 0, nextBeginOffset: 4, maxOffset: 4, minOffset: 0 });
  c.opaque = 23;
  t.equal(
    jsonHeaderText(c),
    '{"code":0,"extFields":{"suggestWhichBrokerId":"0","nextBeginOffset":"4","maxOffset":"4","minOffset":"0"},"flag":1,"language":"JAVA","opaque":23,"remark":"FOUND","serializeTypeCurrentRPC":"JSON","version":409}',
  );
  // a value smuggled in as a number still goes out as a string
  (c.extFields as Record<string, unknown>).n = 7;
  t.match(jsonHeaderText(c), /"n":"7"/);
});

t.test('round trip, JSON and binary headers, body as one or many parts', async (t) => {
  for (const st of [SerializeType.JSON, SerializeType.ROCKETMQ]) {
    const c = RemotingCommand.request(RequestCode.SEND_MESSAGE_V2, { a: 'grp', b: 'Tópic', i: 'TAGS\u0001A\u0002KEYS\u0001k', e: 3 });
    c.serializeType = st;
    c.remark = 'rémark "quoted"\n';
    c.body = [Buffer.from('hello '), Buffer.from('world')];
    const parts = encodeCommand(c);
    t.equal(parts.length, 3, 'body parts are not concatenated');
    const d = decodeCommand(Buffer.concat(parts));
    t.equal(d.serializeType, st);
    t.equal(d.code, 310);
    t.equal(d.opaque, c.opaque);
    t.equal(d.flag, 0);
    t.equal(d.language, 'JAVA');
    t.equal(d.version, 409);
    t.equal(d.remark, c.remark);
    t.same(d.extFields, c.extFields);
    t.equal(d.body!.toString(), 'hello world');
  }
  const bare = new RemotingCommand(34);
  bare.serializeType = 1;
  const d = decodeCommand(encodeCommandToBuffer(bare));
  t.equal(d.remark, null);
  t.equal(d.extFields, null);
  t.equal(d.body, null);
});

t.test('decode accepts any JSON scalar in extFields, absent/null extFields stay null', async (t) => {
  const hdr = Buffer.from('{"code":310,"language":"JAVA","opaque":9,"flag":0,"version":121,"extFields":{"queueId":0,"k":false,"g":1795738279544,"s":"x","n":null,"o":{"a":1}}}');
  const d = decodeCommand(frame(0, hdr, Buffer.from('body')));
  t.same(d.extFields, { queueId: '0', k: 'false', g: '1795738279544', s: 'x', o: '{"a":1}' });
  t.equal(d.version, 121);
  t.equal(d.remark, null);
  t.equal(d.body!.toString(), 'body');
  t.equal(decodeCommand(frame(0, Buffer.from('{"code":1,"extFields":null}'))).extFields, null);
  t.equal(decodeCommand(frame(0, Buffer.from('{"code":1}'))).extFields, null);
  t.same(decodeCommand(frame(0, Buffer.from('{"code":1,"extFields":{}}'))).extFields, {});
  const proto = decodeCommand(frame(0, Buffer.from('{"code":1,"extFields":{"__proto__":5}}')));
  t.equal(Object.getPrototypeOf(proto.extFields), Object.prototype, 'a __proto__ key does not change the prototype');
  t.equal(proto.ext('__proto__'), '5');
});

t.test('every fixture frame decodes to its stored header', async (t) => {
  let frames = 0;
  for (const fx of fixtures) {
    for (const f of fx.frames) {
      frames++;
      const buf = frameBytes(f);
      const d = decodeCommand(buf);
      const where = `${fx.file} ${f.dir} code ${f.code} opaque ${f.opaque}`;
      if (d.code !== f.code || d.opaque !== f.opaque || d.flag !== f.flag || d.serializeType !== f.serializeType) {
        t.fail(where);
        continue;
      }
      const h = f.header;
      const ext = (h.extFields ?? null) as Record<string, unknown> | null;
      const want = ext === null ? null : Object.fromEntries(Object.entries(ext).map(([k, v]) => [k, String(v)]));
      if (JSON.stringify(d.extFields) !== JSON.stringify(want)) t.fail(`${where}: extFields`);
      if ((h.remark ?? null) !== d.remark) t.fail(`${where}: remark`);
      if (h.language !== d.language || h.version !== d.version) t.fail(`${where}: language/version`);
      if (d.bodyLength() !== f.bodyLength) t.fail(`${where}: body length`);
      if (f.bodyText !== undefined && d.bodyBuffer()!.toString('utf8') !== f.bodyText) t.fail(`${where}: body text`);
    }
  }
  t.ok(frames > 500, `checked ${frames} frames`);
});

t.test('re-encoding decoded fixture frames gives the captured bytes', async (t) => {
  let n = 0;
  for (const fx of fixtures) {
    for (const f of fx.frames) {
      const buf = frameBytes(f);
      const again = encodeCommandToBuffer(decodeCommand(buf));
      if (!again.equals(buf)) t.fail(`${fx.file} ${f.dir} code ${f.code} opaque ${f.opaque} differs`);
      n++;
    }
  }
  t.ok(n > 0, `${n} frames re-encoded byte for byte (the fixtures were found and read)`);
});

t.test('responses built from scratch match the real name server and broker bytes', async (t) => {
  const byFile = (file: string) => fixtures.find((x) => x.file === file)!.frames;
  // name server 105 reply: no extFields, no remark
  const route = byFile('nameserver-queries-java.json').find((f) => f.dir === 's2c' && f.requestCode === 105 && f.code === 0)!;
  const r105 = RemotingCommand.response(0, null, null, Buffer.from(route.bodyText!, 'utf8'));
  r105.opaque = route.opaque;
  t.equal(encodeCommandToBuffer(r105).toString('hex'), route.hex, '105 reply');
  // 105 -> 17 with a remark
  const missing = byFile('nameserver-queries-java.json').find((f) => f.dir === 's2c' && f.code === 17)!;
  const r17 = RemotingCommand.response(17, missing.header.remark as string);
  r17.opaque = missing.opaque;
  t.equal(encodeCommandToBuffer(r17).toString('hex'), missing.hex, '105 -> 17 reply');
  // broker 310 reply: ext values as strings in insertion order
  const send = byFile('send-sync.json').find((f) => f.dir === 's2c' && f.requestCode === 310)!;
  const e = send.header.extFields as Record<string, string>;
  const r310 = RemotingCommand.response(0, null, {
    queueId: Number(e.queueId), TRACE_ON: true, MSG_REGION: 'DefaultRegion', msgId: e.msgId, queueOffset: Number(e.queueOffset),
  });
  r310.opaque = send.opaque;
  t.equal(encodeCommandToBuffer(r310).toString('hex'), send.hex, '310 reply');
  // binary (ROCKETMQ) 105 reply
  const bin = byFile('rocketmq-serialize-route.json').find((f) => f.dir === 's2c' && f.requestCode === 105 && f.code === 0)!;
  const rb = RemotingCommand.response(0, null, null, Buffer.from(bin.bodyText!, 'utf8'));
  rb.opaque = bin.opaque;
  rb.serializeType = 1;
  t.equal(encodeCommandToBuffer(rb).toString('hex'), bin.hex, 'binary 105 reply');
});

t.test('FrameDecoder splits a stream fed in any chunking', async (t) => {
  const all = fixtures.flatMap((fx) => fx.frames.map(frameBytes));
  const stream = Buffer.concat(all);
  const check = (chunkSizes: () => number, label: string): void => {
    const dec = new FrameDecoder();
    const got: RemotingCommand[] = [];
    for (let off = 0; off < stream.length;) {
      const n = Math.min(chunkSizes(), stream.length - off);
      got.push(...dec.push(stream.subarray(off, off + n)));
      off += n;
    }
    t.equal(got.length, all.length, `${label}: all frames`);
    t.equal(dec.bufferedBytes(), 0, `${label}: nothing left over`);
    let same = true;
    for (let i = 0; i < all.length; i++) if (!encodeCommandToBuffer(got[i]!).equals(all[i]!)) same = false;
    t.ok(same, `${label}: frames intact`);
  };
  check(() => stream.length, 'one chunk');
  check(() => 1, 'byte by byte');
  check(() => 3, '3-byte chunks');
  let seed = 7;
  check(() => 1 + ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 700), 'random chunks');
  // a whole-chunk frame's body is a view into the chunk, not a copy
  const one = all.find((b) => b.length > 300)!;
  const cmd = new FrameDecoder().push(one)[0]!;
  t.equal((cmd.body as Buffer).buffer, one.buffer, 'body shares the read buffer');
});

t.test('a partial frame holds only the bytes received, not the size announced', async (t) => {
  const dec = new FrameDecoder();
  const big = Buffer.alloc(12);
  big.writeInt32BE(15 * 1024 * 1024, 0);
  big.writeUInt32BE(4, 4);
  t.same(dec.push(big), []);
  t.equal(dec.bufferedBytes(), 12);
  t.same(dec.push(Buffer.alloc(100)), []);
  t.equal(dec.bufferedBytes(), 112);
});

t.test('FrameDecoder rejects bad frames with FrameError and stays failed', async (t) => {
  const cases: Array<[string, Buffer]> = [
    ['length below 4', Buffer.from([0, 0, 0, 2, 0, 0])],
    ['negative length', Buffer.from([0xff, 0xff, 0xff, 0xff])],
    ['length above the limit', Buffer.from([0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0])],
    ['header beyond frame', frame(0, Buffer.from('{"code":1}')).fill(0xff, 5, 8)],
    ['garbage JSON', frame(0, Buffer.from('{"code":'))],
    ['JSON not an object', frame(0, Buffer.from('[1,2]'))],
    ['no code', frame(0, Buffer.from('{"opaque":1}'))],
    ['bad code', frame(0, Buffer.from('{"code":"x"}'))],
    ['unknown serialize type', frame(2, Buffer.from('{"code":1}'))],
    ['truncated binary header', frame(1, Buffer.from([0, 105, 0, 1, 0x99, 0, 0]))],
    ['binary remark beyond header', frame(1, Buffer.from('0069000199000000010000000000000fff00000000', 'hex'))],
    ['binary ext beyond header', frame(1, Buffer.from('006900019900000001000000000000000000000017000574', 'hex'))],
  ];
  for (const [label, bytes] of cases) {
    const dec = new FrameDecoder();
    t.throws(() => dec.push(bytes), FrameError, label);
    t.throws(() => dec.push(Buffer.from('00000004', 'hex')), FrameError, `${label}: stays failed`);
  }
  // the good frames before a bad one in the same chunk are handed back on the error
  const good = encodeCommandToBuffer(RemotingCommand.request(34));
  const dec = new FrameDecoder();
  try {
    dec.push(Buffer.concat([good, Buffer.from([0, 0, 0, 1, 9])]));
    t.fail('should throw');
  } catch (e) {
    t.ok(e instanceof FrameError);
    t.equal((e as FrameError).commands.length, 1);
  }
  // the limit is configurable
  t.throws(() => new FrameDecoder(100).push(encodeCommandToBuffer(RemotingCommand.request(10, null, Buffer.alloc(200)))), FrameError);
});

/** An independent reader of the ROCKETMQ binary header layout (RocketMQSerializable, 4.9.x), field by field. */
function readBinaryLayout(f: Buffer) {
  let p = 0;
  const total = f.readInt32BE(p); p += 4;
  const lenField = f.readUInt32BE(p); p += 4;
  const headerLen = lenField & 0xffffff;
  const headerEnd = 8 + headerLen;
  const code = f.readInt16BE(p); p += 2;
  const language = f.readUInt8(p); p += 1;
  const version = f.readInt16BE(p); p += 2;
  const opaque = f.readInt32BE(p); p += 4;
  const flag = f.readInt32BE(p); p += 4;
  const remarkLen = f.readInt32BE(p); p += 4;
  const remark = f.toString('utf8', p, p + remarkLen); p += remarkLen;
  const extLen = f.readInt32BE(p); p += 4;
  const extEnd = p + extLen;
  const pairs: Array<[string, string]> = [];
  while (p < extEnd) {
    const kl = f.readInt16BE(p); p += 2;
    const k = f.toString('utf8', p, p + kl); p += kl;
    const vl = f.readInt32BE(p); p += 4;
    const v = f.toString('utf8', p, p + vl); p += vl;
    pairs.push([k, v]);
  }
  return { total, serializeType: lenField >>> 24, headerLen, headerEnd, code, language, version, opaque, flag, remarkLen, remark, extLen, pairs, end: p, body: f.subarray(headerEnd) };
}

t.test('a captured JSON SEND_MESSAGE_V2 frame re-encoded as ROCKETMQ binary: layout field by field, and back', async (t) => {
  const byFile = (file: string) => fixtures.find((x) => x.file === file)!.frames;
  const jsonReq = byFile('send-sync.json').find((f) => f.dir === 'c2s' && f.code === 310)!;
  const captured = frameBytes(jsonReq);
  const cmd = decodeCommand(captured);
  t.equal(cmd.serializeType, 0);
  cmd.serializeType = 1;
  const bin = encodeCommandToBuffer(cmd);
  const L = readBinaryLayout(bin);
  t.equal(L.total, bin.length - 4, 'int32 total length = frame bytes after it');
  t.equal(L.serializeType, 1, 'serialize type byte 1 (ROCKETMQ) in the top byte of the header length field');
  t.equal(L.end, L.headerEnd, 'header length covers the fixed fields, remark and ext map exactly');
  t.equal(L.code, 310, 'int16 code');
  t.equal(L.language, LanguageCode.JAVA, 'int8 language (JAVA = 0)');
  t.equal(L.version, 409, 'int16 version');
  t.equal(L.opaque, jsonReq.opaque, 'int32 opaque');
  t.equal(L.flag, 0, 'int32 flag');
  t.equal(L.remarkLen, 0, 'absent remark: int32 0 and no bytes');
  const ext = jsonReq.header.extFields as Record<string, string>;
  t.same(L.pairs, Object.entries(ext), 'ext map: int16 key length | key | int32 value length | value, in the decoded order');
  t.equal(L.extLen, L.pairs.reduce((n, [k, v]) => n + 2 + Buffer.byteLength(k) + 4 + Buffer.byteLength(v), 0), 'int32 ext length');
  t.ok(L.body.equals(cmd.bodyBuffer()!), 'body follows the header unchanged');
  // the same layout as the frame a 4.9.8 Java client sent with -Drocketmq.serialize.type=ROCKETMQ
  const javaBin = frameBytes(byFile('rocketmq-serialize-send.json').find((f) => f.dir === 'c2s' && f.code === 310)!);
  const J = readBinaryLayout(javaBin);
  t.equal(J.end, J.headerEnd, 'the reader parses the Java frame exactly too');
  t.same([J.serializeType, J.code, J.language, J.version, J.flag, J.remarkLen], [L.serializeType, L.code, L.language, L.version, L.flag, L.remarkLen]);
  t.same(J.pairs.map(([k]) => k).sort(), L.pairs.map(([k]) => k).sort(), 'same ext keys as the Java client writes');
  // back: binary -> command -> JSON gives the captured bytes again
  const back = decodeCommand(bin);
  t.equal(back.serializeType, 1);
  t.same(back.extFields, cmd.extFields);
  back.serializeType = 0;
  t.ok(encodeCommandToBuffer(back).equals(captured), 'JSON -> binary -> JSON is byte-identical to the capture');
});

t.test('binary header: non-ASCII remark/keys/values, empty remark and map, long values, many keys', async (t) => {
  const c = RemotingCommand.request(310, { a: 'é\u0001x', 'ключ': 'значение', long: 'x'.repeat(70000), e: '' }, Buffer.from('b'));
  c.serializeType = 1;
  c.remark = 'remark ✓';
  const f = encodeCommandToBuffer(c);
  const L = readBinaryLayout(f);
  t.equal(L.end, L.headerEnd);
  t.equal(L.remark, 'remark ✓');
  t.equal(L.remarkLen, Buffer.byteLength('remark ✓'));
  t.same(L.pairs, Object.entries(c.extFields!));
  const d = decodeCommand(f);
  t.same(d.extFields, c.extFields);
  t.equal(d.remark, 'remark ✓');
  // ASCII except one value: the UTF-8 path is taken and the bytes are right
  const m = RemotingCommand.request(11, { k1: 'v1', k2: 'v€' });
  m.serializeType = 1;
  t.same(readBinaryLayout(encodeCommandToBuffer(m)).pairs, [['k1', 'v1'], ['k2', 'v€']]);
  // empty remark and empty map are written as length 0 and read back as absent (as Java does)
  const e = RemotingCommand.response(0, '', {});
  e.serializeType = 1;
  const ef = encodeCommandToBuffer(e);
  const EL = readBinaryLayout(ef);
  t.same([EL.remarkLen, EL.extLen, EL.headerLen], [0, 0, 21]);
  const ed = decodeCommand(ef);
  t.equal(ed.remark, null);
  t.equal(ed.extFields, null);
  // many distinct keys (the key cache) decode to the right names and values
  const many: Record<string, string> = {};
  for (let i = 0; i < 300; i++) many[`key${i}_${'z'.repeat(i % 7)}`] = `v${i}`;
  const mc = RemotingCommand.request(12, many);
  mc.serializeType = 1;
  for (let round = 0; round < 2; round++) t.same(decodeCommand(encodeCommandToBuffer(mc)).extFields, many, `round ${round}`);
  // a '__proto__' key on the wire stays an own key (frame written by hand)
  const kv = Buffer.concat([Buffer.from([0, 9]), Buffer.from('__proto__'), Buffer.from([0, 0, 0, 1]), Buffer.from('1')]);
  const fixed = Buffer.alloc(21);
  fixed.writeInt16BE(13, 0);
  fixed.writeInt32BE(kv.length, 17);
  const patched = frame(1, Buffer.concat([fixed, kv]));
  const pd = decodeCommand(patched);
  t.same(Object.keys(pd.extFields!), ['__proto__']);
  t.equal(Object.getPrototypeOf(pd.extFields), Object.prototype);
});

t.test('FrameOutput: frames in one arena are the bytes encodeCommand gives, across arena changes, big bodies and reuse', async (t) => {
  const out = new FrameOutput();
  t.equal(out.isEmpty(), true);
  const cmds: RemotingCommand[] = [];
  for (let i = 0; i < 300; i++) {
    const c = RemotingCommand.request(RequestCode.SEND_MESSAGE_V2, { a: 'grp', e: i, i: i % 7 === 0 ? 'KEYS\u0001clé' : 'WAIT\u0001true' });
    c.serializeType = i % 3 === 0 ? SerializeType.JSON : SerializeType.ROCKETMQ;
    if (i % 5 === 0) c.remark = 'rémark';
    // small bodies are copied in, large ones (pull results) and body lists stay parts
    c.body = i % 50 === 0 ? Buffer.alloc(64 * 1024, i) : i % 11 === 0 ? [Buffer.from('ab'), Buffer.alloc(0), Buffer.from('c')] : i % 13 === 0 ? null : Buffer.alloc(1000, i);
    cmds.push(c);
  }
  const want = Buffer.concat(cmds.map((c) => encodeCommandToBuffer(c)));
  let bytes = 0;
  for (const c of cmds) {
    out.push(c);
    bytes += encodeCommandToBuffer(c).length;
    t.equal(out.bytes(), bytes);
  }
  const parts = out.take();
  t.ok(parts.length > 1, `${parts.length} parts (arena changes and 64 KiB bodies)`);
  t.ok(parts.includes(cmds[50]!.body as Buffer), 'a 64 KiB body goes out as it is');
  t.equal(Buffer.concat(parts).toString('hex'), want.toString('hex'));
  t.equal(out.isEmpty(), true);
  t.equal(out.bytes(), 0);
  // what was taken stays intact while the next frames are queued (its write may still be pending) ...
  const taken = Buffer.concat(parts);
  const firstBefore = Buffer.from(parts[parts.length - 1]!);
  out.push(cmds[1]!);
  t.same(parts[parts.length - 1], firstBefore, 'taken bytes are not overwritten before reuse()');
  const next = out.take();
  t.equal(Buffer.concat(next).toString('hex'), encodeCommandToBuffer(cmds[1]!).toString('hex'));
  // ... and after reuse() the arena is written from its start again
  out.reuse();
  out.push(cmds[2]!);
  const again = out.take();
  t.equal(again.length, 1);
  t.ok(again[0]!.buffer === next[0]!.buffer && again[0]!.byteOffset < next[0]!.byteOffset, 'the same arena, from its start');
  t.equal(again[0]!.toString('hex'), encodeCommandToBuffer(cmds[2]!).toString('hex'));
  t.equal(taken.length, want.length);
  out.push(cmds[3]!);
  out.clear();
  t.equal(out.isEmpty(), true, 'clear drops what was queued');
  const huge = new RemotingCommand(1);
  huge.serializeType = 1;
  huge.remark = 'x'.repeat(0x1000000);
  t.throws(() => out.push(huge), FrameError, 'a header over 16 MiB is refused');
  t.equal(out.isEmpty(), true, '... and nothing of it is queued');
});

t.test('FrameOutput, JSON headers written in one pass: the bytes encodeCommand gives for any text', async (t) => {
  const texts = ['plain', 'rémark', '€'.repeat(100), '😀 pair', 'lone \ud800 surrogate', 'x'.repeat(70000), 'é'.repeat(70000), '\u0001\u0002"\\\n'];
  for (const s of texts) {
    for (const body of [null, Buffer.alloc(100, 7), Buffer.alloc(8000, 1)]) {
      const c = RemotingCommand.request(RequestCode.SEND_MESSAGE_V2, { a: s, b: 'T' }, body);
      c.remark = s.slice(0, 50);
      const out = new FrameOutput();
      out.push(c);
      out.push(c); // a second frame right after the first (the header's room was not over-claimed)
      const want = encodeCommandToBuffer(c);
      t.equal(Buffer.concat(out.take()).toString('hex'), Buffer.concat([want, want]).toString('hex'), `${s.slice(0, 20)} (${s.length} chars), body ${body?.length ?? 0}`);
    }
  }
  const huge = RemotingCommand.request(1, { a: 'é'.repeat(0x900000) }); // 18 MiB of UTF-8 in 9M chars
  t.throws(() => new FrameOutput().push(huge), FrameError, 'a JSON header over 16 MiB is refused');
});

t.test('safeIntChars / writeSafeInt write what String(n) gives; jsonPlain is what JSON.stringify leaves alone', async (t) => {
  const values = [0, -0, 1, -1, 9, 10, 99, 100, 2147483647, -2147483648, 4294967296, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
  let seed = 7;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
  for (let i = 0; i < 2000; i++) values.push(Math.floor((rnd() - 0.5) * 2 * 10 ** Math.floor(rnd() * 16)));
  const buf = Buffer.alloc(32, 0x78);
  let bad = 0;
  for (const v of values) {
    const want = String(v);
    if (safeIntChars(v) !== want.length) bad++;
    const end = writeSafeInt(buf, 3, v);
    if (end !== 3 + want.length || buf.toString('latin1', 3, end) !== want || buf[2] !== 0x78) bad++;
    buf.fill(0x78);
  }
  t.equal(bad, 0, `${values.length} values`);
  for (const v of [1.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53)]) t.equal(safeIntChars(v), -1, `${v} is not a safe integer`);
  for (const s of ['', 'DefaultRegion', '7F000001', 'a b~', '"', '\\', '\u0001', 'é', '\u007f', '\u2028']) {
    // (the message is escaped: a raw U+2028 in it would break the TAP line)
    t.equal(jsonPlain(s), JSON.stringify(s) === '"' + s + '"' && !/[^\x20-\x7e]/.test(s), escape(s));
  }
});
