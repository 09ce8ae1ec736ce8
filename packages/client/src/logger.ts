// The client's logger: quiet by default (warnings and errors to stderr), verbose with
// RMQ_CLIENT_LOG=debug|info. Users pass their own with the `logger` option.
export interface ClientLogger {
  debug(msg: string, ...a: unknown[]): void;
  info(msg: string, ...a: unknown[]): void;
  warn(msg: string, ...a: unknown[]): void;
  error(msg: string, ...a: unknown[]): void;
}

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 } as const;

export function createClientLogger(name: string, level: keyof typeof LEVELS = (process.env['RMQ_CLIENT_LOG'] as keyof typeof LEVELS) ?? 'warn'): ClientLogger {
  const min = LEVELS[level] ?? LEVELS.warn;
  const out = (l: keyof typeof LEVELS) => (msg: string, ...a: unknown[]) => {
    if (LEVELS[l] < min) return;
    console.error(`${new Date().toISOString()} ${l.toUpperCase()} [${name}] ${msg}`, ...a);
  };
  return { debug: out('debug'), info: out('info'), warn: out('warn'), error: out('error') };
}
