// The client's logger: @rmq/remoting's Logger, quiet by default (warnings and errors to stderr),
// verbose with MQ_LOG_LEVEL=debug|info (RMQ_CLIENT_LOG is still read as an alias). Users pass their
// own with the `logger` option.
import { createLogger, logLevelFromEnv, type LogLevel, type Logger } from '@rmq/remoting';

export type ClientLogger = Logger;

export function createClientLogger(name: string, level: LogLevel = logLevelFromEnv('warn')): ClientLogger {
  return createLogger(name, { level });
}
