/**
 * Reading an RFC 2136 UPDATE message (opcode 5) into typed sections. The header's four
 * counts are ZOCOUNT, PRCOUNT, UPCOUNT and ADCOUNT (§2.2); the codec decodes them as the
 * question, answer, authority and additional sections.
 *
 * Each section is read on its own into its list or the rcode its first bad record earns,
 * because RFC 2136 §3 decides in a fixed order (zone, prerequisites, permissions, update
 * prescan) and a later section's error must not hide an earlier section's answer:
 *
 *   - zone (§3.1.1): ZOCOUNT ≠ 1 or ZTYPE ≠ SOA → FORMERR;
 *   - prerequisites (§3.2.1, the forms of §2.4): TTL ≠ 0 → FORMERR; a name outside the
 *     zone → NOTZONE; class ANY with RDATA → FORMERR; class ANY type ANY "name is in use";
 *     class ANY type T "RRset exists"; class NONE type ANY "name is not in use"; class NONE
 *     type T "RRset does not exist"; class ZCLASS type T with RDATA "RRset exists (value
 *     dependent)", grouped per name and type (§3.2.3); any other class → FORMERR;
 *   - updates (§3.4.1.3 prescan, the forms of §2.5): a name outside the zone → NOTZONE;
 *     class ZCLASS with a meta type or empty RDATA → FORMERR ("add to an RRset"); class
 *     ANY with TTL ≠ 0, RDATA, or type AXFR/MAILA/MAILB → FORMERR (type ANY "delete all
 *     RRsets from a name", else "delete an RRset"); class NONE with TTL ≠ 0 or a meta type
 *     → FORMERR ("delete an RR from an RRset"); any other class → FORMERR.
 */
import { META_TYPES, RCODE, RR_CLASS, RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import type { Message } from '../../../protocol/dns/wire/message.js';
import type { Name } from '../../../protocol/dns/wire/name.js';
import { type Rdata, rdataKindOf, rdataType } from '../../../protocol/dns/wire/rdata.js';
import type { ResourceRecord } from '../../../protocol/dns/wire/record.js';

export type UpdatePrerequisite =
  /** §2.4.4, fails NXDOMAIN. */
  | { readonly kind: 'name-in-use'; readonly name: Name }
  /** §2.4.5, fails YXDOMAIN. */
  | { readonly kind: 'name-not-in-use'; readonly name: Name }
  /** §2.4.1, fails NXRRSET. */
  | { readonly kind: 'rrset-exists'; readonly name: Name; readonly type: number }
  /** §2.4.3, fails YXRRSET. */
  | { readonly kind: 'rrset-absent'; readonly name: Name; readonly type: number }
  /** §2.4.2, fails NXRRSET: the RRset holds exactly these RDATAs (TTLs are not compared). */
  | { readonly kind: 'rrset-equals'; readonly name: Name; readonly type: number; readonly rdatas: Rdata[] };

export type UpdateOperation =
  /** §2.5.1 */
  | {
      readonly kind: 'add';
      readonly name: Name;
      readonly type: number;
      readonly ttl: number;
      readonly rdata: Rdata;
    }
  /** §2.5.2 */
  | { readonly kind: 'delete-rrset'; readonly name: Name; readonly type: number }
  /** §2.5.3 */
  | { readonly kind: 'delete-name'; readonly name: Name }
  /** §2.5.4 */
  | { readonly kind: 'delete-rr'; readonly name: Name; readonly type: number; readonly rdata: Rdata };

/** A section read into its items, or the rcode of its first bad record. */
export type Section<T> =
  | { readonly ok: true; readonly items: readonly T[] }
  | { readonly ok: false; readonly rcode: number };

export type UpdateRequest =
  | { readonly kind: 'formerr' }
  | {
      readonly kind: 'update';
      readonly zone: Name;
      readonly zoneClass: number;
      readonly prerequisites: Section<UpdatePrerequisite>;
      readonly updates: Section<UpdateOperation>;
    };

const ZONE_ONLY_TYPES: ReadonlySet<number> = new Set([RR_TYPE.AXFR, 253 /* MAILB */, 254 /* MAILA */]);

function isEmpty(rdata: Rdata): boolean {
  return rdata.kind === 'opaque' && rdata.bytes.length === 0;
}

/** RDATA that can be stored for `type`: not empty, and decoded when the type has a codec. */
function isData(rr: ResourceRecord): boolean {
  if (isEmpty(rr.rdata)) return false;
  return rdataKindOf(rr.type) === undefined || rdataType(rr.rdata) === rr.type;
}

class SectionFailure extends Error {
  constructor(readonly rcode: number) {
    super(`rcode ${rcode}`);
  }
}

function section<T>(
  records: readonly ResourceRecord[],
  read: (rr: ResourceRecord) => T | undefined,
): Section<T> {
  try {
    const items: T[] = [];
    for (const rr of records) {
      const item = read(rr);
      if (item !== undefined) items.push(item);
    }
    return { ok: true, items };
  } catch (error) {
    if (error instanceof SectionFailure) return { ok: false, rcode: error.rcode };
    throw error;
  }
}

const fail = (rcode: number): never => {
  throw new SectionFailure(rcode);
};

/** Reads an UPDATE message the codec decoded (its TSIG, if any, already removed). */
export function readUpdateRequest(message: Message): UpdateRequest {
  const zoneQuestion = message.questions[0];
  if (message.questions.length !== 1 || zoneQuestion === undefined || zoneQuestion.type !== RR_TYPE.SOA)
    return { kind: 'formerr' };
  const zone = zoneQuestion.name;
  const zoneClass = zoneQuestion.class;
  const inZone = (rr: ResourceRecord) => {
    if (!rr.name.isSubdomainOf(zone)) fail(RCODE.NOTZONE);
  };

  const equals = new Map<string, UpdatePrerequisite & { kind: 'rrset-equals' }>();
  const prerequisites = section<UpdatePrerequisite>(message.answers, (rr) => {
    if (rr.ttl !== 0) fail(RCODE.FORMERR);
    inZone(rr);
    if (rr.class === RR_CLASS.ANY || rr.class === RR_CLASS.NONE) {
      if (!isEmpty(rr.rdata)) fail(RCODE.FORMERR);
      const any = rr.class === RR_CLASS.ANY;
      if (rr.type === RR_TYPE.ANY) return { kind: any ? 'name-in-use' : 'name-not-in-use', name: rr.name };
      if (META_TYPES.has(rr.type)) fail(RCODE.FORMERR);
      return { kind: any ? 'rrset-exists' : 'rrset-absent', name: rr.name, type: rr.type };
    }
    if (rr.class !== zoneClass || META_TYPES.has(rr.type) || !isData(rr)) fail(RCODE.FORMERR);
    // §3.2.3: the records of one name and type form one RRset to compare.
    const key = `${rr.name.key}|${rr.type}`;
    const known = equals.get(key);
    if (known !== undefined) {
      known.rdatas.push(rr.rdata);
      return undefined;
    }
    const created = { kind: 'rrset-equals' as const, name: rr.name, type: rr.type, rdatas: [rr.rdata] };
    equals.set(key, created);
    return created;
  });

  const updates = section<UpdateOperation>(message.authorities, (rr) => {
    inZone(rr);
    if (rr.class === zoneClass) {
      if (META_TYPES.has(rr.type) || !isData(rr)) fail(RCODE.FORMERR);
      return { kind: 'add', name: rr.name, type: rr.type, ttl: rr.ttl, rdata: rr.rdata };
    }
    if (rr.class === RR_CLASS.ANY) {
      if (rr.ttl !== 0 || !isEmpty(rr.rdata) || ZONE_ONLY_TYPES.has(rr.type)) fail(RCODE.FORMERR);
      if (rr.type === RR_TYPE.ANY) return { kind: 'delete-name', name: rr.name };
      if (META_TYPES.has(rr.type)) fail(RCODE.FORMERR);
      return { kind: 'delete-rrset', name: rr.name, type: rr.type };
    }
    if (rr.class === RR_CLASS.NONE) {
      if (rr.ttl !== 0 || META_TYPES.has(rr.type) || !isData(rr)) fail(RCODE.FORMERR);
      return { kind: 'delete-rr', name: rr.name, type: rr.type, rdata: rr.rdata };
    }
    return fail(RCODE.FORMERR);
  });
  return { kind: 'update', zone, zoneClass, prerequisites, updates };
}
