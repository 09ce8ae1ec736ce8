#!/usr/bin/env node
// Load driver for any RocketMQ 4.x protocol server, through @rmq/client. See perf/README.md.
//   node perf/dist/run.js produce-1k --duration 10s --spawn-broker
//   node perf/dist/run.js --scenario both --namesrv 127.0.0.1:9876 --count 1m --broker-pid 1234
//   node perf/dist/run.js profile-summary <file.cpuprofile>      (top functions of a CPU profile)
//   node perf/dist/run.js table [results dir ...]                 (markdown table of summary.json files)
// Exit code: 0 ok, 1 run failed or verification failed, 2 bad options.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { helpText, OptionError, parseArgs } from './lib/options.js';
import { loadClient } from './lib/client.js';
import { runDriver } from './lib/driver.js';
import { profileReport } from './lib/cpuprofile.js';
import { terminateSpawned } from './lib/broker.js';
import { summaryTable } from './lib/table.js';

const perfDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');   // perf/ (this file runs from perf/dist)
const repoRoot = resolve(perfDir, '..');

/** A scenario reference: a path to a JSON file, or a name in perf/scenarios/ (with or without .json). */
export function readScenario(ref: string): { path: string; data: Record<string, unknown> } {
  const candidates = [ref, `${ref}.json`, join(perfDir, 'scenarios', ref), join(perfDir, 'scenarios', `${ref}.json`)];
  const path = candidates.find((c) => existsSync(c) && c.endsWith('.json'));
  if (!path) throw new OptionError(`scenario '${ref}' not found (looked in perf/scenarios/)`);
  try {
    return { path, data: JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> };
  } catch (e) {
    throw new OptionError(`${path}: ${(e as Error).message}`);
  }
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'profile-summary') {
    if (!argv[1]) { console.error('usage: run.js profile-summary <file.cpuprofile>'); return 2; }
    console.log(profileReport(argv[1], repoRoot, Number(argv[2] ?? 30)));
    return 0;
  }
  if (argv[0] === 'table') {
    console.log(summaryTable(argv.slice(1).length ? argv.slice(1) : [join(perfDir, 'results')]));
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs(argv, readScenario);
  } catch (e) {
    if (e instanceof OptionError) { console.error(`error: ${e.message}\n\n${helpText()}`); return 2; }
    throw e;
  }
  if (parsed.help) { console.log(helpText()); return 0; }
  const command = ['node perf/dist/run.js', ...argv].join(' ');
  const { summary } = await runDriver(parsed.options, { loadClient: () => loadClient(), repoRoot }, command);
  if (summary.verify && !summary.verify.passed) return 1;
  return 0;
}

let stopping = false;
process.on('SIGINT', () => {
  if (stopping) process.exit(130);
  stopping = true;
  console.error('\ninterrupted: stopping any spawned server (Ctrl-C again to quit at once)');
  terminateSpawned();
  setTimeout(() => process.exit(130), 3000).unref();
});

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; setTimeout(() => process.exit(code), 100).unref(); },
  (e: unknown) => { console.error(`perf: ${(e as Error).stack ?? String(e)}`); process.exit(1); },
);
