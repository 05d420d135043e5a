/**
 * Evaluating an UPDATE (RFC 2136 §3) against the current content of its zone: the
 * prerequisites (§3.2), the key's policy (§3.3), the update prescan's verdict (§3.4.1) and
 * the updates themselves (§3.4.2), applied in order to a working copy of the RRsets they
 * touch. The result is an rcode, or the RRset changes the UPDATE makes, with a guard for
 * every RRset and name it read: committing the changes under those guards (the store
 * checks them atomically, changes.ts `prerequisites`) makes the UPDATE atomic even though
 * it was evaluated on a copy that a concurrent write may have moved meanwhile.
 *
 * §3.4.2 rules enforced here:
 *   - add (§3.4.2.2): SOA adds are ignored (the store owns the zone's serial and keeps one
 *     SOA; a zone's SOA fields are changed by `raftns`); a CNAME where other data exists,
 *     or other data where a CNAME exists, is ignored (RFC 1034 §3.6.2; RFC 2136 §3.4.2.2);
 *     a CNAME where a CNAME exists replaces it; a duplicate RDATA is ignored; the RRset
 *     takes the TTL of the record added (RFC 2181 §5.2: one TTL per RRset), as BIND does;
 *   - delete an RRset (§3.4.2.3): SOA or NS at the apex is ignored;
 *   - delete a name (§3.4.2.3): at the apex, everything but SOA and NS;
 *   - delete an RR (§3.4.2.4): SOA is ignored; the last NS of the apex is kept.
 */
import {
  BATCH_CHANGES_MAX,
  BATCH_PREREQUISITES_MAX,
  type DnsPrerequisite,
} from '../../../protocol/dns/changes.js';
import type { ResolvedTsigKey } from '../../../protocol/dns/tsig/cluster-key.js';
import { policyAllows } from '../../../protocol/dns/tsig/cluster-key.js';
import { RCODE, RR_TYPE, rrTypeName } from '../../../protocol/dns/wire/codes.js';
import type { Name } from '../../../protocol/dns/wire/name.js';
import { type Rdata, rdataToText } from '../../../protocol/dns/wire/rdata.js';
import { rdataKey } from '../zone/live-zone.js';
import type { RRset, ZoneView } from '../zone/zone-view.js';
import type { UpdateOperation, UpdatePrerequisite, UpdateRequest } from './update-request.js';

/** A change to one RRset or name, in the writer's form (clients/region-writer.ts WriterChange). */
export type UpdateChange =
  | {
      readonly op: 'upsert';
      readonly name: string;
      readonly type: string;
      readonly ttl: number;
      readonly rdata: readonly string[];
    }
  | { readonly op: 'delete-rrset'; readonly name: string; readonly type: string }
  | { readonly op: 'delete-name'; readonly name: string };

export type UpdateVerdict =
  | { readonly kind: 'rcode'; readonly rcode: number; readonly why: string }
  /** Nothing to change (every update was ignored or a no-op): NOERROR without a write. */
  | { readonly kind: 'no-change' }
  | {
      readonly kind: 'changes';
      readonly zone: string;
      readonly changes: readonly UpdateChange[];
      /** Guards on everything the evaluation read, for the store to check at commit. */
      readonly guards: readonly DnsPrerequisite[];
    };

interface Working {
  readonly name: Name;
  readonly type: number;
  readonly ttl: number;
  readonly rdatas: readonly Rdata[];
}

/** One RRset of the working copy: where it is, and its content (null: absent). */
interface Slot {
  readonly name: Name;
  readonly type: number;
  value: Working | null;
}

const rcode = (code: number, why: string): UpdateVerdict => ({ kind: 'rcode', rcode: code, why });

/**
 * The verdict on `request` (zone and sections already read) for `zone` (the zone whose
 * apex is the request's zone, or undefined: NOTAUTH), signed with `key`.
 */
export function evaluateUpdate(
  request: UpdateRequest & { readonly kind: 'update' },
  zone: ZoneView | undefined,
  key: ResolvedTsigKey,
): UpdateVerdict {
  // §3.1.1: the zone must be one of ours, named by its apex.
  if (zone === undefined || !zone.apex.equals(request.zone) || zone.rrClass !== request.zoneClass)
    return rcode(RCODE.NOTAUTH, `not authoritative for ${request.zone}`);
  const apex = zone.apex;
  const guards = new Map<string, DnsPrerequisite>();
  const zoneText = apex.toString();
  const guardRRset = (name: Name, type: number) => {
    const key = `r|${name.key}|${type}`;
    if (guards.has(key)) return;
    const rrset = zone.rrset(name, type);
    const base = { zone: zoneText, name: name.toString(), type: rrTypeName(type) };
    guards.set(
      key,
      rrset === undefined
        ? { kind: 'rrset-absent', ...base }
        : { kind: 'rrset-equals', ...base, rdata: rrset.rdatas.map(rdataToText) },
    );
  };
  const guardName = (name: Name) => {
    const key = `n|${name.key}`;
    if (guards.has(key)) return;
    const kind = zone.node(name) === undefined ? 'name-absent' : 'name-exists';
    guards.set(key, { kind, zone: zoneText, name: name.toString() });
  };

  // §3.2: prerequisites, in order; the first that fails decides.
  if (!request.prerequisites.ok) return rcode(request.prerequisites.rcode, 'bad prerequisite section');
  for (const p of request.prerequisites.items) {
    const failed = checkPrerequisite(zone, p);
    if ('name' in p && 'type' in p) guardRRset(p.name, p.type);
    else guardName(p.name);
    if (failed !== undefined) return failed;
  }
  // §3.4.1: the update section's prescan.
  if (!request.updates.ok) return rcode(request.updates.rcode, 'bad update section');
  // §3.3: the key's policy covers every update.
  for (const u of request.updates.items) {
    const type = u.kind === 'delete-name' ? RR_TYPE.ANY : u.type;
    if (!policyAllows(key, apex, u.name, type))
      return rcode(RCODE.REFUSED, `key ${key.key.name} may not change ${rrTypeName(type)} at ${u.name}`);
  }

  // §3.4.2: the updates, in order, on a working copy.
  const working = new Map<string, Slot>();
  const slot = (name: Name, type: number): Slot => {
    const key = `${name.key}|${type}`;
    let known = working.get(key);
    if (known === undefined) {
      guardRRset(name, type);
      const rrset: RRset | undefined = zone.rrset(name, type);
      known = {
        name,
        type,
        value: rrset === undefined ? null : { name, type, ttl: rrset.ttl, rdatas: rrset.rdatas },
      };
      working.set(key, known);
    }
    return known;
  };
  const read = (name: Name, type: number): Working | null => slot(name, type).value;
  const write = (name: Name, type: number, value: Working | null) => {
    slot(name, type).value = value;
  };
  /** Types present at `name` now: the zone's, then what the working copy added or removed. */
  const typesAt = (name: Name): number[] => {
    const types = new Set<number>(zone.node(name)?.rrsets.keys() ?? []);
    for (const w of working.values()) if (w.value !== null && w.name.equals(name)) types.add(w.type);
    return [...types].filter((type) => {
      const w = read(name, type);
      return w !== null && w.rdatas.length > 0;
    });
  };
  const wholeNameDeleted = new Map<string, Name>();

  for (const u of request.updates.items) applyOperation(u);

  function applyOperation(u: UpdateOperation): void {
    const atApex = u.name.equals(apex);
    switch (u.kind) {
      case 'add': {
        if (u.type === RR_TYPE.SOA) return;
        const others = typesAt(u.name);
        if (u.type === RR_TYPE.CNAME && others.some((t) => t !== RR_TYPE.CNAME)) return;
        if (u.type !== RR_TYPE.CNAME && others.includes(RR_TYPE.CNAME)) return;
        const current = read(u.name, u.type);
        if (u.type === RR_TYPE.CNAME || current === null) {
          write(u.name, u.type, { name: u.name, type: u.type, ttl: u.ttl, rdatas: [u.rdata] });
          return;
        }
        const key = rdataKey(u.rdata);
        const rdatas = current.rdatas.some((r) => rdataKey(r) === key)
          ? current.rdatas
          : [...current.rdatas, u.rdata];
        write(u.name, u.type, { ...current, ttl: u.ttl, rdatas });
        return;
      }
      case 'delete-rrset':
        if (atApex && (u.type === RR_TYPE.SOA || u.type === RR_TYPE.NS)) return;
        if (read(u.name, u.type) !== null) write(u.name, u.type, null);
        return;
      case 'delete-name':
        for (const type of typesAt(u.name)) {
          if (atApex && (type === RR_TYPE.SOA || type === RR_TYPE.NS)) continue;
          write(u.name, type, null);
        }
        if (!atApex) {
          guardName(u.name);
          wholeNameDeleted.set(u.name.key, u.name);
        }
        return;
      case 'delete-rr': {
        if (u.type === RR_TYPE.SOA) return;
        const current = read(u.name, u.type);
        if (current === null) return;
        const key = rdataKey(u.rdata);
        const rdatas = current.rdatas.filter((r) => rdataKey(r) !== key);
        if (rdatas.length === current.rdatas.length) return;
        if (atApex && u.type === RR_TYPE.NS && rdatas.length === 0) return;
        write(u.name, u.type, rdatas.length === 0 ? null : { ...current, rdatas });
        return;
      }
    }
  }

  const changes: UpdateChange[] = [];
  // A name all of whose data goes: one delete-name, which also removes RRsets a concurrent
  // write added meanwhile, as the UPDATE's "delete all RRsets from a name" meant.
  const namesEmptied = [...wholeNameDeleted].filter(
    ([nameKey]) => ![...working.values()].some((w) => w.name.key === nameKey && w.value !== null),
  );
  const emptied = new Set(namesEmptied.map(([nameKey]) => nameKey));
  for (const { name, type, value } of working.values()) {
    const before = zone.rrset(name, type);
    if (value === null) {
      if (before !== undefined && !emptied.has(name.key))
        changes.push({ op: 'delete-rrset', name: name.toString(), type: rrTypeName(type) });
      continue;
    }
    if (before !== undefined && sameRRset(before, value)) continue;
    changes.push({
      op: 'upsert',
      name: name.toString(),
      type: rrTypeName(type),
      ttl: value.ttl,
      rdata: value.rdatas.map(rdataToText),
    });
  }
  for (const [, name] of namesEmptied)
    if (zone.node(name) !== undefined) changes.push({ op: 'delete-name', name: name.toString() });
  if (changes.length === 0) return { kind: 'no-change' };
  if (changes.length > BATCH_CHANGES_MAX)
    return rcode(RCODE.REFUSED, `${changes.length} RRset changes exceed ${BATCH_CHANGES_MAX}`);
  if (guards.size > BATCH_PREREQUISITES_MAX)
    return rcode(RCODE.REFUSED, `reads ${guards.size} RRsets and names, over ${BATCH_PREREQUISITES_MAX}`);
  return { kind: 'changes', zone: zoneText, changes, guards: [...guards.values()] };
}

function sameRRset(a: RRset, b: Working): boolean {
  if (a.ttl !== b.ttl || a.rdatas.length !== b.rdatas.length) return false;
  const keys = new Set(a.rdatas.map(rdataKey));
  return b.rdatas.every((r) => keys.has(rdataKey(r)));
}

/** §3.2.5's rcodes for a failed prerequisite; undefined when it holds. */
function checkPrerequisite(zone: ZoneView, p: UpdatePrerequisite): UpdateVerdict | undefined {
  switch (p.kind) {
    case 'name-in-use':
      return zone.node(p.name) === undefined ? rcode(RCODE.NXDOMAIN, `${p.name} is not in use`) : undefined;
    case 'name-not-in-use':
      return zone.node(p.name) !== undefined ? rcode(RCODE.YXDOMAIN, `${p.name} is in use`) : undefined;
    case 'rrset-exists':
      return zone.rrset(p.name, p.type) === undefined
        ? rcode(RCODE.NXRRSET, `no ${rrTypeName(p.type)} at ${p.name}`)
        : undefined;
    case 'rrset-absent':
      return zone.rrset(p.name, p.type) !== undefined
        ? rcode(RCODE.YXRRSET, `${rrTypeName(p.type)} at ${p.name} exists`)
        : undefined;
    case 'rrset-equals': {
      const rrset = zone.rrset(p.name, p.type);
      const want = new Set(p.rdatas.map(rdataKey));
      const have = new Set(rrset?.rdatas.map(rdataKey) ?? []);
      const equal = rrset !== undefined && want.size === have.size && [...want].every((k) => have.has(k));
      return equal ? undefined : rcode(RCODE.NXRRSET, `${rrTypeName(p.type)} at ${p.name} differs`);
    }
  }
}
