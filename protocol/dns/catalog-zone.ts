/**
 * A nameserver group's catalog zone (RFC 9432, schema version 2): a zone listing every zone
 * the group serves, so a secondary configured with the catalog alone (Knot's
 * `catalog-role: interpret`, BIND's `catalog-zones`) serves every member without
 * per-zone configuration. Pure: the same members and serial give the same records on every
 * replica.
 *
 *   - Name: `catalog.<group>.<cluster>.raftns.invalid.`: one per group, and never a real
 *     zone's name (`invalid.` is reserved, RFC 6761 §6.4; RFC 9432 §4 lets the catalog
 *     have any name, suggesting one under `invalid.`).
 *   - RFC 9432 §4.1: an SOA at the apex; its mname and rname are meaningless (`invalid.`);
 *     the serial moves when the member set does (the caller's rule, group-catalog.ts).
 *   - §4.2: exactly one NS, `invalid.`.
 *   - §4.2.1: `version.<catalog>` TXT "2".
 *   - §4.3: each member as `<unique-id>.zones.<catalog>` PTR `<member zone>`. §4.3.1: the
 *     unique id is a single label that must stay the same for a member as long as it is in
 *     the catalog, and differ between members: here the first 80 bits of the SHA-256 of the
 *     member's name in lowercase presentation form, in hexadecimal (a collision needs about
 *     2^40 members; members are bounded far below that by `CATALOG_MEMBERS_MAX`).
 *   - §4 says nothing of TTLs ("catalog consumers ... ignore" them): 0 everywhere.
 *   - A catalog name leaves room for its member owners (`CATALOG_NAME_OCTETS_MAX`).
 */
import { createHash } from 'node:crypto';
import { RR_CLASS } from './wire/codes.js';
import { lowercaseAscii, Name } from './wire/name.js';
import { type Rdata, rdataType } from './wire/rdata.js';
import type { ResourceRecord } from './wire/record.js';

/** Members one catalog lists at most (the cluster's transfer rules have the same bound). */
export const CATALOG_MEMBERS_MAX = 4096;
/** Label under which every catalog of the cluster lives, below `invalid.`. */
const CATALOG_SUFFIX = ['raftns', 'invalid'] as const;
/** RFC 9432 §4.2.1: the schema version this catalog follows. */
export const CATALOG_SCHEMA_VERSION = '2';
/**
 * SOA timers: a secondary checks the catalog's serial every minute (no NOTIFY is sent for a
 * catalog unless `raftns zone notify` lists secondaries for it), retries after 30 s, and
 * keeps serving its members four weeks after losing every primary (RFC 9432 §5.3: an
 * expired catalog removes its members).
 */
const CATALOG_SOA_TIMERS = { refresh: 60, retry: 30, expire: 2_419_200, minimum: 0 } as const;

const INVALID = Name.fromLabels(['invalid']);
/** Hex digits of a member's unique id. */
const MEMBER_ID_DIGITS = 20;
/**
 * The longest catalog name (wire octets) whose member owners, `<id>.zones.<catalog>`, still
 * fit in a name (RFC 1035 §2.3.4: 255 octets): 1 + 20 and 1 + 5 octets more.
 */
export const CATALOG_NAME_OCTETS_MAX = 255 - (1 + MEMBER_ID_DIGITS) - (1 + 'zones'.length);

/** True when `name` can be a catalog: its member owners fit in a name. */
export function fitsAsCatalog(name: Name): boolean {
  return name.wireLength <= CATALOG_NAME_OCTETS_MAX;
}

/**
 * The catalog zone of `group` in `cluster`. Throws a `NameError` or a `RangeError` when the
 * ids make too long a name for a catalog (`fitsAsCatalog`).
 */
export function catalogZoneName(cluster: string, group: string): Name {
  const name = Name.fromLabels(['catalog', group, cluster, ...CATALOG_SUFFIX]);
  if (!fitsAsCatalog(name))
    throw new RangeError(`catalog name ${name} is longer than ${CATALOG_NAME_OCTETS_MAX} octets`);
  return name;
}

/** RFC 9432 §4.3.1: the member's unique-id label (stable: a function of the name alone). */
export function catalogMemberId(zone: Name): string {
  return createHash('sha256')
    .update(lowercaseAscii(zone.toString()), 'latin1')
    .digest('hex')
    .slice(0, MEMBER_ID_DIGITS);
}

/** The owner of `zone`'s PTR in the catalog `catalog` (RFC 9432 §4.3). */
export function catalogMemberOwner(catalog: Name, zone: Name): Name {
  return Name.fromLabels([catalogMemberId(zone), 'zones', ...catalog.labels]);
}

/**
 * Every record of the catalog `catalog` listing `members` at `serial`: SOA, NS, version
 * TXT, then one PTR per member in the order of their unique ids (duplicates, by name
 * ignoring case, listed once). Throws a `RangeError` beyond `CATALOG_MEMBERS_MAX` members.
 */
export function catalogRecords(catalog: Name, members: Iterable<Name>, serial: number): ResourceRecord[] {
  const byId = new Map<string, Name>();
  for (const member of members) {
    byId.set(catalogMemberId(member), member);
    if (byId.size > CATALOG_MEMBERS_MAX)
      throw new RangeError(`a catalog lists at most ${CATALOG_MEMBERS_MAX} zones`);
  }
  const record = (name: Name, rdata: Rdata): ResourceRecord => ({
    name,
    type: rdataType(rdata) as number,
    class: RR_CLASS.IN,
    ttl: 0,
    rdata,
  });
  const records: ResourceRecord[] = [
    record(catalog, {
      kind: 'SOA',
      mname: INVALID,
      rname: INVALID,
      serial: serial >>> 0,
      ...CATALOG_SOA_TIMERS,
    }),
    record(catalog, { kind: 'NS', target: INVALID }),
    record(Name.fromLabels(['version', ...catalog.labels]), {
      kind: 'TXT',
      strings: [new TextEncoder().encode(CATALOG_SCHEMA_VERSION)],
    }),
  ];
  for (const id of [...byId.keys()].sort()) {
    const member = byId.get(id) as Name;
    records.push(record(Name.fromLabels([id, 'zones', ...catalog.labels]), { kind: 'PTR', target: member }));
  }
  return records;
}
