/**
 * `raftns plan show | apply` on a running hierarchy of real processes (root → org →
 * wikipedia.org, one replica per group, bootstrapped through NATS KV): a group added to the
 * plan is served once a new instance claims its slot — its zone created and delegated to, from
 * the root — while the replicas that were running route to it without a restart (the HTTP API
 * on an old replica writes to it); unsafe changes are refused with their reasons; two admins
 * applying at once from the same revision: exactly one wins.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../../../clients/cli/exit-codes.js';
import type { LocalCluster } from '../../../clients/local-cluster/local-cluster.js';
import { RaftClient } from '../../../clients/raft-client.js';
import { IterativeResolver } from '../../../clients/resolver/iterative-resolver.js';
import { RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import { rdataToText } from '../../../protocol/dns/wire/rdata.js';
import type { ClusterPlan } from '../../../protocol/plan.js';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats } from '../../../runtime/nats/nats-connection.js';
import { pollUntil } from '../../fixtures/poll-until.js';
import { adminCredentials } from '../../fixtures/raftns-cli.js';
import { type SpecCluster, startSpecCluster } from '../../fixtures/spec-cluster.js';

describe('changing the plan of a running cluster (real processes)', function () {
  this.timeout(240_000);
  let dir: string;
  let cluster: LocalCluster;
  let stored: { plan: ClusterPlan; revision: number };
  let spec: SpecCluster;
  const raftns = (args: readonly string[]) => spec.raftns(args);
  const planFile = async (name: string, plan: ClusterPlan) => {
    const file = join(dir, name);
    await writeFile(file, JSON.stringify(plan));
    return file;
  };
  const withGroup = (id: string, zone: string): ClusterPlan => ({
    ...stored.plan,
    groups: [...stored.plan.groups, { id, zone, parent: 'org' }],
  });

  before(async () => {
    spec = await startSpecCluster({ name: 'plan-apply', subnet: 64, http: true });
    ({ dir, cluster } = spec);
    const shown = await raftns(['--json', 'plan', 'show']);
    expect(shown.code, shown.stderr).to.equal(EXIT_OK);
    stored = JSON.parse(shown.stdout) as typeof stored;
  });

  after(async () => {
    await spec?.stop();
  });

  it('shows the stored plan and its revision', () => {
    expect(stored.plan.groups.map((g) => g.id)).to.deep.equal(['root', 'org', 'wikipedia-org']);
    expect(stored.revision).to.be.a('number');
  });

  it('refuses unsafe changes with every reason and writes nothing; a dry run writes nothing', async () => {
    const moved = await planFile('moved.json', {
      ...stored.plan,
      groups: stored.plan.groups.map((g) => (g.id === 'wikipedia-org' ? { ...g, zone: 'wiki.org.' } : g)),
    });
    const refused = await raftns(['plan', 'apply', moved]);
    expect(refused.code, refused.stderr).to.equal(EXIT_USAGE);
    expect(refused.stderr)
      .to.match(/plan-unsafe/)
      .and.match(/wikipedia-org\.zone: an existing group keeps its zone/);
    const above = await planFile('above.json', {
      ...stored.plan,
      groups: [...stored.plan.groups, { id: 'above', zone: 'wikipedia.org.', parent: 'org' }],
    });
    const twice = await raftns(['plan', 'apply', above]);
    expect(twice.code).to.equal(EXIT_USAGE);
    expect(twice.stderr).to.match(/plan-invalid/);
    const dry = await raftns([
      'plan',
      'apply',
      await planFile('dry.json', withGroup('dry-org', 'dry.org.')),
      '--dry-run',
    ]);
    expect(dry.code, dry.stderr).to.equal(EXIT_OK);
    expect(dry.stdout).to.match(/\+ group dry-org \(dry\.org\., parent org\)\nchecked/);
    const after = JSON.parse((await raftns(['--json', 'plan', 'show'])).stdout) as typeof stored;
    expect(after).to.deep.equal(stored);
  });

  it('two admins applying from the same revision at once: exactly one wins; its group is then served', async () => {
    const [a, b] = await Promise.all([
      raftns([
        'plan',
        'apply',
        await planFile('a.json', withGroup('example-org', 'example.org.')),
        '--based-on',
        String(stored.revision),
      ]),
      raftns([
        'plan',
        'apply',
        await planFile('b.json', withGroup('shop-org', 'shop.org.')),
        '--based-on',
        String(stored.revision),
      ]),
    ]);
    const winners = [a, b].filter((run) => run.code === EXIT_OK);
    expect(winners, `${a.stdout}${a.stderr}\n${b.stdout}${b.stderr}`).to.have.length(1);
    const loser = a.code === EXIT_OK ? b : a;
    expect(loser.code).to.equal(EXIT_FAILED);
    expect(loser.stderr).to.match(/plan-conflict/);
    const zone = a.code === EXIT_OK ? 'example.org.' : 'shop.org.';
    const group = a.code === EXIT_OK ? 'example-org' : 'shop-org';
    const shown = JSON.parse((await raftns(['--json', 'plan', 'show'])).stdout) as typeof stored;
    expect(shown.plan.groups.map((g) => g.id)).to.deep.equal(['root', 'org', 'wikipedia-org', group]);

    // A new instance claims the new group's slot; its leader creates the zone and the delegation.
    await cluster.addReplica('region1');
    const roots = await cluster.rootServers('region1');
    const resolver = new IterativeResolver({
      roots: roots.map((host) => ({ host, port: cluster.dnsPort })),
      port: cluster.dnsPort,
    });
    await pollUntil(`${zone} to be delegated to and answer`, 90_000, async () => {
      const resolution = await resolver.resolve(Name.parse(zone), RR_TYPE.SOA);
      return resolution.result.kind === 'answer' ? true : undefined;
    });

    // An old replica's HTTP API (started before the group existed) writes to it.
    const added = await raftns(['api-key', 'add', 'ops']);
    expect(added.code, added.stderr).to.equal(EXIT_OK);
    const oldReplica = cluster.replicaList()[0];
    const patch = await fetch(`http://${oldReplica?.http}/api/v1/servers/localhost/zones/${zone}`, {
      method: 'PATCH',
      headers: { 'x-api-key': added.stdout.trim(), 'content-type': 'application/json' },
      body: JSON.stringify({
        rrsets: [
          {
            name: `www.${zone}`,
            type: 'A',
            ttl: 60,
            changetype: 'REPLACE',
            records: [{ content: '192.0.2.44', disabled: false }],
          },
        ],
      }),
      signal: AbortSignal.timeout(30_000),
    });
    expect(patch.status, await patch.text()).to.equal(204);
    const resolution = await resolver.resolve(Name.parse(`www.${zone}`), RR_TYPE.A);
    expect(resolution.result.kind).to.equal('answer');
    if (resolution.result.kind === 'answer')
      expect(resolution.result.records.map((r) => rdataToText(r.rdata))).to.deep.equal(['192.0.2.44']);
    expect(resolution.trace.map((s) => `${s.zone} ${s.verdict}`)).to.deep.equal([
      '. referral',
      'org. referral',
      `${zone} answer`,
    ]);
  });
});

describe('growing every group of a running cluster from 1 to 3 replicas (real processes)', function () {
  this.timeout(300_000);
  let dir: string;
  let cluster: LocalCluster;
  let spec: SpecCluster;
  const raftns = (args: readonly string[]) => spec.raftns(args);

  before(async () => {
    spec = await startSpecCluster({ name: 'plan-grow', subnet: 66 });
    ({ dir, cluster } = spec);
  });

  after(async () => {
    await spec?.stop();
  });

  it('new instances join their running groups as voters, become nameservers, and a group survives losing its first replica', async () => {
    const shown = JSON.parse((await raftns(['--json', 'plan', 'show'])).stdout) as { plan: ClusterPlan };
    const file = join(dir, 'grown.json');
    await writeFile(file, JSON.stringify({ ...shown.plan, replicasPerGroup: 3 }));
    const applied = await raftns(['plan', 'apply', file]);
    expect(applied.code, applied.stderr).to.equal(EXIT_OK);
    expect(applied.stdout).to.match(/~ replicasPerGroup: 1 → 3/);
    const first = new Map(
      (await cluster.topology()).regions[0]?.groups.map((g) => [g.id, g.replicas[0]?.instanceId as string]),
    );
    const nc = await connectNats({
      urls: [cluster.natsUrl],
      credsFile: adminCredentials(cluster),
      name: 'plan-grow-spec',
      log: silentLogger,
    });
    const clients = new Map<string, RaftClient>();
    for (const group of ['root', 'org', 'wikipedia-org'])
      clients.set(group, await RaftClient.connect({ nc, cluster: 'local', region: 'region1', group }));
    for (let i = 0; i < 6; i++) await cluster.addReplica('region1');

    // Every group's leader adds its two newcomers, one at a time.
    const leaders = new Set<string>();
    try {
      for (const [group, client] of clients) {
        const members = await pollUntil(`${group} to have 3 voters`, 180_000, async () => {
          const status = await client.status(undefined, { deadlineMs: 2_000 }).catch(() => undefined);
          return status?.voters.length === 3 ? status.voters : undefined;
        });
        // Every member agrees on the voters and on one leader.
        for (const member of members) {
          const status = await pollUntil(`${member} to know the 3 voters`, 30_000, async () => {
            const s = await client.status(member, { deadlineMs: 2_000 }).catch(() => undefined);
            return s?.voters.length === 3 && s.leaderId !== null ? s : undefined;
          });
          expect([...status.voters].sort(), `${group} at ${member}`).to.deep.equal([...members].sort());
          expect(status.leaderId, `${group} at ${member}`).to.be.oneOf(members);
          leaders.add(`${group}:${status.leaderId}`);
        }
      }
      expect(leaders.size, [...leaders].join(' ')).to.equal(3);
    } finally {
      for (const client of clients.values()) await client.close();
      await nc.close();
    }
    // ... and, every slot held, publishes them as the zone's nameservers (and glue in the parent).
    const roots = await cluster.rootServers('region1');
    const resolver = new IterativeResolver({
      roots: roots.map((host) => ({ host, port: cluster.dnsPort })),
      port: cluster.dnsPort,
    });
    await pollUntil('wikipedia.org. to list 3 nameservers', 60_000, async () => {
      const resolution = await resolver.resolve(Name.parse('wikipedia.org.'), RR_TYPE.NS);
      return resolution.result.kind === 'answer' && resolution.result.records.length === 3 ? true : undefined;
    });

    // The group's first replica dies: the two newcomers are a majority and keep writing.
    await cluster.kill(first.get('wikipedia-org') as string, 'SIGKILL');
    const written = await pollUntil('a write after the first replica died', 30_000, async () => {
      const run = await raftns(['write', 'grown.wikipedia.org.', 'A', '60', '192.0.2.33']);
      return run.code === EXIT_OK ? run : undefined;
    });
    expect(written.code).to.equal(EXIT_OK);
    const answer = await pollUntil('the record to resolve', 30_000, async () => {
      const resolution = await resolver.resolve(Name.parse('grown.wikipedia.org.'), RR_TYPE.A);
      return resolution.result.kind === 'answer' ? resolution.result : undefined;
    });
    expect(answer.records.map((r) => rdataToText(r.rdata))).to.deep.equal(['192.0.2.33']);
  });
});
