// Failover of a two-group cluster (2 name servers, broker-a master+slave, broker-b) with ali-ons: see
// helpers/cluster-failover.ts for the scenario and what is checked.
import t from 'tap';
import { runFailover } from './helpers/cluster-failover.js';

t.setTimeout(240_000);
t.test('failover (ali-ons): name server loss, master kill -9, slave reads, master restart', (t) => runFailover(t, 'ali-ons'));
