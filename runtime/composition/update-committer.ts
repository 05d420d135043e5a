/**
 * Commits the changes of RFC 2136 UPDATEs that the replica's DNS actor evaluated
 * (actors/dns/update/update-desk.ts), on the replica's main thread, which holds the NATS
 * connection the actors do not have.
 *
 * A `dns-update-commit` from the DNS actor becomes one versioned DNS batch:
 *
 *   1. home region (this replica's): the batch with the UPDATE's guards as prerequisites,
 *      sent through the group's client, so it reaches the leader wherever the UPDATE
 *      arrived (RFC 2136 §6: a follower forwards) and executes exactly once. The store
 *      checks the guards atomically at apply: `prerequisite-failed` means a concurrent
 *      write moved what the UPDATE read (`guards-failed`: the desk evaluates it again).
 *   2. with a cluster plan (bootstrap mode), the same versioned changes without guards
 *      to the group in every other region through the region writer, as `raftns write`
 *      does (regions that `raftns plan apply` adds included, as the writer follows the plan). The reply waits for them up to `OTHER_REGIONS_DEADLINE_MS`: NOERROR only
 *      when every region applied; otherwise SERVFAIL (`unavailable`) while the home
 *      region keeps the change and the other regions are retried in the background
 *      (`REPAIR_ATTEMPTS_MAX` times): the versions make the late copy converge, never
 *      undo something newer (last writer wins per RRset).
 *
 * Without a plan (a group started on its own) the home region is the whole cluster.
 * Limits: `IN_FLIGHT_MAX` commits at once (beyond: `unavailable` at once), every one
 * with a deadline.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { DnsActorMessage, DnsUpdateCommit, DnsUpdateOutcome } from '../../actors/dns/protocol.js';
import type { UpdateChange } from '../../actors/dns/update/update-evaluate.js';
import { DNS } from '../../actors/raft/actor-names.js';
import { PLAN_READ_TIMEOUT_MS, readPlanWithin } from '../../clients/plan-reader.js';
import { RaftClient } from '../../clients/raft-client.js';
import { type PreparedWrite, RegionWriter } from '../../clients/region-writer.js';
import type { DnsChange, DnsPrerequisite } from '../../protocol/dns/changes.js';
import { HybridClock } from '../../protocol/dns/version.js';
import type { ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';

export const IN_FLIGHT_MAX = 256;
export const HOME_DEADLINE_MS = 8_000;
export const OTHER_REGIONS_DEADLINE_MS = 5_000;
export const REPAIR_ATTEMPTS_MAX = 5;
const REPAIR_DELAY_MS = 2_000;

export interface UpdateCommitterOptions {
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly region: string;
  readonly group: string;
  readonly instanceId: string;
  readonly external: ExternalEndpoint;
  readonly log: Logger;
}

export interface Verdict {
  readonly outcome: DnsUpdateOutcome;
  readonly message: string;
}

export class UpdateCommitter {
  private inFlight = 0;
  private stopped = false;
  private readonly unlisten: () => void;

  private constructor(
    private readonly options: UpdateCommitterOptions,
    private readonly home: RaftClient,
    private readonly clock: HybridClock,
    /** The writer to the other regions, once the plan is read (undefined: this region only). */
    private readonly otherRegions: Promise<RegionWriter | undefined>,
  ) {
    this.unlisten = options.external.listen((from, message) => {
      if (from !== DNS || message.type !== 'dns-update-commit') return;
      void this.commit(message as DnsUpdateCommit);
    });
  }

  static async start(options: UpdateCommitterOptions): Promise<UpdateCommitter> {
    const writerId = `update-${options.instanceId}`.slice(0, 64);
    const clock = new HybridClock(writerId, () => Date.now());
    const home = await RaftClient.connect({
      nc: options.nc,
      cluster: options.cluster,
      region: options.region,
      group: options.group,
      deadlineMs: HOME_DEADLINE_MS,
    });
    // The plan is looked for in the background, so a replica is ready without waiting for
    // it; an UPDATE arriving meanwhile waits for the lookup (at most PLAN_READ_TIMEOUT_MS).
    const otherRegions = UpdateCommitter.openOtherRegions(options, writerId);
    return new UpdateCommitter(options, home, clock, otherRegions);
  }

  private static async openOtherRegions(
    options: UpdateCommitterOptions,
    writerId: string,
  ): Promise<RegionWriter | undefined> {
    try {
      const plan = await readPlanWithin(options.nc, options.cluster, PLAN_READ_TIMEOUT_MS);
      // Every other region, followed as the plan grows (none yet in a one-region plan).
      return await RegionWriter.open({
        nc: options.nc,
        cluster: options.cluster,
        plan,
        writerId,
        exceptRegion: options.region,
        deadlineMs: OTHER_REGIONS_DEADLINE_MS,
      });
    } catch (error) {
      options.log.info({ err: String(error) }, 'no cluster plan: UPDATEs are committed in this group only');
      return undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unlisten();
    await (await this.otherRegions)?.close();
    await this.home.close();
  }

  /**
   * Commits `changes` to `zone` as one batch with `guards` as prerequisites, exactly as an
   * UPDATE's changes are (see the header): the HTTP API's writes (pdns-api.ts) come here
   * too, with `home` the client of the group serving the zone in this region when that is
   * not this replica's group. Never throws; at most IN_FLIGHT_MAX commits at once.
   */
  async commitChanges(
    zone: string,
    changes: readonly UpdateChange[],
    guards: readonly DnsPrerequisite[],
    home: RaftClient = this.home,
  ): Promise<Verdict> {
    if (this.stopped || this.inFlight >= IN_FLIGHT_MAX)
      return { outcome: 'unavailable', message: 'too many writes in flight' };
    this.inFlight++;
    try {
      return await this.commitEverywhere({ zone, changes, guards }, home);
    } catch (error) {
      return { outcome: 'unavailable', message: String(error) };
    } finally {
      this.inFlight--;
    }
  }

  private async commit(commit: DnsUpdateCommit): Promise<void> {
    const verdict = await this.commitChanges(commit.zone, commit.changes, commit.guards);
    this.options.external.send(DNS, {
      type: 'dns-update-committed',
      id: commit.id,
      outcome: verdict.outcome,
      message: verdict.message,
    } satisfies DnsActorMessage);
  }

  private async commitEverywhere(
    commit: Pick<DnsUpdateCommit, 'zone' | 'changes' | 'guards'>,
    home: RaftClient,
  ): Promise<Verdict> {
    const changes: DnsChange[] = commit.changes.map((change) => ({
      ...change,
      zone: commit.zone,
      version: this.clock.next(),
    }));
    const result = await home.dnsBatch({ changes, prerequisites: commit.guards });
    if (!result.ok)
      return result.error.code === 'prerequisite-failed'
        ? { outcome: 'guards-failed', message: result.error.message }
        : result.error.code === 'zone-moving'
          ? // Frozen for a move (zone-freeze.ts): SERVFAIL, which UPDATE clients retry
            // (RFC 2136 §4.5) until the new group's nameservers take it.
            { outcome: 'unavailable', message: `${result.error.code}: ${result.error.message}` }
          : { outcome: 'rejected', message: `${result.error.code}: ${result.error.message}` };
    const writer = await this.otherRegions;
    if (writer === undefined || writer.regions.length === 0)
      return { outcome: 'committed', message: 'committed' };
    const { group } = writer.route(commit.zone);
    const prepared: PreparedWrite = { group, zone: commit.zone, batch: { changes } };
    const report = await writer.send(prepared);
    if (report.complete) return { outcome: 'committed', message: 'committed in every region' };
    void this.repair(prepared, report.missing);
    return {
      outcome: 'unavailable',
      message: `committed here; regions ${report.missing.join(', ')} pending`,
    };
  }

  /** Sends `prepared` again to the regions that missed it, a bounded number of times. */
  private async repair(prepared: PreparedWrite, missing: readonly string[]): Promise<void> {
    let regions = missing;
    for (let attempt = 1; attempt <= REPAIR_ATTEMPTS_MAX && regions.length > 0 && !this.stopped; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, REPAIR_DELAY_MS).unref());
      const writer = await this.otherRegions;
      if (writer === undefined || this.stopped) return;
      try {
        regions = (await writer.send(prepared, { regions })).missing;
      } catch (error) {
        // A writer closed by stop(), or a send that failed as a whole: the next attempt
        // (or anti-entropy between regions) repairs; nothing here may reject unhandled.
        this.options.log.warn({ zone: prepared.zone, err: String(error) }, 'UPDATE repair attempt failed');
      }
    }
    if (regions.length > 0)
      this.options.log.warn({ zone: prepared.zone, regions }, 'UPDATE not repaired in every region');
  }
}
