/**
 * A group's catalog zone (RFC 9432) on a running 3-replica group: `raftns zone catalog`
 * names it; a Knot secondary configured with nothing but the catalog
 * (`catalog-role: interpret`) loads it while it lists no zone, and when the group's zone
 * is created, the leader's NOTIFY for the catalog (`raftns zone notify <catalog> add`)
 * brings Knot the new catalog and Knot transfers and serves the member zone. Every replica
 * answers the catalog to queries with the serial moved, unsigned transfers are REFUSED,
 * and a signed AXFR passes `kzonecheck`. A BIND secondary configured with only the catalog
 * (`catalog-zones`) serves the member zone as well.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { catalogMemberId } from '../../protocol/dns/catalog-zone.js';
import { Name } from '../../protocol/dns/wire/name.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { runTool } from '../fixtures/child-process.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';
import type { DnsListenerInfo, RaftCluster } from '../fixtures/raft-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';
import {
  bindCatalogSecondary,
  type KnotSecondary,
  keyFileSecret,
  knotCatalogSecondary,
  SMALL_ZONE_FILE,
} from '../fixtures/secondaries.js';
import { kdig, readTransfer, startTransferCluster } from '../fixtures/zone-transfer.js';

const ZONE = 'example.org.';
const CLUSTER = 'catalogs';
/** startTransferCluster's group is `g1`. */
const CATALOG = `catalog.g1.${CLUSTER}.raftns.invalid.`;
const MEMBER_OWNER = `${catalogMemberId(Name.parse(ZONE))}.zones.${CATALOG}`;

describe('catalog zone of a raftns group (RFC 9432), consumed by Knot and BIND secondaries', function () {
  this.timeout(240_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let cluster: RaftCluster;
  let dir: string;
  let secret = '';
  let knot: KnotSecondary | undefined;
  /** The catalog's serial at each replica before the zone existed. */
  const emptySerials: number[] = [];
  const cli = (...args: string[]) =>
    raftns(['--nats', nats.url, '--cluster', CLUSTER, '--timeout', '60000', ...args], { timeoutMs: 120_000 });
  const linearizable = (i: number) => cluster.replicas[i]?.dns[1] as DnsListenerInfo;
  const withKey = () => ['-y', `hmac-sha256:xfr.:${secret}`];
  const knotAt = () => ({ address: '127.0.0.1', port: knot?.port ?? 0, mode: 'lease' }) as DnsListenerInfo;
  const catalogSerial = async (at: DnsListenerInfo): Promise<number> => {
    const soa = await kdig(at, ['+short', '+norec', CATALOG, 'SOA']);
    const fields = soa.out.trim().split(/\s+/);
    expect(fields.slice(0, 2), soa.out).to.deep.equal(['invalid.', 'invalid.']);
    return Number(fields[2]);
  };

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'catalog-spec', log: silentLogger });
    cluster = await startTransferCluster({ nats, nc, cluster: CLUSTER, zone: ZONE });
    dir = await mkdtemp(join(tmpdir(), 'raftns-catalog-'));
    const added = await cli('tsig', 'add', 'xfr.', '--zone', ZONE);
    expect(added.code, added.stderr).to.equal(0);
    secret = keyFileSecret(added.stdout);
    for (const zone of [ZONE, CATALOG]) {
      const allowed = await cli('zone', 'allow-transfer', zone, '--key', 'xfr.');
      expect(allowed.code, allowed.stderr).to.equal(0);
    }
    knot = await knotCatalogSecondary(dir, CATALOG, secret, [0, 1, 2].map(linearizable));
    const notify = await cli('zone', 'notify', CATALOG, 'add', `127.0.0.1:${knot.port}`, '--key', 'xfr.');
    expect(notify.code, notify.stderr).to.equal(0);
  });

  after(async () => {
    await knot?.stop();
    await cluster?.stop();
    await nc?.close();
    await nats?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('raftns zone catalog names the group catalog and its member zones', async () => {
    const text = await cli('zone', 'catalog');
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.equal(`${CATALOG}\tg1\t${ZONE}\n`);
    const json = await cli('--json', '--group', 'g1', 'zone', 'catalog');
    expect(json.code, json.stderr).to.equal(0);
    expect(JSON.parse(json.stdout)).to.deep.equal([
      { catalog: CATALOG, group: 'g1', members: [{ zone: ZONE, id: catalogMemberId(Name.parse(ZONE)) }] },
    ]);
    const unknown = await cli('zone', 'catalog', '--group', 'nope');
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.include('nope is not a group of the plan');
  });

  it('before the zone exists, every replica serves the catalog with no member; Knot loads it', async () => {
    for (let i = 0; i < 3; i++) {
      emptySerials.push(await catalogSerial(linearizable(i)));
      const member = await kdig(linearizable(i), ['+norec', MEMBER_OWNER, 'PTR']);
      expect(member.out).to.include('NXDOMAIN');
    }
    await knot?.start();
    // Knot refuses queries for a catalog it interprets: its control tool shows what it holds.
    let last = '';
    const loaded = await pollUntil('knot loads the catalog', 30_000, async () => {
      const run = await runTool('knotc', ['-c', knot?.confFile ?? '', 'zone-read', CATALOG, '@', 'SOA'], {
        timeoutMs: 10_000,
      });
      last = run.out;
      return run.code === 0 && /\sSOA\s+invalid\. invalid\./.test(run.out) ? true : undefined;
    }).catch((error: Error) => new Error(`${error.message}\n${last}\n${knot?.log().slice(-3000)}`));
    if (loaded instanceof Error) throw loaded;
  });

  it('a new zone reaches Knot through the catalog: NOTIFY of the catalog, then the member transferred', async () => {
    const zoneFile = join(dir, 'zone.db');
    await writeFile(zoneFile, SMALL_ZONE_FILE);
    const imported = await cli('zone', 'import', ZONE, zoneFile);
    expect(imported.code, imported.stderr).to.equal(0);
    const importedMs = Date.now();
    // Within 20 s: well below the catalog's SOA refresh (60 s), so only the NOTIFY explains it.
    await pollUntil(`knot serves ${ZONE} from the catalog\n${knot?.log().slice(-3000)}`, 20_000, async () => {
      const run = await kdig(knotAt(), ['+short', '+norec', `www.${ZONE}`, 'A']);
      return run.out.trim() === '192.0.2.80' ? true : undefined;
    });
    console.log(
      `      zone imported → served by the catalog's Knot consumer in ${Date.now() - importedMs} ms`,
    );
    const soa = await kdig(knotAt(), ['+norec', ZONE, 'SOA']);
    expect(soa.out).to.match(/Flags: qr aa/i);
  });

  it('a BIND secondary configured with only the catalog serves the member zone too', async () => {
    const bind = await bindCatalogSecondary(dir, CATALOG, secret, [0, 1, 2].map(linearizable));
    await bind.start();
    try {
      const at = { address: '127.0.0.1', port: bind.port, mode: 'lease' } as DnsListenerInfo;
      await pollUntil(
        `bind serves ${ZONE} from the catalog\n${bind.log().slice(-3000)}`,
        30_000,
        async () => {
          const run = await kdig(at, ['+short', '+norec', `www.${ZONE}`, 'A']);
          return run.out.trim() === '192.0.2.80' ? true : undefined;
        },
      );
      const soa = await kdig(at, ['+norec', ZONE, 'SOA']);
      expect(soa.out).to.match(/Flags: qr aa/i);
    } finally {
      await bind.stop();
    }
  });

  it('every replica answers the catalog with the member, version "2" and a serial that moved', async () => {
    for (let i = 0; i < 3; i++) {
      const version = await kdig(linearizable(i), ['+short', `version.${CATALOG}`, 'TXT']);
      expect(version.out.trim(), version.out).to.equal('"2"');
      const member = await kdig(linearizable(i), ['+short', MEMBER_OWNER, 'PTR']);
      expect(member.out.trim(), member.out).to.equal(ZONE);
      expect(await catalogSerial(linearizable(i))).to.be.greaterThan(emptySerials[i] as number);
    }
  });

  it('refuses an unsigned AXFR of the catalog, serves a signed one that kzonecheck accepts, and IXFR SOA-only', async () => {
    const unsigned = await kdig(linearizable(0), ['-t', 'AXFR', CATALOG]);
    expect(unsigned.out).to.include('REFUSED');
    const signed = await Promise.all(
      [0, 1, 2].map((i) => kdig(linearizable(i), ['-t', 'AXFR', ...withKey(), CATALOG])),
    );
    for (const run of signed) {
      expect(run.out).to.not.include('REFUSED');
      const transfer = readTransfer(run.out, CATALOG);
      const types = transfer.records.map((r) => r.split(/\s+/)[3]);
      expect(types, run.out).to.deep.equal(['SOA', 'NS', 'TXT', 'PTR', 'SOA']);
      expect(transfer.records[3]?.startsWith(MEMBER_OWNER), run.out).to.equal(true);
    }
    // RFC 1995 §2: a client as new as the catalog gets its SOA alone.
    const serial = await catalogSerial(linearizable(0));
    const same = await kdig(linearizable(0), ['-t', `IXFR=${serial}`, ...withKey(), CATALOG]);
    expect(
      readTransfer(same.out, CATALOG).records.map((r) => r.split(/\s+/)[3]),
      same.out,
    ).to.deep.equal(['SOA']);
    const records = readTransfer((signed[0] as { out: string }).out, CATALOG).records.slice(0, -1); // the closing SOA repeats
    const file = join(dir, 'catalog.zone');
    await writeFile(file, `${records.join('\n')}\n`);
    const checked = await runTool('kzonecheck', ['-o', CATALOG, file], { timeoutMs: 20_000 });
    expect(checked.code, checked.out).to.equal(0);
  });
});
