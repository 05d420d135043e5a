/**
 * Which group's store the API reads and writes for a zone, in this replica's region: the
 * group serving the zone by the plan and the zone registry (protocol/zone-directory.ts,
 * followed through a watch), so any replica answers for
 * every zone of the cluster; the replica's own group when there is no plan or the plan
 * names no group for it. One RaftClient per other group, opened on first use (at most one
 * per group of the plan), all on the replica's NATS connection.
 *
 * The plan is read in the background at start (at most PLAN_READ_TIMEOUT_MS; requests
 * meanwhile wait for it); without one, the API serves the replica's own group.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ZoneRegistryStore } from '../../../bootstrap/zone-registry-store.js';
import { followPlan, PLAN_READ_TIMEOUT_MS, readPlanWithin } from '../../../clients/plan-reader.js';
import { RaftClient } from '../../../clients/raft-client.js';
import { ZoneLifecycle } from '../../../clients/zone-lifecycle.js';
import type { ClusterPlan } from '../../../protocol/plan.js';
import { type RegisteredZone, ZoneDirectory } from '../../../protocol/zone-directory.js';
import type { Logger } from '../../log.js';

/** Groups a zone list or a search asks at most. */
export const GROUPS_LISTED_MAX = 256;
/** How long a zone creation or deletion through the API waits for every region. */
export const LIFECYCLE_DEADLINE_MS = 30_000;

export interface ZoneRouterOptions {
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly region: string;
  readonly group: string;
  readonly log: Logger;
}

export class ZoneRouter {
  private readonly clients = new Map<string, Promise<RaftClient>>();
  private closed = false;
  private registered: readonly RegisteredZone[] = [];
  private directory: ZoneDirectory | undefined;
  private stopWatchingZones: (() => void) | undefined;
  private stopWatchingPlan: (() => void) | undefined;
  private registry: ZoneRegistryStore | undefined;
  private lifecycleValue: ZoneLifecycle | undefined;

  private constructor(
    private readonly options: ZoneRouterOptions,
    private readonly home: RaftClient,
    private plan: Promise<ClusterPlan | undefined>,
  ) {}

  static async start(options: ZoneRouterOptions): Promise<ZoneRouter> {
    const home = await RaftClient.connect({
      nc: options.nc,
      cluster: options.cluster,
      region: options.region,
      group: options.group,
    });
    const router = new ZoneRouter(options, home, ZoneRouter.readPlanInTime(options));
    try {
      const registry = await ZoneRegistryStore.open(options.nc, options.cluster);
      router.registry = registry;
      router.registered = await registry.list();
      router.stopWatchingZones = await registry.watch(
        (zones) => {
          router.registered = zones;
          router.directory = undefined;
        },
        (key, why) => options.log.warn({ key, why }, 'zone registry entry ignored'),
      );
    } catch (error) {
      options.log.warn({ err: String(error) }, 'zone registry unreadable: the API routes by the plan alone');
    }
    // Groups added by `raftns plan apply` are routed to without a restart.
    try {
      router.stopWatchingPlan = await followPlan(
        options.nc,
        options.cluster,
        (next) => {
          router.plan = Promise.resolve(next);
          router.directory = undefined;
          router.lifecycleValue = undefined;
        },
        (error) =>
          options.log.warn({ err: String(error) }, 'a stored plan was refused; keeping the current one'),
      );
    } catch (error) {
      options.log.info({ err: String(error) }, 'the plan is not followed (no plan bucket)');
    }
    return router;
  }

  /** Creating and deleting zones (the API's POST and DELETE); undefined without a plan or registry. */
  async lifecycle(): Promise<ZoneLifecycle | undefined> {
    const plan = await this.plan;
    if (plan === undefined || this.registry === undefined) return undefined;
    this.lifecycleValue ??= new ZoneLifecycle({
      nc: this.options.nc,
      plan,
      registry: this.registry,
      deadlineMs: LIFECYCLE_DEADLINE_MS,
    });
    return this.lifecycleValue;
  }

  /** Reads the registry now (after this replica created or deleted a zone), not waiting for the watch. */
  async refresh(): Promise<void> {
    if (this.registry === undefined) return;
    this.registered = await this.registry.list();
    this.directory = undefined;
  }

  /** The zones of the cluster, or undefined without a plan. */
  async zones(): Promise<ZoneDirectory | undefined> {
    const plan = await this.plan;
    if (plan === undefined) return undefined;
    this.directory ??= new ZoneDirectory(plan, this.registered);
    return this.directory;
  }

  private static async readPlanInTime(options: ZoneRouterOptions): Promise<ClusterPlan | undefined> {
    try {
      return await readPlanWithin(options.nc, options.cluster, PLAN_READ_TIMEOUT_MS);
    } catch (error) {
      options.log.info({ err: String(error) }, 'no cluster plan: the API serves this group only');
      return undefined;
    }
  }

  /** The client of the group serving `zone` in this region. */
  async clientFor(zone: string): Promise<RaftClient> {
    const group = (await this.zones())?.zoneFor(zone)?.group;
    if (group === undefined || group === this.options.group) return this.home;
    return this.groupClient(group);
  }

  /** The clients of every group to list zones from: this group's, and each of the plan's. */
  async groupClients(): Promise<RaftClient[]> {
    const plan = await this.plan;
    if (plan === undefined) return [this.home];
    const others = plan.groups
      .map((g) => g.id)
      .filter((id) => id !== this.options.group)
      .slice(0, GROUPS_LISTED_MAX - 1);
    return [this.home, ...(await Promise.all(others.map((id) => this.groupClient(id))))];
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWatchingZones?.();
    this.stopWatchingPlan?.();
    await this.lifecycleValue?.close();
    for (const client of this.clients.values()) await (await client.catch(() => undefined))?.close();
    this.clients.clear();
    await this.home.close();
  }

  private groupClient(group: string): Promise<RaftClient> {
    if (this.closed) throw new Error('the zone router is closed');
    let client = this.clients.get(group);
    if (client === undefined) {
      client = RaftClient.connect({
        nc: this.options.nc,
        cluster: this.options.cluster,
        region: this.options.region,
        group,
      });
      // A failed connect is tried again by the next request.
      client.catch(() => this.clients.delete(group));
      this.clients.set(group, client);
    }
    return client;
  }
}
