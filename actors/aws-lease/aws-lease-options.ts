/**
 * What the AWS-lease actor (aws-lease-actor.ts) is configured with, and its defaults. A
 * home of its own so the replica's main thread, which only composes the options, loads
 * neither the actor nor the AWS SDK behind it: the actor runs on a worker thread.
 */

/** The target group an AWS actor acts on, and this replica as its target. */
export interface AwsTargetGroupOptions {
  readonly targetGroupArn: string;
  readonly awsRegion: string;
  /** An endpoint other than AWS's (tests). */
  readonly endpoint?: string;
  /** This replica as a target: its advertised IP address and DNS port. */
  readonly targetAddress: string;
  readonly targetPort: number;
  /** Describe the target group and repair drift this often. */
  readonly reconcileMs: number;
}

export interface AwsLeaseActorOptions extends AwsTargetGroupOptions {
  /** A call is issued only with at least this much lease left. */
  readonly leaseMarginMs: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** One AWS call is aborted after this. */
  readonly callTimeoutMs: number;
}

export const DEFAULT_AWS_LEASE_ACTOR: Omit<
  AwsLeaseActorOptions,
  'targetGroupArn' | 'awsRegion' | 'endpoint' | 'targetAddress' | 'targetPort' | 'reconcileMs'
> = {
  leaseMarginMs: 20,
  maxAttempts: 5,
  backoffBaseMs: 100,
  backoffMaxMs: 2_000,
  callTimeoutMs: 3_000,
};
