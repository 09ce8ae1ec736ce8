// The SEND reply built from a template (sendReply) against the general path: the same frame, byte for
// byte, for every value the template handles, and for values it hands to the general path.
import t from 'tap';
import { RemotingCommand, encodeCommandToBuffer } from '@rmq/remoting';
import { sendReply } from '../src/processor/send-message.js';

function general(code: number, remark: string | null, msgId: string, queueId: number, queueOffset: number,
  region: unknown, traceOn: unknown): RemotingCommand {
  return RemotingCommand.response(code, remark, { msgId, queueId, queueOffset, MSG_REGION: region as string, TRACE_ON: traceOn as boolean });
}

const cases: [number, string | null, string, number, number, unknown, unknown][] = [
  [0, null, 'C0A8000100002A9F0000000000000000', 0, 0, 'DefaultRegion', true],
  [0, null, '7F00000100002A9F00000000000A1B2C', 7, 123456789012, 'DefaultRegion', false],
  [12, null, '7F00000100002A9F00000000000A1B2C', 3, 5, 'DefaultRegion', true],      // FLUSH_DISK_TIMEOUT
  [0, null, 'AA,BB,CC', 15, 9007199254740991, 'region "quoted" \\ back', true],     // batch ids; escapes
  [0, null, 'X', 1, 2, 'régión\u0001\n\u2028', false],                               // non-ASCII, control chars
  [0, 'a remark', 'X', 1, 2, 'R', true],
  [0, null, 'X', 1, 2, '', true],
  [0, null, 'X', 1, 2, null, true],                                                 // general path: key dropped
  [0, null, 'X', 1, 2, 'R', 'true'],                                                // general path
];

t.test('template reply = general reply, frame bytes and extFields', async (t) => {
  for (const [n, c] of cases.entries()) {
    for (let i = 0; i < 2; i++) { // twice: the second uses the cached template tail
      const a = sendReply(c[0], c[1], c[2], c[3], c[4], c[5] as string, c[6] as boolean);
      const b = general(...c);
      for (const cmd of [a, b]) cmd.opaque = 42;
      t.same(a.extFields, b.extFields, `extFields, case ${n}`);
      t.equal(a.code, b.code);
      t.equal(a.flag, b.flag);
      t.equal(a.remark, b.remark);
      t.equal(encodeCommandToBuffer(a).toString('latin1'), encodeCommandToBuffer(b).toString('latin1'), `JSON frame, case ${n}`);
      a.serializeType = 1; b.serializeType = 1;
      t.equal(encodeCommandToBuffer(a).toString('latin1'), encodeCommandToBuffer(b).toString('latin1'), `binary frame, case ${n}`);
      // for a binary request the JSON text is not built; the frames are the same either way
      const c2 = sendReply(c[0], c[1], c[2], c[3], c[4], c[5] as string, c[6] as boolean, false);
      c2.opaque = 42;
      t.same(c2.extFields, b.extFields, `extFields without the JSON text, case ${n}`);
      c2.serializeType = 1;
      t.equal(encodeCommandToBuffer(c2).toString('latin1'), encodeCommandToBuffer(b).toString('latin1'), `binary frame without the JSON text, case ${n}`);
      c2.serializeType = 0; b.serializeType = 0;
      t.equal(encodeCommandToBuffer(c2).toString('latin1'), encodeCommandToBuffer(b).toString('latin1'), `JSON frame from extFields, case ${n}`);
    }
  }
});

t.test('setExt after the template drops the pre-serialized text', async (t) => {
  const a = sendReply(0, null, 'X', 1, 2, 'R', true);
  a.setExt('extra', 'v');
  const b = general(0, null, 'X', 1, 2, 'R', true);
  b.setExt('extra', 'v');
  t.equal(encodeCommandToBuffer(a).toString('latin1'), encodeCommandToBuffer(b).toString('latin1'));
});

t.test('template reply encoded before anything reads its extFields (the ext writer path) = general reply', async (t) => {
  for (const [n, c] of cases.entries()) {
    for (const json of [true, false]) {
      const a = sendReply(c[0], c[1], c[2], c[3], c[4], c[5] as string, c[6] as boolean, json);
      const b = general(...c);
      a.opaque = b.opaque = 7;
      a.serializeType = b.serializeType = 1;
      t.equal(encodeCommandToBuffer(a).toString('latin1'), encodeCommandToBuffer(b).toString('latin1'), `binary frame first, case ${n}`);
      const a2 = sendReply(c[0], c[1], c[2], c[3], c[4], c[5] as string, c[6] as boolean, json);
      a2.opaque = 7;
      const g = general(...c);
      g.opaque = 7;
      if (json) t.equal(encodeCommandToBuffer(a2).toString('latin1'), encodeCommandToBuffer(g).toString('latin1'), `JSON frame first, case ${n}`);
      t.same(a.extFields, b.extFields, `extFields after the encode, case ${n}`);
    }
  }
});
