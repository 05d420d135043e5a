/**
 * The cluster plan: what `raftns init` writes into NATS KV and every replica reads at start.
 * Regions, how many replicas each nameserver group
 * has, and the hierarchy of groups — which group serves which zone, under which parent —
 * which every region holds a copy of.
 *
 * Group ids are NATS subject tokens (`root`, `org`, `wikipedia-org`): zone names contain
 * dots, which subject tokens cannot (DESIGN §5), so a group is named by id, not by zone.
 */
import { z } from 'zod';
import { Name } from './dns/wire/name.js';
import { GROUP_VOTERS_MAX, GROUPS_MAX, NAME_CHARS_MAX, REGIONS_MAX } from './limits.js';
import { subjectTokenProblem } from './subjects.js';

export const PLAN_VERSION = 1;

export interface GroupPlan {
  /** A NATS subject token, unique in the plan. */
  readonly id: string;
  /** The zone the group serves, absolute (`.`, `org.`, `wikipedia.org.`). */
  readonly zone: string;
  /** The id of the group serving the parent zone; absent only for the root group. */
  readonly parent?: string;
}

export interface ClusterPlan {
  readonly version: typeof PLAN_VERSION;
  /** A NATS subject token: the cluster's name (subjects, KV buckets). */
  readonly cluster: string;
  /** Region names (NATS subject tokens); every region holds every group. */
  readonly regions: readonly string[];
  /** Replicas (Raft voters) per group per region; odd. */
  readonly replicasPerGroup: number;
  /** The hierarchy, parents before children; exactly one group has no parent. */
  readonly groups: readonly GroupPlan[];
}

export type PlanResult =
  | { readonly ok: true; readonly plan: ClusterPlan }
  | { readonly ok: false; readonly errors: readonly string[] };

const NAME_RE = new RegExp(`^[A-Za-z0-9_-]{1,${NAME_CHARS_MAX}}$`);

const tokenSchema = z.string().refine((v) => subjectTokenProblem(v) === undefined && NAME_RE.test(v), {
  message: `expected 1-${NAME_CHARS_MAX} letters, digits, "-" or "_"`,
});

const planSchema = z.strictObject({
  version: z.literal(PLAN_VERSION),
  cluster: tokenSchema,
  regions: z.array(tokenSchema).min(1).max(REGIONS_MAX),
  replicasPerGroup: z.number().int().min(1).max(GROUP_VOTERS_MAX),
  groups: z
    .array(
      z.strictObject({ id: tokenSchema, zone: z.string().min(1).max(1024), parent: tokenSchema.optional() }),
    )
    .min(1)
    .max(GROUPS_MAX),
});

/**
 * Validates a plan (from JSON or from the KV bucket): shape, distinct regions and group
 * ids, odd replica count, zones that parse, one root group, every parent defined earlier
 * and serving an ancestor zone of its child, no zone served twice. Every problem found is
 * reported.
 */
export function validatePlan(input: unknown): PlanResult {
  const parsed = planSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map(
        (issue) => `plan.${issue.path.join('.') || '(root)'}: ${issue.message}`,
      ),
    };
  }
  const plan = parsed.data;
  const errors: string[] = [];
  if (new Set(plan.regions).size !== plan.regions.length)
    errors.push('plan.regions: region names must be distinct');
  if (plan.replicasPerGroup % 2 === 0)
    errors.push(
      `plan.replicasPerGroup: ${plan.replicasPerGroup} is even; a Raft group needs an odd number of voters`,
    );
  const zones = new Map<string, { group: GroupPlan; name: Name }>();
  const ids = new Map<string, { group: GroupPlan; name: Name }>();
  let roots = 0;
  plan.groups.forEach((group, i) => {
    const where = `plan.groups.${i}`;
    let name: Name;
    try {
      name = Name.parse(group.zone.endsWith('.') ? group.zone : `${group.zone}.`);
    } catch (error) {
      errors.push(
        `${where}.zone: ${JSON.stringify(group.zone)} is not a domain name: ${(error as Error).message}`,
      );
      return;
    }
    if (ids.has(group.id)) errors.push(`${where}.id: group id ${group.id} is used twice`);
    if (zones.has(name.key)) errors.push(`${where}.zone: zone ${name} is served by two groups`);
    if (group.parent === undefined) {
      roots++;
    } else {
      const parent = ids.get(group.parent);
      if (parent === undefined)
        errors.push(`${where}.parent: ${group.parent} is not a group defined before ${group.id}`);
      else if (name.equals(parent.name) || !name.isSubdomainOf(parent.name))
        errors.push(`${where}.parent: zone ${name} is not below ${parent.name} (group ${group.parent})`);
    }
    ids.set(group.id, { group, name });
    zones.set(name.key, { group, name });
  });
  if (roots !== 1)
    errors.push(
      `plan.groups: exactly one group must have no parent (the top of the hierarchy), found ${roots}`,
    );
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    plan: {
      ...plan,
      groups: plan.groups.map((g) => ({
        ...g,
        zone: Name.parse(g.zone.endsWith('.') ? g.zone : `${g.zone}.`).toString(),
      })),
    },
  };
}

/** The group serving `name`: the one whose zone is the longest suffix of it; undefined if none. */
export function groupForName(plan: ClusterPlan, name: string): GroupPlan | undefined {
  const target = Name.parse(name.endsWith('.') ? name : `${name}.`);
  let best: { group: GroupPlan; labels: number } | undefined;
  for (const group of plan.groups) {
    const zone = Name.parse(group.zone);
    if (target.isSubdomainOf(zone) && (best === undefined || zone.labelCount > best.labels))
      best = { group, labels: zone.labelCount };
  }
  return best?.group;
}

/** Plans are equal when they say the same thing (what `raftns init` compares on a re-run). */
export function samePlan(a: ClusterPlan, b: ClusterPlan): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(plan: ClusterPlan): unknown {
  return {
    version: plan.version,
    cluster: plan.cluster,
    regions: [...plan.regions],
    replicasPerGroup: plan.replicasPerGroup,
    groups: plan.groups.map((g) => ({ id: g.id, zone: g.zone, parent: g.parent ?? null })),
  };
}

/** The write-up's example: the root, `org`, and `wikipedia.org`, 3 replicas each. */
export function examplePlan(cluster: string, regions: readonly string[]): ClusterPlan {
  return {
    version: PLAN_VERSION,
    cluster,
    regions: [...regions],
    replicasPerGroup: 3,
    groups: [
      { id: 'root', zone: '.' },
      { id: 'org', zone: 'org.', parent: 'root' },
      { id: 'wikipedia-org', zone: 'wikipedia.org.', parent: 'org' },
    ],
  };
}

/** NATS KV buckets of a cluster (bucket names: letters, digits, `-`, `_`). */
export function planBucket(cluster: string): string {
  return `raftns-${cluster}-plan`;
}
/** Slot claims: key `<region>.<group>.<index>` → the instance id holding it. */
export function slotsBucket(cluster: string): string {
  return `raftns-${cluster}-slots`;
}
/** Registrations: key `<instanceId>` → what the instance is and where it answers; kept alive by heartbeats. */
export function instancesBucket(cluster: string): string {
  return `raftns-${cluster}-instances`;
}
export const PLAN_KEY = 'plan';
export function slotKey(region: string, group: string, index: number): string {
  return `${region}.${group}.${index}`;
}
