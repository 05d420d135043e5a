/**
 * On AWS, a bootstrapped replica learns its group's target group from the `aws` record that
 * `raftns aws provision` stored beside the plan (clients/aws/aws-plan-record.ts), so its
 * AWS-lease actor registers it there while it leads. Settings given explicitly (flags, env,
 * file) win over the record.
 */
import { readAwsRecord, regionRecord } from '../clients/aws/aws-plan-record.js';
import type { AwsConfig, ReplicaConfig } from '../runtime/config.js';
import type { Logger } from '../runtime/log.js';
import { connectNats } from '../runtime/nats/nats-connection.js';

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
    targetGroupArn: entry.targetGroupArn,
    region: entry.awsRegion,
    ...(endpoint === undefined ? {} : { endpoint }),
    targetAddress: address,
    targetPort: AWS_DEFAULT_TARGET_PORT,
    reconcileMs: AWS_DEFAULT_RECONCILE_MS,
  };
}

/** Reads the record (a short-lived connection) and answers the settings; undefined when not on AWS. */
export async function awsAssignment(
  config: ReplicaConfig,
  group: string,
  log: Logger,
): Promise<AwsConfig | undefined> {
  if (config.aws !== undefined) return config.aws;
  const nc = await connectNats({
    urls: config.nats.urls,
    ...(config.nats.credsFile === undefined ? {} : { credsFile: config.nats.credsFile }),
    name: `raftns/${config.instanceId}/aws-record`,
    log,
  });
  try {
    const record = await readAwsRecord(nc, config.cluster);
    const aws = awsConfigFor(record, config, group, config.awsEndpoint);
    if (aws !== undefined)
      log.info(
        { targetGroupArn: aws.targetGroupArn, awsRegion: aws.region },
        'on AWS: the leader registers in its target group',
      );
    return aws;
  } finally {
    await nc.close().catch(() => undefined);
  }
}
