/**
 * The hierarchy as `npm start` runs it: a JetStream nats-server, the plan in KV, nine
 * `runtime/main --bootstrap` processes on their own loopback addresses forming the root,
 * `org` and `wikipedia.org` groups, whose leaders create their zones and delegations.
 * Resolution of the write-up's example through our resolver client and through Unbound
 * (given the root group as its root hints) must agree.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { EXAMPLE_ADDRESS, EXAMPLE_NAME, LocalCluster } from '../../../clients/local-cluster/local-cluster.js';
import { IterativeResolver } from '../../../clients/resolver/iterative-resolver.js';
import { RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import { rdataToText } from '../../../protocol/dns/wire/rdata.js';
import { freePort } from '../../fixtures/free-port.js';
import { pollUntil } from '../../fixtures/poll-until.js';
import { startUnbound } from '../../fixtures/unbound.js';

const execFileAsync = promisify(execFile);

async function digAnswer(
  server: string,
  port: number,
  name: string,
  extra: string[] = [],
): Promise<string[]> {
  const { stdout } = await execFileAsync(
    'dig',
    [`@${server}`, '-p', String(port), '+time=3', '+tries=2', '+noall', '+answer', ...extra, name, 'A'],
    { timeout: 20_000 },
  );
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split(/\s+/).slice(-1)[0] as string);
}

describe('the local hierarchy (root → org → wikipedia.org) as real processes', function () {
  this.timeout(180_000);
  let dir: string;
  let cluster: LocalCluster;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftns-hierarchy-'));
    cluster = new LocalCluster({
      dir,
      natsPort: await freePort(),
      subnet: 20,
      logLevel: 'info',
      registrationTtlMs: 3_000,
    });
    await cluster.start();
    await cluster.waitReady(120_000);
    await cluster.seedExample();
  });

  after(async () => {
    await cluster?.stop(5_000);
    await rm(dir, { recursive: true, force: true });
  });

  it('fills every slot exactly once and every group elects a leader among its slot holders', async () => {
    const topology = await cluster.topology();
    const region = topology.regions[0];
    expect(region?.groups.map((g) => g.zone)).to.deep.equal(['.', 'org.', 'wikipedia.org.']);
    const seen = new Set<string>();
    for (const group of region?.groups ?? []) {
      expect(group.replicas, group.zone).to.have.length(3);
      expect(group.leader, group.zone).to.be.a('string');
      for (const replica of group.replicas) {
        expect(seen.has(replica.instanceId), replica.instanceId).to.equal(false);
        seen.add(replica.instanceId);
      }
    }
    expect(seen.size).to.equal(9);
  });

  it('resolves the example from the root with the resolver client, through every level', async () => {
    const roots = await cluster.rootServers('region1');
    expect(roots).to.have.length(3);
    const resolver = new IterativeResolver({
      roots: roots.map((host) => ({ host, port: cluster.dnsPort })),
      port: cluster.dnsPort,
    });
    const { result, trace } = await resolver.resolve(Name.parse(EXAMPLE_NAME), RR_TYPE.A);
    expect(result.kind, JSON.stringify(result)).to.equal('answer');
    if (result.kind === 'answer')
      expect(result.records.map((r) => rdataToText(r.rdata))).to.deep.equal([EXAMPLE_ADDRESS]);
    // root refers to org., org. refers to wikipedia.org., which answers.
    expect(trace.map((step) => `${step.zone} ${step.verdict}`)).to.deep.equal([
      '. referral',
      'org. referral',
      'wikipedia.org. answer',
    ]);
  });

  it('gives the same answer through Unbound, a standard recursive resolver, with our root as its root hints', async function () {
    if (cluster.dnsPort !== 53) this.skip(); // resolvers follow glue to port 53 only
    const roots = await cluster.rootServers('region1');
    const unbound = await startUnbound(dir, roots);
    try {
      const answer = await pollUntil('unbound to answer', 30_000, async () => {
        const lines = await unbound.addresses(EXAMPLE_NAME);
        return lines.length > 0 ? lines : undefined;
      });
      expect(answer, await unbound.log()).to.deep.equal([EXAMPLE_ADDRESS]);
    } finally {
      unbound.stop();
    }
  });

  it('a real Prometheus scraping every replica finds each group leader with one PromQL query', async function () {
    this.timeout(90_000);
    const targets = cluster.replicaList().map((replica) => replica.http);
    expect(targets, 'every replica has an HTTP listener').to.not.include(null);
    const binary = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find(existsSync);
    if (binary === undefined) throw new Error('prometheus is not installed: apt-get install prometheus');
    const promDir = await mkdtemp(join(tmpdir(), 'raftns-prometheus-'));
    const port = await freePort();
    await writeFile(
      join(promDir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, scrape_timeout: 1s }',
        'scrape_configs:',
        '  - job_name: raftns',
        `    static_configs: [ { targets: [${targets.map((t) => `"${t}"`).join(', ')}] } ]`,
        '',
      ].join('\n'),
    );
    const prometheus = spawn(
      binary,
      [
        `--config.file=${join(promDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(promDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let promLog = '';
    prometheus.stderr?.on('data', (chunk: Buffer) => {
      promLog = (promLog + chunk.toString()).slice(-4_000);
    });
    const query = 'max by (region, group, replica) (raftns_raft_role{role="leader"}) == 1';
    try {
      const leaders = await pollUntil(`each group's leader from Prometheus\n${promLog}`, 60_000, async () => {
        const url = `http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`;
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
        const answer = (await response.json()) as {
          data: { result: Array<{ metric: Record<string, string> }> };
        };
        const found = answer.data.result.map(
          (r) => `${r.metric.region}/${r.metric.group}=${r.metric.replica}`,
        );
        const topology = await cluster.topology();
        const expected = topology.regions.flatMap((region) =>
          region.groups.map((group) => `${region.region}/${group.id}=${group.leader}`),
        );
        return found.sort().join(' ') === expected.sort().join(' ') ? found : undefined;
      });
      expect(leaders).to.have.length(cluster.replicaList().length / 3);
    } finally {
      prometheus.kill('SIGKILL');
      await rm(promDir, { recursive: true, force: true });
    }
  });

  it('a killed replica restarts into its own slot and its group keeps serving', async () => {
    const topology = await cluster.topology();
    const wikipedia = topology.regions[0]?.groups.find((g) => g.id === 'wikipedia-org');
    const victim = wikipedia?.replicas.find((r) => r.instanceId === wikipedia.leader);
    expect(victim, 'a leader to kill').to.not.equal(undefined);
    const replica = cluster.replicaList().find((r) => r.instanceId === victim?.instanceId);
    if (replica === undefined) throw new Error('no such replica');
    await cluster.kill(replica.instanceId);
    // The survivors elect a leader and answer for the zone.
    const survivor = wikipedia?.replicas.find((r) => r.instanceId !== replica.instanceId);
    const [host, port] = (survivor?.dns ?? '').split(':');
    await pollUntil('a survivor to answer', 20_000, async () => {
      const answer = await digAnswer(host as string, Number(port), EXAMPLE_NAME, ['+norec']).catch(() => []);
      return answer[0] === EXAMPLE_ADDRESS ? true : undefined;
    });
    await cluster.spawnReplica(replica);
    await pollUntil('the restarted replica to rejoin its group and serve', 60_000, async () => {
      const after = await cluster.topology();
      const group = after.regions[0]?.groups.find((g) => g.id === 'wikipedia-org');
      if (!group?.replicas.some((r) => r.instanceId === replica.instanceId)) return undefined;
      const answer = await digAnswer(replica.address, replica.port, EXAMPLE_NAME, ['+norec']).catch(() => []);
      return answer[0] === EXAMPLE_ADDRESS ? true : undefined;
    });
  });

  it('a new instance takes over the slot of a replica that stopped for good, through a membership change', async () => {
    const before = await cluster.topology();
    const group = before.regions[0]?.groups.find((g) => g.id === 'wikipedia-org');
    const victim = group?.replicas.find((r) => r.instanceId !== group.leader)?.instanceId;
    if (group === undefined || victim === undefined) throw new Error('no follower to stop');
    await cluster.kill(victim);
    await pollUntil(`${victim}'s registration to expire`, 30_000, async () =>
      (await cluster.liveInstanceIds()).has(victim) ? undefined : true,
    );
    const newcomer = await cluster.addReplica('region1');
    const client = await cluster.client('region1', 'wikipedia-org');
    const expected = group.replicas
      .map((r) => r.instanceId)
      .filter((id) => id !== victim)
      .concat(newcomer.instanceId)
      .sort();
    // The leader adds the newcomer, then removes the dead replica.
    await pollUntil('the voters to be the slot holders', 60_000, async () => {
      const statuses = await Promise.all(
        expected.map((id) => client.status(id, { deadlineMs: 500 }).catch(() => undefined)),
      );
      return statuses.every((s) => s !== undefined && [...s.voters].sort().join() === expected.join())
        ? true
        : undefined;
    });
    // The parent's delegation follows, and the newcomer answers for the zone.
    const org = await cluster.client('region1', 'org');
    await pollUntil('the delegation to name the newcomer', 30_000, async () => {
      const view = await org.dnsRrsets('org.', 'wikipedia.org.', 'linearizable', { deadlineMs: 1_000 });
      const ns = view?.rrsets.find((r) => r.type === 'NS')?.rdata ?? [];
      return ns.includes(`ns-${newcomer.instanceId}.wikipedia.org.`) &&
        !ns.includes(`ns-${victim}.wikipedia.org.`)
        ? true
        : undefined;
    });
    await pollUntil('the newcomer to answer', 30_000, async () => {
      const answer = await digAnswer(newcomer.address, newcomer.port, EXAMPLE_NAME, ['+norec']).catch(
        () => [],
      );
      return answer[0] === EXAMPLE_ADDRESS ? true : undefined;
    });
  });
});
