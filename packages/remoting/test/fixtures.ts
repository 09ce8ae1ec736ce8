// Loads the captured 4.9.8 frames (directory found by test/helpers/fixtures.ts).
import fs from 'node:fs';
import path from 'node:path';
import { FIXTURES_DIR } from '../../../test/helpers/fixtures.js';

export interface FixtureFrame {
  dir: 'c2s' | 's2c';
  conn: number;
  code: number;
  flag: number;
  opaque: number;
  serializeType: number;
  requestCode?: number | null;
  header: Record<string, unknown>;
  bodyLength: number;
  bodyText?: string;
  hex: string;
}

export interface FixtureFile {
  file: string;
  frames: FixtureFrame[];
}

export { FIXTURES_DIR } from '../../../test/helpers/fixtures.js';

export function loadFixtures(): FixtureFile[] {
  return fs
    .readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, frames: (JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, file), 'utf8')) as { frames: FixtureFrame[] }).frames }));
}

export function frameBytes(f: FixtureFrame): Buffer {
  return Buffer.from(f.hex, 'hex');
}
