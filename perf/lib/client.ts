// The slice of @rmq/client the driver uses (docs/design.md, "@rmq/client API"). The module is
// loaded at run time so the driver builds on its own and tests can hand in a fake client.
export interface PerfMessage { topic: string; body: Buffer; tags?: string; keys?: string }
export interface PerfSendResult { status: string }

export interface PerfProducer {
  start(): Promise<void>;
  send(msg: PerfMessage): Promise<PerfSendResult>;
  sendOneway(msg: PerfMessage): Promise<void>;
  sendBatch(msgs: PerfMessage[]): Promise<PerfSendResult>;
  shutdown(): Promise<void>;
}

export interface PerfMessageExt { topic: string; body: Buffer; queueId?: number; reconsumeTimes?: number }

export interface PerfPushConsumer {
  subscribe(topic: string, expression: string): void;
  onMessage(handler: (msg: PerfMessageExt) => void | string | Promise<void | string>): void;
  start(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface ProducerOptions {
  groupName: string; namesrvAddr: string; sendMsgTimeoutMs?: number; retryTimesWhenSendFailed?: number;
  instanceName?: string; compressMsgBodyOverHowmuch?: number; serializeType?: 'json' | 'rocketmq';
}
export interface PushConsumerOptions {
  groupName: string; namesrvAddr: string; consumeFromWhere?: string; consumeConcurrency?: number;
  instanceName?: string; messageModel?: 'CLUSTERING' | 'BROADCASTING'; pullBatchSize?: number; serializeType?: 'json' | 'rocketmq';
}

export interface ClientModule {
  Producer: new (o: ProducerOptions) => PerfProducer;
  PushConsumer: new (o: PushConsumerOptions) => PerfPushConsumer;
}

export async function loadClient(specifier = '@rmq/client'): Promise<ClientModule> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`cannot load ${specifier} (build it first: pnpm build): ${(e as Error).message}`);
  }
  if (typeof mod.Producer !== 'function' || typeof mod.PushConsumer !== 'function') {
    throw new Error(`${specifier} does not export Producer and PushConsumer`);
  }
  return mod as unknown as ClientModule;
}

/** A short, stable label for an error, for the error table in the summary. */
export function errorKind(e: unknown): string {
  if (e && typeof e === 'object') {
    const err = e as { name?: string; responseCode?: number; code?: number | string; message?: string };
    const code = err.responseCode ?? err.code;
    const msg = (err.message ?? '').replace(/\d+(\.\d+)*(:\d+)?/g, 'N').slice(0, 60);
    return `${err.name ?? 'Error'}${code !== undefined ? `(${code})` : ''}: ${msg}`;
  }
  return String(e).slice(0, 60);
}
