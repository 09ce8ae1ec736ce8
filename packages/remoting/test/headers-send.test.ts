// headers/send.ts against the captured 4.9.8 frames: every SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE
// request (JSON and ROCKETMQ serialization) decodes to its typed header and re-encodes to the same
// bytes; every send reply's header decodes and re-encodes field by field.
import t from 'tap';
import { decodeCommand, encodeCommandToBuffer, FrameOutput } from '../src/codec.js';
import { RemotingCommand } from '../src/command.js';
import { parseProperties } from '../src/message.js';
import {
  RequestHeaderError, SEND_V1_NAMES, SEND_V2_NAMES, decodeSendMessageRequestHeader, decodeSendMessageRequestHeaderV2,
  decodeSendMessageResponseHeader, encodeSendMessageRequestHeaderV2, encodeSendMessageResponseHeader, isBatchSendHeader,
  sendHeaderNames, SendHeaderV2Template, SendHeaderV2Writer, decodeSendHeaderV2Pairs, isBatchSendRequest, sendResponseHeaderOf,
} from '../src/headers/index.js';
import { frameBytes, loadFixtures } from './fixtures.js';

const frames = loadFixtures().flatMap((fx) => fx.frames.map((f) => ({ ...f, file: fx.file })));
const sendRequests = frames.filter((f) => (f.code === 310 || f.code === 320) && (f.flag & 1) === 0);
const sendReplies = frames.filter((f) => (f.flag & 1) === 1 && (f.requestCode === 310 || f.requestCode === 320) && f.code === 0);
const extOf = (f: { hex: string }) => decodeCommand(Buffer.from(f.hex, 'hex')).extFields!;

t.test('every captured V2 send request decodes and re-encodes byte for byte', async (t) => {
  t.ok(sendRequests.length >= 10, `${sendRequests.length} send requests in the fixtures`);
  t.ok(sendRequests.some((f) => f.serializeType === 1), 'a ROCKETMQ (binary) header among them');
  for (const f of sendRequests) {
    const where = `${f.file} opaque ${f.opaque}`;
    const cmd = decodeCommand(frameBytes(f));
    const ext = cmd.extFields!;
    const h = decodeSendMessageRequestHeaderV2(ext);
    t.equal(h.producerGroup, ext['a'], `${where}: a is producerGroup`);
    t.equal(h.topic, ext['b'], `${where}: b is topic`);
    t.equal(h.defaultTopic, 'TBW102', `${where}: c is defaultTopic`);
    t.equal(h.queueId, Number(ext['e']), `${where}: e is queueId`);
    t.equal(h.bornTimestamp, Number(ext['g']), `${where}: g is bornTimestamp`);
    t.equal(h.properties, ext['i'], `${where}: i is properties`);
    t.equal(h.batch, f.code === 320, `${where}: m is batch`);
    t.equal(h.brokerName, 'broker-a', `${where}: n is brokerName`);
    t.equal(h.maxReconsumeTimes, undefined, `${where}: no l`);
    const again = encodeSendMessageRequestHeaderV2(h);
    t.same(again, ext, `${where}: same fields`);
    t.same(Object.keys(again), Object.keys(ext), `${where}: same key order`);
    cmd.extFields = again;
    cmd.extJson = null;
    t.equal(encodeCommandToBuffer(cmd).toString('hex'), f.hex, `${where}: same bytes`);
  }
});

t.test('the V1 (long names) form reads to the same header', async (t) => {
  for (const f of sendRequests) {
    const ext = extOf(f);
    const long: Record<string, string> = {};
    for (const [field, short] of Object.entries(SEND_V2_NAMES)) if (ext[short] !== undefined) long[field] = ext[short]!;
    t.same(decodeSendMessageRequestHeader(long, SEND_V1_NAMES), decodeSendMessageRequestHeaderV2(ext), `${f.file} opaque ${f.opaque}`);
    t.equal(sendHeaderNames(true, long), SEND_V1_NAMES, 'SEND_MESSAGE with long names');
    t.equal(sendHeaderNames(true, ext), SEND_V2_NAMES, 'SEND_MESSAGE with short names only');
    t.equal(sendHeaderNames(false, long), SEND_V2_NAMES, 'the V2 codes always use the short form');
    t.equal(isBatchSendHeader(ext), f.code === 320);
    t.equal(isBatchSendHeader(long), f.code === 320);
  }
});

t.test('a..h are mandatory, i..n optional; errors name the long field', async (t) => {
  const ext = extOf(sendRequests[0]!);
  const mandatory = ['producerGroup', 'topic', 'defaultTopic', 'defaultTopicQueueNums', 'queueId', 'sysFlag', 'bornTimestamp', 'flag'];
  for (const [field, short] of Object.entries(SEND_V2_NAMES)) {
    const partial = { ...ext };
    delete partial[short];
    if (mandatory.includes(field)) {
      t.throws(() => decodeSendMessageRequestHeaderV2(partial), new RequestHeaderError(`the custom field <${field}> is null`), `${short} mandatory`);
    } else {
      const h = decodeSendMessageRequestHeaderV2(partial);
      t.ok(h, `${short} (${field}) optional`);
    }
  }
  const bare = decodeSendMessageRequestHeaderV2({ a: 'g', b: 'T', c: 'TBW102', d: '4', e: '1', f: '0', g: '5', h: '0' });
  t.same(bare, {
    producerGroup: 'g', topic: 'T', defaultTopic: 'TBW102', defaultTopicQueueNums: 4, queueId: 1, sysFlag: 0, bornTimestamp: 5, flag: 0,
    properties: '', reconsumeTimes: 0, unitMode: false, maxReconsumeTimes: undefined, batch: false, brokerName: undefined,
  });
  t.throws(() => decodeSendMessageRequestHeaderV2(null), /the custom field <topic> is null/);
  t.throws(() => decodeSendMessageRequestHeaderV2({ ...ext, e: 'one' }), /the custom field <queueId> is not a number: one/);
  t.throws(() => decodeSendMessageRequestHeaderV2({ ...ext, l: 'x' }), /the custom field <maxReconsumeTimes> is not a number/);
  t.equal(decodeSendMessageRequestHeaderV2({ ...ext, l: '16' }).maxReconsumeTimes, 16);
});

t.test('the encoder writes l for a retry and leaves n out without a broker name', async (t) => {
  const h = decodeSendMessageRequestHeaderV2({ ...extOf(sendRequests[0]!), j: '3', l: '16' });
  const withL = encodeSendMessageRequestHeaderV2(h);
  t.same(Object.keys(withL), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n']);
  t.equal(withL['j'], '3');
  t.equal(withL['l'], '16');
  const noName = encodeSendMessageRequestHeaderV2({ ...h, brokerName: undefined });
  t.same(Object.keys(noName), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm']);
  t.same(decodeSendMessageRequestHeaderV2(noName), { ...h, brokerName: undefined });
});

t.test('every captured send reply header decodes and re-encodes field by field', async (t) => {
  t.ok(sendReplies.length >= 10, `${sendReplies.length} send replies`);
  for (const f of sendReplies) {
    const ext = extOf(f);
    const h = decodeSendMessageResponseHeader(ext, -1);
    t.equal(h.msgId, ext['msgId']);
    t.equal(h.queueId, Number(ext['queueId']));
    t.equal(h.queueOffset, Number(ext['queueOffset']));
    t.equal(h.regionId, 'DefaultRegion');
    t.equal(h.traceOn, true);
    t.equal(h.transactionId, undefined);
    const again = encodeSendMessageResponseHeader(h);
    t.same(again, ext, `${f.file} opaque ${f.opaque}`);
    t.same(Object.keys(again), ['msgId', 'queueId', 'queueOffset', 'MSG_REGION', 'TRACE_ON'], 'our broker\'s key order');
  }
  t.same(decodeSendMessageResponseHeader(null, 3), {
    msgId: '', queueId: 3, queueOffset: -1, transactionId: undefined, regionId: undefined, traceOn: undefined,
  }, 'a reply without a header: the lenient defaults');
  t.same(encodeSendMessageResponseHeader({ msgId: 'M', queueId: 1, queueOffset: 2, transactionId: 'X' }), { msgId: 'M', queueId: '1', queueOffset: '2', transactionId: 'X' });
});

t.test('SendHeaderV2Writer: the captured send requests again, header written without a map (binary and JSON, arena and parts)', async (t) => {
  for (const f of sendRequests) {
    const where = `${f.file} opaque ${f.opaque}`;
    const cmd = decodeCommand(frameBytes(f));
    const h = decodeSendMessageRequestHeaderV2(cmd.extFields!);
    const tpl = new SendHeaderV2Template(h.producerGroup, h.topic, h.defaultTopic, h.defaultTopicQueueNums, h.brokerName);
    const w = new SendHeaderV2Writer(tpl, h.queueId, h.sysFlag, h.bornTimestamp, h.flag, parseProperties(h.properties), h.reconsumeTimes, h.batch, h.maxReconsumeTimes);
    t.same(w.extFields(), cmd.extFields, `${where}: same map`);
    cmd.extFields = null;
    cmd.extJson = null;
    cmd.extWriter = w;
    t.equal(encodeCommandToBuffer(cmd).toString('hex'), f.hex, `${where}: same bytes`);
    const again = decodeCommand(frameBytes(f));
    again.extFields = null;
    again.extWriter = w;
    const out = new FrameOutput();
    out.push(again);
    t.equal(Buffer.concat(out.take()).toString('hex'), f.hex, `${where}: same bytes through FrameOutput`);
  }
});

t.test('SendHeaderV2Writer: numbers, optional l, batch, non-ASCII and odd values give what the map path gives', async (t) => {
  const tpl = new SendHeaderV2Template('grp', 'Topic_1', 'TBW102', 4, 'broker-a');
  const cases: Array<[number, number, number, number, Map<string, string>, number, boolean, number | undefined]> = [
    [0, 0, 0, 0, new Map(), 0, false, undefined],
    [7, -3, 1733200000123, -0, new Map([['WAIT', 'true']]), 2, true, 16],
    [1023, 769, Number.MAX_SAFE_INTEGER, -2147483648, new Map([['UNIQ_KEY', 'AB'], ['TAGS', 'x']]), 0, false, 0],
    [1, 0, 1, 1.5, new Map([['WAIT', 'true']]), 0, false, undefined], // not an integer: String() on the map path
    [2, 0, 1, 0, new Map([['KEYS', 'clé'], ['WAIT', 'true']]), 0, false, undefined], // non-ASCII: UTF-8 path
  ];
  for (const [queueId, sysFlag, born, flag, props, reconsume, batch, maxReconsume] of cases) {
    const w = new SendHeaderV2Writer(tpl, queueId, sysFlag, born, flag, props, reconsume, batch, maxReconsume);
    for (const st of [0, 1] as const) {
      const viaMap = new RemotingCommand(310);
      viaMap.serializeType = st;
      viaMap.extFields = encodeSendMessageRequestHeaderV2(w.header());
      viaMap.body = Buffer.from('body');
      const viaWriter = new RemotingCommand(310);
      viaWriter.serializeType = st;
      viaWriter.extWriter = w;
      viaWriter.body = Buffer.from('body');
      const want = encodeCommandToBuffer(viaMap).toString('hex');
      t.equal(encodeCommandToBuffer(viaWriter).toString('hex'), want, `queueId ${queueId} flag ${flag} type ${st}`);
      const out = new FrameOutput();
      const again = new RemotingCommand(310);
      again.serializeType = st;
      again.extWriter = w;
      again.body = Buffer.from('body');
      out.push(again);
      t.equal(Buffer.concat(out.take()).toString('hex'), want, `queueId ${queueId} flag ${flag} type ${st}, FrameOutput`);
    }
  }
  const w = new SendHeaderV2Writer(tpl, 3, 0, 5, 0, new Map([['WAIT', 'true']]), 0, false, undefined);
  const cmd = new RemotingCommand(310);
  cmd.extWriter = w;
  t.equal(cmd.ext('e'), '3', 'ext() reads a writer-built command');
  t.equal(cmd.extWriter, null);
  t.same(cmd.extFields, encodeSendMessageRequestHeaderV2(w.header()));
});

/** A binary SEND_MESSAGE_V2 request with these ext pairs, decoded again (extFields not built yet). */
function binarySend(ext: Record<string, string>): RemotingCommand {
  const cmd = RemotingCommand.request(310, ext, Buffer.from('body'));
  cmd.serializeType = 1;
  return decodeCommand(encodeCommandToBuffer(cmd));
}

t.test('decodeSendHeaderV2Pairs: the captured binary sends, read without the ext map, give what the map path gives', async (t) => {
  const binary = sendRequests.filter((f) => f.serializeType === 1);
  t.ok(binary.length > 0, `${binary.length} binary send requests`);
  for (const f of binary) {
    const cmd = decodeCommand(frameBytes(f));
    t.ok(cmd.extSrc !== null, 'the pairs are kept as bytes until the map is asked for');
    const fast = decodeSendHeaderV2Pairs(cmd.extSrc!, cmd.extStart, cmd.extEnd);
    t.equal(isBatchSendRequest(cmd), f.code === 320, 'batch read from the bytes');
    t.ok(cmd.extSrc !== null, 'neither read built the map');
    t.same(fast, decodeSendMessageRequestHeaderV2(cmd.extFields), `${f.file} opaque ${f.opaque}`);
    t.equal(cmd.extSrc, null, 'extFields built the map');
  }
});

t.test('decodeSendHeaderV2Pairs: numbers, optional fields, repeats and odd values', async (t) => {
  const base = { a: 'PG', b: 'TopicA', c: 'TBW102', d: '4', e: '3', f: '0', g: '1700000000123', h: '0' };
  const cases: Array<Record<string, string>> = [
    base,
    { ...base, i: 'UNIQ_KEY\u0001AB\u0002WAIT\u0001true', j: '2', k: 'true', l: '16', m: 'false', n: 'broker-a' },
    { ...base, e: '-1', j: '0', k: 'TRUE', m: 'true' },
    { ...base, b: 'Tópico-ü', a: 'PG' }, // non-ASCII strings
    { ...base, g: '007' },
    { ...base, b: 'TopicB' }, { ...base, b: 'TopicA' }, // the repeated-strings cache hands back the right one
  ];
  for (const ext of cases) {
    const cmd = binarySend(ext);
    const fast = decodeSendHeaderV2Pairs(cmd.extSrc!, cmd.extStart, cmd.extEnd);
    t.not(fast, null, JSON.stringify(ext));
    t.same(fast, decodeSendMessageRequestHeaderV2(cmd.extFields), JSON.stringify(ext));
  }
  for (let i = 0; i < 40; i++) { // more distinct strings than the cache holds
    const ext = { ...base, b: `T${i}`, a: `G${i % 7}` };
    const cmd = binarySend(ext);
    const fast = decodeSendHeaderV2Pairs(cmd.extSrc!, cmd.extStart, cmd.extEnd)!;
    t.equal(fast.topic, `T${i}`); t.equal(fast.producerGroup, `G${i % 7}`);
  }
  // what only the map path may answer (its errors, its number rules): null
  const general: Array<Record<string, string>> = [
    { ...base, d: ' 4' }, { ...base, e: '1e2' }, { ...base, g: '' }, { ...base, e: '+3' }, { ...base, h: 'x' },
    { ...base, g: '1234567890123456' }, { a: 'PG', b: 'T', c: 'TBW102', d: '4', e: '0', f: '0', g: '1' } /* no h */,
    { ...base, topic: 'long form' }, { ...base, l: 'many' },
  ];
  for (const ext of general) {
    const cmd = binarySend(ext);
    t.equal(decodeSendHeaderV2Pairs(cmd.extSrc!, cmd.extStart, cmd.extEnd), null, `general path for ${JSON.stringify(ext)}`);
  }
  t.equal(isBatchSendRequest(binarySend({ ...base, batch: 'true' })), true, 'the long batch key');
  t.equal(isBatchSendRequest(binarySend({ ...base, m: 'false', batch: 'true' })), false, 'm decides when present, as in the map');
  t.equal(isBatchSendRequest(binarySend(base)), false);
});

t.test('binary ext pairs: built into the map on first use, identical to an eager decode; set clears the bytes', async (t) => {
  const ext = { a: 'PG', b: 'T', __proto__x: 'y', k: '' };
  const cmd = binarySend(ext);
  t.ok(cmd.extSrc !== null);
  t.same(cmd.extFields, ext);
  t.equal(cmd.extSrc, null);
  const again = binarySend(ext);
  again.extFields = { z: '1' };
  t.equal(again.extSrc, null, 'a set map replaces the bytes');
  t.same(again.extFields, { z: '1' });
  const none = RemotingCommand.request(310, null);
  none.serializeType = 1;
  t.equal(decodeCommand(encodeCommandToBuffer(none)).extFields, null, 'no pairs: null, as before');
});

t.test('sendResponseHeaderOf: a binary reply read from its pairs = decodeSendMessageResponseHeader of its map', async (t) => {
  const replies: Array<Record<string, string>> = [
    { msgId: '7F00000100002A9F0000000000000000', queueId: '3', queueOffset: '12', MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' },
    { msgId: 'A,B', queueId: '0', queueOffset: '9007199254740991', transactionId: 'tx-1', MSG_REGION: 'régión', TRACE_ON: 'false' },
    { msgId: 'X', queueId: '', queueOffset: '', MSG_REGION: '', TRACE_ON: 'x', other: 'ignored' },
    { msgId: 'X', queueId: ' 3', queueOffset: '4' }, // the map path's number rules
    { queueOffset: '-1', queueId: '-2' },
    {},
  ];
  for (const ext of replies) {
    for (const st of [1, 0] as const) {
      const resp = RemotingCommand.response(0, null, ext);
      resp.serializeType = st;
      const back = decodeCommand(encodeCommandToBuffer(resp));
      const fast = sendResponseHeaderOf(back, 5);
      t.same(fast, decodeSendMessageResponseHeader(back.extFields, 5), `${st === 1 ? 'binary' : 'JSON'} ${JSON.stringify(ext)}`);
    }
  }
});
