// Store configuration: names and defaults follow Apache RocketMQ's MessageStoreConfig so a broker.conf
// written for Apache maps onto it key for key.
import type { HostAddress } from './record.js';

export interface StoreConfig {
  storePathRootDir: string;
  storePathCommitLog?: string;          // default <root>/commitlog
  mappedFileSizeCommitLog: number;      // 1 GiB
  mappedFileSizeConsumeQueue: number;   // 300000 * 20
  flushDiskType: 'ASYNC_FLUSH' | 'SYNC_FLUSH';
  flushIntervalCommitLog: number;       // ms
  flushIntervalConsumeQueue: number;    // ms
  flushConsumeQueueLeastPages: number;  // a periodic flush writes a queue file once this many 4 KiB pages are dirty
  flushConsumeQueueThoroughInterval: number; // ms: then every dirty queue file is written, however little
  syncFlushTimeout: number;             // ms -> FLUSH_DISK_TIMEOUT
  pageCacheBytesMax: number;            // SharedArrayBuffer pages kept in memory
  pageCacheChunkBytes: number;          // size of one commit log page
  fileReservedTime: number;             // hours
  deleteWhen: string;                   // "04" or "04;05"
  diskMaxUsedSpaceRatio: number;        // percent
  maxMessageSize: number;               // bytes
  messageIndexEnable: boolean;
  maxHashSlotNum: number;
  maxIndexNum: number;
  messageDelayLevel: string;
  checkCRCOnRecover: boolean;
  storeHost: HostAddress;
}

export function defaultStoreConfig(over: Partial<StoreConfig> = {}): StoreConfig {
  const base: StoreConfig = {
    storePathRootDir: `${process.env.HOME ?? '/tmp'}/store`,
    mappedFileSizeCommitLog: 1024 * 1024 * 1024,
    mappedFileSizeConsumeQueue: 300000 * 20,
    flushDiskType: 'ASYNC_FLUSH',
    flushIntervalCommitLog: 500,
    flushIntervalConsumeQueue: 1000,
    flushConsumeQueueLeastPages: 2,
    flushConsumeQueueThoroughInterval: 60000,
    syncFlushTimeout: 5000,
    pageCacheBytesMax: 512 * 1024 * 1024,
    pageCacheChunkBytes: 4 * 1024 * 1024,
    fileReservedTime: 72,
    deleteWhen: '04',
    diskMaxUsedSpaceRatio: 75,
    maxMessageSize: 4 * 1024 * 1024,
    messageIndexEnable: true,
    maxHashSlotNum: 5000000,
    maxIndexNum: 5000000 * 4,
    messageDelayLevel: '1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h',
    checkCRCOnRecover: true,
    storeHost: { ip: '127.0.0.1', port: 10911 },
  };
  return { ...base, ...over };
}

export const storeConfigHelp: Record<string, string> = {
  storePathRootDir: 'root directory of the store (commitlog/, consumequeue/, index/, checkpoint)',
  storePathCommitLog: 'commit log directory (default <storePathRootDir>/commitlog)',
  mappedFileSizeCommitLog: 'size of one commit log file in bytes (1 GiB)',
  mappedFileSizeConsumeQueue: 'size of one consume queue file in bytes (300000 entries x 20)',
  flushDiskType: 'ASYNC_FLUSH (acknowledge once in memory) or SYNC_FLUSH (acknowledge once on disk)',
  flushIntervalCommitLog: 'ASYNC_FLUSH: milliseconds between fdatasync calls on the commit log',
  flushIntervalConsumeQueue: 'milliseconds between writes of consume queue and index pages to disk',
  flushConsumeQueueLeastPages: 'a periodic flush writes and syncs a consume queue file only once this many 4 KiB pages of it are dirty (0: always)',
  flushConsumeQueueThoroughInterval: 'milliseconds between flushes that write every dirty consume queue file (the checkpoint then vouches for all of them)',
  syncFlushTimeout: 'SYNC_FLUSH: milliseconds to wait for the disk before answering FLUSH_DISK_TIMEOUT',
  pageCacheBytesMax: 'upper bound in bytes on commit log pages held in shared memory',
  pageCacheChunkBytes: 'size in bytes of one shared commit log page',
  fileReservedTime: 'hours a commit log file is kept before it may be deleted',
  deleteWhen: 'hour(s) of the day when expired files are deleted, e.g. "04" or "04;05"',
  diskMaxUsedSpaceRatio: 'disk usage percent above which expired files are deleted at any hour',
  maxMessageSize: 'largest message body accepted, in bytes',
  messageIndexEnable: 'build the IndexFile (query by key and unique key)',
  maxHashSlotNum: 'hash slots per index file',
  maxIndexNum: 'entries per index file',
  messageDelayLevel: 'delay levels, used to rebuild delayed messages\' consume queue tags codes on recovery',
  checkCRCOnRecover: 'verify body CRCs when scanning the commit log at start',
  storeHost: 'address written into stored records and offset message ids',
};
