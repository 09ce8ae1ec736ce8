// @rmq/store: CommitLog -> ConsumeQueue / IndexFile, no network code. See docs/design.md.
export { DefaultMessageStore, MessageStore } from './message-store.js';
export type {
  MessageInner, PutStatus, PutResult, GetStatus, GetResult, MessageFilter, QueryResult, Logger,
  StoreTestHooks, NewMessageListener,
} from './store-api.js';
export { PositionWaiters } from './position-waiters.js';
export { BodyPool, BodyLease } from './body-pool.js';
export type { Releasable } from './body-pool.js';
export { InvariantError } from './invariant.js';
export { FLUSH_SOURCE } from './flush-service.js';
export { defaultStoreConfig, storeConfigHelp } from './config.js';
export type { StoreConfig } from './config.js';
export {
  MESSAGE_MAGIC_CODE, BLANK_MAGIC_CODE, SysFlag, bodyCrc, javaHashCode, encodeRecord, decodeRecord, checkRecord,
  recordSize, recordLayout, getProperty, offsetMsgId, hostHex, storeTimestampOffset,
} from './record.js';
export type { StoredMessage, HostAddress, RecordFields } from './record.js';
export { nativeLoaded } from './fsio.js';
export { acquireStoreLock, StoreLockedError } from './store-lock.js';
export type { StoreLock } from './store-lock.js';
export { indexKeyHash, indexFileName } from './index-file.js';
export { offsetFileName } from './commit-log.js';
export { StoreReplication } from './replication.js';
