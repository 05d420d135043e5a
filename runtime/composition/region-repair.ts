/**
 * Anti-entropy between regions (docs/ARCHITECTURE.md, "Anti-entropy between regions"): while
 * this replica leads its group, every `periodMs` after the previous pass it compares each of
 * the group's zones with the same group's leader in every other region of the plan, and
 * takes what is newer there. A pass that took a backlog (FOLLOW_UP_MIN_VERSIONS versions or
 * more) is followed by the next at once (at most FOLLOW_UP_PASSES_MAX in a row), so a large
 * difference heals at the speed of the passes rather than one pass a period.
 *
 * A pass, per other region: one `dns-digest-roots` each side (a converged zone costs
 * nothing more); for a zone whose roots differ, the digest tree is walked down to the
 * leaves that differ (at most DIGEST_NODES_PER_REQUEST_MAX nodes a request,
 * SYNC_READS_IN_FLIGHT requests at once), the other region's versions of those leaves'
 * owners are read and, where it holds any, this region's too (SYNC_LEAVES_PER_REQUEST_MAX
 * leaves a chunk, OWNER_CHUNKS_IN_FLIGHT chunks at once; paged, SYNC_REPLY_BYTES_MAX a reply;
 * about ROUND_BYTES_MAX from the other region a zone and pass, a reply more per chunk
 * being read when it runs out), and the versions newer there go to this
 * region's group as ordinary DNS batches (protocol/dns/region-repair.ts, `repairChanges`):
 * the same last-writer-wins path as a writer's batch, no prerequisites, so a repair commutes
 * with live writes and never undoes a newer one. The batches commit while the next leaves'
 * owners are read, at most REPAIR_BATCHES_IN_FLIGHT at once. The other region takes what is
 * newer here in its own pass. Each batch is one Raft entry through this region's client (a
 * session: exactly once).
 *
 * Reads go to the other region's `…sync` subject (protocol/subjects.ts), which only its
 * leader serves and only replicas may use. Every call has a deadline; a region that does
 * not answer is reported `unreachable` and tried again next pass.
 *
 * Then tombstones are collected (protocol/dns/tombstone-collection.ts): for each zone every
 * other region answered for, a bounded scan finds leaves holding tombstones older than
 * `tombstoneHorizonMs`, those leaves' owners are read here and in every other region, and a
 * tombstone that every other region holds (or has no data under) at two observations at
 * least `settleMs` apart is dropped by one Raft command. Repairs do not take such old
 * tombstones back where they would change no data (`repairChanges`).
 *
 * What is remembered per zone and region (`agreement()`, shown by `raftns status` and
 * `raftns zone list`): the last state and since when; bounded by the group's zones times
 * the plan's regions, forgotten when this replica stops leading. The tombstones awaiting
 * their second observation are bounded per zone (PENDING_TOMBSTONES_MAX) and forgotten too.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { followPlan, PLAN_READ_TIMEOUT_MS, readPlanWithin } from '../../clients/plan-reader.js';
import { RaftClient } from '../../clients/raft-client.js';
import { BATCH_CHANGES_MAX, type DnsChange } from '../../protocol/dns/changes.js';
import {
  DIGEST_DEPTH,
  DIGEST_NODES_PER_REQUEST_MAX,
  digestChildren,
  repairChanges,
  SYNC_LEAVES_PER_REQUEST_MAX,
  type SyncCursor,
  type SyncOwner,
  type ZoneAgreement,
} from '../../protocol/dns/region-repair.js';
import {
  COLLECT_TOMBSTONES_MAX,
  collectibleTombstones,
  type Tombstone,
  tombstoneKey,
} from '../../protocol/dns/tombstone-collection.js';
import type { GroupQuery, QueryResult } from '../../protocol/group/commands.js';
import type { ClusterPlan } from '../../protocol/plan.js';
import type { Logger } from '../log.js';
import { followReadyLeadership, type LeadershipSource } from './leadership-feed.js';
import { PeriodicTask } from './periodic-task.js';

/** Owners' JSON read from one region for one zone in one pass; the rest waits for the next pass. */
export const ROUND_BYTES_MAX = 8 * 1024 * 1024;
/** Each read or batch: its deadline (a region that does not answer in time is `unreachable`). */
export const CALL_DEADLINE_MS = 3_000;
/**
 * Repair batches of one zone comparison in flight at once: they touch different owners and
 * each is a last-writer-wins step, so their order does not matter, and pipelining them
 * through Raft (while the next owners are read) takes a large repair from one commit round
 * trip a batch to a fraction of it. With BATCH_CHANGES_MAX changes a batch, this bounds the
 * changes awaiting commit; more only queue in the leader and wait longer each.
 */
export const REPAIR_BATCHES_IN_FLIGHT = 4;
/**
 * Each repair batch's deadline: longer than a read's, since a batch of BATCH_CHANGES_MAX
 * changes queued behind the others in flight commits after them, and a batch that runs out
 * of time ends the zone's repair for the pass.
 */
export const REPAIR_BATCH_DEADLINE_MS = 10_000;
/** Digest requests of one zone comparison in flight at once, per side. */
export const SYNC_READS_IN_FLIGHT = 4;
/**
 * Chunks of leaves whose owners are read at once (each at most ROUND_BYTES_MAX / this): two
 * keep the other region's leader busy while this side reads the last reply; more only queue
 * at its state machine, which serves reads one at a time, and run into the reads' deadline.
 */
export const OWNER_CHUNKS_IN_FLIGHT = 2;
/**
 * After a pass that took at least FOLLOW_UP_MIN_VERSIONS versions, the next starts at once
 * rather than a period later (more may wait: the rest of a pass cut short by ROUND_BYTES_MAX
 * or by a failed read, writes still arriving there), at most this many times in a row; then
 * the period applies again. A pass that took nothing waits the period: a converged zone
 * costs one root exchange a period.
 */
export const FOLLOW_UP_PASSES_MAX = 64;
/**
 * The versions a pass must take for the next to follow at once: a backlog, not the few
 * writes that are on their way between regions while writers write (taking those, each
 * pass would find a few more, and passes would run back to back while writes go on).
 */
export const FOLLOW_UP_MIN_VERSIONS = BATCH_CHANGES_MAX;
/** Tombstones per zone awaiting their second observation; more wait for a later scan. */
export const PENDING_TOMBSTONES_MAX = 8_192;
/** Collection commands per zone and pass at most (each COLLECT_TOMBSTONES_MAX tombstones). */
export const COLLECT_COMMANDS_PER_PASS_MAX = 4;
/** The default age below which a tombstone is never collected (`--tombstone-horizon-ms`). */
export const DEFAULT_TOMBSTONE_HORIZON_MS = 3_600_000;
/** The longest settling time between a tombstone's two observations. */
export const SETTLE_MS_MAX = 60_000;

export interface RegionRepairOptions {
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly region: string;
  readonly group: string;
  readonly leadership: LeadershipSource;
  readonly periodMs: number;
  /**
   * A tombstone is collected only once its version's clock is this far behind the leader's
   * wall clock, and only if every region held it (or no data under it) at two observations
   * min(this, SETTLE_MS_MAX) apart. It must exceed how late a writer's batch can arrive (its
   * deadline plus clock skew) and how long a repair batch can take from its read to its commit.
   */
  readonly tombstoneHorizonMs?: number;
  readonly log: Logger;
  /** Wall clock for the agreement times. */
  readonly nowMs: () => number;
}

/** What one pass did, for logs and tests. */
export interface RepairPass {
  readonly compared: number;
  readonly repaired: number;
  /** Tombstones dropped. */
  readonly collected: number;
}

export class RegionRepair {
  private readonly task: PeriodicTask<RepairPass>;
  private readonly clients = new Map<string, RaftClient>();
  private readonly agreements = new Map<string, ZoneAgreement>();
  /** Per zone: where the next tombstone scan starts, and the tombstones seen collectible (key → first seen, ms). */
  private readonly collection = new Map<
    string,
    {
      fromLeaf: number;
      pending: Map<string, { readonly owner: string; readonly firstSeenMs: number }>;
      tombstones: number;
      collected: number;
    }
  >();
  private plan: ClusterPlan | undefined;
  private stopFollowingPlan: (() => void) | undefined;
  private stopFollowingLeadership: (() => void) | undefined;
  private stopped = false;
  /** Passes in a row started at once after one that took a backlog (FOLLOW_UP_PASSES_MAX). */
  private followUps = 0;

  private constructor(private readonly options: RegionRepairOptions) {
    this.task = new PeriodicTask(
      () => this.pass(),
      options.periodMs,
      (outcome) => {
        if (outcome.repaired > 0) options.log.info({ ...outcome }, 'took versions newer in other regions');
        if (outcome.collected > 0)
          options.log.info({ ...outcome }, 'collected tombstones every region holds');
      },
      (error) => options.log.warn({ err: String(error) }, 'anti-entropy pass failed'),
      (outcome) => {
        this.followUps =
          outcome.repaired >= FOLLOW_UP_MIN_VERSIONS && this.followUps < FOLLOW_UP_PASSES_MAX
            ? this.followUps + 1
            : 0;
        return this.followUps > 0 ? 0 : undefined;
      },
    );
  }

  /**
   * Starts comparing once the plan is read (in the background: a replica without a plan, or
   * of a one-region plan, never compares) and while this replica leads.
   */
  static start(options: RegionRepairOptions): RegionRepair {
    const repair = new RegionRepair(options);
    void repair.follow();
    return repair;
  }

  /** The last comparison per zone and other region, by zone then region. */
  agreement(): ZoneAgreement[] {
    return [...this.agreements.values()].sort((a, b) =>
      a.zone === b.zone ? (a.region < b.region ? -1 : 1) : a.zone < b.zone ? -1 : 1,
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopFollowingLeadership?.();
    this.stopFollowingPlan?.();
    await this.task.stop();
    await Promise.all([...this.clients.values()].map((c) => c.close()));
  }

  private async follow(): Promise<void> {
    try {
      this.plan = await readPlanWithin(this.options.nc, this.options.cluster, PLAN_READ_TIMEOUT_MS);
      const stop = await followPlan(
        this.options.nc,
        this.options.cluster,
        (plan) => {
          this.plan = plan;
        },
        (error) => this.options.log.warn({ err: String(error) }, 'an invalid plan was stored: ignored'),
      );
      if (this.stopped) {
        stop();
        return;
      }
      this.stopFollowingPlan = stop;
    } catch (error) {
      this.options.log.info({ err: String(error) }, 'no cluster plan: no anti-entropy between regions');
      return;
    }
    if (this.stopped) return;
    this.task.start();
    // A pass at once when this replica becomes the ready leader of a term; a lease extension
    // is no reason for one (a converged zone costs one root exchange a period).
    const stopReady = followReadyLeadership(this.options.leadership, () => this.task.runSoon());
    const stopLost = this.options.leadership.onChange((leadership) => {
      if (!leadership.leading) {
        this.agreements.clear();
        this.collection.clear();
      }
    });
    this.stopFollowingLeadership = () => {
      stopReady();
      stopLost();
    };
  }

  private otherRegions(): string[] {
    const plan = this.plan;
    if (plan === undefined || !plan.groups.some((g) => g.id === this.options.group)) return [];
    return plan.regions.filter((r) => r !== this.options.region);
  }

  private async client(region: string): Promise<RaftClient> {
    let client = this.clients.get(region);
    if (client === undefined) {
      client = await RaftClient.connect({
        nc: this.options.nc,
        cluster: this.options.cluster,
        region,
        group: this.options.group,
        deadlineMs: CALL_DEADLINE_MS,
        requestTimeoutMs: 1_000,
      });
      this.clients.set(region, client);
    }
    return client;
  }

  /** One comparison with every other region (see the header). */
  async pass(): Promise<RepairPass> {
    const regions = this.otherRegions();
    if (this.stopped || regions.length === 0 || this.options.leadership.current()?.leading !== true)
      return { compared: 0, repaired: 0, collected: 0 };
    // Rows of regions the plan no longer has (retired) are not shown any more.
    for (const [key, agreement] of this.agreements)
      if (!regions.includes(agreement.region)) this.agreements.delete(key);
    const home = await this.client(this.options.region);
    let compared = 0;
    let repaired = 0;
    /** Zones every other region answered for in this pass: the ones whose tombstones may go. */
    let answered: Set<string> | undefined;
    for (const region of regions) {
      if (this.stopped || this.options.leadership.current()?.leading !== true) break;
      const localRoots = await rootsOf(home);
      let remoteRoots: Map<string, string>;
      try {
        remoteRoots = await rootsOf(await this.client(region));
      } catch (error) {
        this.options.log.debug({ region, err: String(error) }, 'another region did not answer');
        for (const zone of localRoots.keys()) this.record(zone, region, 'unreachable', 0);
        answered = new Set();
        continue;
      }
      const present = new Set([...localRoots.keys()].filter((zone) => remoteRoots.has(zone)));
      answered =
        answered === undefined ? present : new Set([...answered].filter((zone) => present.has(zone)));
      for (const [zone, digest] of localRoots) {
        compared++;
        const theirs = remoteRoots.get(zone);
        if (theirs === undefined) {
          this.record(zone, region, 'absent', 0);
          continue;
        }
        if (theirs === digest) {
          this.record(zone, region, 'agree', 0, true);
          continue;
        }
        let taken = 0;
        let held = false;
        try {
          ({ taken, held } = await this.repairZone(zone, home, await this.client(region)));
        } catch (error) {
          this.options.log.debug({ region, zone, err: String(error) }, 'repair of a zone stopped');
        }
        repaired += taken;
        this.record(zone, region, 'differ', taken, held);
      }
      // Zones this region no longer holds are not compared any more.
      for (const [key, agreement] of this.agreements)
        if (agreement.region === region && !localRoots.has(agreement.zone)) this.agreements.delete(key);
    }
    let collected = 0;
    for (const zone of this.collection.keys()) if (answered?.has(zone) !== true) this.collection.delete(zone);
    for (const zone of answered ?? []) {
      if (this.stopped || this.options.leadership.current()?.leading !== true) break;
      try {
        collected += await this.collectZone(zone, home, regions);
      } catch (error) {
        this.options.log.debug({ zone, err: String(error) }, 'tombstone collection of a zone stopped');
      }
    }
    return { compared, repaired, collected };
  }

  private horizonMs(): number {
    return this.options.tombstoneHorizonMs ?? DEFAULT_TOMBSTONE_HORIZON_MS;
  }

  /**
   * One bounded step of tombstone collection in `zone` (see the header): scan, read the
   * scanned leaves everywhere, remember what is collectible, drop what was collectible at
   * an observation at least the settling time ago and still is.
   */
  private async collectZone(zone: string, home: RaftClient, regions: readonly string[]): Promise<number> {
    const now = this.options.nowMs();
    const beforeMs = now - this.horizonMs();
    const settleMs = Math.min(this.horizonMs(), SETTLE_MS_MAX);
    let state = this.collection.get(zone);
    if (state === undefined) {
      state = { fromLeaf: 0, pending: new Map(), tombstones: 0, collected: 0 };
      this.collection.set(zone, state);
    }
    const { scan } = await syncRead(home, {
      op: 'dns-tombstone-scan',
      zone,
      beforeMs,
      fromLeaf: state.fromLeaf,
    });
    if (scan === null) return 0;
    state.fromLeaf = scan.next ?? 0;
    state.tombstones = scan.tombstones;
    this.noteTombstones(zone, state);
    if (scan.leaves.length === 0 || beforeMs <= 0) return 0;
    const ours = await ownersOf(home, zone, scan.leaves, Number.POSITIVE_INFINITY);
    const others: SyncOwner[][] = [];
    for (const region of regions) {
      // Every owner of the leaves must be read: an owner missing from a cut-short read would
      // look like one the region holds nothing for.
      const theirs = await ownersOf(await this.client(region), zone, scan.leaves, ROUND_BYTES_MAX);
      if (!theirs.complete) return 0;
      others.push(theirs.owners);
    }
    const candidates = collectibleTombstones(ours.owners, others, beforeMs);
    // Pending tombstones of the scanned owners are kept only if still collectible: the two
    // observations must both find every region holding them.
    const scanned = new Set(ours.owners.map((o) => o.name.toLowerCase()));
    const previous = state.pending;
    const pending = new Map([...previous].filter(([, p]) => !scanned.has(p.owner)));
    const ready: Tombstone[] = [];
    for (const tombstone of candidates) {
      const key = tombstoneKey(zone, tombstone);
      const firstSeenMs = previous.get(key)?.firstSeenMs;
      if (firstSeenMs !== undefined && now - firstSeenMs >= settleMs) ready.push(tombstone);
      else if (pending.size < PENDING_TOMBSTONES_MAX)
        pending.set(key, { owner: tombstone.name.toLowerCase(), firstSeenMs: firstSeenMs ?? now });
    }
    // Beyond this pass's commands, ready tombstones wait (still pending) for the next pass.
    const sent = ready.slice(0, COLLECT_TOMBSTONES_MAX * COLLECT_COMMANDS_PER_PASS_MAX);
    for (const tombstone of ready.slice(sent.length)) {
      const key = tombstoneKey(zone, tombstone);
      const firstSeenMs = previous.get(key)?.firstSeenMs ?? now;
      if (pending.size < PENDING_TOMBSTONES_MAX)
        pending.set(key, { owner: tombstone.name.toLowerCase(), firstSeenMs });
    }
    state.pending = pending;
    let collected = 0;
    for (let i = 0; i < sent.length; i += COLLECT_TOMBSTONES_MAX) {
      const tombstones = sent.slice(i, i + COLLECT_TOMBSTONES_MAX);
      const result = await home.collectTombstones({ zone, tombstones }, { deadlineMs: CALL_DEADLINE_MS });
      if (!result.ok) {
        this.options.log.warn({ zone, error: result.error }, 'a tombstone collection was refused');
        break;
      }
      collected += result.outcomes.filter((o) => o === 'applied').length;
    }
    state.collected += collected;
    state.tombstones = Math.max(0, state.tombstones - collected);
    this.noteTombstones(zone, state);
    return collected;
  }

  /** `held`: this comparison left this region holding every version the other one had. */
  private record(
    zone: string,
    region: string,
    state: ZoneAgreement['state'],
    repaired: number,
    held = false,
  ): void {
    const key = `${zone} ${region}`;
    const now = this.options.nowMs();
    const previous = this.agreements.get(key);
    const collection = this.collection.get(zone);
    const heldMs = held ? now : previous?.heldMs;
    this.agreements.set(key, {
      zone,
      region,
      state,
      sinceMs: previous !== undefined && previous.state === state ? previous.sinceMs : now,
      checkedMs: now,
      repaired: (previous?.repaired ?? 0) + repaired,
      ...(heldMs === undefined ? {} : { heldMs }),
      ...(collection === undefined
        ? {}
        : { tombstones: collection.tombstones, collected: collection.collected }),
    });
  }

  /** Puts a zone's tombstone figures on its agreement rows. */
  private noteTombstones(zone: string, figures: { tombstones: number; collected: number }): void {
    for (const [key, row] of this.agreements)
      if (row.zone === zone)
        this.agreements.set(key, { ...row, tombstones: figures.tombstones, collected: figures.collected });
  }

  /**
   * Walks the digest tree down to the differing leaves and takes the newer versions there.
   * Digest reads go SYNC_READS_IN_FLIGHT at a time, owner reads OWNER_CHUNKS_IN_FLIGHT chunks
   * at a time; the owners of the next leaves are read while the batches of the previous ones
   * commit, at most REPAIR_BATCHES_IN_FLIGHT at once. `held`: every differing leaf was read
   * whole and every version taken from it committed, so this region now holds all the other
   * one had when read (filled, protocol/dns/region-repair.ts `zoneFilled`).
   */
  private async repairZone(
    zone: string,
    home: RaftClient,
    remote: RaftClient,
  ): Promise<{ taken: number; held: boolean }> {
    let held = true;
    let differing = [0];
    for (let depth = 1; depth <= DIGEST_DEPTH && differing.length > 0; depth++) {
      const chunks = inChunks(differing.flatMap(digestChildren), DIGEST_NODES_PER_REQUEST_MAX);
      const compared = await mapBounded(chunks, SYNC_READS_IN_FLIGHT, async (chunk) => {
        const [ours, theirs] = await Promise.all([
          digestsOf(home, zone, depth, chunk),
          digestsOf(remote, zone, depth, chunk),
        ]);
        if (ours === null || theirs === null) return null;
        return chunk.filter((_, k) => ours[k] !== theirs[k]);
      });
      if (compared.some((c) => c === null)) return { taken: 0, held: false };
      differing = compared.flatMap((c) => c ?? []);
    }
    const batches = new BatchWindow<readonly DnsChange[]>(REPAIR_BATCHES_IN_FLIGHT, async (changes) => {
      const applied = await this.apply(home, zone, changes);
      if (!applied.complete) held = false;
      return applied.taken;
    });
    let budget = ROUND_BYTES_MAX;
    const chunks = inChunks(differing, SYNC_LEAVES_PER_REQUEST_MAX);
    const reading = mapBounded(chunks, OWNER_CHUNKS_IN_FLIGHT, async (leaves) => {
      // Read at once, the chunks share the pass's budget: each takes at most a share of it.
      if (budget <= 0) {
        held = false;
        return;
      }
      const theirs = await ownersOf(remote, zone, leaves, ROUND_BYTES_MAX / OWNER_CHUNKS_IN_FLIGHT);
      budget -= theirs.bytes;
      if (!theirs.complete) held = false;
      // Nothing there in these leaves (this region holds more): nothing to take.
      if (theirs.owners.length === 0) return;
      const ours = await ownersOf(home, zone, leaves, Number.POSITIVE_INFINITY);
      for (const changes of repairChanges(
        zone,
        ours.owners,
        theirs.owners,
        this.options.nowMs() - this.horizonMs(),
      ))
        await batches.submit(changes);
    });
    try {
      await reading;
    } catch (error) {
      // A read that failed stops the reading; what was read still commits, and counts (a
      // pass that took a backlog is followed by the next at once).
      this.options.log.debug({ zone, err: String(error) }, 'reading the versions of a zone stopped');
      held = false;
    }
    const taken = await batches.drain();
    return { taken, held };
  }

  /**
   * Commits one repair batch. If the versions taken together break a zone rule (a CNAME
   * newer there beside data newer here), each owner's changes go alone, and an owner that
   * still cannot is left as it is, reported: the regions then differ until a writer settles it.
   */
  private async apply(
    home: RaftClient,
    zone: string,
    changes: Parameters<RaftClient['dnsBatch']>[0]['changes'],
  ): Promise<{ taken: number; complete: boolean }> {
    const result = await home.dnsBatch({ changes }, { deadlineMs: REPAIR_BATCH_DEADLINE_MS });
    if (result.ok) return { taken: result.outcomes.filter((o) => o === 'applied').length, complete: true };
    if (result.error.code !== 'invalid-zone-data') {
      this.options.log.warn({ zone, error: result.error }, 'a repair batch was refused');
      return { taken: 0, complete: false };
    }
    const byOwner = new Map<string, (typeof changes)[number][]>();
    for (const change of changes) {
      const name = 'name' in change ? change.name.toLowerCase() : '';
      byOwner.set(name, [...(byOwner.get(name) ?? []), change]);
    }
    let taken = 0;
    let complete = true;
    for (const [name, ownerChanges] of byOwner) {
      const single = await home.dnsBatch({ changes: ownerChanges }, { deadlineMs: REPAIR_BATCH_DEADLINE_MS });
      if (single.ok) taken += single.outcomes.filter((o) => o === 'applied').length;
      else {
        complete = false;
        this.options.log.warn({ zone, name, error: single.error }, 'a repair of one owner was refused');
      }
    }
    return { taken, complete };
  }
}

async function syncRead<Op extends QueryResult['op']>(
  client: RaftClient,
  query: GroupQuery & { op: Op },
): Promise<QueryResult & { op: Op }> {
  // A lease read: what it misses of the last moments is compared again next pass.
  const result = await client.syncRead(query, { deadlineMs: CALL_DEADLINE_MS, mode: 'lease' });
  if (result.op !== query.op) throw new Error(`a ${query.op} was answered with a ${result.op}`);
  return result as QueryResult & { op: Op };
}

async function rootsOf(client: RaftClient): Promise<Map<string, string>> {
  const result = await syncRead(client, { op: 'dns-digest-roots' });
  return new Map(result.zones.map((z) => [z.zone, z.digest]));
}

async function digestsOf(
  client: RaftClient,
  zone: string,
  depth: number,
  nodes: readonly number[],
): Promise<readonly string[] | null> {
  return (await syncRead(client, { op: 'dns-digest-nodes', zone, depth, nodes })).digests;
}

/** Every owner of `leaves`, page by page, until `bytesMax` of them are read. */
async function ownersOf(
  client: RaftClient,
  zone: string,
  leaves: readonly number[],
  bytesMax: number,
): Promise<{ owners: SyncOwner[]; bytes: number; complete: boolean }> {
  const owners: SyncOwner[] = [];
  let bytes = 0;
  let after: SyncCursor | undefined;
  for (;;) {
    const { page } = await syncRead(client, {
      op: 'dns-sync-owners',
      zone,
      leaves,
      ...(after === undefined ? {} : { after }),
    });
    if (page === null) return { owners, bytes, complete: false };
    for (const owner of page.owners) {
      owners.push(owner);
      bytes += JSON.stringify(owner).length;
    }
    if (page.next === null) return { owners, bytes, complete: true };
    if (bytes >= bytesMax) return { owners, bytes, complete: false };
    after = page.next;
  }
}

/** `items` cut into consecutive runs of at most `size`. */
function inChunks<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * `fn` over `items`, at most `limit` at once; the results in the items' order. After a
 * failure no further item is started, and once the started ones end a failure is thrown.
 */
async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const at = next++;
      try {
        results[at] = await fn(items[at] as T);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  // Every started item ends before this does, so nothing it started outlives it.
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  return results;
}

/**
 * Repair batches committing at most `limit` at once: `submit` waits for room, `drain` for
 * all of them and gives the versions taken. The first failure stops further submissions
 * and is thrown by `submit` or `drain` (no batch's failure goes unobserved).
 */
class BatchWindow<C> {
  private readonly inFlight = new Set<Promise<void>>();
  private taken = 0;
  private failure: { readonly error: unknown } | undefined;

  constructor(
    private readonly limit: number,
    private readonly commit: (changes: C) => Promise<number>,
  ) {}

  async submit(changes: C): Promise<void> {
    while (this.inFlight.size >= this.limit) await Promise.race(this.inFlight);
    if (this.failure !== undefined) throw this.failure.error;
    const done: Promise<void> = this.commit(changes)
      .then(
        (n) => {
          this.taken += n;
        },
        (error: unknown) => {
          this.failure ??= { error };
        },
      )
      .finally(() => this.inFlight.delete(done));
    this.inFlight.add(done);
  }

  async drain(): Promise<number> {
    await Promise.all(this.inFlight);
    if (this.failure !== undefined) throw this.failure.error;
    return this.taken;
  }
}
