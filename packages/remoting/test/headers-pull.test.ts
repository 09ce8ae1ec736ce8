// headers/pull.ts against the captured 4.9.8 PULL_MESSAGE frames: each request decodes to its typed
// header and re-encodes to the same fields (the Java client writes them in HashMap order, ours in
// declaration order, so field by field); each reply header decodes and re-encodes likewise.
import t from 'tap';
import { decodeCommand } from '../src/codec.js';
import {
  RequestHeaderError, decodePullMessageRequestHeader, decodePullMessageResponseHeader, encodePullMessageRequestHeader,
  encodePullMessageResponseHeader,
} from '../src/headers/index.js';
import { loadFixtures } from './fixtures.js';

const frames = loadFixtures().flatMap((fx) => fx.frames.map((f) => ({ ...f, file: fx.file })));
const extOf = (f: { hex: string }) => decodeCommand(Buffer.from(f.hex, 'hex')).extFields!;
const pulls = frames.filter((f) => f.code === 11 && (f.flag & 1) === 0);
const replies = frames.filter((f) => (f.flag & 1) === 1 && f.requestCode === 11 && f.code !== 25);
// 4.9.8 answers SUBSCRIPTION_NOT_LATEST (25) with an empty header.
const notLatest = frames.filter((f) => (f.flag & 1) === 1 && f.requestCode === 11 && f.code === 25);

t.test('every captured pull request decodes and re-encodes field by field', async (t) => {
  t.ok(pulls.length >= 10, `${pulls.length} pull requests`);
  for (const f of pulls) {
    const where = `${f.file} opaque ${f.opaque}`;
    const ext = extOf(f);
    const h = decodePullMessageRequestHeader(ext);
    t.equal(h.consumerGroup, ext['consumerGroup'], where);
    t.equal(h.topic, ext['topic']);
    t.equal(h.queueOffset, Number(ext['queueOffset']));
    t.equal(h.maxMsgNums, 32);
    t.equal(h.sysFlag, Number(ext['sysFlag']));
    t.equal(h.commitOffset, Number(ext['commitOffset']));
    t.equal(h.suspendTimeoutMillis, 15000);
    t.equal(h.subVersion, Number(ext['subVersion']));
    t.equal(h.expressionType, ext['expressionType']);
    t.equal(h.subscription, ext['subscription']);
    t.equal(h.brokerName, 'broker-a', 'bname');
    const again = encodePullMessageRequestHeader(h);
    t.same(again, ext, `${where}: same fields and values`);
    t.same(Object.keys(again).sort(), Object.keys(ext).sort(), `${where}: no field added or lost`);
  }
});

t.test('which pull request fields are mandatory', async (t) => {
  const ext = extOf(pulls[0]!);
  const optional = ['subscription', 'expressionType', 'bname'];
  for (const k of Object.keys(ext)) {
    const partial = { ...ext };
    delete partial[k];
    if (optional.includes(k)) t.ok(decodePullMessageRequestHeader(partial), `${k} optional`);
    else t.throws(() => decodePullMessageRequestHeader(partial), new RequestHeaderError(`the custom field <${k}> is null`), `${k} mandatory`);
  }
  t.throws(() => decodePullMessageRequestHeader({ ...ext, queueOffset: 'x' }), /the custom field <queueOffset> is not a number: x/);
  t.throws(() => decodePullMessageRequestHeader(null), /the custom field <consumerGroup> is null/);
  const bare = { ...ext };
  delete bare['bname'];
  t.notOk('bname' in encodePullMessageRequestHeader(decodePullMessageRequestHeader(bare)), 'no bname without a broker name');
});

t.test('every captured pull reply header decodes and re-encodes field by field', async (t) => {
  t.ok(replies.length >= 10, `${replies.length} pull replies`);
  for (const f of replies) {
    const ext = extOf(f);
    const h = decodePullMessageResponseHeader(ext, -7);
    t.same(h, {
      suggestWhichBrokerId: Number(ext['suggestWhichBrokerId']), nextBeginOffset: Number(ext['nextBeginOffset']),
      minOffset: Number(ext['minOffset']), maxOffset: Number(ext['maxOffset']),
    });
    t.same(encodePullMessageResponseHeader(h), ext, `${f.file} opaque ${f.opaque}`);
  }
  for (const f of notLatest) {
    t.same(extOf(f), {}, 'SUBSCRIPTION_NOT_LATEST: no fields');
    t.same(decodePullMessageResponseHeader(extOf(f), 42), { suggestWhichBrokerId: 0, nextBeginOffset: 42, minOffset: 0, maxOffset: 0 });
  }
  t.same(decodePullMessageResponseHeader(null, 42), { suggestWhichBrokerId: 0, nextBeginOffset: 42, minOffset: 0, maxOffset: 0 },
    'absent fields: the lenient defaults, nextBeginOffset stays at the request offset');
  t.same(Object.keys(encodePullMessageResponseHeader({ suggestWhichBrokerId: 0, nextBeginOffset: 1, minOffset: 0, maxOffset: 1 })),
    ['suggestWhichBrokerId', 'nextBeginOffset', 'minOffset', 'maxOffset'], 'our broker\'s key order');
});
