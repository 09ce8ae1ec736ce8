// Test helpers: captured 4.9.8 frames (found by test/helpers/fixtures.ts), a name server on
// an ephemeral 127.0.0.1 port, and a raw socket that replays request frames byte for byte.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@rmq/remoting';
import { NamesrvController } from '../src/controller.js';
import type { NamesrvConfig } from '../src/config.js';
import { FIXTURES_DIR } from '../../../test/helpers/fixtures.js';

export interface FixtureFrame {
  dir: 'c2s' | 's2c';
  conn: number;
  peer: string;
  code: number;
  flag: number;
  opaque: number;
  serializeType: number;
  header: Record<string, any>;
  bodyLength: number;
  bodyText?: string;
  hex: string;
}

export { FIXTURES_DIR } from '../../../test/helpers/fixtures.js';

export function fixtureFrames(file: string): FixtureFrame[] {
  return (JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, file), 'utf8')) as { frames: FixtureFrame[] }).frames;
}

/** The body bytes of a captured frame. */
export function frameBody(f: FixtureFrame): Buffer {
  const b = Buffer.from(f.hex, 'hex');
  const headerLength = b.readUInt32BE(4) & 0xffffff;
  return b.subarray(8 + headerLength);
}

export function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'namesrv-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startNamesrv(
  t: { teardown(fn: () => unknown): void },
  over: Partial<NamesrvConfig> = {},
): Promise<NamesrvController> {
  const kvConfigPath = over.kvConfigPath ?? path.join(tempDir(t), 'kvConfig.json');
  const c = new NamesrvController({ listenPort: 0, listenHost: '127.0.0.1', ...over, kvConfigPath }, { logger: silentLogger });
  await c.start();
  t.teardown(() => c.shutdown());
  return c;
}

/** Sends the frames on one socket and collects `expected` whole frames of reply. */
export function replay(port: number, frames: Buffer[], expected: number, timeoutMs = 5000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const out: Buffer[] = [];
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`got ${out.length} of ${expected} replies`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(out);
    };
    socket.on('connect', () => {
      for (const f of frames) socket.write(f);
      if (expected === 0) setTimeout(done, 100);
    });
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const n = 4 + buf.readUInt32BE(0);
        out.push(buf.subarray(0, n));
        buf = buf.subarray(n);
        if (out.length === expected) done();
      }
    });
    socket.on('error', reject);
  });
}
