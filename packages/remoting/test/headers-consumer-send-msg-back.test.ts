// headers/consumer-send-msg-back.ts against the CONSUMER_SEND_MSG_BACK (36) request captured from a
// 4.9.8 consumer: decoded to its typed header and re-encoded field by field; which fields are mandatory.
import t from 'tap';
import { decodeCommand } from '../src/codec.js';
import {
  RequestHeaderError, decodeConsumerSendMsgBackRequestHeader, encodeConsumerSendMsgBackRequestHeader,
} from '../src/headers/index.js';
import { loadFixtures } from './fixtures.js';

const frames = loadFixtures().flatMap((fx) => fx.frames.map((f) => ({ ...f, file: fx.file })));
const backs = frames.filter((f) => f.code === 36 && (f.flag & 1) === 0);

t.test('the captured send-back request decodes and re-encodes', async (t) => {
  t.ok(backs.length >= 1, `${backs.length} request(s)`);
  for (const f of backs) {
    const ext = decodeCommand(Buffer.from(f.hex, 'hex')).extFields!;
    const h = decodeConsumerSendMsgBackRequestHeader(ext);
    t.same(h, {
      offset: Number(ext['offset']), group: 'FixtureRetryGroup', delayLevel: 0, originMsgId: ext['originMsgId'],
      originTopic: 'FixtureTopic', unitMode: false, maxReconsumeTimes: 16, brokerName: 'broker-a',
    });
    const again = encodeConsumerSendMsgBackRequestHeader(h);
    t.same(again, ext, 'same fields and values');
    t.same(Object.keys(again).sort(), Object.keys(ext).sort(), 'no field added or lost');

    for (const k of Object.keys(ext)) {
      const partial = { ...ext };
      delete partial[k];
      if (['offset', 'group', 'delayLevel'].includes(k)) {
        t.throws(() => decodeConsumerSendMsgBackRequestHeader(partial), new RequestHeaderError(`the custom field <${k}> is null`), `${k} mandatory`);
      } else {
        const d = decodeConsumerSendMsgBackRequestHeader(partial);
        t.same(encodeConsumerSendMsgBackRequestHeader(d), partial.unitMode === undefined ? { ...partial, unitMode: 'false' } : partial, `${k} optional`);
      }
    }
  }
  t.throws(() => decodeConsumerSendMsgBackRequestHeader({ offset: '1', group: 'g', delayLevel: 'x' }), /<delayLevel> is not a number: x/);
  t.equal(decodeConsumerSendMsgBackRequestHeader({ offset: '1', group: 'g', delayLevel: '-1', maxReconsumeTimes: '' }).maxReconsumeTimes, undefined,
    'an empty maxReconsumeTimes counts as absent');
});
