/**
 * Retiring a group with `raftns plan apply` on a running hierarchy of real processes (root →
 * org → wikipedia.org, one replica per group): a group added to the plan (shop-org, serving
 * shop.org.) and a zone created in it; a plan without the group is refused while it serves
 * that zone, then while its planned zone holds a record of its own (unless
 * `--discard-zone-data`); once the zone is moved to another group (`raftns zone move`) the plan applies:
 * org no longer delegates shop.org. (dig), the group's replica releases its slot and exits 0,
 * the moved zone still resolves from the root, and names in shop.org. are NXDOMAIN from org.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { PlanStore } from '../../../bootstrap/plan-store.js';
import { EXIT_OK, EXIT_USAGE } from '../../../clients/cli/exit-codes.js';
import type { LocalCluster } from '../../../clients/local-cluster/local-cluster.js';
import { RegionWriter } from '../../../clients/region-writer.js';
import { IterativeResolver } from '../../../clients/resolver/iterative-resolver.js';
import { RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import { rdataToText } from '../../../protocol/dns/wire/rdata.js';
import { type ClusterPlan, slotKey } from '../../../protocol/plan.js';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats } from '../../../runtime/nats/nats-connection.js';
import { pollUntil } from '../../fixtures/poll-until.js';
import { adminCredentials } from '../../fixtures/raftns-cli.js';
import { type SpecCluster, startSpecCluster } from '../../fixtures/spec-cluster.js';

const run = promisify(execFile);

describe('retiring a group of a running cluster (real processes)', function () {
  this.timeout(300_000);
  let dir: string;
  let cluster: LocalCluster;
  let spec: SpecCluster;
  const raftns = (args: readonly string[]) => spec.raftns(args);
  const planFile = async (name: string, plan: ClusterPlan) => {
    const file = join(dir, name);
    await writeFile(file, JSON.stringify(plan));
    return file;
  };

  before(async () => {
    spec = await startSpecCluster({ name: 'plan-retire', subnet: 70 });
    ({ dir, cluster } = spec);
  });

  after(async () => {
    await spec?.stop();
  });

  it('is refused while the group serves a created zone; after the zone moved, its delegation goes and its replica exits 0', async () => {
    const shown = JSON.parse((await raftns(['--json', 'plan', 'show'])).stdout) as { plan: ClusterPlan };
    const base = shown.plan;
    const withShop: ClusterPlan = {
      ...base,
      groups: [...base.groups, { id: 'shop-org', zone: 'shop.org.', parent: 'org' }],
    };
    const added = await raftns(['plan', 'apply', await planFile('with-shop.json', withShop)]);
    expect(added.code, added.stderr).to.equal(EXIT_OK);
    const shopReplica = await cluster.addReplica('region1');
    const resolver = new IterativeResolver({
      roots: (await cluster.rootServers('region1')).map((host) => ({ host, port: cluster.dnsPort })),
      port: cluster.dnsPort,
      deadlineMs: 8_000,
    });
    await pollUntil('shop.org. to be delegated to and answer', 90_000, async () => {
      const resolution = await resolver.resolve(Name.parse('shop.org.'), RR_TYPE.SOA);
      return resolution.result.kind === 'answer' ? true : undefined;
    });
    const created = await raftns(['--group', 'shop-org', 'zone', 'create', 'shop-data.org.']);
    expect(created.code, created.stderr).to.equal(EXIT_OK);
    const writer = await RegionWriter.open({
      natsUrls: [cluster.natsUrl],
      natsCredsFile: adminCredentials(cluster),
      cluster: 'local',
      deadlineMs: 10_000,
    });
    try {
      const write = async (name: string, address: string) =>
        (await writer.write([{ op: 'upsert', name, type: 'A', ttl: 60, rdata: [address] }])).complete;
      expect(await write('www.shop-data.org.', '192.0.2.71')).to.equal(true);
      expect(await write('www.shop.org.', '192.0.2.72')).to.equal(true);
    } finally {
      await writer.close();
    }

    // Without the group: refused while it serves shop-data.org.
    const withoutFile = await planFile('without-shop.json', base);
    const refused = await raftns(['plan', 'apply', withoutFile]);
    expect(refused.code, refused.stderr).to.equal(EXIT_USAGE);
    expect(refused.stderr)
      .to.match(/plan-unsafe/)
      .and.match(/shop-org still serves zones created at runtime \(shop-data\.org\.\)/);

    const moved = await raftns([
      'zone',
      'move',
      'shop-data.org.',
      '--to',
      'wikipedia-org',
      '--drain-seconds',
      '1',
    ]);
    expect(moved.code, moved.stderr).to.equal(EXIT_OK);
    // Its planned zone holds a record of its own: refused unless discarded.
    const withData = await raftns(['plan', 'apply', withoutFile]);
    expect(withData.code, withData.stderr).to.equal(EXIT_USAGE);
    expect(withData.stderr).to.match(
      /shop-org's zone shop\.org\. holds 1 RRset\(s\) of its own in region1 \(www\.shop\.org\. A\)/,
    );
    const applied = await raftns(['plan', 'apply', withoutFile, '--discard-zone-data']);
    expect(applied.code, applied.stderr).to.equal(EXIT_OK);
    expect(applied.stdout).to.match(/- group shop-org: retired; its zone shop\.org\. goes with it/);

    // Its leader removes the delegation from org, then its replica leaves.
    const exit = await pollUntil('the shop-org replica to exit', 60_000, async () =>
      cluster.exitOf(shopReplica.instanceId),
    );
    expect(exit).to.deep.equal({ code: 0, signal: null });
    const orgServer = (await cluster.topology()).regions[0]?.groups.find((g) => g.id === 'org')?.replicas[0]
      ?.dns as string;
    const [host, port] = orgServer.split(':') as [string, string];
    const { stdout } = await run('dig', [
      `@${host}`,
      '-p',
      port,
      '+norec',
      '+time=2',
      '+tries=1',
      'shop.org.',
      'NS',
    ]);
    expect(stdout).to.match(/status: NXDOMAIN/);
    expect(stdout).to.not.match(/shop\.org\.\s+\d+\s+IN\s+NS/);
    const gone = await resolver.resolve(Name.parse('www.shop.org.'), RR_TYPE.A);
    expect(gone.result.kind).to.equal('nxdomain');
    const kept = await resolver.resolve(Name.parse('www.shop-data.org.'), RR_TYPE.A);
    expect(kept.result.kind).to.equal('answer');
    if (kept.result.kind === 'answer')
      expect(kept.result.records.map((r) => rdataToText(r.rdata))).to.deep.equal(['192.0.2.71']);

    const nc = await connectNats({
      urls: [cluster.natsUrl],
      credsFile: adminCredentials(cluster),
      name: 'plan-retire-spec',
      log: silentLogger,
    });
    try {
      const store = await PlanStore.open(nc, 'local');
      const slot = await store.slots.get(slotKey('region1', 'shop-org', 0));
      expect(slot === null || slot.operation !== 'PUT', 'the slot is released').to.equal(true);
    } finally {
      await nc.close();
    }
    const after = JSON.parse((await raftns(['--json', 'plan', 'show'])).stdout) as { plan: ClusterPlan };
    expect(after.plan.groups.map((g) => g.id)).to.deep.equal(['root', 'org', 'wikipedia-org']);
  });
});
