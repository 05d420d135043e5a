/**
 * Writing DNS changes to every region: every region holds its own copy of the
 * hierarchy (groups of the plan, each serving its planned zone and the zones created in it at
 * runtime), and a change must reach the group serving its name in each of them.
 *
 *   const writer = await RegionWriter.open({ natsUrls, cluster: 'prod' });   // plan from KV
 *   const report = await writer.write([
 *     { op: 'upsert', name: 'www.example.org.', type: 'A', ttl: 300, rdata: ['192.0.2.1'] },
 *   ]);
 *   for (const r of report.regions) console.log(r.region, r.status);
 *   await writer.close();
 *
 * How regions converge: the writer stamps each RRset change with a version from its one
 * HybridClock and sends the SAME batch, versions included, to the group in every region.
 * The store keeps the newest version per RRset (last writer wins), so regions that apply
 * the same set of batches hold the same data whatever the order they applied them in,
 * including batches of writers racing on one RRset.
 *
 * Delivery: one RaftClient per (region, group), all on one NATS connection. The batch goes
 * to every region concurrently as ONE client write per region: the client retries it with
 * backoff, under one session seq, until the region acknowledges or the deadline passes, so
 * it executes at most once per region however many attempts it takes (a leader killed in
 * the middle included). Every reply is checked (one outcome per change, a serial); the
 * report says per region `applied` (serial, per-change outcomes), `rejected` (the store's
 * typed DnsWriteError: nothing applied there) or `unreachable` (the last error, and whether
 * the batch may nevertheless have applied). A region left behind is repaired by sending the
 * same prepared write again (`send(prepared, { regions })`): its versions are unchanged, so
 * it cannot undo anything newer.
 *
 * A zone moving to another group (protocol/zone-directory.ts) is frozen in its old group,
 * which refuses the write as `zone-moving`, naming the new group: the writer then sends the
 * same batch (same versions) to the new group in that region, backing off while the copy
 * is not there yet (`no-such-zone`), at most MOVE_RETRIES_MAX times and within the write's
 * deadline. Nothing applied in the old group, so the batch still executes once per region.
 *
 * Limits: a batch holds at most BATCH_CHANGES_MAX changes for ONE group (the store's
 * limits, checked with `validateBatchSyntax` before anything is sent); at most
 * `inFlightPerRegionMax` writes per region are outstanding at once (later ones wait, within
 * their deadline); every write has a deadline.
 */

import { randomBytes } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { ZoneRegistryStore } from '../bootstrap/zone-registry-store.js';
import {
  type ChangeOutcome,
  type DnsBatch,
  type DnsBatchResult,
  type DnsChange,
  type DnsWriteError,
  type SoaFields,
  validateBatchSyntax,
} from '../protocol/dns/changes.js';
import { HybridClock, type RecordVersion } from '../protocol/dns/version.js';
import type { DnsNameView } from '../protocol/dns/views.js';
import { withFinalDot } from '../protocol/dns/wire/name.js';
import type { ClusterPlan, GroupPlan } from '../protocol/plan.js';
import type { ReadModeText } from '../protocol/read-mode.js';
import { type RegisteredZone, ZoneDirectory } from '../protocol/zone-directory.js';
import { type Logger, silentLogger } from '../runtime/log.js';
import { connectNats } from '../runtime/nats/nats-connection.js';
import {
  ClientClosedError,
  NotLeaderError,
  RejectedError,
  TimeoutError,
  UnknownOutcomeError,
} from './errors.js';
import { InvalidBatchError } from './invalid-batch-error.js';
import { type NameRoute, routeName } from './name-route.js';
import { followPlan, readPlan } from './plan-reader.js';
import { RaftClient, REQUEST_TIMEOUT_MS_DEFAULT } from './raft-client.js';

export const WRITE_DEADLINE_MS_DEFAULT = 10_000;
export const IN_FLIGHT_PER_REGION_MAX_DEFAULT = 16;
/** Attempts at a moving zone's new group per region and write, and their backoff. */
export const MOVE_RETRIES_MAX = 40;
const MOVE_BACKOFF_MS_MIN = 20;
const MOVE_BACKOFF_MS_MAX = 200;

/** A change as a writer gives it: absolute names, no zone (the plan's), no version (the writer's). */
export type WriterChange =
  | {
      readonly op: 'upsert';
      readonly name: string;
      readonly type: string;
      readonly ttl: number;
      readonly rdata: readonly string[];
    }
  | { readonly op: 'delete-rrset'; readonly name: string; readonly type: string }
  | { readonly op: 'delete-name'; readonly name: string }
  | {
      readonly op: 'create-zone';
      readonly zone: string;
      readonly soa: SoaFields;
      readonly ns: readonly string[];
      readonly nsTtl: number;
    }
  | { readonly op: 'delete-zone'; readonly zone: string };

/** A batch ready to send: its group, its zone, and the changes with their versions. */
export interface PreparedWrite {
  readonly group: GroupPlan;
  readonly zone: string;
  readonly batch: DnsBatch;
}

export type RegionOutcome =
  | {
      readonly region: string;
      readonly status: 'applied';
      /** The zone's serial after the batch (null if the reply named no serial for it). */
      readonly serial: number | null;
      readonly serials: Readonly<Record<string, number>>;
      /** One per change: `superseded` when the region already held a newer version. */
      readonly outcomes: readonly ChangeOutcome[];
      readonly elapsedMs: number;
    }
  | {
      readonly region: string;
      readonly status: 'rejected';
      /** Nothing of the batch applied in this region. */
      readonly error: DnsWriteError;
      readonly elapsedMs: number;
    }
  | {
      readonly region: string;
      readonly status: 'unreachable';
      readonly error: Error;
      /** True when an attempt may have executed (it did so at most once); false: it did not. */
      readonly maybeApplied: boolean;
      readonly elapsedMs: number;
    };

export interface WriteReport {
  readonly group: string;
  readonly zone: string;
  readonly batch: DnsBatch;
  /** In the order of the regions written to. */
  readonly regions: readonly RegionOutcome[];
  /** Every region applied the batch. */
  readonly complete: boolean;
  /** Regions that did not apply it (rejected or unreachable). */
  readonly missing: readonly string[];
}

export { InvalidBatchError } from './invalid-batch-error.js';

export interface RegionWriterOptions {
  /** A connection to share; the writer does not close it. Give this or `natsUrls`. */
  readonly nc?: NatsConnection;
  readonly natsUrls?: readonly string[];
  /** Credentials file of the connection made from `natsUrls` (runtime/nats/nats-connection.ts). */
  readonly natsCredsFile?: string;
  readonly cluster: string;
  /** The plan; read from `planBucket(cluster)` when absent. */
  readonly plan?: ClusterPlan;
  /**
   * The regions to write to, fixed; each must be in the plan. Default: every region of the
   * plan but `exceptRegion`, followed as `raftns plan apply` adds regions.
   */
  readonly regions?: readonly string[];
  /** With `regions` absent: every region but this one (a replica writing to the others). */
  readonly exceptRegion?: string;
  /** The versions' writer id (1..=64 chars); default a random one. */
  readonly writerId?: string;
  /** The clock's time source (default Date.now). */
  readonly nowMs?: () => number;
  /** Default deadline of one write, every region and retry included. */
  readonly deadlineMs?: number;
  /** How long one attempt waits for its answer. */
  readonly requestTimeoutMs?: number;
  readonly inFlightPerRegionMax?: number;
  readonly log?: Logger;
}

export interface SendOptions {
  /** A subset of the writer's regions (repairing the ones a previous send missed). */
  readonly regions?: readonly string[];
  readonly deadlineMs?: number;
}

const now = () => performance.now();

/** A counting semaphore whose waits end at a deadline. */
class Slots {
  private used = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly max: number) {}

  /** True once a slot is held; false if `deadline` passed first. */
  async acquire(deadline: number): Promise<boolean> {
    while (this.used >= this.max) {
      const remainingMs = deadline - now();
      if (remainingMs <= 0) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          const i = this.waiters.indexOf(wake);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve();
        };
        const timer = setTimeout(wake, remainingMs);
        this.waiters.push(wake);
      });
    }
    this.used++;
    return true;
  }

  release(): void {
    this.used--;
    this.waiters[0]?.();
  }
}

export class RegionWriter {
  private readonly clock: HybridClock;
  private readonly clients = new Map<string, RaftClient>();
  private readonly slots = new Map<string, Slots>();
  private readonly deadlineMs: number;
  private readonly requestTimeoutMs: number;
  private closed = false;
  private directory: ZoneDirectory;
  private registered: readonly RegisteredZone[];
  private currentPlan: ClusterPlan;
  private stopWatchingZones: (() => void) | undefined;
  private stopWatchingPlan: (() => void) | undefined;
  private readonly inFlightPerRegionMax: number;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly ownsConnection: boolean,
    plan: ClusterPlan,
    /** The regions given to `open` (without repeats), or undefined: the plan's, followed. */
    private readonly fixedRegions: readonly string[] | undefined,
    private readonly options: RegionWriterOptions,
    registered: readonly RegisteredZone[],
  ) {
    this.currentPlan = plan;
    this.registered = registered;
    this.directory = new ZoneDirectory(plan, registered);
    const writerId = options.writerId ?? `w-${randomBytes(9).toString('base64url')}`;
    this.clock = new HybridClock(writerId, options.nowMs ?? Date.now);
    this.deadlineMs = positiveInt('deadlineMs', options.deadlineMs ?? WRITE_DEADLINE_MS_DEFAULT);
    this.requestTimeoutMs = positiveInt(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT,
    );
    this.inFlightPerRegionMax = positiveInt(
      'inFlightPerRegionMax',
      options.inFlightPerRegionMax ?? IN_FLIGHT_PER_REGION_MAX_DEFAULT,
    );
    for (const region of plan.regions) this.slots.set(region, new Slots(this.inFlightPerRegionMax));
  }

  /** The regions written to by default. */
  get regions(): readonly string[] {
    return this.fixedRegions ?? this.currentPlan.regions.filter((r) => r !== this.options.exceptRegion);
  }

  /**
   * Takes in a stored plan: groups added are routed to; regions added are written to and
   * regions retired are not, unless the regions were fixed (a writer given regions keeps
   * the plan it had while one of them is retired). A plan reordering the regions that stay
   * (plan apply refuses it) is ignored too.
   */
  private followPlan(next: ClusterPlan): void {
    const remaining = this.currentPlan.regions.filter((r) => next.regions.includes(r));
    if (remaining.some((r, i) => next.regions[i] !== r)) return;
    if (this.fixedRegions?.some((r) => !next.regions.includes(r)) === true) return;
    this.currentPlan = next;
    this.directory = new ZoneDirectory(next, this.registered);
    for (const region of next.regions)
      if (!this.slots.has(region)) this.slots.set(region, new Slots(this.inFlightPerRegionMax));
  }

  /**
   * Connects (or adopts `nc`) and reads the plan from KV unless given. Fails with
   * PlanUnavailableError (no plan), RangeError (a region not in the plan, bad options), or
   * the connection's error.
   */
  static async open(options: RegionWriterOptions): Promise<RegionWriter> {
    let nc = options.nc;
    const owns = nc === undefined;
    if (nc === undefined) {
      if (options.natsUrls === undefined || options.natsUrls.length === 0)
        throw new RangeError('RegionWriter.open: give natsUrls or nc');
      nc = await connectNats({
        urls: options.natsUrls,
        name: 'raftns-region-writer',
        log: options.log ?? silentLogger,
        ...(options.natsCredsFile === undefined ? {} : { credsFile: options.natsCredsFile }),
      });
    }
    try {
      const plan = options.plan ?? (await readPlan(nc, options.cluster));
      if (plan.cluster !== options.cluster)
        throw new RangeError(`the plan is for cluster ${plan.cluster}, not ${options.cluster}`);
      if (options.regions !== undefined && options.exceptRegion !== undefined)
        throw new RangeError('RegionWriter.open: give regions or exceptRegion, not both');
      const regions = options.regions ?? plan.regions.filter((r) => r !== options.exceptRegion);
      const unknown = regions.filter((r) => !plan.regions.includes(r));
      if (unknown.length > 0)
        throw new RangeError(
          `not regions of the plan: ${unknown.join(', ')} (plan: ${plan.regions.join(', ')})`,
        );
      // Every region but one may be none yet (a one-region plan): regions added later are.
      if (regions.length === 0 && options.exceptRegion === undefined)
        throw new RangeError('no regions to write to');
      // Zones beyond the plan route by the registry: read now, and followed while open.
      const registry = await ZoneRegistryStore.open(nc, plan.cluster);
      const writer = new RegionWriter(
        nc,
        owns,
        plan,
        options.regions === undefined ? undefined : [...new Set(options.regions)],
        options,
        await registry.list(),
      );
      writer.stopWatchingZones = await registry.watch(
        (zones) => {
          writer.registered = zones;
          writer.directory = new ZoneDirectory(writer.currentPlan, zones);
        },
        () => undefined,
      );
      // The stored plan is followed: groups and regions added by `raftns plan apply` are
      // written to (a writer given a plan with no plan bucket behind it keeps that plan).
      writer.stopWatchingPlan = await followPlan(
        nc,
        plan.cluster,
        (next) => writer.followPlan(next),
        () => undefined,
      ).catch(() => undefined);
      return writer;
    } catch (error) {
      if (owns) await nc.close();
      throw error;
    }
  }

  /** The id in every version this writer stamps. */
  get writerId(): string {
    return this.clock.writer;
  }

  /** A fresh version from this writer's clock, for changes it builds elsewhere (a zone import). */
  nextVersion(): RecordVersion {
    return this.clock.next();
  }

  /** The cluster plan as this writer knows it now. */
  get plan(): ClusterPlan {
    return this.currentPlan;
  }

  /** The zones the cluster serves (the plan's and the registry's), as this writer knows them. */
  get zones(): ZoneDirectory {
    return this.directory;
  }

  /**
   * The group serving `name` and its zone (the longest served zone containing it, from the
   * plan or the zone registry); throws InvalidBatchError when no group does or the zone is
   * being deleted.
   */
  route(name: string): NameRoute {
    return routeName(this.plan, this.directory, name);
  }

  /**
   * Turns changes into one batch for one group: zone from the plan, a fresh version per
   * RRset change, then the store's syntax check. Throws InvalidBatchError (unknown op,
   * names of several groups, a zone the plan does not name, or what validateBatchSyntax
   * refuses, limits included). Nothing is sent.
   */
  prepare(changes: readonly WriterChange[]): PreparedWrite {
    if (changes.length === 0)
      throw new InvalidBatchError({ code: 'empty-batch', message: 'a batch needs at least one change' });
    let route: { group: GroupPlan; zone: string } | undefined;
    const dns: DnsChange[] = [];
    changes.forEach((change, i) => {
      const here = this.route(keyName(change, i));
      if ((change.op === 'create-zone' || change.op === 'delete-zone') && !sameName(change.zone, here.zone))
        throw new InvalidBatchError({
          code: 'no-group',
          message: `change ${i}: zone ${change.zone} is not a zone of the cluster (${here.zone} of group ${here.group.id} serves it)`,
        });
      if (route !== undefined && route.group.id !== here.group.id)
        throw new InvalidBatchError({
          code: 'spans-groups',
          message: `change ${i} is for group ${here.group.id}, the batch for group ${route.group.id}: one batch, one group`,
        });
      route = here;
      dns.push(this.stamp(change, here.zone, i));
    });
    if (route === undefined) throw new Error('unreachable: a non-empty batch has a route');
    const batch: DnsBatch = { changes: dns };
    const syntax = validateBatchSyntax(batch);
    if (!syntax.ok) throw new InvalidBatchError(syntax.error);
    return { group: route.group, zone: route.zone, batch };
  }

  /** `prepare` then `send` to every region of the writer. */
  write(changes: readonly WriterChange[], options: SendOptions = {}): Promise<WriteReport> {
    return this.send(this.prepare(changes), options);
  }

  /**
   * Sends a prepared batch to its group in each region at once and waits for every region
   * to settle (applied, rejected, or unreachable at the deadline). Never throws for a
   * region's failure: the report has it.
   */
  async send(prepared: PreparedWrite, options: SendOptions = {}): Promise<WriteReport> {
    this.assertOpen();
    const regions = options.regions ?? this.regions;
    for (const region of regions)
      if (!this.plan.regions.includes(region)) throw new RangeError(`${region} is not a region of the plan`);
    const deadlineMs = positiveInt('deadlineMs', options.deadlineMs ?? this.deadlineMs);
    const deadline = now() + deadlineMs;
    const outcomes = await Promise.all(
      regions.map((region) => this.sendToRegion(region, prepared, deadline, deadlineMs)),
    );
    const missing = outcomes.filter((o) => o.status !== 'applied').map((o) => o.region);
    return {
      group: prepared.group.id,
      zone: prepared.zone,
      batch: prepared.batch,
      regions: outcomes,
      complete: missing.length === 0,
      missing,
    };
  }

  /** The RRsets at `name` as `region` holds them, with versions (null: no such zone there). */
  async rrsets(
    region: string,
    name: string,
    mode?: ReadModeText,
    replica?: string,
  ): Promise<DnsNameView | null> {
    const { group, zone } = this.route(name);
    const client = await this.client(region, group.id);
    return client.dnsRrsets(zone, withFinalDot(name), mode, {
      deadlineMs: this.deadlineMs,
      ...(replica === undefined ? {} : { replica }),
    });
  }

  /** The writer's client of `group` in `region` (one session each; closed by `close`). */
  async client(region: string, group: string): Promise<RaftClient> {
    this.assertOpen();
    const key = `${region}\u0000${group}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      client = await RaftClient.connect({
        nc: this.nc,
        cluster: this.plan.cluster,
        region,
        group,
        requestTimeoutMs: this.requestTimeoutMs,
        deadlineMs: this.deadlineMs,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** Closes the clients, and the connection if the writer opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWatchingZones?.();
    this.stopWatchingPlan?.();
    for (const client of this.clients.values()) await client.close();
    this.clients.clear();
    if (this.ownsConnection) await this.nc.close();
  }

  // ------------------------------------------------------------------ internals

  private stamp(change: WriterChange, zone: string, i: number): DnsChange {
    switch (change.op) {
      case 'upsert':
        return {
          op: 'upsert',
          zone,
          name: withFinalDot(change.name),
          type: change.type,
          ttl: change.ttl,
          rdata: [...change.rdata],
          version: this.clock.next(),
        };
      case 'delete-rrset':
        return {
          op: 'delete-rrset',
          zone,
          name: withFinalDot(change.name),
          type: change.type,
          version: this.clock.next(),
        };
      case 'delete-name':
        return { op: 'delete-name', zone, name: withFinalDot(change.name), version: this.clock.next() };
      case 'create-zone':
        return { op: 'create-zone', zone, soa: change.soa, ns: [...change.ns], nsTtl: change.nsTtl };
      case 'delete-zone':
        return { op: 'delete-zone', zone };
      default:
        // Input from JavaScript or JSON: an op this writer does not know is refused, never
        // guessed at (read as a delete, it would destroy data the caller meant to keep).
        throw new InvalidBatchError({
          code: 'malformed',
          message: `change ${i}: unknown op ${JSON.stringify((change as { op?: unknown }).op)}`,
          change: i,
        });
    }
  }

  private async sendToRegion(
    region: string,
    prepared: PreparedWrite,
    deadline: number,
    deadlineMs: number,
  ): Promise<RegionOutcome> {
    const started = now();
    const elapsed = () => Math.round(now() - started);
    const slots = this.slots.get(region);
    if (slots === undefined) throw new Error(`unreachable: no slots for region ${region}`);
    if (!(await slots.acquire(deadline)))
      return {
        region,
        status: 'unreachable',
        error: new Error(`${region}: the in-flight limit stayed reached until the deadline`),
        maybeApplied: false,
        elapsedMs: elapsed(),
      };
    try {
      const client = await this.client(region, prepared.group.id);
      const remainingMs = Math.floor(deadline - now());
      if (remainingMs < 1)
        return {
          region,
          status: 'unreachable',
          error: new Error(`deadline of ${deadlineMs} ms passed before sending`),
          maybeApplied: false,
          elapsedMs: elapsed(),
        };
      // One client write: its retries share one session seq, so the batch executes at most
      // once here, and the client backs off between attempts until the deadline.
      let result: DnsBatchResult;
      try {
        result = await client.dnsBatch(prepared.batch, { deadlineMs: remainingMs });
        if (!result.ok && result.error.code === 'zone-moving')
          result = await this.sendToNewGroup(region, prepared, result.error.to, deadline, result);
      } catch (error) {
        return this.failed(region, error, elapsed());
      }
      return checkReply(region, prepared, result, elapsed());
    } finally {
      slots.release();
    }
  }

  /**
   * Sends a batch the old group refused as `zone-moving` to the group `to` of `region`,
   * backing off while the copy is not there yet; returns the last refusal when the retries
   * or the deadline run out.
   */
  private async sendToNewGroup(
    region: string,
    prepared: PreparedWrite,
    to: string,
    deadline: number,
    refusal: DnsBatchResult,
  ): Promise<DnsBatchResult> {
    if (!this.plan.groups.some((g) => g.id === to)) return refusal;
    const client = await this.client(region, to);
    let last = refusal;
    let backoffMs = MOVE_BACKOFF_MS_MIN;
    for (let attempt = 0; attempt < MOVE_RETRIES_MAX; attempt++) {
      const remainingMs = Math.floor(deadline - now());
      if (remainingMs < 1) return last;
      last = await client.dnsBatch(prepared.batch, { deadlineMs: remainingMs });
      if (last.ok || (last.error.code !== 'no-such-zone' && last.error.code !== 'zone-moving')) return last;
      const waitMs = Math.min(backoffMs, Math.floor(deadline - now()));
      if (waitMs < 1) return last;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      backoffMs = Math.min(backoffMs * 2, MOVE_BACKOFF_MS_MAX);
    }
    return last;
  }

  private failed(region: string, error: unknown, elapsedMs: number): RegionOutcome {
    if (error instanceof RejectedError)
      // The request itself was refused (too large, malformed): nothing applied.
      return {
        region,
        status: 'rejected',
        error: { code: 'malformed', message: error.message },
        elapsedMs,
      };
    const err = error instanceof Error ? error : new Error(String(error));
    const maybeApplied =
      error instanceof UnknownOutcomeError ||
      (error instanceof ClientClosedError && error.cause instanceof UnknownOutcomeError) ||
      // A reply this client cannot read, or anything unexpected: assume the worst.
      !(error instanceof ClientClosedError || isNotApplied(error));
    return { region, status: 'unreachable', error: err, maybeApplied, elapsedMs };
  }

  private assertOpen(): void {
    if (this.closed) throw new ClientClosedError();
  }
}

/** Errors after which the write certainly did not execute. */
function isNotApplied(error: unknown): boolean {
  return error instanceof TimeoutError || error instanceof NotLeaderError;
}

/** Checks a store reply against the batch sent; a reply that does not fit is a protocol failure. */
function checkReply(
  region: string,
  prepared: PreparedWrite,
  result: DnsBatchResult,
  elapsedMs: number,
): RegionOutcome {
  const bad = (why: string): RegionOutcome => ({
    region,
    status: 'unreachable',
    error: new Error(`region ${region} answered a reply that does not fit the batch: ${why}`),
    maybeApplied: true,
    elapsedMs,
  });
  if (typeof result !== 'object' || result === null) return bad('not an object');
  if (result.ok === false) {
    const error = result.error as DnsWriteError | undefined;
    if (typeof error?.code !== 'string' || typeof error.message !== 'string')
      return bad('a refusal without a code');
    return { region, status: 'rejected', error, elapsedMs };
  }
  if (result.ok !== true) return bad('neither ok nor refused');
  const { outcomes, serials } = result;
  if (!Array.isArray(outcomes) || outcomes.length !== prepared.batch.changes.length)
    return bad(
      `${Array.isArray(outcomes) ? outcomes.length : 'no'} outcomes for ${prepared.batch.changes.length} changes`,
    );
  if (!outcomes.every((o) => o === 'applied' || o === 'superseded')) return bad('an unknown change outcome');
  if (typeof serials !== 'object' || serials === null) return bad('no serials');
  const entries = Object.entries(serials);
  if (!entries.every(([, s]) => Number.isSafeInteger(s) && s >= 0)) return bad('a serial that is not a u32');
  const serial =
    entries.find(([apex]) => sameName(apex, prepared.zone))?.[1] ??
    (entries.length === 1 ? (entries[0]?.[1] ?? null) : null);
  return { region, status: 'applied', serial, serials, outcomes: [...outcomes], elapsedMs };
}

function keyName(change: WriterChange, i: number): string {
  switch (change.op) {
    case 'upsert':
    case 'delete-rrset':
    case 'delete-name':
      return change.name;
    case 'create-zone':
    case 'delete-zone':
      return change.zone;
    default:
      throw new InvalidBatchError({
        code: 'malformed',
        message: `change ${i}: unknown op ${JSON.stringify((change as { op?: unknown }).op)}`,
        change: i,
      });
  }
}

function sameName(a: string, b: string): boolean {
  return withFinalDot(a).toLowerCase() === withFinalDot(b).toLowerCase();
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
