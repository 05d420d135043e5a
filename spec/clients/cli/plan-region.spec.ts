/**
 * `raftns plan apply` adding a region to a running cluster (real processes: root → org →
 * wikipedia.org, one replica per group, bootstrapped through NATS KV, plus a zone created at
 * runtime). One instance of the new region starts before the apply and waits for the plan
 * to name its region; the others start after it. Writes go on in the first region all the
 * while, through a writer opened before the apply. At the end every zone holds the same
 * data in both regions (what each region writes for itself aside: SOA, NS, nameserver
 * addresses), every name resolves from the new region's root servers, and the writer
 * opened before the apply writes to both regions.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { EXIT_OK, EXIT_USAGE } from '../../../clients/cli/exit-codes.js';
import type { LocalCluster } from '../../../clients/local-cluster/local-cluster.js';
import { RaftClient } from '../../../clients/raft-client.js';
import { RegionWriter } from '../../../clients/region-writer.js';
import { IterativeResolver } from '../../../clients/resolver/iterative-resolver.js';
import { RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import { rdataToText } from '../../../protocol/dns/wire/rdata.js';
import type { ClusterPlan } from '../../../protocol/plan.js';
import { pollUntil } from '../../fixtures/poll-until.js';
import { type SpecCluster, startSpecCluster } from '../../fixtures/spec-cluster.js';
import { canonicalZoneExport } from '../../fixtures/zone-export.js';

const ZONES = [
  { zone: '.', group: 'root' },
  { zone: 'org.', group: 'org' },
  { zone: 'wikipedia.org.', group: 'wikipedia-org' },
  { zone: 'shop.org.', group: 'org' },
] as const;

/**
 * A zone's data without what each region writes for itself: SOA, NS RRsets (apex and cuts)
 * and the addresses of the nameservers they name.
 */
function sharedData(exported: string): string {
  const rrsets = JSON.parse(exported) as { name: string; type: string; rdata: string[] }[];
  const nameservers = new Set(
    rrsets.filter((r) => r.type === 'NS').flatMap((r) => r.rdata.map((t) => t.toLowerCase())),
  );
  return JSON.stringify(
    rrsets.filter(
      (r) =>
        r.type !== 'SOA' &&
        r.type !== 'NS' &&
        !((r.type === 'A' || r.type === 'AAAA') && nameservers.has(r.name)),
    ),
  );
}

describe('adding a region to a running cluster (real processes)', function () {
  this.timeout(300_000);
  let dir: string;
  let cluster: LocalCluster;
  let spec: SpecCluster;
  const raftns = (args: readonly string[]) => spec.raftns(args);

  before(async () => {
    spec = await startSpecCluster({ name: 'plan-region', subnet: 76 });
    ({ dir, cluster } = spec);
  });

  after(async () => {
    await spec?.stop();
  });

  /** An admin NATS connection and a region writer on it that follows the plan (the caller closes both). */
  const adminWriter = async (writerId: string) => {
    const nc = await spec.connectAdmin(writerId);
    return { nc, writer: await RegionWriter.open({ nc, cluster: 'local', writerId, deadlineMs: 20_000 }) };
  };

  it('the new region is filled with every zone, resolves every name from its root, and takes new writes', async () => {
    const created = await raftns(['zone', 'create', 'shop.org.', '--group', 'org']);
    expect(created.code, created.stderr).to.equal(EXIT_OK);
    const { nc, writer } = await adminWriter('plan-region-spec');
    const clients: RaftClient[] = [];
    /**
     * Polls region2's org. zone until it delegates `zone` (NS at the cut), then reads the
     * zone in region2 at once (its group's leader): what a resolver sent there would find.
     */
    const watchFirstDelegation = async (group: string, zone: string): Promise<string> => {
      const org = await RaftClient.connect({ nc, cluster: 'local', region: 'region2', group: 'org' });
      const child = await RaftClient.connect({ nc, cluster: 'local', region: 'region2', group });
      clients.push(org, child);
      return pollUntil(`region2's org. to delegate ${zone}`, 150_000, async () => {
        const cut = await org.dnsRrsets('org.', zone, 'linearizable', { deadlineMs: 1_000 });
        if (!cut?.rrsets.some((r) => r.type === 'NS')) return undefined;
        const status = await child.status(undefined, { deadlineMs: 2_000 });
        if (status.leaderId === null) throw new Error(`no leader of ${group} in region2`);
        return canonicalZoneExport(child, zone, status.leaderId, 5_000);
      });
    };
    try {
      expect(writer.regions).to.deep.equal(['region1']);
      const write = async (name: string, address: string) => {
        const report = await writer.write([{ op: 'upsert', name, type: 'A', ttl: 60, rdata: [address] }]);
        expect(report.regions[0]?.status, `${name} in region1`).to.equal('applied');
        return report;
      };
      for (let i = 0; i < 20; i++) await write(`h${i}.wikipedia.org.`, `203.0.113.${i}`);
      for (let i = 0; i < 5; i++) await write(`s${i}.shop.org.`, `198.51.100.${i}`);
      await writer.write([{ op: 'upsert', name: 'info.org.', type: 'TXT', ttl: 60, rdata: ['"org info"'] }]);
      await writer.write([{ op: 'delete-rrset', name: 'h0.wikipedia.org.', type: 'A' }]);

      // One instance of the new region starts before the apply: it waits for the plan.
      const early = await cluster.addReplica('region2');
      const shown = JSON.parse((await raftns(['--json', 'plan', 'show'])).stdout) as { plan: ClusterPlan };
      const file = join(dir, 'two-regions.json');
      await writeFile(file, JSON.stringify({ ...shown.plan, regions: ['region1', 'region2'] }));
      // Writes go on in region1 while the new region starts.
      let writing = true;
      let written = 0;
      const steady = (async () => {
        for (let i = 0; writing; i++) {
          await writer.write([
            { op: 'upsert', name: `live.wikipedia.org.`, type: 'TXT', ttl: 60, rdata: [`"${i}"`] },
          ]);
          written = i + 1;
        }
      })();
      // The moment org. delegates to each zone in region2, that zone already holds its data there.
      const delegations = [
        watchFirstDelegation('wikipedia-org', 'wikipedia.org.'),
        watchFirstDelegation('org', 'shop.org.'),
      ];
      const applied = await raftns(['plan', 'apply', file]);
      expect(applied.code, applied.stderr).to.equal(EXIT_OK);
      expect(applied.stdout).to.match(/\+ region region2: every group gets 1 slot\(s\) there/);
      const added = [early, await cluster.addReplica('region2'), await cluster.addReplica('region2')];
      expect(cluster.exitOf(early.instanceId), 'the early instance waited, it did not exit').to.equal(
        undefined,
      );
      expect(added.map((r) => r.region)).to.deep.equal(['region2', 'region2', 'region2']);
      await pollUntil('the writer to write to both regions', 30_000, async () =>
        writer.regions.length === 2 ? true : undefined,
      );
      writing = false;
      await steady;
      expect(written, 'writes went on during the add').to.be.greaterThan(0);

      const [wikipedia, shop] = await Promise.all(delegations);
      for (let i = 1; i < 20; i++)
        expect(wikipedia, `h${i} in wikipedia.org. when region2 first delegated to it`).to.include(
          `"name":"h${i}.wikipedia.org.","type":"A"`,
        );
      expect(wikipedia, 'the delete held when region2 first delegated').to.not.include(
        '"name":"h0.wikipedia.org."',
      );
      for (let i = 0; i < 5; i++)
        expect(shop, `s${i} in shop.org. when region2 first delegated to it`).to.include(
          `"name":"s${i}.shop.org.","type":"A"`,
        );

      // Every zone: the same data in both regions.
      const filledStarted = Date.now();
      for (const { zone, group } of ZONES) {
        const pair = await Promise.all(
          ['region1', 'region2'].map(async (region) => {
            const client = await RaftClient.connect({ nc, cluster: 'local', region, group });
            clients.push(client);
            return client;
          }),
        );
        await pollUntil(`${zone} to hold the same data in both regions`, 90_000, async () => {
          const data = await Promise.all(
            pair.map(async (client) => {
              const status = await client.status(undefined, { deadlineMs: 3_000 });
              if (status.leaderId === null) return undefined;
              return sharedData(await canonicalZoneExport(client, zone, status.leaderId, 5_000));
            }),
          );
          return data[0] !== undefined && data[0] === data[1] ? true : undefined;
        });
      }
      console.log(
        `      every zone identical in both regions ${Date.now() - filledStarted} ms after the last region2 instance started; ${written} writes during the add`,
      );

      // Every name resolves from the new region's root servers.
      const roots = await pollUntil('region2 root servers', 30_000, async () => {
        const found = await cluster.rootServers('region2');
        return found.length > 0 ? found : undefined;
      });
      const resolver = new IterativeResolver({
        roots: roots.map((host) => ({ host, port: cluster.dnsPort })),
        port: cluster.dnsPort,
      });
      const asked = new Set<string>();
      const answer = async (name: string, type: number) => {
        const resolution = await resolver.resolve(Name.parse(name), type);
        for (const step of resolution.trace) asked.add(step.server.replace(/[:#]\d+$/, ''));
        return resolution.result.kind === 'answer'
          ? resolution.result.records.map((r) => rdataToText(r.rdata))
          : resolution.result.kind;
      };
      await pollUntil('h5.wikipedia.org from region2', 60_000, async () =>
        (await answer('h5.wikipedia.org.', RR_TYPE.A).catch(() => undefined))?.toString() === '203.0.113.5'
          ? true
          : undefined,
      );
      for (let i = 1; i < 20; i++)
        expect(await answer(`h${i}.wikipedia.org.`, RR_TYPE.A)).to.deep.equal([`203.0.113.${i}`]);
      for (let i = 0; i < 5; i++)
        expect(await answer(`s${i}.shop.org.`, RR_TYPE.A)).to.deep.equal([`198.51.100.${i}`]);
      expect(await answer('h0.wikipedia.org.', RR_TYPE.A), 'the delete holds').to.equal('nxdomain');
      expect(await answer('info.org.', RR_TYPE.TXT)).to.deep.equal(['"org info"']);
      expect(await answer('live.wikipedia.org.', RR_TYPE.TXT)).to.deep.equal([`"${written - 1}"`]);

      const region2 = new Set(
        cluster
          .replicaList()
          .filter((r) => r.region === 'region2')
          .map((r) => r.address),
      );
      expect(asked.size, 'servers asked').to.be.greaterThan(0);
      expect(
        [...asked].filter((server) => !region2.has(server)),
        'servers outside region2 asked',
      ).to.deep.equal([]);

      // The writer opened before the apply writes to both regions.
      const after = await writer.write([
        { op: 'upsert', name: 'after.shop.org.', type: 'A', ttl: 60, rdata: ['198.51.100.99'] },
      ]);
      expect(after.regions.map((r) => `${r.region}:${r.status}`)).to.deep.equal([
        'region1:applied',
        'region2:applied',
      ]);
      expect(await answer('after.shop.org.', RR_TYPE.A)).to.deep.equal(['198.51.100.99']);
    } finally {
      for (const client of clients) await client.close().catch(() => undefined);
      await writer.close();
      await nc.close();
    }
  });

  it('retiring the first region: refused while one of its groups cannot be checked; then its replicas leave and writes go on in the other', async () => {
    const { nc, writer } = await adminWriter('plan-region-retire');
    const wiki1 = await RaftClient.connect({
      nc,
      cluster: 'local',
      region: 'region1',
      group: 'wikipedia-org',
    });
    try {
      expect(writer.regions).to.deep.equal(['region1', 'region2']);
      const before = await writer.write([
        { op: 'upsert', name: 'before-retire.wikipedia.org.', type: 'A', ttl: 60, rdata: ['203.0.113.77'] },
      ]);
      expect(before.complete, JSON.stringify(before.regions)).to.equal(true);
      const shown = JSON.parse((await raftns(['--json', 'plan', 'show'])).stdout) as { plan: ClusterPlan };
      const file = join(dir, 'region2-only.json');
      await writeFile(file, JSON.stringify({ ...shown.plan, regions: ['region2'] }));
      const region1 = cluster.replicaList().filter((r) => r.region === 'region1');

      // One of region1's groups down: what it holds cannot be checked, so the retirement is refused.
      const wikiHolder = (await wiki1.status(undefined, { deadlineMs: 5_000 })).leaderId;
      const down = region1.find((r) => r.instanceId === wikiHolder);
      if (down === undefined) throw new Error(`no region1 replica ${String(wikiHolder)}`);
      await cluster.kill(down.instanceId);
      const refused = await raftns(['--timeout', '3000', 'plan', 'apply', file]);
      expect(refused.code, refused.stdout + refused.stderr).to.equal(EXIT_USAGE);
      expect(refused.stderr)
        .to.match(/plan-unsafe/)
        .and.match(/region1's group wikipedia-org did not answer/);
      const unchanged = JSON.parse((await raftns(['--json', 'plan', 'show'])).stdout) as {
        plan: ClusterPlan;
      };
      expect(unchanged.plan.regions).to.deep.equal(['region1', 'region2']);
      await cluster.spawnReplica(down);
      await pollUntil(`${down.instanceId} to lead wikipedia-org again`, 60_000, async () => {
        const status = await wiki1.status(undefined, { deadlineMs: 2_000 }).catch(() => undefined);
        return status?.leaderId === down.instanceId ? true : undefined;
      });

      // A write that reached region1 alone just before: the check waits until region2 took it.
      const onlyHere = await writer.send(
        writer.prepare([
          { op: 'upsert', name: 'only-region1.wikipedia.org.', type: 'A', ttl: 60, rdata: ['203.0.113.79'] },
        ]),
        { regions: ['region1'] },
      );
      expect(onlyHere.regions.map((r) => `${r.region}:${r.status}`)).to.deep.equal(['region1:applied']);
      const applied = await raftns(['plan', 'apply', file]);
      expect(applied.code, applied.stdout + applied.stderr).to.equal(EXIT_OK);
      expect(applied.stdout).to.match(/- region region1: retired; its replicas leave their groups and stop/);
      // Every replica of region1 leaves (exit code 0); writers stop writing there.
      await pollUntil('every region1 replica to exit', 60_000, async () =>
        region1.every((r) => cluster.exitOf(r.instanceId) !== undefined) ? true : undefined,
      );
      expect(region1.map((r) => cluster.exitOf(r.instanceId)?.code)).to.deep.equal(region1.map(() => 0));
      await pollUntil('the writer to drop region1', 10_000, async () =>
        writer.regions.join() === 'region2' ? true : undefined,
      );
      const after = await writer.write([
        { op: 'upsert', name: 'after-retire.wikipedia.org.', type: 'A', ttl: 60, rdata: ['203.0.113.78'] },
      ]);
      expect(after.regions.map((r) => `${r.region}:${r.status}`)).to.deep.equal(['region2:applied']);
      const roots = await cluster.rootServers('region2');
      const resolver = new IterativeResolver({
        roots: roots.map((host) => ({ host, port: cluster.dnsPort })),
        port: cluster.dnsPort,
      });
      for (const [name, address] of [
        ['before-retire.wikipedia.org.', '203.0.113.77'],
        ['after-retire.wikipedia.org.', '203.0.113.78'],
        ['only-region1.wikipedia.org.', '203.0.113.79'],
        ['s3.shop.org.', '198.51.100.3'],
      ] as const) {
        const resolution = await resolver.resolve(Name.parse(name), RR_TYPE.A);
        expect(
          resolution.result.kind === 'answer'
            ? resolution.result.records.map((r) => rdataToText(r.rdata))
            : resolution.result.kind,
          name,
        ).to.deep.equal([address]);
      }
    } finally {
      await wiki1.close();
      await writer.close();
      await nc.close();
    }
  });
});
