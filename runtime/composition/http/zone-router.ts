/**
 * Which group's store the API reads and writes for a zone, in this replica's region: the
 * group the cluster plan routes the zone to (`groupForName`), so any replica answers for
 * every zone of the cluster; the replica's own group when there is no plan or the plan
 * names no group for it. One RaftClient per other group, opened on first use (at most one
 * per group of the plan), all on the replica's NATS connection.
 *
 * The plan is read in the background at start (at most PLAN_READ_TIMEOUT_MS; requests
 * meanwhile wait for it); without one, the API serves the replica's own group.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { PLAN_READ_TIMEOUT_MS, readPlanWithin } from '../../../clients/plan-reader.js';
import { RaftClient } from '../../../clients/raft-client.js';
import { type ClusterPlan, groupForName } from '../../../protocol/plan.js';
import type { Logger } from '../../log.js';

/** Groups a zone list or a search asks at most. */
export const GROUPS_LISTED_MAX = 256;

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

  private constructor(
    private readonly options: ZoneRouterOptions,
    private readonly home: RaftClient,
    private readonly plan: Promise<ClusterPlan | undefined>,
  ) {}

  static async start(options: ZoneRouterOptions): Promise<ZoneRouter> {
    const home = await RaftClient.connect({
      nc: options.nc,
      cluster: options.cluster,
      region: options.region,
      group: options.group,
    });
    return new ZoneRouter(options, home, ZoneRouter.readPlanInTime(options));
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
    const plan = await this.plan;
    const group = plan === undefined ? undefined : groupForName(plan, zone);
    if (group === undefined || group.id === this.options.group) return this.home;
    return this.groupClient(group.id);
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
