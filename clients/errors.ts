/**
 * What a RaftClient call fails with. Every error is a `RaftClientError` with a `code` to
 * switch on; what matters most to a caller is whether the operation may have taken effect:
 *
 * | error                 | took effect?            | typical cause |
 * |-----------------------|-------------------------|---------------|
 * | `NotLeaderError`      | no                      | the deadline passed while replicas said "not leader" (or a pinned replica is not the leader) |
 * | `TimeoutError`        | no                      | the deadline passed and no attempt can have executed (reads; writes never delivered) |
 * | `RejectedError`       | no                      | the command is invalid, or the request malformed; retrying does not help |
 * | `StaleReadError`      | no (a read)             | a bounded read pinned to a replica that has not heard from the leader recently |
 * | `UnknownOutcomeError` | maybe (a write)         | the deadline passed after an attempt that may have executed; it executes at most once |
 * | `ClientClosedError`   | no, or maybe if `cause` is an UnknownOutcomeError | the client (or its connection) was closed |
 * | `ProtocolError`       | maybe (a write)         | a replica answered something this client cannot read |
 */

export type RaftClientErrorCode =
  | 'NOT_LEADER'
  | 'TIMEOUT'
  | 'REJECTED'
  | 'STALE_READ'
  | 'UNKNOWN_OUTCOME'
  | 'CLIENT_CLOSED'
  | 'PROTOCOL';

export class RaftClientError extends Error {
  constructor(
    readonly code: RaftClientErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RaftClientError';
  }
}

/** No leader could be reached before the deadline; `leaderId` is the last hint heard (null: none). */
export class NotLeaderError extends RaftClientError {
  constructor(
    readonly leaderId: string | null,
    readonly attempts: number,
  ) {
    super(
      'NOT_LEADER',
      `not the leader${leaderId === null ? ' (leader unknown)' : `; the leader is ${leaderId}`} after ${attempts} attempt(s)`,
    );
    this.name = 'NotLeaderError';
  }
}

/** The call's deadline passed; the operation did not take effect. `lastFailure` says what the last attempt met. */
export class TimeoutError extends RaftClientError {
  constructor(
    readonly deadlineMs: number,
    readonly attempts: number,
    readonly lastFailure: string,
  ) {
    super('TIMEOUT', `no answer within ${deadlineMs} ms after ${attempts} attempt(s) (last: ${lastFailure})`);
    this.name = 'TimeoutError';
  }
}

export type RejectionReason =
  | 'invalid'
  | 'stale-sequence'
  | 'malformed'
  | 'too-large'
  | 'unsupported-version'
  | 'wrong-subject';

/** The replica refused the request for good; it did not take effect. */
export class RejectedError extends RaftClientError {
  constructor(
    readonly reason: RejectionReason,
    readonly detail: string,
  ) {
    super('REJECTED', `rejected (${reason}): ${detail}`);
    this.name = 'RejectedError';
  }
}

/** A bounded-staleness read pinned to a replica that cannot show recent leader contact. */
export class StaleReadError extends RaftClientError {
  constructor(readonly replica: string) {
    super('STALE_READ', `replica ${replica} has not heard from the leader within the staleness bound`);
    this.name = 'StaleReadError';
  }
}

/**
 * The client gave up on a write without learning whether it executed: an attempt timed out
 * or the leader changed under it. It executed at most once (the session's sequence number
 * guards it), and it will not execute later: the client acknowledges the sequence number
 * with its next write, after which the store refuses it.
 */
export class UnknownOutcomeError extends RaftClientError {
  constructor(
    readonly attempts: number,
    readonly lastFailure: string,
  ) {
    super('UNKNOWN_OUTCOME', `outcome unknown after ${attempts} attempt(s) (last: ${lastFailure})`);
    this.name = 'UnknownOutcomeError';
  }
}

export class ClientClosedError extends RaftClientError {
  constructor(options?: ErrorOptions) {
    super('CLIENT_CLOSED', 'the client or its NATS connection is closed', options);
    this.name = 'ClientClosedError';
  }
}

/** A replica's answer could not be understood (a version mismatch, a bug). */
export class ProtocolError extends RaftClientError {
  constructor(detail: string) {
    super('PROTOCOL', detail);
    this.name = 'ProtocolError';
  }
}
