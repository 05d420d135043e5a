/**
 * What `raftns aws provision` stores in NATS KV for the replicas: key `aws` in the plan
 * bucket (`planBucket(cluster)`), as JSON. A replica reads its own (region, group)'s
 * `targetGroupArn` (its AWS-serving actor registers it there while it can serve),
 * `writesTargetGroupArn` (its AWS-lease actor registers it there while it leads) and
 * `awsRegion`; a record without `writesTargetGroupArn` (written before it existed) has the
 * leader alone in `targetGroupArn`; group maintenance reads each group's
 * `staticAddresses` as its nameservers' glue. `raftns aws teardown` deletes the key.
 *
 * Format version 1:
 *   { version: 1, groups: { <groupId>: { acceleratorArn, staticAddresses, dnsName,
 *       regions: { <region>: { awsRegion, loadBalancerArn, targetGroupArn, listenerArn,
 *                              writesTargetGroupArn?, writesListenerArn? } } } } }
 */
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { z } from 'zod';
import { planBucket } from '../../protocol/plan.js';
import { Kvm } from '../../runtime/nats/nats-kv.js';

export const AWS_RECORD_KEY = 'aws';
export const AWS_RECORD_VERSION = 1;

export interface AwsRegionRecord {
  /** The AWS region (`us-east-1`) of the raftns region. */
  readonly awsRegion: string;
  readonly loadBalancerArn: string;
  /** The DNS target group: every replica of the group in this region that can serve (port 53). */
  readonly targetGroupArn: string;
  /** The load balancer's TCP_UDP listener on port 53. */
  readonly listenerArn: string;
  /** The writes target group: the group's leader alone. */
  readonly writesTargetGroupArn?: string;
  /** The load balancer's TCP_UDP listener on the writes port (aws-provisioner.ts `WRITES_PORT`). */
  readonly writesListenerArn?: string;
}

export interface AwsGroupRecord {
  readonly acceleratorArn: string;
  /** The accelerator's anycast addresses: the glue of the group's nameservers. */
  readonly staticAddresses: readonly string[];
  /** The accelerator's DNS name. */
  readonly dnsName: string;
  /** By raftns region name. */
  readonly regions: Readonly<Record<string, AwsRegionRecord>>;
}

export interface AwsRecord {
  readonly version: typeof AWS_RECORD_VERSION;
  /** By group id. */
  readonly groups: Readonly<Record<string, AwsGroupRecord>>;
}

const recordSchema = z.object({
  version: z.literal(AWS_RECORD_VERSION),
  groups: z.record(
    z.string(),
    z.object({
      acceleratorArn: z.string().min(1),
      staticAddresses: z.array(z.string()),
      dnsName: z.string(),
      regions: z.record(
        z.string(),
        z.object({
          awsRegion: z.string().min(1),
          loadBalancerArn: z.string().min(1),
          targetGroupArn: z.string().min(1),
          listenerArn: z.string().min(1),
          writesTargetGroupArn: z.string().min(1).optional(),
          writesListenerArn: z.string().min(1).optional(),
        }),
      ),
    }),
  ),
});

/** The record is there but is not a version-1 record. */
export class AwsRecordInvalidError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AwsRecordInvalidError';
  }
}

/** Parses and validates a stored record. Fails with AwsRecordInvalidError. */
export function parseAwsRecord(text: string): AwsRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AwsRecordInvalidError('the aws record is not JSON', { cause: error });
  }
  const parsed = recordSchema.safeParse(json);
  if (!parsed.success)
    throw new AwsRecordInvalidError(
      `the aws record is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

/** The record in an open plan bucket; undefined if there is none (never provisioned, or torn down). */
export async function readAwsRecordFrom(planKv: KV): Promise<AwsRecord | undefined> {
  const entry = await planKv.get(AWS_RECORD_KEY);
  if (entry === null || entry.operation !== 'PUT') return undefined;
  return parseAwsRecord(entry.string());
}

/**
 * The record of `cluster`; undefined if there is none. Fails if the plan bucket does not
 * exist (run `raftns init`) or the record is invalid.
 */
export async function readAwsRecord(nc: NatsConnection, cluster: string): Promise<AwsRecord | undefined> {
  return readAwsRecordFrom(await new Kvm(nc).open(planBucket(cluster)));
}

/** Stores `record` (replacing any previous one); answers the KV revision. */
export async function writeAwsRecord(planKv: KV, record: AwsRecord): Promise<number> {
  parseAwsRecord(JSON.stringify(record));
  return planKv.put(AWS_RECORD_KEY, JSON.stringify(record));
}

/** Deletes the record; answers whether there was one. */
export async function deleteAwsRecord(planKv: KV): Promise<boolean> {
  const had = (await readAwsRecordFrom(planKv).catch(() => 'invalid' as const)) !== undefined;
  if (had) await planKv.delete(AWS_RECORD_KEY);
  return had;
}

/** The (region, group) entry an AWS-lease actor needs; undefined if not provisioned. */
export function regionRecord(
  record: AwsRecord | undefined,
  region: string,
  group: string,
): AwsRegionRecord | undefined {
  return record?.groups[group]?.regions[region];
}
