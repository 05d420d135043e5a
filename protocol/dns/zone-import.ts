/**
 * Importing a whole zone atomically when it does not fit one batch (BATCH_CHANGES_MAX
 * changes, one NATS message): the client stages the new content in the group's key-value
 * store in chunks under one import id (ordinary `kv-put`s, replicated and snapshotted like
 * any key), then proposes one `dns-import` command naming the id and the chunk count. The
 * state machine applies that command as one entry: it reads the chunks, computes the
 * difference against the zone it holds at that index (zone-content.ts) and applies it as
 * one batch, then deletes the chunks whether or not the batch committed. Readers see the
 * zone before or after the entry, never a mix.
 *
 * Chunk keys: `dns-import/<import id>/<chunk index, 6 digits>`; a chunk's value is the
 * JSON of a list of ZoneRrset (an RRset too large for one chunk continues in the next
 * with the same TTL: the commit merges them).
 */
import type { DnsChange } from './changes.js';
import { isRecordVersion, type RecordVersion, VERSION_WRITER_CHARS_MAX } from './version.js';
import { RR_TYPE } from './wire/codes.js';
import { Name } from './wire/name.js';
import { rdataFromText } from './wire/rdata.js';
import { diffZoneContent, type ZoneRrset } from './zone-content.js';

export const ZONE_IMPORT_KEY_PREFIX = 'dns-import/';

/** Chunks of one import at most: 16384 chunks of a 64 KiB value are 1 GiB of staged text. */
export const IMPORT_CHUNKS_MAX = 16_384;

/** Characters of an import id: base64url of random bytes. */
export const IMPORT_ID_CHARS_MAX = 32;

/** The commit of a staged import. */
export interface DnsImport {
  /** The zone's apex, absolute. */
  readonly zone: string;
  readonly importId: string;
  /** Chunks staged, numbered 0 ..< chunks. */
  readonly chunks: number;
  /** The version of every RRset change the import makes (one writer's clock reading). */
  readonly version: RecordVersion;
}

export function stagedChunkKey(importId: string, index: number): string {
  return `${ZONE_IMPORT_KEY_PREFIX}${importId}/${String(index).padStart(6, '0')}`;
}

const IMPORT_ID = /^[A-Za-z0-9_-]+$/;

/** A copy holding only the known fields in a fixed order, or why the input is not an import. */
export function validateDnsImport(
  input: unknown,
): { ok: true; value: DnsImport } | { ok: false; message: string } {
  if (typeof input !== 'object' || input === null)
    return { ok: false, message: 'an import must be an object' };
  const v = input as Record<string, unknown>;
  if (typeof v.zone !== 'string' || v.zone.length === 0 || v.zone.length > 1024)
    return { ok: false, message: 'zone must be a name of 1..=1024 characters' };
  if (
    typeof v.importId !== 'string' ||
    v.importId.length > IMPORT_ID_CHARS_MAX ||
    !IMPORT_ID.test(v.importId)
  )
    return { ok: false, message: `importId must be 1..=${IMPORT_ID_CHARS_MAX} characters of [A-Za-z0-9_-]` };
  if (
    typeof v.chunks !== 'number' ||
    !Number.isInteger(v.chunks) ||
    v.chunks < 1 ||
    v.chunks > IMPORT_CHUNKS_MAX
  )
    return { ok: false, message: `chunks must be an integer in 1..=${IMPORT_CHUNKS_MAX}` };
  if (!isRecordVersion(v.version))
    return {
      ok: false,
      message: `version must be {hlcMs, counter, writer of at most ${VERSION_WRITER_CHARS_MAX}}`,
    };
  const { hlcMs, counter, writer } = v.version;
  return {
    ok: true,
    value: { zone: v.zone, importId: v.importId, chunks: v.chunks, version: { hlcMs, counter, writer } },
  };
}

/**
 * RRsets packed into chunk values of at most `valueBytesMax` UTF-8 bytes each, in order.
 * An RRset larger than a chunk is split by RDATA across consecutive chunks. Throws a
 * RangeError for one RDATA string that alone exceeds a chunk.
 */
export function packChunks(rrsets: readonly ZoneRrset[], valueBytesMax: number): string[] {
  const chunks: string[] = [];
  let current: ZoneRrset[] = [];
  let currentBytes = 2;
  const flush = () => {
    if (current.length > 0) chunks.push(JSON.stringify(current));
    current = [];
    currentBytes = 2;
  };
  const bytesOf = (r: ZoneRrset) => Buffer.byteLength(JSON.stringify(r)) + 1;
  for (const rrset of rrsets) {
    let pending: ZoneRrset = rrset;
    for (;;) {
      const size = bytesOf(pending);
      if (currentBytes + size <= valueBytesMax) {
        current.push(pending);
        currentBytes += size;
        break;
      }
      // Split: as many RDATA strings as fit in what is left of this chunk (or a fresh one).
      const head: string[] = [];
      let headBytes = bytesOf({ ...pending, rdata: [] });
      for (const r of pending.rdata) {
        const more = Buffer.byteLength(JSON.stringify(r)) + 1;
        if (currentBytes + headBytes + more > valueBytesMax) break;
        head.push(r);
        headBytes += more;
      }
      if (head.length === 0) {
        if (current.length === 0)
          throw new RangeError(
            `one RDATA of ${pending.name} ${pending.type} exceeds a staging chunk of ${valueBytesMax} bytes`,
          );
        flush();
        continue;
      }
      current.push({ ...pending, rdata: head });
      flush();
      pending = { ...pending, rdata: pending.rdata.slice(head.length) };
    }
  }
  flush();
  return chunks;
}

/** A chunk's value as RRsets, or why it is not one. */
export function unpackChunk(
  text: string,
): { ok: true; rrsets: ZoneRrset[] } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, message: 'a staged chunk is not JSON' };
  }
  if (!Array.isArray(json)) return { ok: false, message: 'a staged chunk is not a list' };
  const rrsets: ZoneRrset[] = [];
  for (const item of json) {
    if (typeof item !== 'object' || item === null)
      return { ok: false, message: 'a staged RRset is not an object' };
    const r = item as Record<string, unknown>;
    if (
      typeof r.name !== 'string' ||
      typeof r.type !== 'string' ||
      typeof r.ttl !== 'number' ||
      !Array.isArray(r.rdata) ||
      !r.rdata.every((x) => typeof x === 'string')
    )
      return { ok: false, message: 'a staged RRset lacks name, type, ttl or rdata' };
    rrsets.push({ name: r.name, type: r.type, ttl: r.ttl, rdata: r.rdata as string[] });
  }
  return { ok: true, rrsets };
}

/** RRsets split across chunks put back together (same owner and type: RDATA appended). */
export function mergeRrsets(rrsets: readonly ZoneRrset[]): ZoneRrset[] {
  const byKey = new Map<string, { name: string; type: string; ttl: number; rdata: string[] }>();
  for (const r of rrsets) {
    const key = `${r.name.toLowerCase()}\u0000${r.type.toUpperCase()}`;
    const seen = byKey.get(key);
    if (seen === undefined) byKey.set(key, { name: r.name, type: r.type, ttl: r.ttl, rdata: [...r.rdata] });
    else seen.rdata.push(...r.rdata);
  }
  return [...byKey.values()];
}

/**
 * The batch changes that make the zone hold `next`: with `current` null (no such zone)
 * a `create-zone` from the apex SOA and NS, then every other RRset; otherwise the
 * difference (diffZoneContent) as upserts and delete-rrsets, all with `version`.
 * Throws a RangeError if `next` lacks an apex SOA or NS, or an RRset does not parse.
 */
export function importChanges(
  apex: Name,
  current: readonly ZoneRrset[] | null,
  next: readonly ZoneRrset[],
  version: RecordVersion,
): DnsChange[] {
  const zone = apex.toString();
  if (current !== null) {
    const diff = diffZoneContent(apex, current, next);
    return [
      ...diff.deletes.map(
        (d): DnsChange => ({ op: 'delete-rrset', zone, name: d.name, type: d.type, version }),
      ),
      ...diff.upserts.map(
        (u): DnsChange => ({
          op: 'upsert',
          zone,
          name: u.name,
          type: u.type,
          ttl: u.ttl,
          rdata: u.rdata,
          version,
        }),
      ),
    ];
  }
  const atApex = (type: string) =>
    next.find((r) => r.type.toUpperCase() === type && Name.parse(r.name, apex).equals(apex));
  const soaSet = atApex('SOA');
  const nsSet = atApex('NS');
  if (soaSet === undefined || nsSet === undefined) throw new RangeError(`no SOA or NS at the apex ${zone}`);
  const soa = rdataFromText(RR_TYPE.SOA, soaSet.rdata[0] ?? '', apex);
  if (!soa.ok || soa.rdata.kind !== 'SOA') throw new RangeError(`the SOA of ${zone} does not parse`);
  const ns = nsSet.rdata.map((text) => {
    const parsed = rdataFromText(RR_TYPE.NS, text, apex);
    if (!parsed.ok || parsed.rdata.kind !== 'NS')
      throw new RangeError(`NS ${text} of ${zone} does not parse`);
    return parsed.rdata.target.toString();
  });
  const s = soa.rdata;
  const changes: DnsChange[] = [
    {
      op: 'create-zone',
      zone,
      soa: {
        mname: s.mname.toString(),
        rname: s.rname.toString(),
        refresh: s.refresh,
        retry: s.retry,
        expire: s.expire,
        minimum: s.minimum,
        ttl: soaSet.ttl,
        serial: s.serial,
      },
      ns,
      nsTtl: nsSet.ttl,
    },
  ];
  for (const r of next)
    if (r !== soaSet && r !== nsSet)
      changes.push({ op: 'upsert', zone, name: r.name, type: r.type, ttl: r.ttl, rdata: r.rdata, version });
  return changes;
}
