// Helpers for the admin/query processor tests: captured 4.9.8 frames, a broker context made of the
// real metadata managers over an in-memory store, and "shape" comparison of fastjson bodies
// (key names and order, value types, object map keys) that ignores volatile values.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  RemotingCommand, decodeCommand, parseFastJson, silentLogger, type Channel, type Processor,
} from '@rmq/remoting';
import type { BrokerContext } from '../src/broker-context.js';
import { defaultBrokerConfig, type BrokerConfig } from '../src/config.js';
import { TopicConfigManager } from '../src/topic/topic-config-manager.js';
import { SubscriptionGroupManager } from '../src/subscription/subscription-group-manager.js';
import { ConsumerOffsetManager } from '../src/offset/consumer-offset-manager.js';
import { ConsumerManager } from '../src/client/consumer-manager.js';
import { ProducerManager } from '../src/client/producer-manager.js';
import { BrokerStats } from '../src/stats.js';
import { RuntimeSampler } from '../src/runtime/runtime-sampler.js';
import { BrokerConfigState } from '../src/runtime/broker-config-state.js';

export { FIXTURES_DIR } from '../../../test/helpers/fixtures.js';

export interface FixtureFrame {
  dir: 'c2s' | 's2c'; conn: number; peer: string; code: number; flag: number; opaque: number;
  requestCode?: number | null; header: Record<string, unknown>; bodyLength: number; bodyText?: string; hex: string;
}

export function fixtureFrames(file: string): FixtureFrame[] {
  return (JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, file), 'utf8')) as { frames: FixtureFrame[] }).frames;
}

/** The broker-side request with `code` and its reply, decoded. */
export function exchange(file: string, code: number): { req: RemotingCommand; res: RemotingCommand; resHex: Buffer; reqFrame: FixtureFrame; resFrame: FixtureFrame } {
  const frames = fixtureFrames(file).filter((f) => f.peer === 'broker');
  const reqFrame = frames.find((f) => f.dir === 'c2s' && f.code === code);
  if (!reqFrame) throw new Error(`${file}: no request ${code}`);
  const resFrame = frames.find((f) => f.dir === 's2c' && f.requestCode === code && f.opaque === reqFrame.opaque);
  if (!resFrame) throw new Error(`${file}: no reply to ${code}`);
  const resHex = Buffer.from(resFrame.hex, 'hex');
  return { req: decodeCommand(Buffer.from(reqFrame.hex, 'hex')), res: decodeCommand(resHex), resHex, reqFrame, resFrame };
}

/** The JSON header text of a whole frame. */
export function headerText(frame: Buffer): string {
  const len = frame.readUInt32BE(4) & 0xffffff;
  return frame.toString('utf8', 8, 8 + len);
}

/** Structure of a parsed fastjson value: key order, value kinds, object map keys (parsed). */
export function shape(v: unknown): unknown {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? [] : [shape(v[0])];
  if (typeof v === 'object') {
    const out: Array<[string, unknown]> = [];
    const keys = Object.keys(v as object);
    // A map keyed by objects: one entry's shape stands for all.
    if (keys.length > 0 && keys.every((k) => k.startsWith('{'))) {
      return { '<objectKey>': shape(parseFastJson(keys[0]!)), '<value>': shape((v as Record<string, unknown>)[keys[0]!]) };
    }
    for (const k of keys) out.push([k, shape((v as Record<string, unknown>)[k])]);
    return out;
  }
  return typeof v;
}

export function bodyJson(cmd: RemotingCommand): any {
  const b = cmd.bodyBuffer();
  if (b === null) return null;
  return parseFastJson(b.toString('utf8'));
}

// ------------------------------------------------------------------ in-memory store

/** The broker tests' one in-memory MessageStore. */
import { MemoryStore } from './helpers/memory-store.js';
import { FIXTURES_DIR } from '../../../test/helpers/fixtures.js';
export { MemoryStore };

// ------------------------------------------------------------------ context

export interface TestContext extends BrokerContext {
  store: MemoryStore;
  registered: boolean[];
}

export function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'broker-admin-test-'));
  // A manager's debounced persist may still be writing topics.json.tmp when the test ends: retry.
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }));
  return dir;
}

export function makeContext(root: string, over: Partial<BrokerConfig> = {}): TestContext {
  const config = defaultBrokerConfig({ listenPort: 20911, namesrvAddr: '', ...over });
  const registered: boolean[] = [];
  const stats = new BrokerStats();
  const ctx = {
    config,
    storeConfig: { storePathRootDir: root, mappedFileSizeCommitLog: 64 * 1024 * 1024, flushDiskType: 'ASYNC_FLUSH' },
    store: new MemoryStore(),
    logger: silentLogger,
    topicConfigManager: new TopicConfigManager(config, root),
    subscriptionGroupManager: new SubscriptionGroupManager(config, root),
    consumerOffsetManager: new ConsumerOffsetManager(root),
    consumerManager: new ConsumerManager(silentLogger),
    producerManager: new ProducerManager(silentLogger),
    scheduleMessageService: { encode: () => '{"offsetTable":{1:0,2:1}}' },
    stats,
    runtimeSampler: new RuntimeSampler(stats),
    configState: new BrokerConfigState(),
    brokerAddr: `127.0.0.1:${config.listenPort}`,
    storeHost: { ip: '127.0.0.1', port: config.listenPort },
    bootTimestamp: Date.now() - 1000,
    registered,
    registerBrokerAll: async (oneway: boolean) => { registered.push(oneway); },
  };
  return ctx as unknown as TestContext;
}

/** Collects what a processor file registers, so tests call handlers directly. */
export function processors(requests: (ctx: BrokerContext) => ReadonlyMap<number, Processor>,
  ctx: BrokerContext): (req: RemotingCommand, ch?: Channel) => Promise<RemotingCommand> {
  const table = requests(ctx);
  return async (req, ch = fakeChannel()) => {
    const p = table.get(req.code);
    if (!p) throw new Error(`no processor for ${req.code}`);
    const res = await p(req, ch);
    if (!res) throw new Error('no reply');
    res.opaque = req.opaque;
    return res;
  };
}

export function fakeChannel(remoteAddress = '127.0.0.1:50000'): Channel & { oneway: RemotingCommand[]; invoked: RemotingCommand[]; answerInvoke?: (c: RemotingCommand) => RemotingCommand } {
  const ch = {
    id: Math.floor(Math.random() * 1e9), remoteAddress, localAddress: '127.0.0.1:20911', closed: false,
    attrs: new Map<string, unknown>(), oneway: [] as RemotingCommand[], invoked: [] as RemotingCommand[],
    answerInvoke: undefined as undefined | ((c: RemotingCommand) => RemotingCommand),
    send() {},
    reply() {},
    invoke(cmd: RemotingCommand) {
      ch.invoked.push(cmd);
      if (!ch.answerInvoke) return Promise.reject(new Error('no reply configured'));
      return Promise.resolve(ch.answerInvoke(cmd));
    },
    invokeOneway(cmd: RemotingCommand) { ch.oneway.push(cmd); },
    close() { ch.closed = true; },
  };
  return ch;
}

export function request(code: number, ext: Record<string, string | number | boolean> | null = null, body: Buffer | null = null): RemotingCommand {
  return RemotingCommand.request(code, ext, body);
}
