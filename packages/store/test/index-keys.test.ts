// Index keys hashed straight from a record's bytes (the dispatch worker's path) against the string
// path (messageIndexKeys + indexKeyHash), and queries by key through a store for both paths.
import t from 'tap';
import { indexKeyHash, messageIndexHashes, messageIndexKeys } from '../src/index-core.js';
import { decodeRecord } from '../src/index.js';
import { msg, openStore, settle, tmpDir } from './helpers.js';

t.test('messageIndexHashes = indexKeyHash of each messageIndexKeys key, or false for non-ASCII', async (t) => {
  const props = [
    'UNIQ_KEY\u0001AC110002000118B4AAC2\u0002CLUSTER\u0001DefaultCluster',
    'KEYS\u0001k1 k2  k3\u0002UNIQ_KEY\u0001U1\u0002TAGS\u0001a',
    'UNIQ_KEY\u0001\u0002KEYS\u0001 \u0002', // empty values: no keys
    'TAGS\u0001x', 'KEYS\u0001only', 'XKEYS\u0001no\u0002UNIQ_KEYX\u0001no', 'KEYS', 'UNIQ_KEY\u0001tail-no-separator',
    '', 'KEYS\u0001a\u0001b\u0002', // a value with a 0x01 in it
  ];
  for (const topic of ['TopicTest', 'a', '%RETRY%g']) {
    for (const p of props) {
      const buf = Buffer.from(topic + p);
      const hashes: number[] = [];
      t.ok(messageIndexHashes(buf, 0, Buffer.byteLength(topic), Buffer.byteLength(topic), buf.length - Buffer.byteLength(topic), hashes));
      t.same(hashes, messageIndexKeys(topic, p, []).map(indexKeyHash), `${topic} ${JSON.stringify(p)}`);
    }
  }
  for (const [topic, p] of [['Tópico', 'UNIQ_KEY\u0001u'], ['T', 'KEYS\u0001clé'], ['T', 'UNIQ_KEY\u0001ü']]) {
    const buf = Buffer.from(topic + p);
    const tl = Buffer.byteLength(topic);
    t.equal(messageIndexHashes(buf, 0, tl, tl, buf.length - tl, []), false, `non-ASCII ${topic} ${p}: the string path`);
  }
});

t.test('queries by key find messages indexed from bytes (ASCII) and from strings (non-ASCII)', async (t) => {
  const store = await openStore(tmpDir('index-keys'));
  t.teardown(() => store.shutdown());
  const keys = ['plain-1', 'plain-2', 'clé-3', 'ключ-4'];
  for (const [i, k] of keys.entries()) {
    const r = await store.putMessage(msg(i % 2 === 0 ? 'IdxTopic' : 'Tópico', 0, `body-${i}`, { KEYS: `${k} other-${i}`, UNIQ_KEY: `U${i}` }));
    t.equal(r.status, 'PUT_OK');
  }
  await settle(store);
  for (const [i, k] of keys.entries()) {
    const topic = i % 2 === 0 ? 'IdxTopic' : 'Tópico';
    for (const key of [k, `other-${i}`, `U${i}`]) {
      const found = store.queryMessage(topic, key, 10, 0, Date.now() + 1000).buffers.map((b) => decodeRecord(b).body.toString());
      t.same(found, [`body-${i}`], `${topic} ${key}`);
    }
  }
});
