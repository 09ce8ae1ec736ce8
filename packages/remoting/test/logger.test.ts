// One log-level variable: MQ_LOG_LEVEL, with the client's old RMQ_CLIENT_LOG read as an alias.
import t from 'tap';
import { createLogger, logLevelFromEnv } from '../src/logger.js';

function withEnv(env: Record<string, string | undefined>, fn: () => void): void {
  const saved = { MQ_LOG_LEVEL: process.env.MQ_LOG_LEVEL, RMQ_CLIENT_LOG: process.env.RMQ_CLIENT_LOG };
  for (const [k, v] of Object.entries(env)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  try { fn(); } finally {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
}

t.test('MQ_LOG_LEVEL wins, RMQ_CLIENT_LOG is an alias, the fallback applies otherwise', async (t) => {
  withEnv({ MQ_LOG_LEVEL: 'debug', RMQ_CLIENT_LOG: 'error' }, () => t.equal(logLevelFromEnv('warn'), 'debug'));
  withEnv({ MQ_LOG_LEVEL: undefined, RMQ_CLIENT_LOG: 'info' }, () => t.equal(logLevelFromEnv('warn'), 'info'));
  withEnv({ MQ_LOG_LEVEL: undefined, RMQ_CLIENT_LOG: undefined }, () => t.equal(logLevelFromEnv('warn'), 'warn'));
  withEnv({ MQ_LOG_LEVEL: 'loud', RMQ_CLIENT_LOG: undefined }, () => t.equal(logLevelFromEnv(), 'info', 'unknown names fall back'));
});

t.test('lines below the level are dropped', async (t) => {
  const lines: string[] = [];
  const log = createLogger('x', { level: 'warn', sink: (l) => lines.push(l) });
  log.info('hidden');
  log.warn('shown %d', 1);
  t.equal(lines.length, 1);
  t.match(lines[0], /WARN \[x\] shown 1$/);
});
