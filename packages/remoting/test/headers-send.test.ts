// headers/send.ts against the captured 4.9.8 frames: every SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE
// request (JSON and ROCKETMQ serialization) decodes to its typed header and re-encodes to the same
// bytes; every send reply's header decodes and re-encodes field by field.
import t from 'tap';
import { decodeCommand, encodeCommandToBuffer } from '../src/codec.js';
import {
  RequestHeaderError, SEND_V1_NAMES, SEND_V2_NAMES, decodeSendMessageRequestHeader, decodeSendMessageRequestHeaderV2,
  decodeSendMessageResponseHeader, encodeSendMessageRequestHeaderV2, encodeSendMessageResponseHeader, isBatchSendHeader,
  sendHeaderNames,
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
