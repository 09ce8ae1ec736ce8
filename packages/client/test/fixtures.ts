// Captured Apache RocketMQ 4.9.8 frames (found by test/helpers/fixtures.ts): each frame's
// decoded JSON header and raw body, for comparing what this client builds with what Java sent.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR } from '../../../test/helpers/fixtures.js';

export { FIXTURES_DIR } from '../../../test/helpers/fixtures.js';

export interface Frame {
  dir: 'c2s' | 's2c';
  code: number;
  flag: number;
  requestCode?: number | null;
  header: { code: number; extFields?: Record<string, string>; remark?: string };
  body: Buffer;
}

export function loadFrames(file: string): Frame[] {
  const data = JSON.parse(readFileSync(path.join(FIXTURES_DIR, file), 'utf8')) as { frames: Array<Frame & { hex: string }> };
  return data.frames.map((f) => {
    const raw = Buffer.from(f.hex, 'hex');
    const headerLen = raw.readUInt32BE(4) & 0xffffff;
    return { dir: f.dir, code: f.code, flag: f.flag, requestCode: f.requestCode ?? null, header: f.header, body: raw.subarray(8 + headerLen) };
  });
}

export function request(file: string, code: number): Frame {
  const f = loadFrames(file).find((x) => x.dir === 'c2s' && x.code === code && (x.flag & 1) === 0);
  if (!f) throw new Error(`no request ${code} in ${file}`);
  return f;
}
