/**
 * `raftns zone create | delete | list` on a running hierarchy of real processes (two
 * regions, root → org → wikipedia.org, one replica per group, bootstrapped through NATS KV):
 * a zone created at runtime in any group answers from every region's root through real
 * referrals; resolvers querying it while it is created and deleted never get a wrong answer
 * (only NXDOMAIN from the parent before the delegation and after it is removed, or the
 * zone's own answers); the refusals name their reason and change nothing; two admins
 * creating the same zone at once: exactly one wins. The HTTP API's POST and DELETE of zones
 * (PowerDNS-compatible) go through the same lifecycle.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { ZoneRegistryStore } from '../../../bootstrap/zone-registry-store.js';
import { EXIT_OK, EXIT_USAGE } from '../../../clients/cli/exit-codes.js';
import type { LocalCluster } from '../../../clients/local-cluster/local-cluster.js';
import { IterativeResolver } from '../../../clients/resolver/iterative-resolver.js';
import type { Resolution } from '../../../clients/resolver/resolution-trace.js';
import { ZoneLifecycle, type ZoneListing } from '../../../clients/zone-lifecycle.js';
import { RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import { rdataToText } from '../../../protocol/dns/wire/rdata.js';
import { runTool } from '../../fixtures/child-process.js';
import { pollUntil } from '../../fixtures/poll-until.js';
import { type SpecCluster, startSpecCluster } from '../../fixtures/spec-cluster.js';
import { startUnbound } from '../../fixtures/unbound.js';

const REGIONS = ['region1', 'region2'] as const;

describe('zones created and deleted at runtime (real processes, two regions)', function () {
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
      name: 'zone-lifecycle',
      subnet: 60,
      regions: REGIONS.length,
      http: true,
      dnsPort: '53-if-possible',
    });
    ({ dir, cluster } = spec);
  });

  after(async () => {
    await spec?.stop();
  });

  it('creates a zone in a named group: it answers from every region through the hierarchy, and takes writes', async () => {
    const created = await raftns(['--group', 'wikipedia-org', '--json', 'zone', 'create', 'example.org']);
    expect(created.code, created.stderr).to.equal(EXIT_OK);
    expect(JSON.parse(created.stdout)).to.include({
      zone: 'example.org.',
      group: 'wikipedia-org',
      outcome: 'created',
    });

    const written = await raftns(['write', 'www.example.org.', 'A', '60', '192.0.2.7']);
    expect(written.code, written.stderr).to.equal(EXIT_OK);

    for (const region of REGIONS) {
      const resolution = await (await resolver(region)).resolve(Name.parse('www.example.org.'), RR_TYPE.A);
      expect(resolution.result.kind, describeResolution(resolution)).to.equal('answer');
      if (resolution.result.kind === 'answer')
        expect(resolution.result.records.map((r) => rdataToText(r.rdata))).to.deep.equal(['192.0.2.7']);
      // root refers to org., org. to example.org., which the wikipedia-org group answers.
      expect(resolution.trace.map((s) => `${s.zone} ${s.verdict}`)).to.deep.equal([
        '. referral',
        'org. referral',
        'example.org. answer',
      ]);
    }

    // The group's catalog zone (RFC 9432) lists it for secondaries.
    const catalog = await raftns(['--group', 'wikipedia-org', '--json', 'zone', 'catalog']);
    expect(catalog.code, catalog.stderr).to.equal(EXIT_OK);
    const members = (JSON.parse(catalog.stdout) as Array<{ members: Array<{ zone: string }> }>)[0]?.members;
    expect(members?.map((m) => m.zone)).to.deep.equal(['example.org.', 'wikipedia.org.']);

    // A standard recursive resolver follows the runtime delegation too (its NS names are
    // out of bailiwick: the wikipedia-org group's nameservers, resolved through wikipedia.org.).
    if (cluster.dnsPort === 53) {
      const unbound = await startUnbound(dir, await cluster.rootServers('region2'));
      try {
        const answer = await pollUntil('unbound to answer www.example.org.', 30_000, async () => {
          const lines = await unbound.addresses('www.example.org.');
          return lines.length > 0 ? lines : undefined;
        });
        expect(answer, await unbound.log()).to.deep.equal(['192.0.2.7']);
      } finally {
        unbound.stop();
      }
    }

    const listed = await raftns(['--json', 'zone', 'list']);
    expect(listed.code, listed.stderr).to.equal(EXIT_OK);
    const zones = JSON.parse(listed.stdout) as ZoneListing[];
    expect(zones.map((z) => z.zone)).to.deep.equal(['.', 'org.', 'example.org.', 'wikipedia.org.']);
    const example = zones.find((z) => z.zone === 'example.org.');
    expect(example).to.include({ group: 'wikipedia-org', source: 'registry', state: 'active' });
    for (const region of example?.regions ?? []) {
      expect(region.serial, region.region).to.be.a('number');
      // SOA, NS and the written A.
      expect(region.rrsets, region.region).to.equal(3);
    }
  });

  it('is idempotent: creating the same zone again finishes at once and changes nothing', async () => {
    const before = JSON.parse((await raftns(['--json', 'zone', 'list'])).stdout) as ZoneListing[];
    const again = await raftns(['--group', 'wikipedia-org', '--json', 'zone', 'create', 'example.org.']);
    expect(again.code, again.stderr).to.equal(EXIT_OK);
    expect(JSON.parse(again.stdout)).to.include({ outcome: 'exists' });
    const after = JSON.parse((await raftns(['--json', 'zone', 'list'])).stdout) as ZoneListing[];
    expect(after).to.deep.equal(before);
  });

  it('the regions agree on every zone: anti-entropy leaves each region its own nameservers', async () => {
    // Each region's SOA, apex NS, nameserver addresses and glue name its own replicas; the
    // leaders' comparisons leave those out, so a settled hierarchy agrees everywhere.
    const listed = await pollUntil('every zone to agree in every region', 60_000, async () => {
      const zones = JSON.parse((await raftns(['--json', 'zone', 'list'])).stdout) as ZoneListing[];
      const settled = zones.every((z) =>
        z.regions.every(
          (r) => r.agreement.length === REGIONS.length - 1 && r.agreement.every((a) => a.state === 'agree'),
        ),
      );
      return settled ? zones : undefined;
    });
    expect(listed.map((z) => z.zone)).to.include('example.org.');
    // And nothing was taken from another region: each region's nameservers are its own.
    const status = await raftns(['status']);
    expect(status.stdout).to.match(/other-region\s+regions\s+since\s+repaired/);
    expect(status.stdout).to.not.match(/\s(differ|absent|unreachable)\s/);
  });

  it('refuses what cannot be a zone of the cluster, with the reason, and changes nothing', async () => {
    const before = (await raftns(['--json', 'zone', 'list'])).stdout;
    const cases: Array<{ args: string[]; reason: RegExp }> = [
      { args: ['zone', 'create', 'org.'], reason: /already served by group org/ },
      { args: ['--group', 'nope', 'zone', 'create', 'new.org.'], reason: /no group "nope"/ },
      { args: ['zone', 'create', 'a..b'], reason: /not a domain name/ },
      { args: ['zone', 'create', 'x.catalog.org.local.raftns.invalid.'], reason: /reserved/ },
      { args: ['zone', 'create', 'wikipedia.org.'], reason: /already served by group wikipedia-org/ },
      { args: ['zone', 'delete', 'org.'], reason: /zone of the plan/ },
    ];
    for (const { args, reason } of cases) {
      const run = await raftns(args);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).to.equal(EXIT_USAGE);
      expect(run.stderr, args.join(' ')).to.match(reason);
    }
    // A zone below example.org., then example.org. cannot be re-made above it.
    const sub = await raftns(['--group', 'org', 'zone', 'create', 'sub.example.org.']);
    expect(sub.code, sub.stderr).to.equal(EXIT_OK);
    const refused = await raftns(['zone', 'delete', 'example.org.']);
    expect(refused.code, refused.stderr).to.equal(EXIT_USAGE);
    expect(refused.stderr).to.match(/has zones below it \(sub\.example\.org\.\)/);
    const listed = JSON.parse((await raftns(['--json', 'zone', 'list'])).stdout) as ZoneListing[];
    expect(listed.map((z) => z.zone)).to.deep.equal(
      [...(JSON.parse(before) as ZoneListing[]).map((z) => z.zone), 'sub.example.org.'].sort(sortByDepth),
    );
    // A zone above one the cluster serves would hide the delegation below it.
    const deep = await raftns(['zone', 'create', 'deep.mid.org.']);
    expect(deep.code, deep.stderr).to.equal(EXIT_OK);
    const above = await raftns(['zone', 'create', 'mid.org.']);
    expect(above.code, above.stderr).to.equal(EXIT_USAGE);
    expect(above.stderr).to.match(/would contain zones the cluster already serves \(deep\.mid\.org\.\)/);
    expect((await raftns(['zone', 'delete', 'deep.mid.org.'])).code).to.equal(EXIT_OK);
    // The parent's data at a would-be apex is not silently hidden by a new cut.
    const occupied = await raftns(['write', 'busy.org.', 'TXT', '60', '"in the parent"']);
    expect(occupied.code, occupied.stderr).to.equal(EXIT_OK);
    const blocked = await raftns(['zone', 'create', 'busy.org.']);
    expect(blocked.code, blocked.stderr).to.equal(EXIT_USAGE);
    expect(blocked.stderr).to.match(/org\. holds TXT at busy\.org\./);
  });

  it('deletes recursively, delegation first: resolution goes back to NXDOMAIN from the parent in every region', async () => {
    const deleted = await raftns(['--json', 'zone', 'delete', 'example.org.', '--recursive']);
    expect(deleted.code, deleted.stderr).to.equal(EXIT_OK);
    expect(JSON.parse(deleted.stdout).deleted).to.deep.equal(['sub.example.org.', 'example.org.']);
    for (const region of REGIONS) {
      const resolution = await (await resolver(region)).resolve(Name.parse('www.example.org.'), RR_TYPE.A);
      expect(resolution.result.kind, describeResolution(resolution)).to.equal('nxdomain');
      expect(resolution.trace.at(-1)?.zone).to.equal('org.');
    }
    const listed = JSON.parse((await raftns(['--json', 'zone', 'list'])).stdout) as ZoneListing[];
    expect(listed.map((z) => z.zone)).to.not.include('example.org.');
    const absent = await raftns(['zone', 'delete', 'example.org.']);
    expect(absent.code, absent.stderr).to.equal(EXIT_OK);
    expect(absent.stdout).to.match(/absent/);
  });

  it('never answers wrongly while a zone is created and deleted under continuous resolution', async () => {
    const resolvers = await Promise.all(REGIONS.map((region) => resolver(region)));
    const outcomes = new Map<string, number>();
    const wrong: string[] = [];
    let stop = false;
    const loops = resolvers.map(async (r, i) => {
      while (!stop) {
        const resolution = await r.resolve(Name.parse('live.org.'), RR_TYPE.SOA);
        const last = resolution.trace.at(-1)?.zone;
        const kind = `${resolution.result.kind}@${last}`;
        outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
        // Allowed: the parent's NXDOMAIN (before the delegation, after its removal) or the zone's own SOA.
        if (kind !== 'nxdomain@org.' && kind !== 'answer@live.org.')
          wrong.push(`${REGIONS[i]}: ${describeResolution(resolution)}`);
      }
    });
    try {
      for (let round = 0; round < 3; round++) {
        const created = await raftns(['zone', 'create', 'live.org.']);
        expect(created.code, created.stderr).to.equal(EXIT_OK);
        const deleted = await raftns(['zone', 'delete', 'live.org.']);
        expect(deleted.code, deleted.stderr).to.equal(EXIT_OK);
      }
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    process.stdout.write(
      `      resolutions during create/delete: ${JSON.stringify(Object.fromEntries(outcomes))}\n`,
    );
    expect(wrong, wrong.slice(0, 5).join('\n')).to.deep.equal([]);
    expect(outcomes.get('answer@live.org.') ?? 0, 'the zone answered while it existed').to.be.greaterThan(0);
    expect(outcomes.get('nxdomain@org.') ?? 0).to.be.greaterThan(0);
  });

  it('keeps a deleted zone answering through its drain time after the parent stops delegating to it', async () => {
    const created = await raftns(['--group', 'wikipedia-org', '--json', 'zone', 'create', 'drain.org.']);
    expect(created.code, created.stderr).to.equal(EXIT_OK);
    const group = (JSON.parse(created.stdout) as { group: string }).group;
    const topology = await cluster.topology();
    const server = (region: number, id: string) => {
      const dns = topology.regions[region]?.groups.find((g) => g.id === id)?.replicas[0]?.dns;
      expect(dns, `the ${id} replica of region ${region + 1}`).to.be.a('string');
      return (dns as string).split(':') as [string, string];
    };
    const dig = async ([host, port]: [string, string]) => {
      const run = await runTool(
        'dig',
        [`@${host}`, '-p', port, '+norec', '+time=2', '+tries=1', 'drain.org.', 'SOA'],
        {
          timeoutMs: 10_000,
        },
      );
      const status = /status: (\w+)/.exec(run.stdout)?.[1] ?? `no reply (${run.out.slice(0, 200)})`;
      const authoritative = /flags:[^;]*\baa\b/.test(run.stdout);
      return { status, authoritative };
    };
    // Through the library the CLI runs, with a deadline shorter than the drain: the wait for
    // the drain's end counts its deadline from that end, so the delete still finishes.
    const nc = await spec.connectAdmin('zone-lifecycle-spec-drain');
    const lifecycle = new ZoneLifecycle({
      nc,
      plan: cluster.plan,
      registry: await ZoneRegistryStore.open(nc, cluster.cluster),
      deadlineMs: 5_000,
    });
    const started = Date.now();
    const deleting = lifecycle.delete('drain.org.', { drainMs: 8_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    for (let region = 0; region < REGIONS.length; region++) {
      // The parent in this region no longer delegates: it answers NXDOMAIN itself.
      await pollUntil(`org. in ${REGIONS[region]} to stop delegating drain.org.`, 30_000, async () => {
        const parent = await dig(server(region, 'org'));
        return parent.status === 'NXDOMAIN' && parent.authoritative;
      });
    }
    // The listing tells until when the deleted zone still answers.
    const deleteAfter = await pollUntil('zone list to show the drain time', 5_000, async () => {
      const listed = JSON.parse((await raftns(['--json', 'zone', 'list'])).stdout) as ZoneListing[];
      const entry = listed.find((z) => z.zone === 'drain.org.');
      expect(entry?.state).to.equal('deleting');
      return entry?.deleteAfter === undefined ? undefined : Date.parse(entry.deleteAfter);
    });
    expect(deleteAfter).to.be.within(started + 8_000, Date.now() + 8_000);
    expect((await raftns(['zone', 'list'])).stdout).to.include(
      `registry/deleting until ${new Date(deleteAfter).toISOString()}`,
    );
    // Until the drain ends (it starts once the delegation is gone everywhere, so after
    // `started`), a resolver handed the delegation a moment ago still finds the zone.
    let during = 0;
    while (Date.now() - started < 7_500) {
      for (let region = 0; region < REGIONS.length; region++) {
        const child = await dig(server(region, group));
        if (Date.now() - started >= 8_000) break;
        expect(child, `${REGIONS[region]}: the zone during its drain`).to.deep.equal({
          status: 'NOERROR',
          authoritative: true,
        });
        during++;
      }
    }
    expect(during, 'answers checked during the drain').to.be.greaterThan(0);
    const failure = await deleting;
    await lifecycle.close();
    await nc.close();
    expect(failure, 'the delete finished').to.equal(undefined);
    for (let region = 0; region < REGIONS.length; region++)
      expect(
        (await dig(server(region, group))).status,
        `${REGIONS[region]}: the zone after its drain`,
      ).to.equal('REFUSED');
  });

  it('takes RFC 2136 UPDATEs (nsupdate, TSIG) for a created zone at its group, committed in every region', async () => {
    const created = await raftns(['--group', 'wikipedia-org', 'zone', 'create', 'upd.org.']);
    expect(created.code, created.stderr).to.equal(EXIT_OK);
    const key = await raftns(['tsig', 'add', 'upd-key.', '--zone', 'upd.org.']);
    expect(key.code, key.stderr).to.equal(EXIT_OK);
    const keyFile = join(dir, 'upd.key');
    await writeFile(keyFile, key.stdout);
    const topology = await cluster.topology();
    const server = topology.regions[0]?.groups.find((g) => g.id === 'wikipedia-org')?.replicas[0]?.dns;
    expect(server, 'the wikipedia-org replica of region1').to.be.a('string');
    const [host, port] = (server as string).split(':');
    const scriptFile = join(dir, 'upd.nsupdate');
    await writeFile(
      scriptFile,
      `server ${host} ${port}\nzone upd.org.\nupdate add host.upd.org. 60 A 192.0.2.53\nsend\n`,
    );
    // The key reaches the replicas through a KV watch; until then the UPDATE is refused (BADKEY).
    await pollUntil('the UPDATE to be accepted', 30_000, async () =>
      (await runTool('nsupdate', ['-k', keyFile, scriptFile], { timeoutMs: 20_000 })).code === 0
        ? true
        : undefined,
    );
    for (const region of REGIONS) {
      const resolution = await (await resolver(region)).resolve(Name.parse('host.upd.org.'), RR_TYPE.A);
      expect(resolution.result.kind, `${region}: ${describeResolution(resolution)}`).to.equal('answer');
    }
    expect((await raftns(['zone', 'delete', 'upd.org.'])).code).to.equal(EXIT_OK);
  });

  it('two admins creating the same zone in different groups at once: exactly one wins', async () => {
    const [a, b] = await Promise.all([
      raftns(['--group', 'org', '--json', 'zone', 'create', 'race.org.']),
      raftns(['--group', 'wikipedia-org', '--json', 'zone', 'create', 'race.org.']),
    ]);
    const winners = [a, b].filter((run) => run.code === EXIT_OK);
    expect(winners, `${a.stderr}\n${b.stderr}`).to.have.length(1);
    const loser = a.code === EXIT_OK ? b : a;
    expect(loser.code).to.equal(EXIT_USAGE);
    expect(loser.stderr).to.match(/race\.org\. (is already served by group|was registered meanwhile)/);
    const winner = JSON.parse(winners[0]?.stdout ?? '{}') as { group: string };
    const listed = JSON.parse((await raftns(['--json', 'zone', 'list'])).stdout) as ZoneListing[];
    expect(listed.find((z) => z.zone === 'race.org.')?.group).to.equal(winner.group);
  });

  it('creates many zones in one call (their group creates them in batches), each served from the root', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `bulk${i}.org.`);
    const created = await raftns(['--group', 'root', '--json', 'zone', 'create', ...names]);
    expect(created.code, created.stderr).to.equal(EXIT_OK);
    expect(JSON.parse(created.stdout))
      .to.include({ group: 'root' })
      .and.have.property('created')
      .with.length(40);
    const listed = JSON.parse((await raftns(['--json', 'zone', 'list'])).stdout) as ZoneListing[];
    const bulk = listed.filter((z) => z.zone.startsWith('bulk'));
    expect(bulk).to.have.length(40);
    expect(bulk.every((z) => z.group === 'root' && z.regions.every((r) => r.serial !== null))).to.equal(true);
    for (const region of REGIONS) {
      const resolution = await (await resolver(region)).resolve(Name.parse('bulk17.org.'), RR_TYPE.SOA);
      expect(resolution.result.kind, describeResolution(resolution)).to.equal('answer');
    }
    const again = await raftns([
      '--group',
      'root',
      '--json',
      'zone',
      'create',
      ...names.slice(0, 5),
      'bulk40.org.',
    ]);
    expect(again.code, again.stderr).to.equal(EXIT_OK);
    expect(JSON.parse(again.stdout)).to.deep.include({ created: ['bulk40.org.'] });
  });
});

describe('zones created and deleted through the HTTP API (real processes, two regions)', function () {
  this.timeout(240_000);
  let cluster: LocalCluster;
  let key: string;
  let readOnlyKey: string;
  let spec: SpecCluster;
  const raftns = (args: readonly string[]) => spec.raftns(args);
  const api = (path: string, init: RequestInit & { apiKey?: string } = {}) => {
    const http = cluster.replicaList().find((r) => r.region === 'region2')?.http;
    return fetch(`http://${http}/api/v1/servers/localhost${path}`, {
      ...init,
      headers: {
        'x-api-key': init.apiKey ?? key,
        'content-type': 'application/json',
        ...(init.headers ?? {}),
      },
      signal: AbortSignal.timeout(60_000),
    });
  };

  before(async () => {
    spec = await startSpecCluster({ name: 'zone-api', subnet: 62, regions: REGIONS.length, http: true });
    ({ cluster } = spec);
    const added = await raftns(['api-key', 'add', 'admin']);
    expect(added.code, added.stderr).to.equal(EXIT_OK);
    key = added.stdout.trim();
    const reader = await raftns(['api-key', 'add', 'reader', '--read-only']);
    expect(reader.code, reader.stderr).to.equal(EXIT_OK);
    readOnlyKey = reader.stdout.trim();
  });

  after(async () => {
    await spec?.stop();
  });

  it('POST creates the zone with its initial rrsets in every region; DELETE removes it; conflicts and conditions hold', async () => {
    const body = {
      name: 'api.org.',
      kind: 'Native',
      nameservers: ['ignored.example.'],
      rrsets: [
        { name: 'www.api.org.', type: 'A', ttl: 60, records: [{ content: '192.0.2.80', disabled: false }] },
      ],
      raftns_group: 'org',
    };
    const refused = await api('/zones', { method: 'POST', body: JSON.stringify(body), apiKey: readOnlyKey });
    expect(refused.status).to.equal(403);
    const created = await api('/zones', { method: 'POST', body: JSON.stringify(body) });
    const zone = (await created.json()) as {
      name: string;
      serial: number;
      rrsets: Array<{ name: string; type: string }>;
    };
    expect(created.status, JSON.stringify(zone)).to.equal(201);
    expect(created.headers.get('location')).to.equal('/api/v1/servers/localhost/zones/api.org.');
    expect(zone.name).to.equal('api.org.');
    expect(zone.rrsets.map((r) => `${r.name} ${r.type}`).sort()).to.deep.equal([
      'api.org. NS',
      'api.org. SOA',
      'www.api.org. A',
    ]);
    for (const region of REGIONS) {
      const roots = await cluster.rootServers(region);
      const resolver = new IterativeResolver({
        roots: roots.map((host) => ({ host, port: cluster.dnsPort })),
        port: cluster.dnsPort,
      });
      const resolution = await resolver.resolve(Name.parse('www.api.org.'), RR_TYPE.A);
      expect(resolution.result.kind, region).to.equal('answer');
      if (resolution.result.kind === 'answer')
        expect(resolution.result.records.map((r) => rdataToText(r.rdata))).to.deep.equal(['192.0.2.80']);
    }

    const again = await api('/zones', { method: 'POST', body: JSON.stringify(body) });
    expect(again.status).to.equal(409);
    expect(((await again.json()) as { error: string }).error).to.match(/already exists/);
    const slave = await api('/zones', {
      method: 'POST',
      body: JSON.stringify({ name: 'slave.org.', kind: 'Slave' }),
    });
    expect(slave.status).to.equal(400);
    const planned = await api('/zones/org.', { method: 'DELETE' });
    expect(planned.status).to.equal(422);

    const stale = await api('/zones/api.org.', {
      method: 'DELETE',
      headers: { 'if-match': `"${zone.serial + 5}"` },
    });
    expect(stale.status).to.equal(412);
    expect((await api('/zones/api.org.')).status, 'a failed condition deletes nothing').to.equal(200);

    const deleted = await api('/zones/api.org.', {
      method: 'DELETE',
      headers: { 'if-match': `"${zone.serial}"`, 'idempotency-key': 'delete-api-org' },
    });
    expect(deleted.status, await deleted.text()).to.equal(204);
    const replayed = await api('/zones/api.org.', {
      method: 'DELETE',
      headers: { 'if-match': `"${zone.serial}"`, 'idempotency-key': 'delete-api-org' },
    });
    expect(replayed.status).to.equal(204);
    expect(replayed.headers.get('idempotent-replayed')).to.equal('true');
    expect((await api('/zones/api.org.', { method: 'DELETE' })).status).to.equal(404);
    const listed = JSON.parse((await raftns(['--json', 'zone', 'list'])).stdout) as ZoneListing[];
    expect(listed.map((z) => z.zone)).to.not.include('api.org.');
  });
});

function sortByDepth(a: string, b: string): number {
  const depth = (z: string) => (z === '.' ? 0 : z.split('.').length - 1);
  return depth(a) - depth(b) || a.localeCompare(b);
}
