// Shared helpers for the store tests: temp dirs, message builders.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DefaultMessageStore, MessageStore, defaultStoreConfig, type MessageInner, type StoreConfig } from '../src/index.js';

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rmq-store-${tag}-`));
}

export function props(p: Record<string, string>): string {
  return Object.entries(p).map(([k, v]) => `${k}\u0001${v}`).join('\u0002') + (Object.keys(p).length ? '\u0002' : '');
}

export function msg(topic: string, queueId: number, body: string | Buffer, p: Record<string, string> = {}, over: Partial<MessageInner> = {}): MessageInner {
  return {
    topic, queueId, flag: 0, body: typeof body === 'string' ? Buffer.from(body) : body, properties: props(p),
    sysFlag: 0, bornTimestamp: 1700000000000, bornHost: { ip: '10.0.0.7', port: 54321 }, reconsumeTimes: 0,
    preparedTransactionOffset: 0, ...over,
  };
}

export const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

export function smallConfig(root: string, over: Partial<StoreConfig> = {}): StoreConfig {
  return defaultStoreConfig({
    storePathRootDir: root, mappedFileSizeCommitLog: 64 * 1024, mappedFileSizeConsumeQueue: 100 * 20,
    pageCacheChunkBytes: 16 * 1024, pageCacheBytesMax: 1024 * 1024, maxHashSlotNum: 64, maxIndexNum: 256,
    flushIntervalCommitLog: 20, flushIntervalConsumeQueue: 50, maxMessageSize: 16 * 1024, ...over,
  });
}

export async function openStore(root: string, over: Partial<StoreConfig> = {}): Promise<DefaultMessageStore> {
  return MessageStore.open(smallConfig(root, over), quietLogger);
}

export async function waitFor(cond: () => boolean, ms = 30000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until everything appended is on disk and dispatched. */
export async function settle(store: { runtimeInfo(): Record<string, string>; dispatchBehindBytes(): number }): Promise<void> {
  await waitFor(() => {
    const i = store.runtimeInfo();
    return i.commitLogFlushedOffset === i.commitLogMaxOffset && store.dispatchBehindBytes() === 0 && i.indexBehindBytes === '0';
  });
}
