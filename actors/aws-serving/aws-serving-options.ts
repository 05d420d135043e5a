/**
 * What the AWS-serving actor (aws-serving-actor.ts) is configured with, and its defaults. A
 * home of its own so the replica's main thread, which only composes the options, loads
 * neither the actor nor the AWS SDK behind it: the actor runs on a worker thread.
 */
import type { AwsTargetGroupOptions } from '../aws-lease/aws-lease-options.js';

export interface AwsServingActorOptions extends AwsTargetGroupOptions {
  readonly unservingGraceMs: number;
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly callTimeoutMs: number;
  /** DNS listeners the replica opens: it is not ready until all are (0: no DNS check). */
  readonly dnsListeners: number;
  /** How many committed entries the DNS copy may still have to apply while ready. */
  readonly appliedLagMax: number;
}

export const DEFAULT_AWS_SERVING_ACTOR: Pick<
  AwsServingActorOptions,
  'unservingGraceMs' | 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'callTimeoutMs' | 'appliedLagMax'
> = {
  unservingGraceMs: 3_000,
  maxAttempts: 5,
  backoffBaseMs: 100,
  backoffMaxMs: 2_000,
  callTimeoutMs: 3_000,
  appliedLagMax: 1_000,
};
