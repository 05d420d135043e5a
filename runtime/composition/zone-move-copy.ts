/**
 * The copy step of a zone move (protocol/zone-directory.ts, `moving`): read the zone from
 * its old group, which has frozen it (actors/state-machine/zone-freeze.ts), and build the
 * ONE batch that creates it in the new group. One batch is one Raft entry, so the new
 * group holds either nothing of the zone or all of it: the parent's delegation, which
 * switches once the zone exists there, never sends a resolver to half a copy.
 *
 * The copy keeps every RRset's version, and the tombstones (RRset and name deletions) at
 * every name that still holds data, so every region's copy equals its old one and
 * last-writer-wins goes on working across regions: a write that reached one region's new
 * group and another region's old group before its freeze ends identical in both. Its SOA
 * serial is the old one plus one (RFC 1982 §3.1: a secondary sees it move forward), its
 * apex NS the new group's nameservers. Tombstones at names without data are not listed by
 * the zone's pages and are not copied; a delayed write older than such a tombstone could
 * reappear in the copy (the writers' retries end within their deadline, long before).
 */

import type { RaftClient } from '../../clients/raft-client.js';
import { BATCH_CHANGES_MAX, type DnsChange } from '../../protocol/dns/changes.js';
import type { DnsNameView } from '../../protocol/dns/views.js';
import { Name } from '../../protocol/dns/wire/name.js';
import { frozenZoneKey } from '../../protocol/dns/zone-freeze-key.js';
import { ZONE_PAGE_RRSETS_MAX } from '../../protocol/limits.js';
import { MOVE_RRSETS_MAX } from '../../protocol/zone-directory.js';

const SERIAL_MODULUS = 2 ** 32;
/** Name reads of the copy outstanding at once (the freeze lasts while they run). */
const NAME_READS_IN_FLIGHT = 32;

export type ZoneCopy =
  | { readonly kind: 'not-frozen' }
  | { readonly kind: 'absent' }
  | { readonly kind: 'too-large'; readonly rrsets: number }
  | { readonly kind: 'ready'; readonly serial: number; readonly names: readonly DnsNameView[] };

/** The group `to` the zone is frozen for in `client`'s group, or undefined when it is not frozen. */
export async function frozenFor(
  client: RaftClient,
  zone: string,
  deadlineMs: number,
): Promise<string | undefined> {
  const entry = await client.get(frozenZoneKey(zone), { mode: 'linearizable', deadlineMs });
  return entry?.value;
}

/**
 * Reads `zone` from its old group for the copy, once frozen: every read after the freeze
 * sees the same content, so reading page by page and name by name is one state.
 */
export async function readFrozenZone(
  client: RaftClient,
  zone: string,
  deadlineMs: number,
): Promise<ZoneCopy> {
  if ((await frozenFor(client, zone, deadlineMs)) === undefined) return { kind: 'not-frozen' };
  const names = new Set<string>();
  let serial: number | undefined;
  for (let offset = 0; ; ) {
    const page = await client.dnsZonePage(zone, offset, ZONE_PAGE_RRSETS_MAX, {
      mode: 'linearizable',
      deadlineMs,
    });
    if (page === null) return { kind: 'absent' };
    if (page.total > MOVE_RRSETS_MAX) return { kind: 'too-large', rrsets: page.total };
    serial = page.serial;
    for (const rrset of page.rrsets) names.add(rrset.name.toLowerCase());
    offset += page.rrsets.length;
    if (page.rrsets.length === 0 || offset >= page.total) break;
  }
  const sorted = [...names].sort();
  const views: Array<DnsNameView | null> = [];
  for (let i = 0; i < sorted.length; i += NAME_READS_IN_FLIGHT)
    views.push(
      ...(await Promise.all(
        sorted
          .slice(i, i + NAME_READS_IN_FLIGHT)
          .map((name) => client.dnsRrsets(zone, name, 'linearizable', { deadlineMs })),
      )),
    );
  return {
    kind: 'ready',
    serial: serial ?? 0,
    names: views.filter((v): v is DnsNameView => v !== null),
  };
}

/**
 * The batch creating the copy: create-zone (SOA from the old one with the serial one
 * ahead, NS `ns`), then per name its name tombstone, RRset tombstones and RRsets, each with
 * its version. Tombstones are dropped first if the whole does not fit one batch.
 */
export function copyBatch(
  zone: string,
  serial: number,
  names: readonly DnsNameView[],
  ns: readonly string[],
  nsTtl: number,
): DnsChange[] | undefined {
  const apex = Name.parse(zone);
  let soa: { ttl: number; fields: string[] } | undefined;
  const data: DnsChange[] = [];
  const tombstones: DnsChange[] = [];
  for (const view of names) {
    const atApex = Name.parse(view.name).key === apex.key;
    if (view.nameDeleted !== null && !atApex)
      tombstones.push({ op: 'delete-name', zone, name: view.name, version: view.nameDeleted });
    for (const deleted of view.deleted)
      if (!(atApex && (deleted.type === 'SOA' || deleted.type === 'NS')))
        tombstones.push({
          op: 'delete-rrset',
          zone,
          name: view.name,
          type: deleted.type,
          version: deleted.version,
        });
    for (const rrset of view.rrsets) {
      if (atApex && rrset.type === 'SOA') {
        soa = { ttl: rrset.ttl, fields: (rrset.rdata[0] ?? '').split(/\s+/) };
        continue;
      }
      if (atApex && rrset.type === 'NS') continue;
      data.push({
        op: 'upsert',
        zone,
        name: rrset.name,
        type: rrset.type,
        ttl: rrset.ttl,
        rdata: [...rrset.rdata],
        version: rrset.version,
      });
    }
  }
  if (soa === undefined || soa.fields.length !== 7) return undefined;
  const [, rname, , refresh, retry, expire, minimum] = soa.fields;
  const create: DnsChange = {
    op: 'create-zone',
    zone,
    soa: {
      mname: ns[0] as string,
      rname: rname as string,
      refresh: Number(refresh),
      retry: Number(retry),
      expire: Number(expire),
      minimum: Number(minimum),
      ttl: soa.ttl,
      serial: (serial + 1) % SERIAL_MODULUS,
    },
    ns: [...ns],
    nsTtl,
  };
  if (1 + data.length > BATCH_CHANGES_MAX) return undefined;
  // Tombstones go before the data so a name's deletion never hides its newer RRsets.
  const kept = tombstones.slice(0, BATCH_CHANGES_MAX - 1 - data.length);
  return [create, ...kept, ...data];
}
