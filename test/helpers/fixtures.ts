// The one place that finds the captured Apache RocketMQ 4.9.8 frames: RMQ_FIXTURES_DIR when set,
// else `<repo root>/../shared/fixtures` (a checkout next to the shared folder), else
// /work/shared/fixtures. Package tests and process-level tests import FIXTURES_DIR from here.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is <root>/test/helpers/fixtures.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function resolveFixturesDir(): string {
  const fromEnv = process.env['RMQ_FIXTURES_DIR'];
  if (fromEnv) return fromEnv;
  const sibling = path.join(REPO_ROOT, '..', 'shared', 'fixtures');
  if (fs.existsSync(sibling)) return sibling;
  return '/work/shared/fixtures';
}

export const FIXTURES_DIR = resolveFixturesDir();

/** Absolute path of one fixture file. */
export function fixturePath(file: string): string {
  return path.join(FIXTURES_DIR, file);
}

/** The parsed JSON of one fixture file ({ frames: [...] } for the captures). */
export function readFixture<T = { frames: unknown[] }>(file: string): T {
  return JSON.parse(fs.readFileSync(fixturePath(file), 'utf8')) as T;
}
