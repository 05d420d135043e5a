/**
 * Errors are values with a `code` discriminant so callers can switch on them; each
 * crosses thread boundaries as a `SerializedError` and is rebuilt on the other side.
 */
export type RuntimeErrorCode =
  | 'MAILBOX_FULL'
  | 'REQUEST_TIMEOUT'
  | 'UNKNOWN_ACTOR'
  | 'PEER_UNAVAILABLE'
  | 'ACTOR_STOPPED'
  | 'TOO_MANY_REQUESTS'
  | 'REMOTE_ERROR'
  | 'CONTROL_TIMEOUT';

export class RuntimeError extends Error {
  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RuntimeError';
  }
}

/** The receiver's mailbox for this sender is full and its policy is `reject`. */
export class MailboxFullError extends RuntimeError {
  constructor(
    readonly target: string,
    readonly capacity: number,
  ) {
    super('MAILBOX_FULL', `mailbox of ${target} is full (${capacity} per sender)`);
    this.name = 'MailboxFullError';
  }
}

export class RequestTimeoutError extends RuntimeError {
  constructor(
    readonly target: string,
    readonly messageType: string,
    readonly timeoutMs: number,
  ) {
    super('REQUEST_TIMEOUT', `request ${messageType} to ${target} timed out after ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

export class UnknownActorError extends RuntimeError {
  constructor(readonly target: string) {
    super('UNKNOWN_ACTOR', `no actor named ${target}`);
    this.name = 'UnknownActorError';
  }
}

/** The target exists but is restarting or its link is gone; retry later. */
export class PeerUnavailableError extends RuntimeError {
  constructor(readonly target: string) {
    super('PEER_UNAVAILABLE', `actor ${target} is unavailable (restarting or stopped)`);
    this.name = 'PeerUnavailableError';
  }
}

export class ActorStoppedError extends RuntimeError {
  constructor(readonly actor: string) {
    super('ACTOR_STOPPED', `actor ${actor} is stopping and takes no new work`);
    this.name = 'ActorStoppedError';
  }
}

export class TooManyRequestsError extends RuntimeError {
  constructor(
    readonly actor: string,
    readonly limit: number,
  ) {
    super('TOO_MANY_REQUESTS', `actor ${actor} already has ${limit} requests in flight`);
    this.name = 'TooManyRequestsError';
  }
}

/** The receiver's handler failed the request; `remoteName`/`remoteCode` say how. */
export class RemoteError extends RuntimeError {
  constructor(
    readonly remoteName: string,
    readonly remoteCode: string | undefined,
    message: string,
  ) {
    super('REMOTE_ERROR', message);
    this.name = 'RemoteError';
  }
}

export class ControlTimeoutError extends RuntimeError {
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super('CONTROL_TIMEOUT', `control call ${operation} timed out after ${timeoutMs} ms`);
    this.name = 'ControlTimeoutError';
  }
}

/** The shape an error takes on the wire between threads. */
export interface SerializedError {
  readonly name: string;
  readonly code: string | undefined;
  readonly message: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, code: typeof code === 'string' ? code : undefined, message: error.message };
  }
  return { name: 'Error', code: undefined, message: String(error) };
}

/** A failure reported by another actor: its name, code and message, typed as a `RemoteError`. */
export function deserializeError(error: SerializedError): RemoteError {
  return new RemoteError(error.name, error.code, error.message);
}
