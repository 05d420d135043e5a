import { expect } from 'chai';
import { EXIT_OK, EXIT_USAGE } from '../../../clients/cli/exit-codes.js';
import type { LocalCluster } from '../../../clients/local-cluster/local-cluster.js';
import { RegionWriter } from '../../../clients/region-writer.js';
import { IterativeResolver } from '../../../clients/resolver/iterative-resolver.js';
import type { Resolution } from '../../../clients/resolver/resolution-trace.js';
import type { MoveOutcome, ZoneListing } from '../../../clients/zone-lifecycle.js';
import { RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import { rdataToText } from '../../../protocol/dns/wire/rdata.js';
import { adminCredentials } from '../../fixtures/raftns-cli.js';
import { type SpecCluster, startSpecCluster } from '../../fixtures/spec-cluster.js';
import { startUnbound, type UnboundHandle } from '../../fixtures/unbound.js';

const REGIONS = ['region1', 'region2'] as const;
const ZONE = 'mv.org.';
const SEEDS = 12;

describe('a zone moved between groups under writes and resolution (real processes, two regions)', function () {
  this.timeout(240_000);
  let dir: string;
  let cluster: LocalCluster;
  let spec: SpecCluster;
  const raftns = (args: readonly string[]) => spec.raftns(args);

  async function resolver(region: string): Promise<IterativeResolver> {
    const roots = await cluster.rootServers(region);
    return new IterativeResolver({
      roots: roots.map((host) => ({ host, port: cluster.dnsPort })),
      port: cluster.dnsPort,
      deadlineMs: 8_000,
    });
  }

  function describeResolution(resolution: Resolution): string {
    const { result, trace } = resolution;
    return `${result.kind} via ${trace.map((s) => `${s.zone} ${s.verdict}`).join(' → ')}`;
  }

  before(async () => {
    spec = await startSpecCluster({
      name: 'zone-move',
      subnet: 61,
      regions: REGIONS.length,
      http: true,
      dnsPort: '53-if-possible',
    });
    ({ dir, cluster } = spec);
  });

  after(async () => {
    await spec?.stop();
  });

  it('refuses moves that cannot be, with the reason, and changes nothing', async () => {
    const created = await raftns(['--group', 'wikipedia-org', 'zone', 'create', ZONE]);
    expect(created.code, created.stderr).to.equal(EXIT_OK);
    const before = (await raftns(['--json', 'zone', 'list'])).stdout;
    const cases: Array<{ args: string[]; reason: RegExp }> = [
      { args: ['zone', 'move', 'org.', '--to', 'root'], reason: /zone of the plan/ },
      { args: ['zone', 'move', ZONE, '--to', 'nope'], reason: /no group "nope"/ },
      {
        args: ['zone', 'move', ZONE, '--to', 'wikipedia-org'],
        reason: /already served by group wikipedia-org/,
      },
      { args: ['zone', 'move', 'absent.org.', '--to', 'root'], reason: /not a zone of the cluster/ },
      { args: ['zone', 'move', 'a..b', '--to', 'root'], reason: /not a domain name/ },
    ];
    for (const { args, reason } of cases) {
      const run = await raftns(args);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).to.equal(EXIT_USAGE);
      expect(run.stderr, args.join(' ')).to.match(reason);
    }
    expect((await raftns(['--json', 'zone', 'list'])).stdout).to.equal(before);
  });

  it('moves a zone while it is written and resolved: no acknowledged write lost, no wrong answer', async () => {
    const writer = await RegionWriter.open({
      natsUrls: [cluster.natsUrl],
      natsCredsFile: adminCredentials(cluster),
      cluster: 'local',
      deadlineMs: 10_000,
    });
    const resolvers = await Promise.all(REGIONS.map((region) => resolver(region)));
    let unbound: UnboundHandle | undefined;
    try {
      // Seed records, and beside r0's A a TXT RRset written then deleted: its tombstone
      // moves with the zone, and the A next to it stays.
      const seeds = Array.from({ length: SEEDS }, (_, i) => ({
        op: 'upsert' as const,
        name: `r${i}.${ZONE}`,
        type: 'A',
        ttl: 60,
        rdata: [`192.0.2.${i + 1}`],
      }));
      expect((await writer.write(seeds)).complete).to.equal(true);
      const r0Txt = { name: `r0.${ZONE}`, type: 'TXT' } as const;
      expect(
        (await writer.write([{ op: 'upsert', ...r0Txt, ttl: 60, rdata: ['"gone"'] }])).complete,
      ).to.equal(true);
      expect((await writer.write([{ op: 'delete-rrset', ...r0Txt }])).complete).to.equal(true);
      for (const region of REGIONS) {
        const before = await writer.rrsets(region, `r0.${ZONE}`, 'linearizable');
        const seen = `${region} r0 before the move: ${JSON.stringify(before)}`;
        expect(
          before?.rrsets.map((r) => r.type),
          seen,
        ).to.deep.equal(['A']);
        expect(
          before?.deleted.map((d) => d.type),
          seen,
        ).to.deep.equal(['TXT']);
      }
      if (cluster.dnsPort === 53) unbound = await startUnbound(dir, await cluster.rootServers('region2'));

      const acked: Array<{ name: string; value: string; atMs: number }> = [];
      const unacked: string[] = [];
      const wrong: string[] = [];
      const outcomes = new Map<string, number>();
      const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      let stop = false;
      let moveStartedMs = 0;
      let moveEndedMs = 0;

      const writing = (async () => {
        for (let n = 0; !stop; n++) {
          const name = `w${n}.${ZONE}`;
          const value = `"${n}"`;
          const report = await writer.write([{ op: 'upsert', name, type: 'TXT', ttl: 60, rdata: [value] }]);
          if (report.complete) acked.push({ name, value, atMs: performance.now() });
          else unacked.push(`${name}: ${report.regions.map((r) => r.status).join(',')}`);
        }
      })();
      const resolving = resolvers.map(async (r, i) => {
        for (let k = 0; !stop; k++) {
          // The newest acknowledged name, or a seed: each existed before the query started.
          const newest = acked.at(-1);
          const seed = 1 + (k % (SEEDS - 1));
          const [name, type, expected] =
            k % 2 === 0 && newest !== undefined
              ? [newest.name, RR_TYPE.TXT, newest.value]
              : [`r${seed}.${ZONE}`, RR_TYPE.A, `192.0.2.${seed + 1}`];
          const resolution = await r.resolve(Name.parse(name), type);
          const got =
            resolution.result.kind === 'answer'
              ? resolution.result.records.map((x) => rdataToText(x.rdata))
              : [];
          count(`${REGIONS[i]} ${resolution.result.kind}`);
          if (resolution.result.kind !== 'answer' || got.length !== 1 || got[0] !== expected)
            wrong.push(`${REGIONS[i]} ${name}: ${JSON.stringify(got)} ${describeResolution(resolution)}`);
        }
      });
      const unboundLoop = (async () => {
        if (unbound === undefined) return;
        for (let k = 0; !stop; k++) {
          const seed = 1 + (k % (SEEDS - 1));
          const got = await unbound.addresses(`r${seed}.${ZONE}`);
          if (got.length === 0) count('unbound no answer');
          else if (got.length !== 1 || got[0] !== `192.0.2.${seed + 1}`)
            wrong.push(`unbound r${seed}.${ZONE}: ${JSON.stringify(got)}`);
          else count('unbound answer');
        }
      })();

      let moveRun: { code: number; stdout: string; stderr: string } | undefined;
      try {
        // Writes flow for a moment, then the move, then writes to the new group for a moment.
        while (acked.length < 5) await new Promise((resolve) => setTimeout(resolve, 20));
        moveStartedMs = performance.now();
        moveRun = await raftns(['--json', 'zone', 'move', ZONE, '--to', 'root', '--drain-seconds', '2']);
        moveEndedMs = performance.now();
        const settled = acked.length;
        while (acked.length < settled + 5) await new Promise((resolve) => setTimeout(resolve, 20));
      } finally {
        stop = true;
        await Promise.all([writing, ...resolving, unboundLoop]);
      }
      expect(moveRun?.code, moveRun?.stderr).to.equal(EXIT_OK);
      const moved = JSON.parse(moveRun?.stdout ?? '{}') as MoveOutcome;
      expect(moved).to.include({ zone: ZONE, from: 'wikipedia-org', to: 'root', outcome: 'moved' });

      // The freeze window: the longest time between two acknowledged writes around the move.
      let gapMs = 0;
      for (let i = 1; i < acked.length; i++) {
        const a = acked[i - 1] as { atMs: number };
        const b = acked[i] as { atMs: number };
        if (b.atMs >= moveStartedMs && a.atMs <= moveEndedMs) gapMs = Math.max(gapMs, b.atMs - a.atMs);
      }
      process.stdout.write(
        `      move: ${Math.round(moveEndedMs - moveStartedMs)} ms (CLI: ${moved.elapsedMs} ms, drain 2 s); ` +
          `freeze per region (CLI) ${JSON.stringify(moved.freezeMs)}; longest write gap ${Math.round(gapMs)} ms; ` +
          `${acked.length} writes acknowledged, ${unacked.length} not; resolutions ${JSON.stringify(Object.fromEntries(outcomes))}\n`,
      );
      expect(wrong, wrong.slice(0, 5).join('\n')).to.deep.equal([]);
      expect(unacked, unacked.slice(0, 5).join('\n')).to.deep.equal([]);

      // Every acknowledged write, every seed, and the tombstone, in every region, in the new group.
      for (const region of REGIONS) {
        for (const { name, value } of acked) {
          const view = await writer.rrsets(region, name, 'linearizable');
          expect(view?.rrsets.find((r) => r.type === 'TXT')?.rdata, `${region} ${name}`).to.deep.equal([
            value,
          ]);
        }
        for (let i = 1; i < SEEDS; i++) {
          const view = await writer.rrsets(region, `r${i}.${ZONE}`, 'linearizable');
          expect(
            view?.rrsets.map((r) => r.rdata),
            `${region} r${i}`,
          ).to.deep.equal([[`192.0.2.${i + 1}`]]);
        }
        const deleted = await writer.rrsets(region, `r0.${ZONE}`, 'linearizable');
        expect(
          deleted?.rrsets.map((r) => r.type),
          `${region} r0 keeps its A`,
        ).to.deep.equal(['A']);
        expect(
          deleted?.deleted.map((d) => d.type),
          `${region} r0's TXT stays deleted`,
        ).to.deep.equal(['TXT']);
        const old = await cluster.client(region, 'wikipedia-org');
        const oldZones = (await old.dnsZones('linearizable')).map((z) => z.zone.toLowerCase());
        expect(oldZones, `${region}: gone from the old group`).to.not.include(ZONE);
        const fresh = await cluster.client(region, 'root');
        const freshZones = (await fresh.dnsZones('linearizable')).map((z) => z.zone.toLowerCase());
        expect(freshZones, `${region}: served by the new group`).to.include(ZONE);
      }
      expect(writer.route(`x.${ZONE}`).group.id).to.equal('root');
      const listed = JSON.parse((await raftns(['--json', 'zone', 'list'])).stdout) as ZoneListing[];
      const entry = listed.find((z) => z.zone === ZONE);
      expect(entry).to.include({ group: 'root', source: 'registry', state: 'active' });
      expect(entry?.regions.every((r) => r.serial !== null)).to.equal(true);
      // Resolution from each root ends at the new group's nameservers.
      for (const [i, r] of resolvers.entries()) {
        const resolution = await r.resolve(Name.parse(`r3.${ZONE}`), RR_TYPE.A);
        expect(resolution.result.kind, describeResolution(resolution)).to.equal('answer');
        const region = REGIONS[i] as string;
        const cut = await (await cluster.client(region, 'org')).dnsRrsets('org.', ZONE, 'linearizable');
        const apex = await (await cluster.client(region, 'root')).dnsRrsets(ZONE, ZONE, 'linearizable');
        const ns = (view: typeof cut) =>
          (view?.rrsets.find((x) => x.type === 'NS')?.rdata ?? []).slice().sort();
        expect(ns(cut).length, `${region} delegation`).to.be.greaterThan(0);
        expect(ns(cut), `${region}: the parent delegates to the new group`).to.deep.equal(ns(apex));
      }
    } finally {
      unbound?.stop();
      await writer.close();
    }
  });
});
