/**
 * What the status page draws: the cluster's hierarchy (regions → groups → replicas) from
 * one gathering (clients/cluster-status.ts), with rates that need two gatherings: DNS
 * queries per second from each replica's query count, and the mean client write latency
 * from its intake's applied-write count and summed seconds (intake to applied, the same
 * interval as the `raftns_client_write_duration_seconds` histogram).
 *
 * Rates are taken over a short window of past readings (at most RATE_READINGS_MAX, the
 * oldest no older than RATE_WINDOW_MS), so one quiet interval does not blank a figure. A
 * count that went down (its actor or process restarted) starts the window again. Pure:
 * the caller supplies the time.
 */
import type { GroupRow, ReplicaRow } from '../../../clients/cluster-status.js';

/** Readings kept per replica for its rates (with gatherings every ~500 ms: about 2 s). */
const RATE_READINGS_MAX = 5;
const RATE_WINDOW_MS = 3_000;
/** Replicas whose readings are kept at most (16 regions × 256 groups × 7 voters). */
const REPLICAS_TRACKED_MAX = 16 * 256 * 7;

export interface ReplicaView {
  readonly replica: string;
  readonly index: number;
  readonly reachable: boolean;
  readonly role: string | null;
  readonly term: number | null;
  readonly leader: string | null;
  readonly commitIndex: number | null;
  readonly appliedIndex: number | null;
  readonly lag: number | null;
  /** DNS queries per second over the window (null: unknown, or not two readings yet). */
  readonly qps: number | null;
  /** Mean milliseconds from intake to applied of the client writes in the window (null: none). */
  readonly writeLatencyMs: number | null;
  readonly error: string | null;
}

export interface GroupView {
  readonly group: string;
  readonly zone: string;
  readonly leader: string | null;
  readonly replicas: readonly ReplicaView[];
}

export interface RegionView {
  readonly region: string;
  readonly groups: readonly GroupView[];
}

export interface StatusSnapshot {
  readonly v: 1;
  readonly cluster: string;
  /** Who gathered it: a replica's id, or `dashboard`. */
  readonly source: string;
  /** Counts up with each snapshot the source sends. */
  readonly seq: number;
  readonly regions: readonly RegionView[];
  /** Why this gathering failed (the hierarchy is then the last good one), or a note; null when fine. */
  readonly error: string | null;
  readonly note: string | null;
}

interface Reading {
  readonly atMs: number;
  readonly dnsQueries: number | null;
  readonly writes: number | null;
  readonly writeSeconds: number | null;
}

/** Turns gatherings into snapshots, keeping the readings the rates need. */
export class SnapshotBuilder {
  private readonly readings = new Map<string, Reading[]>();
  private seq = 0;

  constructor(
    private readonly cluster: string,
    private readonly source: string,
  ) {}

  /** The snapshot of `groups`, gathered at `atMs` (monotonic). */
  build(groups: readonly GroupRow[], atMs: number, note: string | null = null): StatusSnapshot {
    const seen = new Set<string>();
    const regions = new Map<string, GroupView[]>();
    for (const g of groups) {
      const replicas = g.replicas.map((r) => {
        const key = `${r.region}/${r.group}/${r.replica}`;
        seen.add(key);
        return this.view(key, r, atMs);
      });
      const views = regions.get(g.region) ?? [];
      views.push({ group: g.group, zone: g.zone, leader: g.leader, replicas });
      regions.set(g.region, views);
    }
    for (const key of this.readings.keys()) if (!seen.has(key)) this.readings.delete(key);
    return {
      v: 1,
      cluster: this.cluster,
      source: this.source,
      seq: ++this.seq,
      regions: [...regions].map(([region, views]) => ({ region, groups: views })),
      error: null,
      note,
    };
  }

  /** `last` again, saying why no fresh one could be had. */
  failed(last: StatusSnapshot | undefined, error: string): StatusSnapshot {
    return {
      v: 1,
      cluster: this.cluster,
      source: this.source,
      seq: ++this.seq,
      regions: last?.regions ?? [],
      error,
      note: last?.note ?? null,
    };
  }

  private view(key: string, r: ReplicaRow, atMs: number): ReplicaView {
    const reading: Reading = {
      atMs,
      dnsQueries: r.dnsQueries,
      writes: r.writesApplied,
      writeSeconds: r.writeSecondsApplied,
    };
    const past = (this.readings.get(key) ?? []).filter((p) => atMs - p.atMs <= RATE_WINDOW_MS);
    // A count that went down was restarted: earlier readings say nothing about the rate.
    const usable = past.filter(
      (p) => !decreased(p.dnsQueries, reading.dnsQueries) && !decreased(p.writes, reading.writes),
    );
    const oldest = usable[0];
    if (r.reachable) {
      usable.push(reading);
      if (this.readings.has(key) || this.readings.size < REPLICAS_TRACKED_MAX)
        this.readings.set(key, usable.slice(-RATE_READINGS_MAX));
    }
    return {
      replica: r.replica,
      index: r.index,
      reachable: r.reachable,
      role: r.role,
      term: r.term,
      leader: r.leader,
      commitIndex: r.commitIndex,
      appliedIndex: r.appliedIndex,
      lag: r.lag,
      qps: oldest === undefined || !r.reachable ? null : queryRate(oldest, reading),
      writeLatencyMs: oldest === undefined || !r.reachable ? null : meanWriteMs(oldest, reading),
      error: r.error,
    };
  }
}

function decreased(before: number | null, after: number | null): boolean {
  return before !== null && after !== null && after < before;
}

function queryRate(from: Reading, to: Reading): number | null {
  const seconds = (to.atMs - from.atMs) / 1000;
  if (from.dnsQueries === null || to.dnsQueries === null || seconds <= 0) return null;
  return (to.dnsQueries - from.dnsQueries) / seconds;
}

function meanWriteMs(from: Reading, to: Reading): number | null {
  if (from.writes === null || to.writes === null || from.writeSeconds === null || to.writeSeconds === null)
    return null;
  const writes = to.writes - from.writes;
  if (writes <= 0) return null;
  return ((to.writeSeconds - from.writeSeconds) / writes) * 1000;
}
