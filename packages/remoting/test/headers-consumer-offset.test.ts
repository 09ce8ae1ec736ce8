// headers/consumer-offset.ts and headers/queue-offset.ts: QUERY_CONSUMER_OFFSET (14) and
// UPDATE_CONSUMER_OFFSET (15) requests and the `offset` replies captured from 4.9.8 decode and
// re-encode field by field; the queue-offset requests (29..32, not in the captures) round-trip.
import t from 'tap';
import { decodeCommand } from '../src/codec.js';
import {
  RequestHeaderError, decodeOffsetResponseHeader, decodeQueryConsumerOffsetRequestHeader, decodeQueueOffsetRequestHeader,
  decodeSearchOffsetRequestHeader, decodeUpdateConsumerOffsetRequestHeader, encodeEarliestMsgStoretimeResponseHeader,
  encodeOffsetResponseHeader, encodeQueryConsumerOffsetRequestHeader, encodeQueueOffsetRequestHeader,
  encodeUpdateConsumerOffsetRequestHeader,
} from '../src/headers/index.js';
import { loadFixtures } from './fixtures.js';

const frames = loadFixtures().flatMap((fx) => fx.frames.map((f) => ({ ...f, file: fx.file })));
const extOf = (f: { hex: string }) => decodeCommand(Buffer.from(f.hex, 'hex')).extFields!;
const requestsOf = (code: number) => frames.filter((f) => f.code === code && (f.flag & 1) === 0);

type Checks = { ok(v: unknown, m: string): void; throws(fn: () => unknown, e: Error, m: string): void };

function mandatoryCheck(t: Checks, ext: Record<string, string>, decode: (e: Record<string, string>) => unknown, optional: string[]): void {
  for (const k of Object.keys(ext)) {
    const partial = { ...ext };
    delete partial[k];
    if (optional.includes(k)) t.ok(decode(partial), `${k} optional`);
    else t.throws(() => decode(partial), new RequestHeaderError(`the custom field <${k}> is null`), `${k} mandatory`);
  }
}

t.test('captured QUERY_CONSUMER_OFFSET requests', async (t) => {
  const qs = requestsOf(14);
  t.ok(qs.length >= 5, `${qs.length} requests`);
  for (const f of qs) {
    const ext = extOf(f);
    const h = decodeQueryConsumerOffsetRequestHeader(ext);
    t.same(h, { consumerGroup: ext['consumerGroup'], topic: ext['topic'], queueId: Number(ext['queueId']), brokerName: 'broker-a' });
    t.same(encodeQueryConsumerOffsetRequestHeader(h), ext, `${f.file} opaque ${f.opaque}`);
  }
  mandatoryCheck(t, extOf(qs[0]!), decodeQueryConsumerOffsetRequestHeader, ['bname']);
});

t.test('captured UPDATE_CONSUMER_OFFSET requests (oneway)', async (t) => {
  const us = requestsOf(15);
  t.ok(us.length >= 5, `${us.length} requests`);
  for (const f of us) {
    t.equal(f.flag & 2, 2, 'oneway');
    const ext = extOf(f);
    const h = decodeUpdateConsumerOffsetRequestHeader(ext);
    t.equal(h.commitOffset, Number(ext['commitOffset']));
    t.equal(h.queueId, Number(ext['queueId']));
    t.same(encodeUpdateConsumerOffsetRequestHeader(h), ext, `${f.file} opaque ${f.opaque}`);
  }
  mandatoryCheck(t, extOf(us[0]!), decodeUpdateConsumerOffsetRequestHeader, ['bname']);
  t.throws(() => decodeUpdateConsumerOffsetRequestHeader({ ...extOf(us[0]!), commitOffset: '1.5' }), /<commitOffset> is not a number/);
});

t.test('captured offset replies', async (t) => {
  const rs = frames.filter((f) => (f.flag & 1) === 1 && f.requestCode === 14 && f.code === 0);
  t.ok(rs.length >= 5, `${rs.length} replies`);
  for (const f of rs) {
    const ext = extOf(f);
    const h = decodeOffsetResponseHeader(ext);
    t.equal(h.offset, Number(ext['offset']));
    t.same(encodeOffsetResponseHeader(h), ext);
  }
  t.equal(decodeOffsetResponseHeader(null).offset, -1, 'absent: -1');
  t.equal(decodeOffsetResponseHeader({ offset: 'x' }).offset, -1, 'not a number: -1');
});

t.test('queue-offset requests round-trip; topic, queueId and timestamp are mandatory', async (t) => {
  const h = { topic: 'FixtureTopic', queueId: 3, brokerName: 'broker-a' };
  const ext = encodeQueueOffsetRequestHeader(h);
  t.same(Object.keys(ext), ['topic', 'queueId', 'bname']);
  t.same(decodeQueueOffsetRequestHeader(ext), h);
  const search = encodeQueueOffsetRequestHeader({ ...h, timestamp: 1795742571318 });
  t.same(Object.keys(search), ['topic', 'queueId', 'timestamp', 'bname']);
  t.same(decodeSearchOffsetRequestHeader(search), { ...h, timestamp: 1795742571318 });
  mandatoryCheck(t, search, decodeSearchOffsetRequestHeader, ['bname']);
  mandatoryCheck(t, ext, decodeQueueOffsetRequestHeader, ['bname']);
  t.same(encodeQueueOffsetRequestHeader({ topic: 'T', queueId: 0 }), { topic: 'T', queueId: '0' });
  t.same(encodeEarliestMsgStoretimeResponseHeader({ timestamp: 12 }), { timestamp: '12' });
});
