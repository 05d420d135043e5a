/**
 * Frozen zones: a zone being moved to another group (protocol/zone-directory.ts, `moving`)
 * is frozen in its old group by one committed key-value entry, `dns-frozen/<apex key>`
 * (protocol/dns/zone-freeze-key.ts), whose value names the group it moves to. From the entry's index on, the state machine
 * refuses every DNS write to the zone (a batch naming it, or an import of it) with the
 * typed, retryable `zone-moving` error, so no write can commit in the old group after the
 * freeze and a copy read at any later index holds every write the group ever acknowledged.
 * The new group freezes the zone the same way before its copy arrives, until the parent
 * delegates to it, so no write is acknowledged there while resolvers are still sent to the
 * old group. A batch that creates or deletes the zone is not refused: the copy creates it,
 * and the old group's `delete-zone` ends its freeze in the same entry. The key is an
 * ordinary replicated key, so snapshots and restarts keep the freeze. Deterministic: it reads only the
 * replicated state.
 */
import type { DnsBatchResult } from '../../protocol/dns/changes.js';
import { FROZEN_ZONE_KEY_PREFIX, frozenZoneKey } from '../../protocol/dns/zone-freeze-key.js';
import type { SortedKv } from './sorted-kv.js';

/** Characters of a frozen key's value (a group id) at most. */
const TARGET_CHARS_MAX = 64;

/** The refusal of a write to a frozen zone, or undefined when `zones` names none. */
export function frozenZoneRefusal(data: SortedKv, zones: Iterable<unknown>): DnsBatchResult | undefined {
  if (data.size === 0) return undefined;
  for (const zone of zones) {
    if (typeof zone !== 'string') continue;
    let key: string;
    try {
      key = frozenZoneKey(zone);
    } catch {
      continue; // not a name: the store's syntax check refuses it with its own error
    }
    const entry = data.get(key);
    if (entry === null) continue;
    const to = entry.value.slice(0, TARGET_CHARS_MAX);
    return {
      ok: false,
      error: {
        code: 'zone-moving',
        message: `zone ${key.slice(FROZEN_ZONE_KEY_PREFIX.length)} is moving to group ${to}: write it there (retry)`,
        zone: key.slice(FROZEN_ZONE_KEY_PREFIX.length),
        to,
      },
    };
  }
  return undefined;
}

/** The zones a batch's changes name (the batch is unchecked input). */
export function batchZones(batch: unknown): unknown[] {
  if (typeof batch !== 'object' || batch === null) return [];
  const changes = (batch as { changes?: unknown }).changes;
  if (!Array.isArray(changes)) return [];
  return changes.map((c) =>
    typeof c === 'object' && c !== null ? (c as { zone?: unknown }).zone : undefined,
  );
}

/** The zones a batch creates or deletes (writes a freeze lets through). */
export function createdOrDeletedZones(batch: unknown): string[] {
  return zonesOfOps(batch, new Set(['create-zone', 'delete-zone']));
}

/** The zones a batch deletes (their freeze ends with them). */
export function deletedZones(batch: unknown): string[] {
  return zonesOfOps(batch, new Set(['delete-zone']));
}

function zonesOfOps(batch: unknown, ops: ReadonlySet<string>): string[] {
  if (typeof batch !== 'object' || batch === null) return [];
  const changes = (batch as { changes?: unknown }).changes;
  if (!Array.isArray(changes)) return [];
  const out: string[] = [];
  for (const c of changes)
    if (typeof c === 'object' && c !== null && ops.has(String((c as { op?: unknown }).op))) {
      const zone = (c as { zone?: unknown }).zone;
      if (typeof zone === 'string') out.push(zone);
    }
  return out;
}
