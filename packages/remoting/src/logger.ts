// Tiny leveled logger writing one line per event to stderr: the one Logger interface of every package
// (tests silence or capture output through it). The level comes from MQ_LOG_LEVEL
// (debug|info|warn|error|silent); RMQ_CLIENT_LOG, the client's old variable, is read as an alias.
import { format } from 'node:util';

export interface Logger {
  debug(msg: string, ...args: unknown[]): void;
  info(msg: string, ...args: unknown[]): void;
  warn(msg: string, ...args: unknown[]): void;
  error(msg: string, ...args: unknown[]): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** MQ_LOG_LEVEL (or its alias RMQ_CLIENT_LOG) when set to a level name, else `fallback`. */
export function logLevelFromEnv(fallback: LogLevel = 'info'): LogLevel {
  const v = (process.env.MQ_LOG_LEVEL ?? process.env.RMQ_CLIENT_LOG ?? '').toLowerCase();
  return v in LEVEL_RANK ? (v as LogLevel) : fallback;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; stderr by default. Tests pass a collector. */
  sink?: (line: string) => void;
}

export function createLogger(name: string, opts: LoggerOptions = {}): Logger {
  const rank = LEVEL_RANK[opts.level ?? logLevelFromEnv()];
  const sink = opts.sink ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (level: string, levelRank: number, msg: string, args: unknown[]): void => {
    if (levelRank < rank) return;
    const text = args.length > 0 ? format(msg, ...args) : msg;
    sink(`${new Date().toISOString()} ${level} [${name}] ${text}`);
  };
  return {
    debug: (msg, ...args) => emit('DEBUG', 10, msg, args),
    info: (msg, ...args) => emit('INFO', 20, msg, args),
    warn: (msg, ...args) => emit('WARN', 30, msg, args),
    error: (msg, ...args) => emit('ERROR', 40, msg, args),
  };
}

/** A logger that drops everything (for callers that want no output at all). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
