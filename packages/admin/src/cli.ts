#!/usr/bin/env node
// `mq-admin` bin (also `pnpm mq-admin`): see main.ts.
import { run } from './main.js';

const code = await run(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
});
process.exitCode = code;
