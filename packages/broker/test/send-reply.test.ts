// The SEND reply written from its ext writer (sendReply) against the general path: the same frame, byte
// for byte, JSON and binary, through encodeCommandToBuffer and through a connection's FrameOutput, for
// every value the writer handles and for the values it hands to the map path.
import t from 'tap';
import { FrameOutput, RemotingCommand, encodeCommandToBuffer } from '@rmq/remoting';
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
  [0, null, 'X', 1, -1, 'R', true],                                                 // negative offset
  [0, null, 'X', 1, 2 ** 53, 'R', true],                                            // not a safe integer: map path
  [0, null, 'X', 1, 1.5, 'R', true],                                                // not an integer: map path
  [0, null, 'X', 65535, 10, 'R', true],
  [0, null, 'é', 1, 2, 'R', true],                                                  // non-ASCII id
  [0, 'a remark', 'X', 1, 2, 'R', true],
  [0, null, 'X', 1, 2, '', true],
  [0, null, 'X', 1, 2, null, true],                                                 // general path: key dropped
  [0, null, 'X', 1, 2, 'R', 'true'],                                                // general path
];

const viaOutput = (cmd: RemotingCommand): string => {
  const out = new FrameOutput();
  out.push(cmd);
  return Buffer.concat(out.take()).toString('latin1');
};

t.test('writer reply = general reply: frame bytes (JSON, binary; encode and FrameOutput) and extFields', async (t) => {
  for (const [n, c] of cases.entries()) {
    for (const st of [0, 1] as const) {
      const want = general(...c);
      want.opaque = 42;
      want.serializeType = st;
      const bytes = encodeCommandToBuffer(want).toString('latin1');
      const a = sendReply(c[0], c[1], c[2], c[3], c[4], c[5] as string, c[6] as boolean);
      a.opaque = 42;
      a.serializeType = st;
      t.equal(encodeCommandToBuffer(a).toString('latin1'), bytes, `case ${n} type ${st}: encodeCommandToBuffer`);
      const b = sendReply(c[0], c[1], c[2], c[3], c[4], c[5] as string, c[6] as boolean);
      b.opaque = 42;
      b.serializeType = st;
      t.equal(viaOutput(b), bytes, `case ${n} type ${st}: FrameOutput`);
      // the plain cases are written from the writer itself: no map was made (reading extFields makes one)
      if (n <= 2) t.not(b.extWriter, null, `case ${n} type ${st}: written without a map`);
      // read first: the map is built from the writer, the frame stays the same
      const c2 = sendReply(c[0], c[1], c[2], c[3], c[4], c[5] as string, c[6] as boolean);
      c2.opaque = 42;
      c2.serializeType = st;
      t.same(c2.extFields, want.extFields, `case ${n}: extFields`);
      t.equal(viaOutput(c2), bytes, `case ${n} type ${st}: FrameOutput after extFields`);
      t.equal(a.code, want.code);
      t.equal(a.flag, want.flag);
      t.equal(a.remark, want.remark);
    }
  }
});

t.test('opaque, flag, version and language as the general path writes them', async (t) => {
  for (const [opaque, lang, version] of [[-2147483648, 'JAVA', 409], [2147483647, 'CPP', 0], [0, 'NODE_JS', -1], [7, 'GO', 32767]] as const) {
    const a = sendReply(0, null, 'X', 1, 2, 'R', true);
    const b = general(0, null, 'X', 1, 2, 'R', true);
    for (const cmd of [a, b]) { cmd.opaque = opaque; cmd.language = lang; cmd.version = version; cmd.flag |= 2; }
    t.equal(viaOutput(a), encodeCommandToBuffer(b).toString('latin1'), `opaque ${opaque} ${lang} ${version}`);
  }
});

t.test('setExt after sendReply: the extra key is written too', async (t) => {
  const a = sendReply(0, null, 'X', 1, 2, 'R', true);
  a.setExt('extra', 'v');
  const b = general(0, null, 'X', 1, 2, 'R', true);
  b.setExt('extra', 'v');
  t.equal(encodeCommandToBuffer(a).toString('latin1'), encodeCommandToBuffer(b).toString('latin1'));
});
