/**
 * On AWS, a bootstrapped replica learns its group's target groups from the `aws` record that
 * `raftns aws provision` stored beside the plan (clients/aws/aws-plan-record.ts): its
 * AWS-serving actor registers it in the DNS target group while it can serve, its AWS-lease
 * actor in the writes target group while it leads. Settings given explicitly (flags, env,
 * file) win over the record.
 */

import type { PlanStore } from '../../bootstrap/plan-store.js';
import { readAwsRecordFrom, regionRecord } from '../../clients/aws/aws-plan-record.js';
import type { Logger } from '../log.js';
import type { AwsConfig, ReplicaConfig } from './config.js';

export const AWS_DEFAULT_TARGET_PORT = 53;
export const AWS_DEFAULT_RECONCILE_MS = 5_000;

/** The AWS settings for (region, group) from the record, or undefined without one. */
export function awsConfigFor(
  record: Parameters<typeof regionRecord>[0],
  config: Pick<ReplicaConfig, 'region' | 'dns'>,
  group: string,
  endpoint: string | undefined,
): AwsConfig | undefined {
  const entry = regionRecord(record, config.region, group);
  const address = config.dns.advertise?.[0];
  if (entry === undefined || address === undefined) return undefined;
  return {
    // A record from before the writes target group: the leader alone in the DNS one.
    ...(entry.writesTargetGroupArn === undefined
      ? { targetGroupArn: entry.targetGroupArn }
      : { targetGroupArn: entry.writesTargetGroupArn, servingTargetGroupArn: entry.targetGroupArn }),
    region: entry.awsRegion,
    ...(endpoint === undefined ? {} : { endpoint }),
    targetAddress: address,
    targetPort: AWS_DEFAULT_TARGET_PORT,
    reconcileMs: AWS_DEFAULT_RECONCILE_MS,
  };
}

/** Reads the record through the bootstrap's plan store; undefined when not on AWS. */
export async function awsAssignment(
  config: ReplicaConfig,
  group: string,
  store: PlanStore,
  log: Logger,
): Promise<AwsConfig | undefined> {
  if (config.aws !== undefined) return config.aws;
  const aws = awsConfigFor(await readAwsRecordFrom(store.plan), config, group, config.awsEndpoint);
  if (aws !== undefined)
    log.info(
      {
        targetGroupArn: aws.targetGroupArn,
        servingTargetGroupArn: aws.servingTargetGroupArn,
        awsRegion: aws.region,
      },
      aws.servingTargetGroupArn === undefined
        ? 'on AWS: the leader registers in its target group'
        : 'on AWS: registers in the DNS target group while serving, in the writes one while leading',
    );
  return aws;
}
