// One family of broker requests: request code -> handler, built for one broker context. Each
// processor file exports `requests(ctx)` returning its family; processor/index.ts composes them
// into the broker's request table.
import type { Processor, RemotingServer } from '@rmq/remoting';

export type RequestFamily = ReadonlyMap<number, Processor>;

/**
 * The family a legacy `register(server, ctx)` function would register: it is run against a
 * recorder instead of a server (for processor files that still register themselves).
 */
export function familyOf(register: (server: Pick<RemotingServer, 'registerProcessor'>) => unknown): RequestFamily {
  const family = new Map<number, Processor>();
  register({
    registerProcessor(code: number, p: Processor): void {
      if (family.has(code)) throw new Error(`request code ${code} registered twice in one family`);
      family.set(code, p);
    },
  });
  return family;
}
