/**
 * The commit of a staged zone import (protocol/dns/zone-import.ts), as the state machine
 * applies it at one log index: read the chunks from the key-value store, put split RRsets
 * back together, compute the changes against the zone as it is at this index, apply them
 * as one batch (all or nothing, dns-store.ts), and delete the chunks whatever the outcome,
 * so a retried or failed import leaves nothing staged. Deterministic: it reads only the
 * replicated state.
 */
import type { DnsBatchResult } from '../../protocol/dns/changes.js';
import { Name, NameError } from '../../protocol/dns/wire/name.js';
import { ZONE_RRSETS_MAX, type ZoneRrset } from '../../protocol/dns/zone-content.js';
import {
  type DnsImport,
  importChanges,
  mergeRrsets,
  stagedChunkKey,
  unpackChunk,
} from '../../protocol/dns/zone-import.js';
import type { DnsStore } from '../dns/store/dns-store.js';
import type { SortedKv } from './sorted-kv.js';
import { zoneRrsets } from './zone-pages.js';

/** Changes one import may apply: every old RRset deleted and every new one written. */
const IMPORT_CHANGES_MAX = 2 * ZONE_RRSETS_MAX + 1;

function refused(message: string): DnsBatchResult {
  return { ok: false, error: { code: 'malformed', message } };
}

export function commitZoneImport(data: SortedKv, dns: DnsStore, request: DnsImport): DnsBatchResult {
  const staged: ZoneRrset[] = [];
  let problem: string | undefined;
  for (let i = 0; i < request.chunks; i++) {
    const key = stagedChunkKey(request.importId, i);
    const entry = data.get(key);
    data.delete(key);
    if (problem !== undefined) continue;
    if (entry === null) {
      problem = `import ${request.importId}: chunk ${i} of ${request.chunks} is not staged`;
      continue;
    }
    const chunk = unpackChunk(entry.value);
    if (!chunk.ok) problem = `import ${request.importId}: chunk ${i}: ${chunk.message}`;
    else for (const rrset of chunk.rrsets) staged.push(rrset);
  }
  if (problem !== undefined) return refused(problem);
  let apex: Name;
  try {
    apex = Name.parse(request.zone);
  } catch (error) {
    if (error instanceof NameError) return refused(`zone ${request.zone}: ${error.message}`);
    throw error;
  }
  const next = mergeRrsets(staged);
  if (next.length > ZONE_RRSETS_MAX) return refused(`more than ${ZONE_RRSETS_MAX} RRsets`);
  const live = dns.zone(apex);
  let changes: ReturnType<typeof importChanges>;
  try {
    changes = importChanges(apex, live === undefined ? null : zoneRrsets(live), next, request.version);
  } catch (error) {
    if (error instanceof RangeError) return refused(`import of ${apex}: ${error.message}`);
    throw error;
  }
  // Nothing differs: a batch needs one change, so the SOA is written as it stands.
  if (changes.length === 0 && live !== undefined) {
    const soa = next.find((r) => r.type.toUpperCase() === 'SOA');
    if (soa !== undefined)
      changes.push({ op: 'upsert', zone: apex.toString(), ...soa, version: request.version });
  }
  return dns.applyBatch({ changes }, IMPORT_CHANGES_MAX);
}
