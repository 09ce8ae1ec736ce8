import t from 'tap';
import { FastJsonMap, parseFastJson, stringifyFastJson, FastJsonError } from '../src/fastjson.js';
import { decodeCommand } from '../src/codec.js';
import { frameBytes, loadFixtures } from './fixtures.js';

const fixtures = loadFixtures();
const frames = fixtures.flatMap((fx) => fx.frames.map((f) => ({ ...f, file: fx.file })));

t.test('every JSON-looking fixture body parses', async (t) => {
  let n = 0;
  for (const f of frames) {
    const text = f.bodyText;
    if (text === undefined || !/^[[{]/.test(text)) continue;
    try {
      const v = parseFastJson(text);
      t.type(v, 'object');
      n++;
    } catch (e) {
      t.fail(`${f.file} code ${f.code}: ${(e as Error).message}`);
    }
  }
  t.ok(n > 100, `${n} bodies parsed`);
});

t.test('106 cluster info: unquoted integer map keys', async (t) => {
  const f = frames.find((x) => x.file === 'admin-cluster-list.json' && x.requestCode === 106)!;
  t.match(f.bodyText!, /\{0:"/);
  const v = parseFastJson(f.bodyText!);
  t.same(v.brokerAddrTable['broker-a'].brokerAddrs, { 0: '127.0.0.1:20911' });
  t.equal(v.brokerAddrTable['broker-a'].brokerAddrs['0'], '127.0.0.1:20911');
  t.same(v.clusterAddrTable, { DefaultCluster: ['broker-a'] });
});

t.test('202 and 208: object map keys become their JSON text', async (t) => {
  const stats = parseFastJson(frames.find((x) => x.requestCode === 202)!.bodyText!);
  const keys = Object.keys(stats.offsetTable);
  t.equal(keys.length, 4);
  t.equal(keys[0], '{"brokerName":"broker-a","queueId":0,"topic":"FixtureTopic"}');
  t.same(JSON.parse(keys[3]!), { brokerName: 'broker-a', queueId: 3, topic: 'FixtureTopic' });
  t.equal(stats.offsetTable[keys[0]!].maxOffset, 4);
  const consume = parseFastJson(frames.find((x) => x.requestCode === 208)!.bodyText!);
  t.equal(consume.consumeTps, 0);
  const k = Object.keys(consume.offsetTable)[0]!;
  t.same(Object.keys(consume.offsetTable[k]).sort(), ['brokerOffset', 'consumerOffset', 'lastTimestamp']);
});

t.test('superset syntax and errors', async (t) => {
  t.same(parseFastJson('{ 0 : "a" , -1:"b", 12:{3:[1,2.5,-3e2,true,false,null]} }'), { 0: 'a', '-1': 'b', 12: { 3: [1, 2.5, -300, true, false, null] } });
  t.same(parseFastJson('{{"a":1,"b":[1]}:{"x":"\\u0041\\n"}}'), { '{"a":1,"b":[1]}': { x: 'A\n' } });
  t.same(parseFastJson('{[1,2]:3}'), { '[1,2]': 3 });
  t.same(parseFastJson('{bare:1}'), { bare: 1 });
  const p = parseFastJson('{__proto__:1,1:2}');
  t.equal(Object.getPrototypeOf(p), Object.prototype);
  for (const bad of ['{0:', '{0 "a"}', '[1,', '{"a":tru}', '{"a":1}x', '{"a":"b', '{:1}', '{"a":-}', '']) {
    t.throws(() => parseFastJson(bad), FastJsonError, JSON.stringify(bad));
  }
  t.throws(() => parseFastJson('{0:' + '['.repeat(2000) + ']'.repeat(2000) + '}'), FastJsonError, 'deep nesting is refused');
});

t.test('stringifyFastJson writes what fastjson writes', async (t) => {
  const route = {
    brokerDatas: [{ brokerAddrs: new FastJsonMap([[0, '127.0.0.1:10911']]), brokerName: 'broker-a', cluster: 'DefaultCluster' }],
    filterServerTable: {},
    queueDatas: [{ brokerName: 'broker-a', perm: 6, readQueueNums: 4, topicSysFlag: 0, writeQueueNums: 4 }],
  };
  t.equal(
    stringifyFastJson(route),
    '{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}',
  );
  const table = new FastJsonMap().set({ brokerName: 'b', queueId: 0, topic: 't' }, 12).set('s', new Map([[1n, null]]));
  t.equal(stringifyFastJson({ offsetTable: table, u: undefined, n: NaN, arr: [undefined, 1] }), '{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:12,"s":{1:null}},"n":null,"arr":[null,1]}');
  // whatever we write, we read back
  const body = frames.find((x) => x.requestCode === 202)!.bodyText!;
  const parsed = parseFastJson(body);
  const rewritten = stringifyFastJson({
    offsetTable: new FastJsonMap(Object.entries(parsed.offsetTable).map(([k, v]) => [JSON.parse(k), v])),
  });
  t.equal(rewritten, body, '202 body re-emitted byte for byte');
  t.same(parseFastJson(rewritten), parsed);
  // same for a cluster-info body with integer keys
  const ci = frames.find((x) => x.requestCode === 106 && x.file === 'admin-cluster-list.json')!.bodyText!;
  const cp = parseFastJson(ci);
  const ba = cp.brokerAddrTable['broker-a'];
  t.equal(
    stringifyFastJson({ brokerAddrTable: { 'broker-a': { ...ba, brokerAddrs: new FastJsonMap(Object.entries(ba.brokerAddrs).map(([k, v]) => [Number(k), v])) } }, clusterAddrTable: cp.clusterAddrTable }),
    ci,
  );
});

t.test('fixture header and body bytes agree with decode', async (t) => {
  // the body of the 103 registration is fastjson; check it parses through the codec path too
  const reg = frames.find((x) => x.code === 103 && x.dir === 'c2s')!;
  const cmd = decodeCommand(frameBytes(reg));
  const v = parseFastJson(cmd.bodyBuffer()!.toString('utf8'));
  t.ok(v.topicConfigSerializeWrapper ?? v.topicConfigTable ?? v, 'register body parsed');
});
