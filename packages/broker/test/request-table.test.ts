// The broker's request table in code against its prose copies: the code column of the broker
// README's table and the "broker:" rows of the root README's "Supported requests" table list
// exactly the codes buildRequestTable answers, and every entry carries its RequestCode name.
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { RequestCode } from '@rmq/remoting';
import { buildRequestTable } from '../src/processor/index.js';
import { PopService } from '../src/pop/pop-service.js';
import type { BrokerContext } from '../src/broker-context.js';
import { makeContext as makeAdminContext, tempDir } from './admin-helpers.js';

/** The admin test context plus an (unstarted) POP service, so the POP family registers too. */
function makeContext(root: string): BrokerContext {
  const ctx = makeAdminContext(root);
  return Object.assign(ctx, { popService: new PopService(ctx) });
}

const here = path.dirname(new URL(import.meta.url).pathname);
const brokerReadme = fs.readFileSync(path.join(here, '..', 'README.md'), 'utf8');
const rootReadme = fs.readFileSync(path.join(here, '..', '..', '..', 'README.md'), 'utf8');

/** "13, 14, 15, 29-32" / "10 / 310 / 320" -> the numbers, ranges expanded. */
function codesOf(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/\b(\d+)(?:-(\d+))?\b/g)) {
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    for (let c = a; c <= b; c++) out.push(c);
  }
  return out;
}

const sorted = (xs: Iterable<number>): number[] => [...new Set(xs)].sort((a, b) => a - b);

t.test('every entry is named after its RequestCode', async (t) => {
  const ctx = makeContext(tempDir(t));
  const table = buildRequestTable(ctx);
  t.ok(table.size > 40, `${table.size} requests`);
  for (const [code, { name, handler }] of table) {
    t.equal((RequestCode as Record<string, number>)[name], code, `${code} is ${name}`);
    t.type(handler, 'function');
  }
});

t.test("the broker README's table lists exactly the table's codes", async (t) => {
  const ctx = makeContext(tempDir(t));
  const rows = brokerReadme.split('\n').filter((l) => /^\| [\d]/.test(l));
  t.ok(rows.length > 5, 'table rows found');
  const documented = sorted(rows.flatMap((l) => codesOf(l.split('|')[1]!)));
  t.same(documented, sorted(buildRequestTable(ctx).keys()));
});

t.test("the root README's broker rows list exactly the table's codes (parenthesised codes go to clients)", async (t) => {
  const ctx = makeContext(tempDir(t));
  const section = rootReadme.slice(rootReadme.indexOf('### Supported requests'));
  const rows = section.split('\n').filter((l) => l.startsWith('| broker'));
  t.ok(rows.length >= 4, 'broker rows found');
  const documented = sorted(rows.flatMap((l) => codesOf(l.split('|')[2]!.replace(/\([^)]*\)/g, ''))));
  t.same(documented, sorted(buildRequestTable(ctx).keys()));
});

t.test('a code answered by two families or without a name is refused', async (t) => {
  const ctx = makeContext(tempDir(t));
  const table = buildRequestTable(ctx);
  t.notOk(table.has(RequestCode.WIPE_WRITE_PERM_OF_BROKER), '205 is a name-server code');
  t.notOk(table.has(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER), '206 is a name-server code');
});
