#!/usr/bin/env node
// mq-server: runs a name server, a broker, or both (standalone) in one process.
//   mq-server [standalone|namesrv|broker] [-c FILE] [--key=value ...] [--help]
// Exit codes: 0 clean shutdown (SIGINT/SIGTERM), 1 runtime failure (port in use, ...), 2 bad config.
import * as brokerModule from '@rmq/broker';
import { BrokerController, brokerConfigHelp, defaultBrokerConfig, type BrokerConfig } from '@rmq/broker';
import { defaultNamesrvConfig, namesrvConfigHelp, NamesrvController, type NamesrvConfig } from '@rmq/namesrv';
import { createLogger, type Logger } from '@rmq/remoting';
import { defaultStoreConfig, storeConfigHelp, type StoreConfig } from '@rmq/store';
import { ConfigError, formatHelp, isLoopback, parseArgs, resolveConfig, usage, type ConfigSources } from './config.js';
import { detectFeatures } from './config-schema.js';
import { setFlagsFromString } from 'node:v8';

// Young-generation GCs on the main thread alone. The broker's scavenges keep ~50 KB of a few MB, so
// helper threads gain nothing, and on a machine whose cores are all busy (the clients on the same
// host) the main thread waited for a helper that had taken a work item and was then descheduled:
// scavenges of 0.1 ms took 10-20 ms. Measured with 64 synchronous senders on 2 cores, alternated:
// scavenge mean 1.38 -> 0.98 ms, GC time 0.79x, scavenges over 2 ms halved; over 7 runs each, rate
// 1.05x and p99 0.94x (within the noise). V8 reads the flag at each scavenge; RMQ_PARALLEL_SCAVENGE=1
// keeps V8's default. (docs/design.md, Performance)
if (process.env.RMQ_PARALLEL_SCAVENGE !== '1') setFlagsFromString('--no-parallel-scavenge');


interface Stoppable {
  shutdown(): Promise<void>;
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

/** One line for a component that did not start: the socket error in words, or the error message. */
function startError(what: string, host: string, port: unknown, e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EADDRINUSE') return `${what} cannot listen on ${host}:${port}: address already in use`;
  if (err.code === 'EACCES') return `${what} cannot listen on ${host}:${port}: permission denied`;
  return `${what} failed to start: ${err.message}`;
}

async function main(): Promise<void> {
  let args;
  try {
    // pnpm forwards a literal '--' (`pnpm mq-server -- --help`): it separates nothing here.
    args = parseArgs(process.argv.slice(2).filter((a) => a !== '--'));
  } catch (e) {
    fail(`${(e as Error).message}\n${usage}`, 2);
  }

  const sources: ConfigSources = {
    // 127.0.0.1 unless brokerIP1 publishes a reachable address (see resolveConfig).
    namesrv: { defaults: defaultNamesrvConfig({ listenHost: '127.0.0.1' }), help: namesrvConfigHelp },
    broker: { defaults: defaultBrokerConfig(), help: brokerConfigHelp },
    store: { defaults: defaultStoreConfig(), help: storeConfigHelp },
  };

  const features = detectFeatures([sources.broker!.defaults, sources.store!.defaults], brokerModule);
  if (args.help) {
    process.stdout.write(formatHelp(sources, {}, features));
    return;
  }

  let config;
  try {
    config = resolveConfig(args, sources, undefined, features);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message, 2);
    throw e;
  }
  for (const w of config.warnings) process.stderr.write(`mq-server: warning: ${w}\n`);

  const runNamesrv = config.mode !== 'broker';
  const runBroker = config.mode !== 'namesrv';

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
      process.stderr.write(`mq-server: ${startError('name server', nsConfig.listenHost, nsConfig.listenPort, e)}\n`);
      await stop(1);
      return;
    }
    running.push({ name: 'name server', component: namesrv });
    process.stdout.write(`name server listening on ${nsConfig.listenHost}:${namesrv.port}\n`);
    if (runBroker && config.broker && !config.explicit.has('namesrvAddr')) {
      config.broker.namesrvAddr = `127.0.0.1:${namesrv.port}`;
    }
  }

  if (runBroker) {
    const b = config.broker as unknown as BrokerConfig;
    const host = config.brokerListenHost;
    const what = `broker ${b.brokerName}`;
    const broker = new BrokerController(b, config.store as unknown as StoreConfig, { logger: componentLogger('broker'), host });
    try {
      await broker.start();
    } catch (e) {
      process.stderr.write(`mq-server: ${startError(what, host, b.listenPort, e)}\n`);
      running.push({ name: 'broker', component: broker }); // releases whatever it opened
      await stop(1);
      return;
    }
    running.push({ name: 'broker', component: broker });
    process.stdout.write(`${what} listening on ${host}:${broker.port}`
      + ` (cluster ${b.brokerClusterName}, name server ${b.namesrvAddr || 'none'})\n`);
    if (isLoopback(b.brokerIP1)) {
      process.stdout.write(`broker publishes ${b.brokerIP1}:${broker.port}: only clients on this host can reach it`
        + ' (set brokerIP1=<reachable address> to serve others)\n');
    }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`mq-server: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
