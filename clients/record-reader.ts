/**
 * One-shot reads of a name's RRsets in one region (`raftns get`): connect, read the plan and
 * the zone registry once (both at once, creating nothing), route the name
 * (clients/name-route.ts), ask the group of the region, close.
 *
 *   const reader = await RecordReader.open({ natsUrls, cluster: 'prod', deadlineMs: 10_000 });
 *   const view = await reader.rrsets('us-east', 'www.example.org.', 'linearizable');
 *   await reader.close();
 *
 * The read goes through a RaftClient exactly as the region writer's reads do, so a mode means
 * what it means there (protocol/read-mode.ts): `linearizable`, the default, is answered by
 * the group's leader after it confirms its leadership. What a reader does not do, because a
 * single read needs none of it: it builds no clock and no write slots, and follows neither
 * the plan nor the registry (no KV watch stays open), so nothing keeps the process alive
 * once the answer is in. Writes go through the region writer (clients/region-writer.ts),
 * never through this.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ZoneRegistryStore } from '../bootstrap/zone-registry-store.js';
import type { DnsNameView } from '../protocol/dns/views.js';
import { withFinalDot } from '../protocol/dns/wire/name.js';
import type { ClusterPlan } from '../protocol/plan.js';
import type { ReadModeText } from '../protocol/read-mode.js';
import { ZoneDirectory } from '../protocol/zone-directory.js';
import { silentLogger } from '../runtime/log.js';
import { connectNats } from '../runtime/nats/nats-connection.js';
import { ClientClosedError } from './errors.js';
import { routeName } from './name-route.js';
import { readPlan } from './plan-reader.js';
import { RaftClient } from './raft-client.js';

export interface RecordReaderOptions {
  readonly natsUrls: readonly string[];
  /** Credentials file of the connection (runtime/nats/nats-connection.ts). */
  readonly natsCredsFile?: string;
  readonly cluster: string;
  /** Deadline of one read, retries included. */
  readonly deadlineMs: number;
}

export class RecordReader {
  private closed = false;

  private constructor(
    private readonly nc: NatsConnection,
    /** The plan as read at open. */
    readonly plan: ClusterPlan,
    private readonly directory: ZoneDirectory,
    private readonly deadlineMs: number,
  ) {}

  /**
   * Connects and reads the plan and the zone registry. Fails with PlanUnavailableError (no
   * plan), RangeError (a plan of another cluster), or the connection's error.
   */
  static async open(options: RecordReaderOptions): Promise<RecordReader> {
    if (!Number.isSafeInteger(options.deadlineMs) || options.deadlineMs < 1)
      throw new RangeError(`deadlineMs must be a positive integer, got ${options.deadlineMs}`);
    if (options.natsUrls.length === 0) throw new RangeError('RecordReader.open: give natsUrls');
    const nc = await connectNats({
      urls: options.natsUrls,
      name: 'raftns-record-reader',
      log: silentLogger,
      ...(options.natsCredsFile === undefined ? {} : { credsFile: options.natsCredsFile }),
    });
    try {
      // The plan and the zone registry (zones beyond the plan route by it), read once and at
      // once; a plan that cannot be read is the error reported first.
      const [plan, registered] = await Promise.allSettled([
        readPlan(nc, options.cluster),
        ZoneRegistryStore.openToRead(nc, options.cluster).then((registry) => registry.list()),
      ]);
      if (plan.status === 'rejected') throw plan.reason;
      if (plan.value.cluster !== options.cluster)
        throw new RangeError(`the plan is for cluster ${plan.value.cluster}, not ${options.cluster}`);
      if (registered.status === 'rejected') throw registered.reason;
      return new RecordReader(
        nc,
        plan.value,
        new ZoneDirectory(plan.value, registered.value),
        options.deadlineMs,
      );
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /**
   * The RRsets at `name` as `region`'s group holds them, with versions (null: no such zone
   * there). Throws InvalidBatchError when no group serves `name`.
   */
  async rrsets(region: string, name: string, mode?: ReadModeText): Promise<DnsNameView | null> {
    if (this.closed) throw new ClientClosedError();
    if (!this.plan.regions.includes(region)) throw new RangeError(`${region} is not a region of the plan`);
    const { group, zone } = routeName(this.plan, this.directory, name);
    const client = await RaftClient.connect({
      nc: this.nc,
      cluster: this.plan.cluster,
      region,
      group: group.id,
      deadlineMs: this.deadlineMs,
    });
    try {
      return await client.dnsRrsets(zone, withFinalDot(name), mode, { deadlineMs: this.deadlineMs });
    } finally {
      await client.close();
    }
  }

  /** Closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.nc.close();
  }
}
