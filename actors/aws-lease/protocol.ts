import type { Ask } from '../../runtime/message.js';
import type { LeadershipObserved } from '../log/protocol.js';
import type { CallOutcome, FenceResult, LeaseActionKind } from './lease-policy.js';

/** The actor's name in a replica (present only when the replica is configured for AWS). */
export const AWS_LEASE = 'aws-lease';

/** Counts of one kind of call. */
export interface CallCounters {
  issued: number;
  ok: number;
  failed: number;
  /** Failures retried after a backoff. */
  retried: number;
  /** Failures left to the next reconcile (attempts exhausted, or not retryable). */
  gaveUp: number;
  /** Results that arrived after the term changed, ignored. */
  stale: number;
}

export type FenceReason = Extract<FenceResult, { ok: false }>['why'];

export interface AwsLeaseCounters {
  /** Leadership observations received from the log actor. */
  observations: number;
  /** Subscriptions (and renewals) sent to the log actor. */
  subscriptions: number;
  /** Subscriptions that could not be sent (the log actor restarting, its mailbox full). */
  subscribeFailures: number;
  /** Calls in flight aborted because the observed term or leadership changed. */
  cancelled: number;
  /** Terms in which this replica started acting as the target group's owner. */
  termsLed: number;
  /** Actions dropped by the fence just before they would have been issued. */
  fenced: Record<FenceReason, number>;
  calls: Record<LeaseActionKind, CallCounters>;
  errors: Record<Extract<CallOutcome, { ok: false }>['kind'], number>;
  /** Calls aborted by the actor's own deadline. */
  deadlines: number;
}

export interface AwsLeaseStatus {
  readonly targetGroupArn: string;
  readonly self: { readonly id: string; readonly port: number };
  /** The term this replica currently owns the target group for, or null. */
  readonly leadingTerm: number | null;
  readonly newestTerm: number;
  readonly inFlight: {
    readonly term: number;
    readonly action: LeaseActionKind;
    readonly attempt: number;
  } | null;
  readonly counters: AwsLeaseCounters;
}

/** The AWS-lease actor's inbox. */
export type AwsLeaseMessage =
  | ({ readonly type: 'status' } & Ask<AwsLeaseStatus>)
  // ---- from the log actor ----
  | LeadershipObserved
  // ---- from itself ----
  /** Renew the leadership subscription. */
  | { readonly type: 'renew' }
  /** Decide again (at the end of a backoff, when a reconcile is due). */
  | { readonly type: 'check' }
  | { readonly type: 'call-done'; readonly seq: number; readonly outcome: CallOutcome }
  | { readonly type: 'call-deadline'; readonly seq: number };
