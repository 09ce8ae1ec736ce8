// mq-admin entry: `mq-admin <subcommand> [options] [--json]`. Exit codes: 0 done, 1 the operation
// failed (broker/name server refused it, nothing reachable, not found), 2 usage error.
import { Admin, MQBrokerError, MQClientError } from '@rmq/client';
import { UsageError, parseArgs } from './args.js';
import { COMMANDS, type Command } from './commands.js';
import { table } from './format.js';

export interface Io {
  out(s: string): void;
  err(s: string): void;
  env?: Record<string, string | undefined>;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

function usage(): string {
  return 'usage: mq-admin <subcommand> [options] [--json]\n\nSubcommands:\n'
    + table(['  name', 'what it does'], COMMANDS.map((c) => [`  ${c.name}`, c.summary]))
    + '\nmq-admin help <subcommand> lists its options. The name server comes from -n or $NAMESRV_ADDR (default 127.0.0.1:9876).\n'
    + 'With ACL on the brokers, sign requests with --accessKey K --secretKey S (or $MQ_ACCESS_KEY / $MQ_SECRET_KEY).\n';
}

function commandHelp(c: Command): string {
  return `usage: mq-admin ${c.name} ${c.options.map((o) => (o.required ? `-${o.short} <${o.long}>` : `[-${o.short} <${o.long}>]`)).join(' ')} [--json]\n${c.summary}\n\n`
    + table(['  option', 'meaning'], c.options.map((o) => [`  -${o.short}, --${o.long}${o.required ? ' (required)' : ''}`, o.help]));
}

/** Global options any subcommand takes: ACL credentials (also $MQ_ACCESS_KEY / $MQ_SECRET_KEY). */
function takeGlobals(argv: readonly string[]): { rest: string[]; accessKey?: string; secretKey?: string } {
  const rest: string[] = [];
  const out: { rest: string[]; accessKey?: string; secretKey?: string } = { rest };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--(accessKey|secretKey)(?:=(.*))?$/.exec(a);
    if (!m) { rest.push(a); continue; }
    const v = m[2] ?? argv[++i];
    if (v === undefined) throw new UsageError(`--${m[1]} needs a value`);
    out[m[1] as 'accessKey' | 'secretKey'] = v;
  }
  return out;
}

export async function run(argv: readonly string[], io: Io): Promise<number> {
  let globals;
  try {
    globals = takeGlobals(argv);
  } catch (e) {
    io.err(`mq-admin: ${(e as Error).message}\n`);
    return EXIT_USAGE;
  }
  const [name, ...rest] = globals.rest;
  if (!name || name === 'help' || name === '-h' || name === '--help') {
    const c = rest[0] ? COMMANDS.find((x) => x.name === rest[0]) : undefined;
    io.out(c ? commandHelp(c) : usage());
    return rest[0] && !c ? EXIT_USAGE : EXIT_OK;
  }
  const cmd = COMMANDS.find((c) => c.name === name) ?? COMMANDS.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (!cmd) {
    io.err(`mq-admin: unknown subcommand "${name}"; \`mq-admin help\` lists them\n`);
    return EXIT_USAGE;
  }
  let parsed;
  try {
    parsed = parseArgs(rest, cmd.options);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`mq-admin ${cmd.name}: ${e.message}\n${commandHelp(cmd)}`);
      return EXIT_USAGE;
    }
    throw e;
  }
  if (parsed.help) { io.out(commandHelp(cmd)); return EXIT_OK; }
  const env = io.env ?? process.env;
  const namesrvAddr = parsed.values['namesrvAddr'] ?? env['NAMESRV_ADDR'] ?? '127.0.0.1:9876';
  const accessKey = globals.accessKey ?? env['MQ_ACCESS_KEY'];
  const secretKey = globals.secretKey ?? env['MQ_SECRET_KEY'];
  if ((accessKey === undefined) !== (secretKey === undefined)) {
    io.err('mq-admin: ACL credentials need both --accessKey and --secretKey (or $MQ_ACCESS_KEY and $MQ_SECRET_KEY)\n');
    return EXIT_USAGE;
  }
  const admin = new Admin({
    namesrvAddr, timeoutMs: Number(env['MQ_ADMIN_TIMEOUT_MS'] ?? 5000),
    ...(accessKey !== undefined ? { credentials: { accessKey, secretKey: secretKey! } } : {}),
  });
  try {
    const r = await cmd.run({ admin, o: parsed.values });
    io.out(parsed.json ? JSON.stringify(r.json, null, 2) + '\n' : r.text);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`mq-admin ${cmd.name}: ${e.message}\n`);
      return EXIT_USAGE;
    }
    const msg = e instanceof MQBrokerError ? `refused: ${e.message}`
      : e instanceof MQClientError ? e.message : (e as Error).message ?? String(e);
    if (parsed.json) io.out(JSON.stringify({ error: msg }) + '\n');
    io.err(`mq-admin ${cmd.name}: ${msg}\n`);
    return EXIT_FAILED;
  } finally {
    await admin.close().catch(() => undefined);
  }
}
