// The request table: which file handles each request code. Every file exports
// `register(server, ctx)`; registerAll wires them into the broker's RemotingServer.
// A code in no file gets REQUEST_CODE_NOT_SUPPORTED (3) from the remoting layer.
//
//   send-message.ts     10 SEND_MESSAGE, 310 SEND_MESSAGE_V2, 320 SEND_BATCH_MESSAGE
//   pull-message.ts     11 PULL_MESSAGE (long polling via longpolling/pull-request-hold-service.ts)
//   query-message.ts    12 QUERY_MESSAGE, 33 VIEW_MESSAGE_BY_ID
//   consumer-manage.ts  13 QUERY_BROKER_OFFSET, 14 QUERY_CONSUMER_OFFSET, 15 UPDATE_CONSUMER_OFFSET,
//                       29 SEARCH_OFFSET_BY_TIMESTAMP, 30 GET_MAX_OFFSET, 31 GET_MIN_OFFSET,
//                       32 GET_EARLIEST_MSG_STORETIME
//   client-manage.ts    34 HEART_BEAT, 35 UNREGISTER_CLIENT, 38 GET_CONSUMER_LIST_BY_GROUP,
//                       46 CHECK_CLIENT_CONFIG
//   send-back.ts        36 CONSUMER_SEND_MSG_BACK
//   end-transaction.ts  37 END_TRANSACTION (check-back 39: transaction/transactional-message-service.ts)
//   lock.ts             41 LOCK_BATCH_MQ, 42 UNLOCK_BATCH_MQ
//   reply-message.ts    324 SEND_REPLY_MESSAGE, 325 SEND_REPLY_MESSAGE_V2 (pushes 326 to the requester)
//   admin-broker.ts     17, 21, 25, 26, 28, 43, 45, 200, 201, 202, 203, 204, 207, 208, 215, 222, 223,
//                       300, 303, 305, 306, 307, 309, 314, 315, 317, 321 (see the file's header)

import type { RemotingServer } from '@rmq/remoting';
import type { BrokerContext } from '../broker-context.js';
import * as sendMessage from './send-message.js';
import * as pullMessage from './pull-message.js';
import * as queryMessage from './query-message.js';
import * as consumerManage from './consumer-manage.js';
import * as clientManage from './client-manage.js';
import * as sendBack from './send-back.js';
import * as endTransaction from './end-transaction.js';
import * as lock from './lock.js';
import * as replyMessage from './reply-message.js';
import * as adminBroker from './admin-broker.js';
import * as popMessage from './pop-message.js';

export function registerAll(server: RemotingServer, ctx: BrokerContext): void {
  sendMessage.register(server, ctx);
  pullMessage.register(server, ctx);
  queryMessage.register(server, ctx);
  consumerManage.register(server, ctx);
  clientManage.register(server, ctx);
  sendBack.register(server, ctx);
  endTransaction.register(server, ctx);
  lock.register(server, ctx);
  replyMessage.register(server, ctx);
  adminBroker.register(server, ctx);
  popMessage.register(server, ctx); // 5.x POP family 200050-200055 (pop-message.ts, state in ../pop)
}

export function unregisterAll(ctx: BrokerContext): void {
  adminBroker.unregister(ctx);
}
