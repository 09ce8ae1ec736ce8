#!/usr/bin/env node
// mq-server: runs a name server, a broker, or both (standalone) in one process.
//   mq-server [standalone|namesrv|broker] [-c FILE] [--key=value ...] [--help]
// Exit codes: 0 clean shutdown (SIGINT/SIGTERM), 1 runtime failure (port in use, ...), 2 bad config.
import { createLogger, type Logger } from '@rmq/remoting';
import { defaultNamesrvConfig, namesrvConfigHelp, NamesrvController, type NamesrvConfig } from '@rmq/namesrv';
import {
  ConfigError, formatHelp, parseArgs, resolveConfig, usage, type Component, type ConfigSources,
} from './config.js';

interface Stoppable {
  shutdown(): Promise<void>;
}

interface BrokerModule {
  BrokerController: new (b: any, s: any, opts?: { logger?: unknown }) => Stoppable & { start(): Promise<void>; readonly port: number };
  defaultBrokerConfig(over?: object): Record<string, unknown>;
  brokerConfigHelp?: Record<string, string>;
}

interface StoreModule {
  defaultStoreConfig(over?: object): Record<string, unknown>;
  storeConfigHelp?: Record<string, string>;
}

/**
 * The broker and store packages are imported dynamically so this package builds and runs (name
 * server only) before they exist. The specifier is a variable so tsc does not resolve it.
 */
async function importOptional<T>(specifier: string, check: (m: any) => boolean): Promise<{ mod: T | null; why: string }> {
  try {
    const mod = await import(specifier);
    return check(mod) ? { mod: mod as T, why: '' } : { mod: null, why: `${specifier} does not export what mq-server needs yet` };
  } catch (e) {
    return { mod: null, why: `${specifier} cannot be loaded (${(e as Error).message.split('\n')[0]})` };
  }
}

/**
 * Component logger; listen failures are dropped because main() reports them itself, in one line
 * (the remoting server also logs its socket errors).
 */
function componentLogger(name: string): Logger {
  const inner = createLogger(name);
  return { ...inner, error: (msg, ...a) => (msg.startsWith('server error: listen ') ? undefined : inner.error(msg, ...a)) };
}

function fail(message: string, exitCode: number): never {
  process.stderr.write(`mq-server: ${message}\n`);
  process.exit(exitCode);
}

function listenError(what: string, host: string, port: unknown, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const reason = err.code === 'EADDRINUSE' ? 'address already in use'
    : err.code === 'EACCES' ? 'permission denied' : err.message;
  return `${what} cannot listen on ${host}:${port}: ${reason}`;
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    fail(`${(e as Error).message}\n${usage}`, 2);
  }

  const [store, broker] = await Promise.all([
    importOptional<StoreModule>('@rmq/store', (m) => typeof m.defaultStoreConfig === 'function'),
    importOptional<BrokerModule>('@rmq/broker',
      (m) => typeof m.BrokerController === 'function' && typeof m.defaultBrokerConfig === 'function'),
  ]);
  const sources: ConfigSources = {
    namesrv: { defaults: defaultNamesrvConfig(), help: namesrvConfigHelp },
    broker: broker.mod ? { defaults: broker.mod.defaultBrokerConfig(), help: broker.mod.brokerConfigHelp ?? {} } : null,
    store: store.mod ? { defaults: store.mod.defaultStoreConfig(), help: store.mod.storeConfigHelp ?? {} } : null,
  };
  const unavailable: Partial<Record<Component, string>> = { broker: broker.why, store: store.why };

  if (args.help) {
    process.stdout.write(formatHelp(sources, unavailable));
    return;
  }

  let config;
  try {
    config = resolveConfig(args, sources);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message, 2);
    throw e;
  }
  for (const w of config.warnings) process.stderr.write(`mq-server: warning: ${w}\n`);

  const runNamesrv = config.mode !== 'broker';
  let runBroker = config.mode !== 'namesrv';
  const brokerMod = broker.mod;
  if (runBroker && (!brokerMod || !store.mod)) {
    const why = !brokerMod ? broker.why : store.why;
    if (config.mode === 'broker') fail(`broker unavailable: ${why}`, 1);
    process.stdout.write(`broker unavailable (${why}); running the name server only\n`);
    runBroker = false;
  }

  const running: Array<{ name: string; component: Stoppable }> = [];
  let stopping = false;
  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    // Broker first, so it unregisters while its name server still answers.
    for (const { name, component } of [...running].reverse()) {
      try {
        await component.shutdown();
      } catch (e) {
        process.stderr.write(`mq-server: ${name} shutdown failed: ${(e as Error).message}\n`);
        exitCode = exitCode || 1;
      }
    }
    process.exit(exitCode);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1); // a second signal: do not wait any longer
      process.stdout.write(`${signal} received, shutting down\n`);
      void stop(0);
    });
  }

  const nsConfig = config.namesrv as unknown as NamesrvConfig;
  if (runNamesrv) {
    const namesrv = new NamesrvController(nsConfig, { logger: componentLogger('namesrv') });
    try {
      await namesrv.start();
    } catch (e) {
      process.stderr.write(`mq-server: ${listenError('name server', nsConfig.listenHost, nsConfig.listenPort, e)}\n`);
      await stop(1);
      return;
    }
    running.push({ name: 'name server', component: namesrv });
    process.stdout.write(`name server listening on ${nsConfig.listenHost}:${namesrv.port}\n`);
    if (runBroker && config.broker && !config.explicit.has('namesrvAddr')) {
      config.broker.namesrvAddr = `127.0.0.1:${namesrv.port}`;
    }
  }

  if (runBroker && brokerMod && config.broker && config.store) {
    const b = config.broker;
    const brokerController = new brokerMod.BrokerController(b, config.store, { logger: componentLogger('broker') });
    try {
      await brokerController.start();
    } catch (e) {
      const what = `broker ${String(b.brokerName)}`;
      const err = e as NodeJS.ErrnoException;
      process.stderr.write(`mq-server: ${err.code === 'EADDRINUSE' || err.code === 'EACCES'
        ? listenError(what, '0.0.0.0', b.listenPort, e) : `${what} failed to start: ${err.message}`}\n`);
      await stop(1);
      return;
    }
    running.push({ name: 'broker', component: brokerController });
    process.stdout.write(`broker ${String(b.brokerName)} listening on 0.0.0.0:${brokerController.port}`
      + ` (cluster ${String(b.brokerClusterName)}, name server ${String(b.namesrvAddr)})\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`mq-server: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
