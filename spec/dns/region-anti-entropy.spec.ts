/**
 * Anti-entropy between regions on real processes (docs/ARCHITECTURE.md, "Anti-entropy
 * between regions"): three regions, each a group of replicas with its own RocksDB, one
 * nats-server. Writes are sent straight to some regions' groups with the Raft client, as a
 * writer that died after reaching them would leave them; the leaders' comparisons must then
 * bring every replica of every region to the same zone data (the export of each replica,
 * SOA serial aside), and the leaders' status must say the regions agree. The time from the
 * last write (or the heal) to identical data is printed.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { EXIT_OK } from '../../clients/cli/exit-codes.js';
import type { RaftClient } from '../../clients/raft-client.js';
import type { DnsChange } from '../../protocol/dns/changes.js';
import type { ZoneAgreement } from '../../protocol/dns/region-repair.js';
import { compareVersions, type RecordVersion } from '../../protocol/dns/version.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { createZoneChange } from '../fixtures/dns-zone.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';
import type { RaftCluster } from '../fixtures/raft-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';
import { startRegionClusters } from '../fixtures/region-clusters.js';
import { canonicalZoneExport } from '../fixtures/zone-export.js';

const CLUSTER = 'antientropy';
const GROUP = 'g1';
const ZONE = 'example.org.';
const REGIONS = ['r1', 'r2', 'r3'] as const;
const REPLICAS = Number(process.env.ANTIENTROPY_REPLICAS ?? 3);
const PERIOD_MS = 500;
const SEED = Number(process.env.ANTIENTROPY_SEED ?? Date.now() % 2 ** 31);

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

describe(`anti-entropy between three regions on real processes (seed ${SEED})`, function () {
  this.timeout(180_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  const regions = new Map<string, RaftCluster>();
  const clients = new Map<string, RaftClient>();
  let hlc = Date.now();
  const version = (writer: string): RecordVersion => ({ hlcMs: ++hlc, counter: 0, writer });
  const cluster = (region: string): RaftCluster => regions.get(region) as RaftCluster;
  const client = (region: string): RaftClient => clients.get(region) as RaftClient;

  async function commit(region: string, changes: readonly DnsChange[]): Promise<void> {
    const result = await client(region).dnsBatch({ changes }, { deadlineMs: 20_000 });
    expect(result.ok, JSON.stringify(result)).to.equal(true);
  }

  /** One replica's export of the zone, SOA serial as 0, in a canonical order. */
  const exportOf = (region: string, replica: string): Promise<string> =>
    canonicalZoneExport(client(region), ZONE, replica, 5_000);

  /** How many RRsets one replica holds in the zone (its zone list: no listing is built). */
  async function rrsetCount(region: string, replica: string): Promise<number | undefined> {
    const result = await client(region).read({ op: 'dns-zones' }, { replica, deadlineMs: 5_000 });
    return result.op === 'dns-zones' ? result.zones.find((z) => z.zone === ZONE)?.rrsets : undefined;
  }

  /**
   * Every replica of every region: the same export. Replicas holding different numbers of
   * RRsets cannot be identical, so the full exports (10k RRsets each, read while the regions
   * repair on the same two cores) are read only once the counts agree. All replicas are read
   * at once, so a check that finds them identical ends soon after they are.
   */
  async function identical(): Promise<string | undefined> {
    const replicas = REGIONS.flatMap((region) =>
      cluster(region).replicas.map((replica) => ({ region, id: replica.id })),
    );
    const counts = await Promise.all(
      replicas.map(({ region, id }) => rrsetCount(region, id).catch(() => undefined)),
    );
    if (new Set(counts).size !== 1 || counts.includes(undefined)) return undefined;
    const exports = await Promise.all(
      replicas.map(({ region, id }) => exportOf(region, id).catch(() => undefined)),
    );
    const first = exports[0];
    return first !== undefined && exports.every((data) => data === first) ? first : undefined;
  }

  /** Polls until identical; returns how long it took from `fromMs`. */
  async function convergedAfter(fromMs: number, what: string): Promise<{ ms: number; data: string }> {
    const data = await pollUntil(
      `every replica of every region to hold the same data (${what})`,
      60_000,
      identical,
    );
    const ms = Date.now() - fromMs;
    console.log(`      ${what}: identical ${ms} ms after`);
    return { ms, data };
  }

  async function agreement(region: string): Promise<readonly ZoneAgreement[]> {
    return (await client(region).status(undefined, { deadlineMs: 5_000 })).regionAgreement ?? [];
  }

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'antientropy-spec', log: silentLogger });
    for (const [name, c] of await startRegionClusters({
      nats,
      nc,
      cluster: CLUSTER,
      regions: REGIONS,
      group: GROUP,
      zone: ZONE,
      replicas: REPLICAS,
      extraArgs: () => ['--region-repair-ms', String(PERIOD_MS)],
    }))
      regions.set(name, c);
    for (const region of REGIONS) {
      clients.set(region, await cluster(region).client({ deadlineMs: 20_000 }));
      await commit(region, [createZoneChange(ZONE, 100)]);
    }
  });
  after(async () => {
    for (const c of regions.values()) await c.stop();
    await nc?.close();
    await nats?.stop();
  });

  it('a write and a delete that reached one region each reach every replica of every region', async () => {
    const everywhere = {
      op: 'upsert',
      zone: ZONE,
      name: 'old',
      type: 'A',
      ttl: 300,
      rdata: ['192.0.2.1'],
    } as const;
    const v0 = version('writer-a');
    for (const region of REGIONS) await commit(region, [{ ...everywhere, version: v0 }]);
    // The writer reached r1 only, then died.
    await commit('r1', [
      {
        op: 'upsert',
        zone: ZONE,
        name: 'www',
        type: 'A',
        ttl: 300,
        rdata: ['192.0.2.80'],
        version: version('writer-a'),
      },
      {
        op: 'upsert',
        zone: ZONE,
        name: 'www',
        type: 'TXT',
        ttl: 60,
        rdata: ['"only r1"'],
        version: version('writer-a'),
      },
    ]);
    // Another reached r2 only: a delete, which must not be resurrected by the regions that hold `old`.
    await commit('r2', [{ op: 'delete-name', zone: ZONE, name: 'old', version: version('writer-b') }]);
    const { data } = await convergedAfter(Date.now(), 'one write in r1, one delete in r2');
    expect(data).to.include('"name":"www.example.org.","type":"A"');
    expect(data).to.include('only r1');
    expect(data).to.not.include('"name":"old.example.org."');
    const view = await client('r3').dnsRrsets(ZONE, 'old');
    expect(view?.nameDeleted?.writer).to.equal('writer-b');
    // Each leader compared with both other regions and says they agree.
    for (const region of REGIONS) {
      const found = await pollUntil(`${region}'s leader to report agreement`, 10_000, async () => {
        const rows = await agreement(region);
        return rows.length === 2 && rows.every((r) => r.state === 'agree') ? rows : undefined;
      });
      expect(found.map((r) => r.region)).to.deep.equal(REGIONS.filter((r) => r !== region));
    }
    // The operator sees it: `raftns status` lists each zone and other region, `zone list` per region.
    const status = await raftns(['--nats', nats.url, '--cluster', CLUSTER, 'status']);
    expect(status.code, status.stderr).to.equal(EXIT_OK);
    const rows = status.stdout
      .split('\n')
      .filter((l) => /^r\d\s+g1\s+example\.org\.\s+r\d\s+agree\s/.test(l));
    expect(rows, status.stdout).to.have.length(6);
    const list = await raftns(['--nats', nats.url, '--cluster', CLUSTER, 'zone', 'list']);
    expect(list.code, list.stderr).to.equal(EXIT_OK);
    for (const region of REGIONS) expect(list.stdout).to.match(new RegExp(`${region}=\\d+/\\d+/agree`));
  });

  it('concurrent writers on the same RRsets in different regions converge to the newest version everywhere', async () => {
    const rand = random(SEED);
    const names = ['hot1', 'hot2', 'hot3'];
    const newest = new Map<string, { version: RecordVersion; rdata: string }>();
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 60; i++) {
      const name = names[Math.floor(rand() * names.length)] as string;
      const writer = rand() < 0.5 ? 'writer-x' : 'writer-y';
      // Versions from two clocks that interleave (two writes per millisecond, the counter
      // orders them, the writer id breaks ties between writers). Every write has a version
      // of its own, as a writer's HybridClock guarantees (protocol/dns/version.ts).
      const v: RecordVersion = { hlcMs: hlc + 1 + Math.floor(i / 2), counter: i % 2, writer };
      const rdata = `192.0.2.${100 + i}`;
      const best = newest.get(name);
      if (best === undefined || compareVersions(v, best.version) > 0) newest.set(name, { version: v, rdata });
      // Each write reaches a random non-empty subset of the regions, in any order.
      const targets = REGIONS.filter(() => rand() < 0.5);
      if (targets.length === 0) targets.push(REGIONS[Math.floor(rand() * 3)] as (typeof REGIONS)[number]);
      for (const region of targets)
        writes.push(
          commit(region, [
            { op: 'upsert', zone: ZONE, name, type: 'A', ttl: 300, rdata: [rdata], version: v },
          ]),
        );
    }
    await Promise.all(writes);
    hlc += 100;
    await convergedAfter(Date.now(), 'concurrent writers');
    for (const region of REGIONS)
      for (const name of names) {
        const view = await client(region).dnsRrsets(ZONE, name);
        const want = newest.get(name);
        if (want === undefined) continue;
        expect(view?.rrsets.find((r) => r.type === 'A')?.rdata, `${region} ${name}`).to.deep.equal([
          want.rdata,
        ]);
      }
  });

  it('a region whose whole group was stopped during 100 writes catches up after its restart', async () => {
    const down = cluster('r3');
    for (const replica of down.replicas) await replica.kill('SIGKILL');
    // The other leaders see r3 stop answering.
    await pollUntil("r1's leader to report r3 unreachable", 20_000, async () =>
      (await agreement('r1')).some((r) => r.region === 'r3' && r.state === 'unreachable') ? true : undefined,
    );
    for (let i = 0; i < 100; i += 10) {
      const changes: DnsChange[] = Array.from({ length: 10 }, (_, k) => ({
        op: 'upsert',
        zone: ZONE,
        name: `during-${i + k}`,
        type: 'A',
        ttl: 300,
        rdata: [`198.51.100.${(i + k) % 250}`],
        version: version('writer-c'),
      }));
      await Promise.all([commit('r1', changes), commit('r2', changes)]);
    }
    await commit('r1', [
      { op: 'delete-rrset', zone: ZONE, name: 'www', type: 'TXT', version: version('writer-c') },
    ]);
    for (const replica of down.replicas) await replica.start();
    const healed = Date.now();
    await down.waitForLeader(30_000);
    const { data, ms } = await convergedAfter(healed, 'r3 restarted after 100 writes');
    expect(data).to.include('during-99.example.org.');
    expect(data).to.not.include('only r1');
    expect(ms).to.be.below(30_000);
  });

  it('10k records written to one region only reach the others (heal to identical reported)', async () => {
    const started = Date.now();
    const batches: DnsChange[][] = [];
    for (let i = 0; i < 10_000; i += 250)
      batches.push(
        Array.from({ length: 250 }, (_, k) => ({
          op: 'upsert' as const,
          zone: ZONE,
          name: `bulk-${i + k}`,
          type: 'A',
          ttl: 300,
          rdata: [`203.0.113.${(i + k) % 250}`],
          version: version('writer-bulk'),
        })),
      );
    for (let i = 0; i < batches.length; i += 4)
      await Promise.all(batches.slice(i, i + 4).map((b) => commit('r2', b)));
    console.log(`      10k records committed in r2 in ${Date.now() - started} ms`);
    const { data } = await convergedAfter(Date.now(), '10k records from r2');
    expect(data).to.include('bulk-9999.example.org.');
  });
});
