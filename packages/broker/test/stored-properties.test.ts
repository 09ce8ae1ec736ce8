// storedProperties (the send path's WAIT removal and CLUSTER append) against the general property
// functions it short-cuts, over properties strings of every shape a producer can send.
import t from 'tap';
import { storedProperties } from '../src/processor/send-message.js';
import { putProperty, removeProperty } from '../src/common/properties.js';

/** The definition: drop WAIT, set CLUSTER, no trailing separator. */
function reference(props: string, cluster: string): string {
  let p = props.indexOf('WAIT\u0001') >= 0 ? removeProperty(props, 'WAIT') : props;
  if (p.indexOf('CLUSTER\u0001') >= 0) return putProperty(p, 'CLUSTER', cluster);
  p = p.replace(/\u0002+$/, '');
  return p.length === 0 ? 'CLUSTER\u0001' + cluster : p + '\u0002CLUSTER\u0001' + cluster;
}

const S = '\u0002', N = '\u0001';
const cases = [
  '', 'WAIT' + N + 'true', 'UNIQ_KEY' + N + 'AB' + S + 'WAIT' + N + 'true', 'UNIQ_KEY' + N + 'AB' + S + 'WAIT' + N + 'true' + S,
  'WAIT' + N + 'false' + S + 'TAGS' + N + 'a', 'TAGS' + N + 'a' + S + 'WAIT' + N + 'true' + S + 'KEYS' + N + 'k',
  'KEYS' + N + 'xWAIT' + N + 'y', 'KEYS' + N + 'xWAIT' + N + 'y' + S + 'WAIT' + N + 'true', 'NOWAIT' + N + '1' + S + 'WAIT' + N + 'true',
  'TAGS' + N + 'a' + S + S, 'CLUSTER' + N + 'old' + S + 'WAIT' + N + 'true', 'UNIQ_KEY' + N + 'AB' + S + 'CLUSTER' + N + 'old',
  'A' + N + 'é' + S + 'WAIT' + N + 'true', 'WAIT' + N, S + 'WAIT' + N + 'true',
];

t.test('storedProperties = the general functions, for every shape and two clusters', async (t) => {
  for (const cluster of ['DefaultCluster', 'other', 'DefaultCluster']) {
    for (const p of cases) t.equal(storedProperties(p, cluster), reference(p, cluster), JSON.stringify([p, cluster]));
  }
});
