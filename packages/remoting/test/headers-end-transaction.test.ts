// headers/end-transaction.ts against the END_TRANSACTION (37, oneway) requests captured from a 4.9.8
// transaction producer (commit, rollback and check-back answers): decoded and re-encoded field by field.
import t from 'tap';
import { decodeCommand } from '../src/codec.js';
import { RequestHeaderError, decodeEndTransactionRequestHeader, encodeEndTransactionRequestHeader } from '../src/headers/index.js';
import { loadFixtures } from './fixtures.js';

const frames = loadFixtures().flatMap((fx) => fx.frames.map((f) => ({ ...f, file: fx.file })));
const ends = frames.filter((f) => f.code === 37 && (f.flag & 1) === 0);

t.test('every captured END_TRANSACTION decodes and re-encodes', async (t) => {
  t.ok(ends.length >= 5, `${ends.length} requests`);
  const states = new Set<number>();
  for (const f of ends) {
    const where = `${f.file} opaque ${f.opaque}`;
    t.equal(f.flag & 2, 2, `${where}: oneway`);
    const ext = decodeCommand(Buffer.from(f.hex, 'hex')).extFields!;
    const h = decodeEndTransactionRequestHeader(ext);
    t.equal(h.producerGroup, 'FixtureTxProducerGroup');
    t.equal(h.tranStateTableOffset, Number(ext['tranStateTableOffset']));
    t.equal(h.commitLogOffset, Number(ext['commitLogOffset']));
    t.equal(h.fromTransactionCheck, ext['fromTransactionCheck'] === 'true');
    t.equal(h.msgId, ext['msgId']);
    t.equal(h.transactionId, ext['transactionId']);
    t.equal(h.brokerName, ext['bname'], `${where}: bname (left out by the check-back answers)`);
    states.add(h.commitOrRollback);
    const again = encodeEndTransactionRequestHeader(h);
    t.same(again, ext, `${where}: same fields and values`);
    t.same(Object.keys(again).sort(), Object.keys(ext).sort(), `${where}: no field added or lost`);
  }
  t.ok(states.has(8) && states.has(12), `commit and rollback both captured (${[...states].join(',')})`);
});

t.test('which END_TRANSACTION fields are mandatory', async (t) => {
  const ext = decodeCommand(Buffer.from(ends[0]!.hex, 'hex')).extFields!;
  const mandatory = ['producerGroup', 'tranStateTableOffset', 'commitLogOffset', 'commitOrRollback'];
  for (const k of Object.keys(ext)) {
    const partial = { ...ext };
    delete partial[k];
    if (mandatory.includes(k)) t.throws(() => decodeEndTransactionRequestHeader(partial), new RequestHeaderError(`the custom field <${k}> is null`), `${k} mandatory`);
    else t.equal(decodeEndTransactionRequestHeader(partial).producerGroup, 'FixtureTxProducerGroup', `${k} optional`);
  }
  t.equal(decodeEndTransactionRequestHeader({ ...ext, fromTransactionCheck: undefined as unknown as string }).fromTransactionCheck, false);
});
