import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE } from '../../../clients/cli/exit-codes.js';
import { RegionWriter } from '../../../clients/region-writer.js';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats } from '../../../runtime/nats/nats-connection.js';
import { type NatsServerHandle, startNatsServer } from '../../fixtures/nats-server.js';
import type { RaftCluster } from '../../fixtures/raft-cluster.js';
import { raftns as runRaftns } from '../../fixtures/raftns-cli.js';
import { startRegionClusters } from '../../fixtures/region-clusters.js';

const raftns = (args: readonly string[]) => runRaftns(args, { timeoutMs: 60_000 });

const CLUSTER = 'cli';
const GROUP = 'g1';
const ZONE = 'example.org.';
const REGIONS = ['r1', 'r2'] as const;

describe('raftns write/delete/get and cluster-status across two real regions', function () {
  this.timeout(180_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  const regions = new Map<string, RaftCluster>();
  let target: string[];

  const region = (name: string): RaftCluster => {
    const found = regions.get(name);
    if (found === undefined) throw new Error(`no region ${name}`);
    return found;
  };

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'records-cli-spec', log: silentLogger });
    for (const [name, cluster] of await startRegionClusters({
      nats,
      nc,
      cluster: CLUSTER,
      regions: REGIONS,
      group: GROUP,
      zone: ZONE,
    }))
      regions.set(name, cluster);
    const writer = await RegionWriter.open({ nc, cluster: CLUSTER, writerId: 'cli-spec' });
    try {
      const created = await writer.write([
        {
          op: 'create-zone',
          zone: ZONE,
          soa: {
            mname: 'ns1',
            rname: 'admin',
            refresh: 3600,
            retry: 600,
            expire: 86400,
            minimum: 60,
            ttl: 3600,
          },
          ns: ['ns1'],
          nsTtl: 3600,
        },
      ]);
      expect(created.complete, JSON.stringify(created.regions)).to.equal(true);
    } finally {
      await writer.close();
    }
    target = ['--nats', nats.url, '--cluster', CLUSTER];
  });
  after(async () => {
    for (const cluster of regions.values()) await cluster.stop();
    await nc?.close();
    await nats?.stop();
  });

  it('writes an RRset to every region, reads it back per region with versions, deletes it', async () => {
    const written = await raftns([
      ...target,
      'write',
      'www.example.org.',
      'A',
      '300',
      '192.0.2.1',
      '192.0.2.2',
    ]);
    expect(written.code, written.stderr).to.equal(EXIT_OK);
    expect(written.stdout).to.match(/^r1: applied, serial \d+\nr2: applied, serial \d+\n$/);
    const views = [];
    for (const r of REGIONS) {
      const got = await raftns([...target, '--json', '--region', r, 'get', 'www.example.org.', 'A']);
      expect(got.code, got.stderr).to.equal(EXIT_OK);
      const view = JSON.parse(got.stdout) as { region: string; rrsets: unknown[] };
      expect(view.region).to.equal(r);
      views.push(view.rrsets);
    }
    expect(views[0]).to.deep.equal(views[1]);
    expect(views[0]).to.have.length(1);
    const text = await raftns([...target, 'get', 'www.example.org.']);
    expect(text.stdout).to.match(/^www\.example\.org\.\t300\tA\t192\.0\.2\.1\t\d+\.\d+@w-/m);

    const deleted = await raftns([...target, 'delete', 'www.example.org.', 'A']);
    expect(deleted.code, deleted.stderr).to.equal(EXIT_OK);
    const missing = await raftns([...target, 'get', 'www.example.org.', 'A', '--region', 'r2']);
    expect(missing.code).to.equal(EXIT_NOT_FOUND);
    expect(missing.stderr).to.match(/www\.example\.org\. A: not found in r2/);
    const noZone = await raftns([...target, 'get', 'www.example.com.']);
    expect(noZone.code).to.equal(EXIT_USAGE);
  });

  it('refuses bad types, TTLs and RDATA with exit 2 before sending', async () => {
    const cases = [
      ['write', 'x.example.org.', 'NOPE', '300', '192.0.2.1'],
      ['write', 'x.example.org.', 'A', '-1', '192.0.2.1'],
      ['write', 'x.example.org.', 'A', '2147483648', '192.0.2.1'],
      ['write', 'x.example.org.', 'A', '300', 'not-an-address'],
      ['write', 'x.example.org.', 'MX', '300', 'mail.example.org.'],
      ['write', 'x.example.org.', 'A', '300'],
    ];
    for (const args of cases) {
      const run = await raftns([...target, ...args]);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).to.equal(EXIT_USAGE);
    }
    // Nothing was written.
    expect((await raftns([...target, 'get', 'x.example.org.'])).code).to.equal(EXIT_NOT_FOUND);
  });

  it('shows every region, group and replica with role, term, leader, commit and applied index, and lag', async () => {
    const json = await raftns([...target, '--json', 'cluster-status']);
    expect(json.code, json.stderr).to.equal(EXIT_OK);
    const groups = JSON.parse(json.stdout) as Array<{
      region: string;
      group: string;
      leader: string | null;
      replicas: Array<{
        replica: string;
        role: string;
        lag: number;
        reachable: boolean;
        commitIndex: number | null;
        appliedIndex: number | null;
      }>;
    }>;
    expect(groups.map((g) => [g.region, g.group, g.leader])).to.deep.equal([
      ['r1', GROUP, 'r1'],
      ['r2', GROUP, 'r1'],
    ]);
    for (const g of groups) expect(g.replicas).to.have.length(1);
    expect(groups[0]?.replicas[0]).to.include({ replica: 'r1', role: 'leader', lag: 0, reachable: true });
    const leader = groups[0]?.replicas[0];
    expect(leader?.commitIndex).to.be.a('number');
    expect(leader?.commitIndex ?? 0).to.be.at.least(leader?.appliedIndex ?? Number.POSITIVE_INFINITY);
    const table = await raftns([...target, 'status']); // without --replicas: the cluster table
    expect(table.stdout).to.match(
      /^region\s+group\s+zone\s+replica\s+role\s+term\s+leader\s+commit\s+applied\s+lag/,
    );
    expect(table.stdout).to.match(/\nr2\s+g1\s+example\.org\.\s+r1\s+leader\s+\d+\s+r1\s+\d+\s+\d+\s+0/);
  });

  it('a region down entirely: exit 1 naming it, while the other region committed', async () => {
    await region('r2').replica('r1').kill('SIGKILL');
    const run = await raftns([
      ...target,
      '--timeout',
      '2000',
      'write',
      'down.example.org.',
      'TXT',
      '60',
      '"one"',
      '"two"',
    ]);
    expect(run.code, run.stderr).to.equal(EXIT_FAILED);
    expect(run.stdout).to.match(/^r1: applied, serial \d+$/m);
    expect(run.stdout).to.match(/^r2: unreachable: /m);
    expect(run.stderr).to.match(/not committed in r2 \(committed in r1\)/);
    const r1 = await raftns([...target, '--json', '--region', 'r1', 'get', 'down.example.org.', 'TXT']);
    expect(r1.code, r1.stderr).to.equal(EXIT_OK);
    expect((JSON.parse(r1.stdout) as { rrsets: Array<{ rdata: string[] }> }).rrsets[0]?.rdata).to.deep.equal([
      '"one"',
      '"two"',
    ]);
    // --regions r1 alone commits.
    const only = await raftns([
      ...target,
      'write',
      '--regions',
      'r1',
      'down.example.org.',
      'A',
      '60',
      '192.0.2.9',
    ]);
    expect(only.code, only.stderr).to.equal(EXIT_OK);
    expect(only.stdout.trim()).to.match(/^r1: applied, serial \d+$/);
    const status = await raftns([...target, '--timeout', '1000', 'cluster-status']);
    expect(status.code).to.equal(EXIT_FAILED);
    expect(status.stdout).to.match(/\nr2\s+g1\s+example\.org\.\s+r1\s+unreachable/);
    expect(status.stderr).to.match(/r2\/g1 \(no leader\) r1 unreachable/);
  });
});
