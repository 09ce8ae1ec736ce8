// Errors the client throws. MQBrokerError carries the response code a broker or name server
// answered with; MQClientError covers everything decided on this side (state, validation, routing).

export class MQClientError extends Error {
  override name = 'MQClientError';
  /** The remote response code when the error came from a reply; undefined for local errors. */
  responseCode?: number;
  constructor(message: string, opts?: { responseCode?: number; cause?: unknown }) {
    super(message, opts?.cause !== undefined ? { cause: opts.cause } : undefined);
    if (opts?.responseCode !== undefined) this.responseCode = opts.responseCode;
  }
}

/** A broker (or name server) answered a request with a non-success code. */
export class MQBrokerError extends MQClientError {
  override name = 'MQBrokerError';
  declare responseCode: number;
  readonly brokerAddr: string | undefined;
  constructor(responseCode: number, remark: string | null | undefined, brokerAddr?: string) {
    super(`CODE: ${responseCode} DESC: ${remark ?? ''}${brokerAddr ? ` BROKER: ${brokerAddr}` : ''}`, { responseCode });
    this.brokerAddr = brokerAddr;
  }
}

/** No reply within the time allowed, or the caller's AbortSignal fired. */
export class MQTimeoutError extends MQClientError {
  override name = 'MQTimeoutError';
}

export class MQAbortError extends MQClientError {
  override name = 'MQAbortError';
}

/** The request could not reach the peer (connect refused, channel closed). */
export class MQConnectError extends MQClientError {
  override name = 'MQConnectError';
}

/** The topic has no route on any configured name server. */
export class TopicRouteError extends MQClientError {
  override name = 'TopicRouteError';
}
