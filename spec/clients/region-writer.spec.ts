import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { InvalidBatchError, RegionWriter, type WriterChange } from '../../clients/region-writer.js';
import { compareVersions, type RecordVersion } from '../../protocol/dns/version.js';
import type { DnsNameView } from '../../protocol/dns/views.js';
import { type ClusterPlan, PLAN_KEY, PLAN_VERSION, planBucket } from '../../protocol/plan.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';
import { RaftCluster } from '../fixtures/raft-cluster.js';

const CLUSTER = 'rw';
const GROUP = 'g1';
const ZONE = 'example.org.';
const REGIONS = ['r1', 'r2'] as const;

const PLAN: ClusterPlan = {
  version: PLAN_VERSION,
  cluster: CLUSTER,
  regions: [...REGIONS],
  replicasPerGroup: 3,
  groups: [{ id: GROUP, zone: ZONE }],
};

const CREATE_ZONE: WriterChange = {
  op: 'create-zone',
  zone: ZONE,
  soa: { mname: 'ns1', rname: 'admin', refresh: 3600, retry: 600, expire: 86400, minimum: 60, ttl: 3600 },
  ns: ['ns1'],
  nsTtl: 3600,
};

/** A small seeded PRNG (mulberry32): a failing seed replays. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('clients/region-writer: one batch, the same versions, every region (two real regions)', function () {
  this.timeout(180_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  const regions = new Map<string, RaftCluster>();
  const writers: RegionWriter[] = [];

  const region = (name: string): RaftCluster => {
    const found = regions.get(name);
    if (found === undefined) throw new Error(`no region ${name}`);
    return found;
  };

  async function openWriter(writerId: string): Promise<RegionWriter> {
    const writer = await RegionWriter.open({ nc, cluster: CLUSTER, writerId, deadlineMs: 30_000 });
    writers.push(writer);
    return writer;
  }

  /** `name` as every running replica of every region holds it (linearizable reads pinned to each replica). */
  async function everyReplica(writer: RegionWriter, name: string): Promise<Map<string, DnsNameView | null>> {
    const views = new Map<string, DnsNameView | null>();
    for (const r of REGIONS) {
      for (const replica of region(r).replicas.filter((x) => x.running)) {
        views.set(`${r}/${replica.id}`, await writer.rrsets(r, name, 'linearizable', replica.id));
      }
    }
    return views;
  }

  async function expectIdentical(writer: RegionWriter, name: string): Promise<DnsNameView> {
    const views = await everyReplica(writer, name);
    const [first] = views.values();
    expect(first, `${name} in ${[...views.keys()][0]}`).to.not.equal(null);
    for (const [where, view] of views) expect(view, `${name} at ${where}`).to.deep.equal(first);
    expect(views.size).to.be.greaterThan(REGIONS.length);
    return first as DnsNameView;
  }

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'region-writer-spec', log: silentLogger });
    const kv = await new Kvm(nc).create(planBucket(CLUSTER));
    await kv.put(PLAN_KEY, JSON.stringify(PLAN));
    for (const r of REGIONS) {
      regions.set(
        r,
        await RaftCluster.start({ replicas: 3, cluster: CLUSTER, region: r, group: GROUP, nats }),
      );
    }
    await Promise.all(REGIONS.map((r) => region(r).waitForLeader(30_000)));
    const writer = await openWriter('spec-setup');
    const created = await writer.write([CREATE_ZONE]);
    expect(created.complete, JSON.stringify(created.regions)).to.equal(true);
    expect(
      created.regions.map((o) => [o.region, o.status, o.status === 'applied' && o.serial]),
    ).to.deep.equal([
      ['r1', 'applied', 1],
      ['r2', 'applied', 1],
    ]);
  });
  after(async () => {
    for (const writer of writers) await writer.close().catch(() => undefined);
    for (const cluster of regions.values()) await cluster.stop();
    await nc?.close();
    await nats?.stop();
  });

  it('reads the plan from KV, routes names to the group and zone, refuses what the store would', async () => {
    const writer = await openWriter('spec-route');
    expect(writer.plan).to.deep.equal(PLAN);
    expect(writer.regions).to.deep.equal(REGIONS);
    expect(writer.route('a.b.example.org.')).to.deep.include({ zone: ZONE });
    const refused = (changes: unknown[]) => {
      try {
        writer.prepare(changes as WriterChange[]);
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidBatchError);
        return (error as InvalidBatchError).error.code;
      }
      return 'accepted';
    };
    expect(
      refused([{ op: 'upsert', name: 'www.example.com.', type: 'A', ttl: 1, rdata: ['192.0.2.1'] }]),
    ).to.equal('no-group');
    expect(refused([{ op: 'upsert', name: 'www.example.org.', type: 'A', ttl: 1, rdata: ['x'] }])).to.equal(
      'bad-rdata',
    );
    expect(
      refused([{ op: 'upsert', name: 'www.example.org.', type: 'NOPE', ttl: 1, rdata: ['x'] }]),
    ).to.equal('bad-type');
    // An unknown op is refused, never turned into a delete.
    expect(refused([{ op: 'remove', name: 'www.example.org.' }])).to.equal('malformed');
    const many = Array.from({ length: 257 }, (_, i) => ({ op: 'delete-name', name: `n${i}.example.org.` }));
    expect(refused(many)).to.equal('too-many-changes');
    expect(refused([])).to.equal('empty-batch');
    // Refused by the store in both regions (the zone exists): typed, and nothing applied.
    const again = await writer.write([CREATE_ZONE]);
    expect(again.complete).to.equal(false);
    expect(again.missing).to.deep.equal(REGIONS);
    for (const o of again.regions) expect(o.status === 'rejected' && o.error.code).to.equal('zone-exists');
  });

  it('follows regions the plan adds and retires (unless its regions are fixed); every region but one may be none yet', async () => {
    const cluster = 'rw-grow';
    const kv = await new Kvm(nc).create(planBucket(cluster));
    const plan: ClusterPlan = { ...PLAN, cluster, regions: ['r1'] };
    await kv.put(PLAN_KEY, JSON.stringify(plan));
    const open = async (options: { regions?: string[]; exceptRegion?: string }) => {
      const writer = await RegionWriter.open({ nc, cluster, ...options });
      writers.push(writer);
      return writer;
    };
    const all = await open({});
    const others = await open({ exceptRegion: 'r1' });
    const fixed = await open({ regions: ['r1'] });
    expect([all.regions, others.regions, fixed.regions]).to.deep.equal([['r1'], [], ['r1']]);
    await kv.put(PLAN_KEY, JSON.stringify({ ...plan, regions: ['r1', 'r2'] }));
    await pollUntil('the writers to follow the added region', 10_000, async () =>
      all.regions.length === 2 && others.regions.length === 1 ? true : undefined,
    );
    expect([all.regions, others.regions, fixed.regions]).to.deep.equal([['r1', 'r2'], ['r2'], ['r1']]);
    // A plan that drops or reorders regions is not followed (plan apply refuses it).
    await kv.put(PLAN_KEY, JSON.stringify({ ...plan, regions: ['r2', 'r1'] }));
    await kv.put(PLAN_KEY, JSON.stringify({ ...plan, regions: ['r1', 'r2', 'r3'] }));
    // Each writer follows the plan through its own watch: wait for both that follow it.
    await pollUntil('the writers to follow the third region', 10_000, async () =>
      all.regions.length === 3 && others.regions.length === 2 ? true : undefined,
    );
    expect(others.regions).to.deep.equal(['r2', 'r3']);
    // A region retired is no longer written to; a writer whose fixed regions lose one keeps its plan.
    await kv.put(PLAN_KEY, JSON.stringify({ ...plan, regions: ['r2', 'r3'] }));
    await pollUntil('the writers to drop the retired region', 10_000, async () =>
      all.regions.length === 2 ? true : undefined,
    );
    expect([all.regions, others.regions, fixed.regions]).to.deep.equal([['r2', 'r3'], ['r2', 'r3'], ['r1']]);
    expect(fixed.plan.regions).to.deep.equal(['r1', 'r2', 'r3']);
    const both = await RegionWriter.open({ nc, cluster, regions: ['r1'], exceptRegion: 'r1' }).catch(
      (error: unknown) => error,
    );
    expect(both).to.be.instanceOf(RangeError);
  });

  it('a write reaches both regions with identical RRsets and versions', async () => {
    const writer = await openWriter('spec-write');
    const prepared = writer.prepare([
      { op: 'upsert', name: 'www.example.org.', type: 'A', ttl: 300, rdata: ['192.0.2.1', '192.0.2.2'] },
      { op: 'upsert', name: 'www.example.org.', type: 'TXT', ttl: 60, rdata: ['"hello"'] },
    ]);
    const report = await writer.send(prepared);
    expect(report.complete, JSON.stringify(report.regions)).to.equal(true);
    expect(report.group).to.equal(GROUP);
    const serials = report.regions.map((o) => (o.status === 'applied' ? o.serial : -1));
    for (const o of report.regions) {
      expect(o.status).to.equal('applied');
      if (o.status === 'applied') expect(o.outcomes).to.deep.equal(['applied', 'applied']);
    }
    expect(serials[0]).to.be.a('number').and.equal(serials[1]);
    const view = await expectIdentical(writer, 'www.example.org.');
    const sent = report.batch.changes.map((c) => ('version' in c ? c.version : undefined));
    expect(view.rrsets.map((s) => [s.type, s.rdata, s.version])).to.deep.equal([
      ['A', ['192.0.2.1', '192.0.2.2'], sent[0]],
      ['TXT', ['"hello"'], sent[1]],
    ]);
    // A delete of the name, then the same prepared write re-sent: the older versions lose.
    const removed = await writer.write([{ op: 'delete-name', name: 'www.example.org.' }]);
    expect(removed.complete).to.equal(true);
    const replay = await writer.send(prepared);
    expect(replay.complete).to.equal(true);
    for (const o of replay.regions)
      expect(o.status === 'applied' && o.outcomes).to.deep.equal(['superseded', 'superseded']);
    const after = await expectIdentical(writer, 'www.example.org.');
    expect(after.rrsets).to.deep.equal([]);
  });

  it('two writers racing on one RRset, applied in different orders per region, leave the regions identical', async () => {
    const seed = Number(process.env.RAFTNS_SEED ?? Date.now() % 2 ** 31);
    console.log(`      region-writer race seed=${seed} (RAFTNS_SEED=${seed} replays the choices)`);
    const random = prng(seed);
    const a = await openWriter('writer-a');
    const b = await openWriter('writer-b');
    const name = 'race.example.org.';
    const sent: Array<{ version: RecordVersion; rdata: readonly string[] | null }> = [];
    const upsertOrDelete = (w: string, i: number): WriterChange =>
      random() < 0.2
        ? { op: 'delete-rrset', name, type: 'TXT' }
        : { op: 'upsert', name, type: 'TXT', ttl: 60, rdata: [`"${w}-${i}"`] };
    for (let round = 0; round < 12; round++) {
      const pa = a.prepare([upsertOrDelete('a', round)]);
      const pb = b.prepare([upsertOrDelete('b', round)]);
      for (const p of [pa, pb]) {
        const c = p.batch.changes[0];
        if (c === undefined || !('version' in c)) throw new Error('a stamped change has a version');
        sent.push({ version: c.version, rdata: c.op === 'upsert' ? c.rdata : null });
      }
      const order = Math.floor(random() * 3);
      if (order === 0) {
        // Concurrently: whichever arrives first, per region.
        const [ra, rb] = await Promise.all([a.send(pa), b.send(pb)]);
        expect(ra.complete && rb.complete).to.equal(true);
      } else {
        // r1 gets first then second; r2 gets second then first.
        const [first, second] =
          order === 1
            ? ([
                [a, pa],
                [b, pb],
              ] as const)
            : ([
                [b, pb],
                [a, pa],
              ] as const);
        expect((await first[0].send(first[1], { regions: ['r1'] })).complete).to.equal(true);
        expect((await second[0].send(second[1])).complete).to.equal(true);
        expect((await first[0].send(first[1], { regions: ['r2'] })).complete).to.equal(true);
      }
    }
    const winner = sent.reduce((x, y) => (compareVersions(x.version, y.version) >= 0 ? x : y));
    const view = await expectIdentical(a, name);
    const txt = view.rrsets.find((s) => s.type === 'TXT');
    if (winner.rdata === null) {
      expect(txt, `seed ${seed}`).to.equal(undefined);
      expect(view.deleted.find((d) => d.type === 'TXT')?.version, `seed ${seed}`).to.deep.equal(
        winner.version,
      );
    } else {
      expect(txt?.rdata, `seed ${seed}`).to.deep.equal(winner.rdata);
      expect(txt?.version, `seed ${seed}`).to.deep.equal(winner.version);
    }
  });

  it('writes complete in a region whose leader is SIGKILLed mid-way, and the regions end identical', async () => {
    const writer = await openWriter('spec-failover');
    const east = region('r1');
    const leader = await east.waitForLeader(30_000);
    const names = Array.from({ length: 30 }, (_, i) => `f${i}.example.org.`);
    let acked = 0;
    let killed: Promise<void> | undefined;
    const reports = [];
    for (const [i, name] of names.entries()) {
      // The kill lands while write 10 is in flight.
      const pending = [
        writer.write([{ op: 'upsert', name, type: 'A', ttl: 60, rdata: [`192.0.2.${i + 1}`] }]),
      ];
      if (i === 10) killed = east.replica(leader.replica).kill('SIGKILL');
      reports.push(...(await Promise.all(pending)));
      acked++;
    }
    await killed;
    expect(acked).to.equal(names.length);
    for (const report of reports)
      expect(report.complete, JSON.stringify(report.regions.map((o) => [o.region, o.status]))).to.equal(true);
    const next = await east.waitForLeader(30_000);
    expect(next.replica).to.not.equal(leader.replica);
    for (const name of names) await expectIdentical(writer, name);
  });
});
