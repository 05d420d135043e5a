/**
 * The cluster plan: what `raftns init` writes into NATS KV and every replica reads at start.
 * Regions, how many replicas each nameserver group
 * has, and the hierarchy of groups — which group serves which zone, under which parent —
 * which every region holds a copy of.
 *
 * Group ids are NATS subject tokens (`root`, `org`, `wikipedia-org`): zone names contain
 * dots, which subject tokens cannot (DESIGN §5), so a group is named by id, not by zone.
 */
import { Name } from './dns/wire/name.js';
import { GROUP_VOTERS_MAX, GROUPS_MAX, NAME_CHARS_MAX, REGIONS_MAX } from './limits.js';
import {
  isArray,
  isInteger,
  isLiteral,
  isObject,
  isString,
  onlyKeys,
  type ShapeIssues,
  type ShapePath,
} from './shape-check.js';
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

const TOKEN_EXPECTED = `expected 1-${NAME_CHARS_MAX} letters, digits, "-" or "_"`;

/** A NATS subject token of NAME_RE's characters. */
function isToken(issues: ShapeIssues, path: ShapePath, value: unknown): boolean {
  if (!isString(issues, path, value)) return false;
  if (subjectTokenProblem(value) !== undefined || !NAME_RE.test(value))
    issues.push({ path, message: TOKEN_EXPECTED });
  return true;
}

const GROUP_KEYS = ['id', 'zone', 'parent'] as const;

function isGroupShape(issues: ShapeIssues, path: ShapePath, value: unknown): boolean {
  if (!isObject(issues, path, value)) return false;
  const id = isToken(issues, [...path, 'id'], value.id);
  const zone = isString(issues, [...path, 'zone'], value.zone, 1, 1024);
  const parent = value.parent === undefined || isToken(issues, [...path, 'parent'], value.parent);
  onlyKeys(issues, path, value, GROUP_KEYS);
  return id && zone && parent;
}

const PLAN_KEYS = ['version', 'cluster', 'regions', 'replicasPerGroup', 'groups'] as const;

/** The plan's fields, their types and bounds: what every later check relies on. */
function planShape(input: unknown): { plan: ClusterPlan } | { issues: ShapeIssues } {
  const issues: ShapeIssues = [];
  if (!isObject(issues, [], input)) return { issues };
  isLiteral(issues, ['version'], input.version, PLAN_VERSION);
  isToken(issues, ['cluster'], input.cluster);
  isArray(issues, ['regions'], input.regions, 1, REGIONS_MAX, isToken);
  isInteger(issues, ['replicasPerGroup'], input.replicasPerGroup, 1, GROUP_VOTERS_MAX);
  isArray(issues, ['groups'], input.groups, 1, GROUPS_MAX, isGroupShape);
  onlyKeys(issues, [], input, PLAN_KEYS);
  if (issues.length > 0) return { issues };
  // Every field checked: the plan, in a copy of its own (a group's `parent` kept as given).
  const groups = input.groups as readonly Readonly<Record<string, unknown>>[];
  return {
    plan: {
      version: PLAN_VERSION,
      cluster: input.cluster as string,
      regions: [...(input.regions as readonly string[])],
      replicasPerGroup: input.replicasPerGroup as number,
      groups: groups.map((g) => ({
        id: g.id as string,
        zone: g.zone as string,
        ...('parent' in g ? { parent: g.parent as string } : {}),
      })),
    },
  };
}

/**
 * Validates a plan (from JSON or from the KV bucket): shape, distinct regions and group
 * ids, odd replica count, zones that parse, one root group, every parent defined earlier
 * and serving an ancestor zone of its child, no zone served twice. Every problem found is
 * reported.
 */
export function validatePlan(input: unknown): PlanResult {
  const shape = planShape(input);
  if ('issues' in shape) {
    return {
      ok: false,
      errors: shape.issues.map((issue) => `plan.${issue.path.join('.') || '(root)'}: ${issue.message}`),
    };
  }
  const plan = shape.plan;
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
