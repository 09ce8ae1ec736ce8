// headers/consumer-list.ts against the GET_CONSUMER_LIST_BY_GROUP (38) requests captured from 4.9.8
// consumers: consumerGroup decodes and re-encodes byte for byte; it is mandatory.
import t from 'tap';
import { decodeCommand, encodeCommandToBuffer } from '../src/codec.js';
import {
  RequestHeaderError, decodeGetConsumerListByGroupRequestHeader, encodeGetConsumerListByGroupRequestHeader,
} from '../src/headers/index.js';
import { loadFixtures } from './fixtures.js';

const frames = loadFixtures().flatMap((fx) => fx.frames.map((f) => ({ ...f, file: fx.file })));
const lists = frames.filter((f) => f.code === 38 && (f.flag & 1) === 0);

t.test('every captured GET_CONSUMER_LIST_BY_GROUP decodes and re-encodes byte for byte', async (t) => {
  t.ok(lists.length >= 3, `${lists.length} requests`);
  for (const f of lists) {
    const cmd = decodeCommand(Buffer.from(f.hex, 'hex'));
    const h = decodeGetConsumerListByGroupRequestHeader(cmd.extFields);
    t.match(h.consumerGroup, /^Fixture/);
    cmd.extFields = encodeGetConsumerListByGroupRequestHeader(h);
    cmd.extJson = null;
    t.equal(encodeCommandToBuffer(cmd).toString('hex'), f.hex, `${f.file} opaque ${f.opaque}`);
  }
  t.throws(() => decodeGetConsumerListByGroupRequestHeader({}), new RequestHeaderError('the custom field <consumerGroup> is null'));
  t.throws(() => decodeGetConsumerListByGroupRequestHeader(null), /consumerGroup/);
});
