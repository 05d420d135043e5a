/**
 * A region partitioned from the others on real processes (docs/ARCHITECTURE.md §8,
 * "Anti-entropy between regions"): three regions of replicas, each region's replicas in a
 * network namespace of their own and the nats-server in another (spec/fixtures/chaos-network.ts).
 * One region's namespace is cut off with iptables DROP rules while writers keep writing,
 * deleting and racing on the same RRsets in the other two; after the heal every replica of
 * every region must hold the same zone data (SOA serial aside), with no deleted record
 * brought back, and the time from the heal to identical data is printed. Then, with a short
 * `--tombstone-horizon-ms`, the leaders collect every tombstone once all regions hold it, and
 * the deletes still hold.
 *
 * Needs root (namespaces, iptables): skipped with the reason printed otherwise.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import type { RaftClient } from '../../clients/raft-client.js';
import type { DnsChange } from '../../protocol/dns/changes.js';
import type { ZoneAgreement } from '../../protocol/dns/region-repair.js';
import type { RecordVersion } from '../../protocol/dns/version.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { ChaosNetwork, networkUnavailable } from '../fixtures/chaos-network.js';
import { createZoneChange } from '../fixtures/dns-zone.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';
import type { RaftCluster } from '../fixtures/raft-cluster.js';
import { startRegionClusters } from '../fixtures/region-clusters.js';
import { canonicalZoneExport } from '../fixtures/zone-export.js';

const CLUSTER = 'partition';
const GROUP = 'g1';
const ZONE = 'example.org.';
const REGIONS = ['r1', 'r2', 'r3'] as const;
const CUT = 'r3';
const REPLICAS = Number(process.env.PARTITION_REPLICAS ?? 3);
const PERIOD_MS = 500;
const HORIZON_MS = 2_000;
const SEED = Number(process.env.PARTITION_SEED ?? Date.now() % 2 ** 31);

/** A small seeded generator (mulberry32), so a failing interleaving can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe(`a region partitioned while the others take writes, then healed (seed ${SEED})`, function () {
  this.timeout(240_000);
  let network: ChaosNetwork | undefined;
  let nats: NatsServerHandle | undefined;
  let nc: NatsConnection | undefined;
  const regions = new Map<string, RaftCluster>();
  const clients = new Map<string, RaftClient>();
  let hlc = Date.now();
  const version = (writer: string): RecordVersion => {
    hlc = Math.max(hlc + 1, Date.now());
    return { hlcMs: hlc, counter: 0, writer };
  };
  const cluster = (region: string): RaftCluster => regions.get(region) as RaftCluster;
  const client = (region: string): RaftClient => clients.get(region) as RaftClient;

  async function commit(region: string, changes: readonly DnsChange[]): Promise<void> {
    const result = await client(region).dnsBatch({ changes }, { deadlineMs: 20_000 });
    expect(result.ok, JSON.stringify(result)).to.equal(true);
  }

  /** One replica's export of the zone, SOA serial as 0, in a canonical order. */
  const exportOf = (region: string, replica: string): Promise<string> =>
    canonicalZoneExport(client(region), ZONE, replica, 3_000);

  /** Every replica of every region: the same export. */
  async function identical(): Promise<string | undefined> {
    let first: string | undefined;
    for (const region of REGIONS)
      for (const replica of cluster(region).replicas) {
        const data = await exportOf(region, replica.id).catch(() => undefined);
        if (data === undefined || (first !== undefined && data !== first)) return undefined;
        first = data;
      }
    return first;
  }

  async function agreement(region: string): Promise<readonly ZoneAgreement[]> {
    return (await client(region).status(undefined, { deadlineMs: 3_000 })).regionAgreement ?? [];
  }

  before(async function () {
    const unavailable = networkUnavailable();
    if (unavailable !== undefined) {
      console.log(`      skipped: ${unavailable}`);
      this.skip();
    }
    network = await ChaosNetwork.create(['n0', ...REGIONS]);
    const net = network;
    nats = await startNatsServer({
      jetstream: true,
      placement: {
        address: () => net.address('n0'),
        wrap: (_i, command, args) => net.wrap('n0', command, args),
      },
    });
    nc = await connectNats({ urls: [nats.url], name: 'partition-spec', log: silentLogger });
    for (const [name, c] of await startRegionClusters({
      nats,
      nc,
      cluster: CLUSTER,
      regions: REGIONS,
      group: GROUP,
      zone: ZONE,
      replicas: REPLICAS,
      extraArgs: () => [
        '--region-repair-ms',
        String(PERIOD_MS),
        '--tombstone-horizon-ms',
        String(HORIZON_MS),
      ],
      launch: (region, _index, command, args) => net.wrap(region, command, args),
    }))
      regions.set(name, c);
    for (const region of REGIONS) {
      clients.set(region, await cluster(region).client({ deadlineMs: 20_000 }));
      await commit(region, [createZoneChange(ZONE, 100)]);
    }
  });

  after(async () => {
    for (const c of regions.values()) await c.stop().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await nats?.stop().catch(() => undefined);
    await network?.remove();
  });

  it('the cut region catches up after the heal; deletes hold; tombstones are then collected everywhere', async () => {
    const net = network as ChaosNetwork;
    const rand = random(SEED);
    // Records every region holds before the cut, some of which are deleted while r3 is away.
    const seeded: DnsChange[] = Array.from({ length: 40 }, (_, i) => ({
      op: 'upsert',
      zone: ZONE,
      name: `seed-${i}`,
      type: 'A',
      ttl: 300,
      rdata: [`192.0.2.${i + 1}`],
      version: version('writer-seed'),
    }));
    for (const region of REGIONS) await commit(region, seeded);

    const deleted = new Set<string>();
    await net.cut(CUT);
    try {
      await pollUntil(`r1's leader to report ${CUT} unreachable`, 30_000, async () =>
        (await agreement('r1')).some((r) => r.region === CUT && r.state === 'unreachable') ? true : undefined,
      );
      // Writers keep writing in r1 and r2: each batch reaches both, or one of them (a writer
      // that died half-way), and two writers race on the same RRsets.
      const writes: Array<Promise<void>> = [];
      for (let i = 0; i < 60; i++) {
        const kind = rand();
        let change: DnsChange;
        if (kind < 0.3 && deleted.size < 20) {
          const name = `seed-${deleted.size * 2}`;
          deleted.add(name);
          change =
            deleted.size % 2 === 0
              ? { op: 'delete-name', zone: ZONE, name, version: version('writer-del') }
              : { op: 'delete-rrset', zone: ZONE, name, type: 'A', version: version('writer-del') };
        } else {
          const name = kind < 0.6 ? `hot-${Math.floor(rand() * 3)}` : `during-${i}`;
          change = {
            op: 'upsert',
            zone: ZONE,
            name,
            type: 'A',
            ttl: 300,
            rdata: [`198.51.100.${i + 1}`],
            version: version(rand() < 0.5 ? 'writer-x' : 'writer-y'),
          };
        }
        const to = rand();
        const targets = to < 0.6 ? ['r1', 'r2'] : to < 0.8 ? ['r1'] : ['r2'];
        for (const region of targets) writes.push(commit(region, [change]));
        if (i % 10 === 9) await Promise.all(writes.splice(0));
      }
      await Promise.all(writes);
    } finally {
      await net.heal(CUT);
    }
    const healed = Date.now();
    const data = await pollUntil('every replica of every region to hold the same data', 90_000, identical);
    const ms = Date.now() - healed;
    console.log(
      `      ${CUT} partitioned during 60 writes: identical on all ${3 * REPLICAS} replicas ${ms} ms after the heal`,
    );
    expect(data).to.include('"name":"during-');
    expect(deleted.size).to.be.above(0);
    for (let i = 0; i < 40; i++) {
      const present = data.includes(`"name":"seed-${i}.example.org."`);
      expect(present, `seed-${i}`).to.equal(!deleted.has(`seed-${i}`));
    }

    // Tombstones older than the horizon that every region holds go, in every region.
    const collectedAt = await pollUntil('every leader to report no tombstone left', 60_000, async () => {
      for (const region of REGIONS) {
        const rows = await agreement(region).catch(() => []);
        if (rows.length !== 2 || !rows.every((r) => r.state === 'agree' && r.tombstones === 0))
          return undefined;
      }
      return Date.now();
    });
    console.log(`      every tombstone collected ${collectedAt - healed} ms after the heal`);
    for (const region of REGIONS) {
      const view = await client(region).dnsRrsets(ZONE, [...deleted][0] as string);
      expect(view?.rrsets, region).to.deep.equal([]);
      expect(view?.deleted, region).to.deep.equal([]);
      expect(view?.nameDeleted, region).to.equal(null);
    }
    // The deletes still hold, and the regions still agree, a few passes later.
    const after = await pollUntil('the same data again', 30_000, identical);
    expect(after).to.equal(data);
  });
});
