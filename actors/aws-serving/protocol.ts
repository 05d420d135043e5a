import type { Ask } from '../../runtime/message.js';
import type { LeadershipObserved } from '../log/protocol.js';
import type { ServingAction } from './serving-policy.js';

/** The actor's name in a replica (present only when the replica has a DNS target group on AWS). */
export const AWS_SERVING = 'aws-serving';

export interface AwsServingCounters {
  observations: number;
  /** Looks at the DNS side taken, and how many found it not ready. */
  looks: number;
  looksNotReady: number;
  subscriptions: number;
  subscribeFailures: number;
  calls: Record<ServingAction['kind'], { issued: number; ok: number; failed: number }>;
  /** Calls aborted by the actor's own deadline. */
  deadlines: number;
}

export interface AwsServingStatus {
  readonly targetGroupArn: string;
  readonly self: { readonly id: string; readonly port: number };
  /** Whether the replica belongs in the target group now (it can serve and is not leaving). */
  readonly wanted: boolean;
  /** Whether the DNS side was ready at the last look (listeners open, copy caught up). */
  readonly dnsReady: boolean;
  /** Registered as far as the actor knows; null until a call or a describe said. */
  readonly registered: boolean | null;
  readonly leaving: boolean;
  readonly counters: AwsServingCounters;
}

/** The answer to `leave`: whether the replica is out of the target group. */
export interface LeaveResult {
  readonly out: boolean;
}

/** The AWS-serving actor's inbox. */
export type AwsServingMessage =
  | ({ readonly type: 'status' } & Ask<AwsServingStatus>)
  /** Graceful shutdown: deregister now and stay out; answered once out (or the attempt failed). */
  | ({ readonly type: 'leave' } & Ask<LeaveResult>)
  // ---- from the log actor ----
  | LeadershipObserved
  // ---- from itself ----
  | { readonly type: 'renew' }
  | { readonly type: 'check' }
  | { readonly type: 'look' }
  /** A look at the DNS side: null when ready, else why not. */
  | { readonly type: 'looked'; readonly notReady: string | null }
  | {
      readonly type: 'call-done';
      readonly seq: number;
      readonly outcome:
        | { readonly ok: true; readonly targets?: readonly { id: string; port: number; state: string }[] }
        | {
            readonly ok: false;
            readonly retryable: boolean;
            readonly code: string;
            readonly message: string;
          };
    }
  | { readonly type: 'call-deadline'; readonly seq: number };
