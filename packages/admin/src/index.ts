// @rmq/admin: the mq-admin CLI as a library (run), its subcommand table, and the dashboard.
export { run, EXIT_OK, EXIT_FAILED, EXIT_USAGE } from './main.js';
export type { Io } from './main.js';
export { COMMANDS, topicKind } from './commands.js';
export type { Command, CommandResult } from './commands.js';
export { DashboardApi } from './dashboard/api.js';
export type { ApiRequest, ApiResponse, DashboardOptions, RatesFrame } from './dashboard/api.js';
export { mountDashboard } from './dashboard/mount.js';
export type { MountedDashboard, MountOptions } from './dashboard/mount.js';
export { encodeRatesFrame, decodeRatesFrame } from './dashboard/rates-codec.js';
