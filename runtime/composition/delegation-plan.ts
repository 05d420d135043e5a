/**
 * What the hierarchy's delegation data should be, from the plan and the replicas that hold
 * each group's slots in a region (pure: no I/O).
 *
 * Each replica of a group is one nameserver of the group's zone, named
 * `ns-<instanceId>.<zone>` (in-bailiwick, so the parent can carry its address as glue):
 * - in the group's own zone: the apex NS RRset lists every replica's name, and each name
 *   has an A/AAAA RRset with the replica's advertised addresses;
 * - in the parent's zone: an NS RRset at the child's apex with the same names (the cut,
 *   RFC 1034 §4.2.1) and the same A/AAAA RRsets below it as glue (RFC 1034 §4.2.1,
 *   RFC 9471: in-bailiwick glue must be sent).
 * Each region's groups delegate to the same region's replicas: every region holds its own
 * copy of the hierarchy.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { DnsChange } from '../../protocol/dns/changes.js';
import { DELEGATION_TTL } from '../../protocol/dns/delegation-ttl.js';
import type { RecordVersion } from '../../protocol/dns/version.js';
import type { DnsNameView } from '../../protocol/dns/views.js';
import type { GroupPlan } from '../../protocol/plan.js';

export const ADDRESS_TTL = 300;

/** One replica of a group as the registry knows it. */
export interface GroupMember {
  readonly instanceId: string;
  /** Advertised IP addresses (glue). */
  readonly addresses: readonly string[];
}

/**
 * The members with `addresses` as every nameserver's addresses: a group reached through
 * anycast addresses in front of its replicas (an AWS Global Accelerator, docs/AWS.md), whose
 * glue must be those addresses, not the replicas' own. `undefined` or empty: unchanged.
 */
export function withAddresses(
  members: readonly GroupMember[],
  addresses: readonly string[] | undefined,
): readonly GroupMember[] {
  if (addresses === undefined || addresses.length === 0) return members;
  return members.map((m) => ({ instanceId: m.instanceId, addresses: [...addresses] }));
}

/** The nameserver name of a replica of `zone`. */
export function nameserverName(instanceId: string, zone: string): string {
  const id = instanceId.toLowerCase();
  return zone === '.' ? `ns-${id}.` : `ns-${id}.${zone}`;
}

/** The RRsets (presentation form) one zone should hold for a group's nameservers. */
export interface DesiredRRset {
  readonly name: string;
  readonly type: 'NS' | 'A' | 'AAAA';
  readonly ttl: number;
  /** Sorted, so comparing two lists is comparing sets. */
  readonly rdata: readonly string[];
}

/** The NS RRset at `group.zone` and the address RRsets of its nameservers. */
export function nameserverRRsets(group: GroupPlan, members: readonly GroupMember[]): DesiredRRset[] {
  const sorted = [...members].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  const out: DesiredRRset[] = [
    {
      name: group.zone,
      type: 'NS',
      ttl: DELEGATION_TTL,
      rdata: sorted.map((m) => nameserverName(m.instanceId, group.zone)).sort(),
    },
  ];
  for (const member of sorted) {
    const name = nameserverName(member.instanceId, group.zone);
    const v4 = member.addresses.filter((a) => isIPv4(a)).sort();
    const v6 = member.addresses.filter((a) => isIPv6(a)).sort();
    if (v4.length > 0) out.push({ name, type: 'A', ttl: ADDRESS_TTL, rdata: v4 });
    if (v6.length > 0) out.push({ name, type: 'AAAA', ttl: ADDRESS_TTL, rdata: v6 });
  }
  return out;
}

/** The current state of the names a reconcile looks at, as read from the store. */
export type CurrentNames = ReadonlyMap<string, DnsNameView | null>;

/**
 * The changes that make `zone` hold exactly `desired` for the nameserver names, given what
 * it holds now: upserts where the RRset differs or is missing, deletions of a nameserver's
 * A or AAAA RRset it should no longer have, and deletions of the names of nameservers that
 * are no longer in the NS RRset (`staleNames`). `nextVersion`
 * must give versions above every version read (the caller's hybrid clock observed them).
 */
export function reconcileChanges(
  zone: string,
  desired: readonly DesiredRRset[],
  current: CurrentNames,
  staleNames: readonly string[],
  nextVersion: () => RecordVersion,
): DnsChange[] {
  const changes: DnsChange[] = [];
  for (const want of desired) {
    const have = current.get(want.name)?.rrsets.find((r) => r.type === want.type);
    const same =
      have !== undefined &&
      have.ttl === want.ttl &&
      sameSet(
        have.rdata.map((r) => r.toLowerCase()),
        want.rdata.map((r) => r.toLowerCase()),
      );
    if (!same)
      changes.push({
        op: 'upsert',
        zone,
        name: want.name,
        type: want.type,
        ttl: want.ttl,
        rdata: [...want.rdata],
        version: nextVersion(),
      });
  }
  // A nameserver's address RRset of a family it no longer has (an IPv6 address gone, the
  // accelerators' addresses replacing the replicas' own): deleted, not left as stale glue.
  const nameservers = desired.find((d) => d.type === 'NS')?.rdata.map((r) => r.toLowerCase()) ?? [];
  for (const name of nameservers) {
    const view = [...current.entries()].find(([key]) => key.toLowerCase() === name)?.[1];
    for (const rrset of view?.rrsets ?? []) {
      if (rrset.type !== 'A' && rrset.type !== 'AAAA') continue;
      if (desired.some((d) => d.name.toLowerCase() === name && d.type === rrset.type)) continue;
      changes.push({
        op: 'delete-rrset',
        zone,
        name: view?.name ?? name,
        type: rrset.type,
        version: nextVersion(),
      });
    }
  }
  const wanted = new Set(desired.map((d) => d.name.toLowerCase()));
  for (const name of staleNames) {
    if (wanted.has(name.toLowerCase())) continue;
    const view = current.get(name);
    if (view === null || view === undefined || view.rrsets.length === 0) continue;
    changes.push({ op: 'delete-name', zone, name, version: nextVersion() });
  }
  return changes;
}

/** Nameserver names in the NS RRset at `apex` that `desired` no longer lists. */
export function staleNameservers(
  apex: string,
  desired: readonly DesiredRRset[],
  current: CurrentNames,
): string[] {
  const ns = current.get(apex)?.rrsets.find((r) => r.type === 'NS');
  if (ns === undefined) return [];
  const wanted = new Set(desired.find((d) => d.type === 'NS')?.rdata.map((r) => r.toLowerCase()) ?? []);
  return ns.rdata.filter((target) => !wanted.has(target.toLowerCase()));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}
