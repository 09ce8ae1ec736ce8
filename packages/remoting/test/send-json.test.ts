// headers/send-json.ts: the Java client's SEND_MESSAGE_V2 JSON header read in one scan. Every
// captured frame and every variant reads exactly as JSON.parse reads it; what the scan does not take
// goes the JSON.parse way (same result); what JSON.parse rejects stays a frame error.
import t from 'tap';
import { decodeCommand, FrameError } from '../src/codec.js';
import { decodeSendMessageRequestHeaderV2, isBatchSendRequest } from '../src/headers/index.js';
import { frameBytes, loadFixtures } from './fixtures.js';

function frame(header: string, body = Buffer.from('body')): Buffer {
  const h = Buffer.from(header);
  const f = Buffer.alloc(8 + h.length + body.length);
  f.writeInt32BE(4 + h.length + body.length, 0);
  f.writeUInt32BE(h.length, 4);
  h.copy(f, 8);
  body.copy(f, 8 + h.length);
  return f;
}

/** What the JSON.parse path makes of a header text (the reference). */
function reference(header: string) {
  const o = JSON.parse(header) as Record<string, unknown>;
  const ext = (o.extFields ?? null) as Record<string, string> | null;
  return { code: o.code, flag: o.flag ?? 0, language: o.language ?? 'JAVA', opaque: o.opaque ?? 0, version: o.version ?? 0, ext };
}

function check(t: typeof import("tap").default, header: string, scanned: boolean | null, what: string): void {
  const cmd = decodeCommand(frame(header));
  const ref = reference(header);
  if (scanned !== null) t.equal(cmd.decodedSendHeader !== null, scanned, `${what}: ${scanned ? 'scanned' : 'the JSON.parse way'}`);
  const sendHeader = cmd.decodedSendHeader;
  const batch = isBatchSendRequest(cmd);
  t.same({ code: cmd.code, flag: cmd.flag, language: cmd.language, opaque: cmd.opaque, version: cmd.version, ext: cmd.extFields },
    ref, `${what}: same command as JSON.parse gives`);
  if (sendHeader !== null) {
    t.same(sendHeader, decodeSendMessageRequestHeaderV2(ref.ext), `${what}: same send header`);
    t.equal(batch, sendHeader.batch);
  }
}

const javaHeader = (ext: string, opaque = 12, extra = '') =>
  `{"code":310,"extFields":{${ext}},"flag":0,"language":"JAVA","opaque":${opaque}${extra},"serializeTypeCurrentRPC":"JSON","version":409}`;
const EXT = '"a":"PG","b":"TopicTest","c":"TBW102","d":"4","e":"3","f":"0","g":"1700000000123","h":"0",'
  + '"i":"UNIQ_KEY\\u0001AC11000200012A9F\\u0002WAIT\\u0001true","j":"0","k":"false","m":"false","n":"broker-a"';

t.test('every captured Java SEND_MESSAGE_V2 JSON request is scanned and reads as JSON.parse reads it', async (t) => {
  const sends = loadFixtures().flatMap((fx) => fx.frames.map((f) => ({ ...f, file: fx.file })))
    .filter((f) => f.code === 310 && (f.flag & 1) === 0 && f.serializeType === 0);
  t.ok(sends.length >= 5, `${sends.length} captured JSON sends`);
  for (const f of sends) {
    const bytes = frameBytes(f);
    const header = bytes.toString('utf8', 8, 8 + (bytes.readUInt32BE(4) & 0xffffff));
    check(t, header, true, `${f.file} opaque ${f.opaque}`);
  }
});

t.test('variants: the exact form is scanned, the rest goes the JSON.parse way with the same result', async (t) => {
  check(t, javaHeader(EXT), true, 'plain');
  check(t, javaHeader(EXT, -5), true, 'negative opaque');
  check(t, javaHeader(EXT.replace('"m":"false"', '"m":"true"')), true, 'batch');
  check(t, javaHeader(EXT.replace('"j":"0"', '"j":"3","l":"16"')), true, 'retry fields');
  check(t, javaHeader(EXT.replace('TopicTest', 'Tópico-ü')), true, 'non-ASCII topic');
  check(t, javaHeader(EXT.replace('WAIT\\u0001true', 'a\\"b\\\\c\\u0001v')), true, 'quote and backslash in properties');
  check(t, javaHeader(EXT.replace(',"i":"UNIQ_KEY\\u0001AC11000200012A9F\\u0002WAIT\\u0001true"', '')), true, 'no properties');
  check(t, javaHeader('"h":"0","g":"1","f":"0","e":"0","d":"4","c":"TBW102","b":"T","a":"G"'), true, 'other key order');
  check(t, javaHeader(EXT, 7, ',"remark":"r"'), false, 'a remark');
  check(t, javaHeader(EXT + ',"o":"x"'), false, 'an unknown key');
  check(t, javaHeader(EXT.replace('"a":"PG"', '"a":"P\\nG"')), false, 'an escape outside the properties');
  check(t, javaHeader(EXT.replace('WAIT\\u0001true', 'WAIT\\u0003true')), false, 'another \\u escape');
  check(t, javaHeader(EXT.replace('"e":"3"', '"e":" 3"')), false, 'a number the map path must judge');
  check(t, javaHeader(EXT.replace('"h":"0",', '')), false, 'h missing');
  check(t, javaHeader(EXT + ',"a":"again"'), false, 'a repeated key');
  check(t, javaHeader(EXT).replace('"flag":0', '"flag": 0'), false, 'whitespace');
  check(t, javaHeader(EXT).replace('"opaque":12', '"opaque":012'.replace('012', '12.0')), false, 'a fraction');
  check(t, javaHeader(EXT).replace('"version":409', '"version":409,"x":1'), false, 'a key after version');
  check(t, javaHeader(EXT).replace('"language":"JAVA"', '"language":"CPP"'), true, 'another language');
  check(t, javaHeader(EXT).replace('"code":310', '"code":3100'), false, 'another code');
});

t.test('the ext map is built only when asked for; a set map replaces the scanned header', async (t) => {
  const cmd = decodeCommand(frame(javaHeader(EXT)));
  t.ok(cmd.extSrc !== null && cmd.extSrcJson, 'extFields text kept');
  t.equal(cmd.decodedSendHeader!.topic, 'TopicTest');
  t.equal(cmd.extFields!['b'], 'TopicTest');
  t.equal(cmd.extSrc, null, 'built on first read');
  t.not(cmd.decodedSendHeader, null, 'reading the map keeps the scanned header');
  cmd.extFields = { b: 'Other' };
  t.equal(cmd.decodedSendHeader, null, 'setting the map drops it');
});

t.test('what JSON.parse rejects is still a frame error; mutations read as JSON.parse reads them', async (t) => {
  const good = javaHeader(EXT);
  for (const bad of [good.slice(0, -1), good.slice(0, 40), good.replace('"b":"TopicTest"', '"b":"Topic\u0001Test"'), good + ' x']) {
    t.throws(() => decodeCommand(frame(bad)), FrameError, `rejected: ${JSON.stringify(bad.slice(-30))}`);
  }
  // every one-byte change of the header: a frame error exactly when JSON.parse (or the header checks) fails, else the same command
  let scanned = 0, parsed = 0, rejected = 0;
  const bytes = Buffer.from(good);
  const subs = [0x22, 0x5c, 0x2c, 0x7d, 0x31, 0x61, 0x20, 0x01];
  for (let i = 0; i < bytes.length; i++) {
    for (const s of subs) {
      const m = Buffer.from(bytes);
      m[i] = s;
      const text = m.toString('latin1');
      let ref: ReturnType<typeof reference> | null = null;
      try { ref = reference(text); } catch { ref = null; }
      let cmd;
      try { cmd = decodeCommand(frame(text)); } catch (e) {
        if (!(e instanceof FrameError)) t.fail(`not a FrameError at ${i}: ${(e as Error).message}`);
        rejected++;
        continue;
      }
      if (ref === null) { t.fail(`accepted what JSON.parse rejects: ${text}`); continue; }
      if (cmd.decodedSendHeader !== null) scanned++; else parsed++;
      const got = { code: cmd.code, flag: cmd.flag, language: cmd.language, opaque: cmd.opaque, version: cmd.version, ext: cmd.extFields };
      if (JSON.stringify(got) !== JSON.stringify(ref)) t.fail(`differs at ${i} (${s}): ${text}`);
    }
  }
  t.ok(scanned > 0 && parsed > 0 && rejected > 0, `scanned ${scanned}, parsed ${parsed}, rejected ${rejected}`);
});
