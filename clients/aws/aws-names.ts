/**
 * Deterministic names and tags of what `raftns aws provision` creates, so that a re-run,
 * `status` and `teardown` find the same resources again (aws-inventory.ts).
 *
 * AWS limits (ELBv2 CreateLoadBalancer / CreateTargetGroup): at most 32 characters, only
 * `[A-Za-z0-9-]`, not beginning or ending with `-`, not beginning with `internal-`. Group
 * and cluster ids are NATS tokens (`_` allowed, up to 64 characters), so they are cleaned
 * and cut, and a hash of the full (cluster, region, group) keeps the names distinct: two
 * raftns regions may map to one AWS region, and cut ids may collide.
 *
 * Global Accelerator names: at most 64 characters of `[A-Za-z0-9.-]`, no `-`/`.` at the ends.
 */
import { createHash } from 'node:crypto';

export const ELB_NAME_CHARS_MAX = 32;
export const ACCELERATOR_NAME_CHARS_MAX = 64;
/** Characters of the cluster id and the group id kept in an ELB name. */
const CLUSTER_CHARS_MAX = 8;
const GROUP_CHARS_MAX = 10;
const HASH_HEX_CHARS = 8;

export const TAG_CLUSTER = 'raftns:cluster';
export const TAG_REGION = 'raftns:region';
export const TAG_GROUP = 'raftns:group';
export const TAG_MANAGED = 'raftns:managed';

export interface AwsTag {
  readonly Key: string;
  readonly Value: string;
}

/** `[A-Za-z0-9-]` only, no repeated or edge hyphens, at most `max` characters. */
function clean(id: string, max: number): string {
  const cleaned = id
    .replace(/[^A-Za-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .slice(0, max)
    .replace(/^-+|-+$/g, '');
  return cleaned.length === 0 ? 'x' : cleaned;
}

function hash(...parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, HASH_HEX_CHARS);
}

/**
 * The start of every ELB name of `cluster`: `rns-<cluster, cut>-` (what the replicas' IAM
 * policy matches in target group ARNs, docs/AWS.md).
 */
export function elbNamePrefix(cluster: string): string {
  return `rns-${clean(cluster, CLUSTER_CHARS_MAX)}-`;
}

/** The network load balancer of `group` in raftns region `region`. */
export function loadBalancerName(cluster: string, region: string, group: string): string {
  return checkElbName(
    `${elbNamePrefix(cluster)}${clean(group, GROUP_CHARS_MAX)}-${hash('nlb', cluster, region, group)}`,
  );
}

/** The DNS target group (every replica that can serve, port 53) of `group` in `region`. */
export function targetGroupName(cluster: string, region: string, group: string): string {
  return checkElbName(
    `${elbNamePrefix(cluster)}${clean(group, GROUP_CHARS_MAX)}-${hash('tg', cluster, region, group)}`,
  );
}

/** The writes target group (the leader only, behind the writes listener) of `group` in `region`. */
export function writesTargetGroupName(cluster: string, region: string, group: string): string {
  return checkElbName(
    `${elbNamePrefix(cluster)}${clean(group, GROUP_CHARS_MAX)}-${hash('tg-writes', cluster, region, group)}`,
  );
}

/** The Global Accelerator of `group` (one per group, spanning every region). */
export function acceleratorName(cluster: string, group: string): string {
  const name = `rns-${clean(cluster, 24)}-${clean(group, 24)}-${hash('ga', cluster, group)}`;
  if (name.length > ACCELERATOR_NAME_CHARS_MAX) throw new Error(`accelerator name too long: ${name}`);
  return name;
}

/** Tags of a per-region resource (load balancer, target group, listener). */
export function regionTags(cluster: string, region: string, group: string): AwsTag[] {
  return [
    { Key: TAG_CLUSTER, Value: cluster },
    { Key: TAG_REGION, Value: region },
    { Key: TAG_GROUP, Value: group },
    { Key: TAG_MANAGED, Value: 'true' },
  ];
}

/** Tags of a group's accelerator (it spans the regions, so it has no region tag). */
export function acceleratorTags(cluster: string, group: string): AwsTag[] {
  return [
    { Key: TAG_CLUSTER, Value: cluster },
    { Key: TAG_GROUP, Value: group },
    { Key: TAG_MANAGED, Value: 'true' },
  ];
}

/** Tags as a map; undefined keys or values are skipped. */
export function tagMap(
  tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined,
): Map<string, string> {
  const map = new Map<string, string>();
  for (const tag of tags ?? []) if (tag.Key !== undefined) map.set(tag.Key, tag.Value ?? '');
  return map;
}

/** Whether the tags say: created by raftns for `cluster`. */
export function isManagedBy(tags: ReadonlyMap<string, string>, cluster: string): boolean {
  return tags.get(TAG_MANAGED) === 'true' && tags.get(TAG_CLUSTER) === cluster;
}

function checkElbName(name: string): string {
  if (name.length > ELB_NAME_CHARS_MAX || !/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(name))
    throw new Error(`not a valid ELB name: ${name}`);
  return name;
}
