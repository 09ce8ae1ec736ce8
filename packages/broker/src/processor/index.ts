// The broker's request table: request code -> { name, handler }, composed of one family per
// processor file (each exports `requests(ctx)`). The controller registers every entry on its
// RemotingServer in one loop; a code in no family gets REQUEST_CODE_NOT_SUPPORTED (3) from the
// remoting layer. A new family (pop, ha admin, acl admin) adds one file and one line in FAMILIES.
// The README's "Supported requests" table lists the same codes (test/request-table.test.ts checks it).
import { requestCodeName, type Processor } from '@rmq/remoting';
import type { BrokerContext } from '../broker-context.js';
import { familyOf, type RequestFamily } from './request-family.js';
import * as sendMessage from './send-message.js';
import * as pullMessage from './pull-message.js';
import * as queryMessage from './query-message.js';
import * as consumerManage from './consumer-manage.js';
import * as clientManage from './client-manage.js';
import * as sendBack from './send-back.js';
import * as endTransaction from './end-transaction.js';
import * as lock from './lock.js';
import * as replyMessage from './reply-message.js';
import * as adminBroker from './admin/index.js';
import * as popMessage from './pop-message.js';

export type { RequestFamily } from './request-family.js';

export interface RequestEntry {
  /** The RequestCode name ("SEND_MESSAGE_V2"). */
  readonly name: string;
  readonly handler: Processor;
}

export type RequestTable = Map<number, RequestEntry>;

/** Family name -> its requests for one broker context. */
const FAMILIES: ReadonlyArray<readonly [string, (ctx: BrokerContext) => RequestFamily]> = [
  ['send-message', (ctx) => familyOf((server) => sendMessage.register(server, ctx))],
  ['pull-message', pullMessage.requests],
  ['query-message', queryMessage.requests],
  ['consumer-manage', consumerManage.requests],
  ['client-manage', clientManage.requests],
  ['send-back', sendBack.requests],
  ['end-transaction', endTransaction.requests],
  ['lock', lock.requests],
  ['reply-message', replyMessage.requests],
  ['admin', adminBroker.requests],
  ['pop-message', (ctx) => familyOf((server) => popMessage.register(server, ctx))], // 5.x POP family 200050-200055 (pop-message.ts, state in ../pop)
];

/** Every request the broker answers. Throws when a family registers a code without a RequestCode name, or a code twice. */
export function buildRequestTable(ctx: BrokerContext): RequestTable {
  const table: RequestTable = new Map();
  const owner = new Map<number, string>();
  for (const [family, build] of FAMILIES) {
    for (const [code, handler] of build(ctx)) {
      const name = requestCodeName(code);
      if (name === undefined) throw new Error(`request family ${family}: code ${code} has no RequestCode name`);
      const other = owner.get(code);
      if (other !== undefined) throw new Error(`request ${name} (${code}) is in families ${other} and ${family}`);
      owner.set(code, family);
      table.set(code, { name, handler });
    }
  }
  return table;
}
