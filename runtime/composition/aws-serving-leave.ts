/**
 * Graceful shutdown on AWS: the replica takes itself out of its DNS target group before it
 * hands leadership off and drains, so the load balancer sends it no new flows while it still
 * answers the ones in flight (the target group's deregistration delay is 0: docs/AWS.md).
 */
import { AWS_SERVING, type AwsServingMessage } from '../../actors/aws-serving/protocol.js';
import type { ActorSpec } from '../actor.js';
import type { ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';
import type { MessageOf } from '../message.js';

/** One deregistration attempt (the actor's call deadline) and the asks around it. */
export const AWS_LEAVE_TIMEOUT_MS = 3_500;

/** Asks the AWS-serving actor, if the replica runs one, to leave; never throws. */
export async function leaveServingTargetGroup(
  specs: readonly ActorSpec[],
  external: ExternalEndpoint,
  log: Logger,
): Promise<void> {
  if (!specs.some((spec) => spec.name === AWS_SERVING)) return;
  const startedMs = performance.now();
  try {
    const result = await external.request<MessageOf<AwsServingMessage, 'leave'>>(
      AWS_SERVING,
      { type: 'leave' },
      { timeoutMs: AWS_LEAVE_TIMEOUT_MS },
    );
    log.info(
      { out: result.out, elapsedMs: Math.round(performance.now() - startedMs) },
      result.out ? 'left the DNS target group' : 'could not leave the DNS target group; draining anyway',
    );
  } catch (error) {
    log.warn({ error: String(error) }, 'the aws-serving actor did not answer; draining anyway');
  }
}
