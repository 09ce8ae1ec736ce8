// KeyedStats: the per-topic / per-group counters behind VIEW_BROKER_STATS_DATA (statsAll).
import t from 'tap';
import { KeyedStats } from '../src/stats.js';

t.test('minute / hour / day windows', async (t) => {
  const s = new KeyedStats();
  const t0 = 1_700_000_000_000;
  t.notOk(s.has('T'));
  t.equal(s.window('T', 60_000, t0), null, 'never counted: no item');
  s.add('T', 4, t0 - 5 * 3_600_000); // five hours ago
  s.add('T', 3, t0 - 30 * 60_000); // half an hour ago
  s.add('T', 2, t0 - 30_000);
  s.add('T', 1, t0);
  t.ok(s.has('T'));
  t.same(s.window('T', 60_000, t0), { sum: 3, times: 2 }, 'last minute');
  t.same(s.window('T', 3_600_000, t0), { sum: 6, times: 3 }, 'last hour');
  t.same(s.window('T', 86_400_000, t0), { sum: 10, times: 4 }, 'last day');
  t.same(s.window('T', 86_400_000, t0 + 25 * 3_600_000), { sum: 0, times: 0 }, 'a day later: all expired');
  s.add('T', 5, t0 + 25 * 3_600_000);
  t.same(s.window('T', 60_000, t0 + 25 * 3_600_000), { sum: 5, times: 1 }, 'reused slots start from zero');
});
