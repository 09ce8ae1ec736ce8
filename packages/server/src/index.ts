// @rmq/server: the mq-server command (cli.ts) and its configuration parser.
export {
  buildKeyTable, ConfigError, formatHelp, modes, namesrvKeyAliases, parseArgs, resolveConfig, usage,
  type CliArgs, type Component, type ComponentSource, type ConfigSources, type KeyTarget, type Mode, type ResolvedConfig,
} from './config.js';
