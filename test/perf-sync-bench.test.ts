// perf/sync-bench.ts writes SEND_MESSAGE_V2 headers as the Java 4.9 client does: same keys in the
// same order, the same escapes, and our server decodes them to the same fields as the captured frame.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeCommand } from '../packages/remoting/dist/index.js';
import { javaSendBinaryFrame, javaSendHeader, parseBenchArgs } from '../perf/sync-bench.js';

const FIXTURES = process.env.RMQ_FIXTURES_DIR ?? '/work/shared/fixtures';

t.test('the stand-in header matches the captured Java 4.9 SEND_MESSAGE_V2 header', async (t) => {
  const cap = JSON.parse(readFileSync(join(FIXTURES, 'send-sync.json'), 'utf8')) as { frames: Array<{ dir: string; code: number; hex: string }> };
  const f = cap.frames.find((x) => x.dir === 'c2s' && x.code === 310)!;
  const frame = Buffer.from(f.hex, 'hex');
  const hl = frame.readUInt32BE(4) & 0xffffff;
  const javaText = frame.toString('utf8', 8, 8 + hl);
  const java = decodeCommand(frame);
  const ext = java.extFields!;
  const uniq = /UNIQ_KEY\u0001([0-9A-F]+)/.exec(ext.i!)![1]!;
  // the captured message has TAGS (the fixture's producer set them); the benchmark sends none
  const ours = javaSendHeader(ext.a!, ext.b!, Number(ext.e), Number(ext.g), uniq, java.opaque, ext.n!);
  t.equal(ours, javaText.replace('\\u0002TAGS\\u0001TagA', ''), 'byte for byte, but for the tags');
  const body = Buffer.from('x');
  const hdr = Buffer.from(ours, 'latin1');
  const mine = Buffer.alloc(8 + hdr.length + 1);
  mine.writeInt32BE(4 + hdr.length + 1, 0);
  mine.writeInt32BE(hdr.length, 4);
  hdr.copy(mine, 8);
  body.copy(mine, 8 + hdr.length);
  const dec = decodeCommand(mine);
  t.equal(dec.code, 310);
  t.equal(dec.language, 'JAVA');
  t.equal(dec.version, 409);
  t.same(Object.keys(dec.extFields!), Object.keys(ext), 'same keys, same order');
  t.equal(dec.extFields!.i, `UNIQ_KEY\u0001${uniq}\u0002WAIT\u0001true`);
});

t.test('sync-bench options', async (t) => {
  const o = parseBenchArgs(['--threads', '8', '--size=4k', '--duration', '2s', '--flush-disk-type', 'SYNC_FLUSH', '--stages']);
  t.equal(o.threads, 8);
  t.equal(o.size, 4096);
  t.equal(o.durationMs, 2000);
  t.equal(o.flushDiskType, 'SYNC_FLUSH');
  t.equal(o.stages, true);
  t.throws(() => parseBenchArgs(['--nope']), /unknown option/);
  t.equal(o.serializeType, 'json', 'JSON headers by default, as the Java client sends');
  t.equal(parseBenchArgs(['--serialize-type', 'rocketmq']).serializeType, 'rocketmq');
  t.throws(() => parseBenchArgs(['--serialize-type', 'xml']), /json or rocketmq/);
});

t.test('the binary (ROCKETMQ) stand-in frame decodes to the same command as the JSON one', async (t) => {
  const body = Buffer.from('payload');
  const bin = decodeCommand(javaSendBinaryFrame('G', 'BenchmarkTest', 5, 1700000000123, 'AB'.repeat(16), 77, 'broker-a', body));
  const text = Buffer.from(javaSendHeader('G', 'BenchmarkTest', 5, 1700000000123, 'AB'.repeat(16), 77, 'broker-a'), 'latin1');
  const jf = Buffer.alloc(8 + text.length + body.length);
  jf.writeInt32BE(4 + text.length + body.length, 0);
  jf.writeInt32BE(text.length, 4);
  text.copy(jf, 8);
  body.copy(jf, 8 + text.length);
  const json = decodeCommand(jf);
  t.equal(bin.serializeType, 1);
  t.same([bin.code, bin.language, bin.version, bin.opaque, bin.flag, bin.remark], [json.code, json.language, json.version, json.opaque, json.flag, json.remark]);
  t.same(bin.extFields, json.extFields);
  t.same(Object.keys(bin.extFields!), Object.keys(json.extFields!));
  t.equal(bin.bodyBuffer()!.toString(), 'payload');
});
