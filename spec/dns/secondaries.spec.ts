/**
 * raftns as the hidden primary of real secondaries: Knot (`knotd`), NSD (`nsd`) and BIND
 * (`named`), each
 * configured with the three replicas' linearizable listeners as its primaries and a TSIG key
 * for transfers and NOTIFY. Each takes the zone by a signed transfer, then a write through
 * raftns reaches it by NOTIFY (sent by the group's leader, `raftns zone notify`) and a new
 * transfer, and the secondary answers the new data; the time from the write's
 * acknowledgement to the secondary's answer is printed. Changes that add, replace and
 * delete records reach them by IXFR from the replicated history (RFC 1995; the replicas'
 * `/metrics` count incremental and full answers). A secondary stopped during many writes
 * and restarted catches up.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import type { RaftClient } from '../../clients/raft-client.js';
import type { DnsChange } from '../../protocol/dns/changes.js';
import { HybridClock } from '../../protocol/dns/version.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';
import type { DnsListenerInfo, RaftCluster } from '../fixtures/raft-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';
import {
  bindSecondary,
  keyFileSecret,
  knotSecondary,
  nsdSecondary,
  type Secondary,
  SMALL_ZONE_FILE,
} from '../fixtures/secondaries.js';
import { kdig, replicaMetric, startTransferCluster } from '../fixtures/zone-transfer.js';

const ZONE = 'example.org.';
const CLUSTER = 'secondaries';

describe('Knot, NSD and BIND as secondaries of a raftns group (TSIG transfers, NOTIFY)', function () {
  this.timeout(300_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let cluster: RaftCluster;
  let client: RaftClient;
  let dir: string;
  let secret = '';
  const secondaries: Secondary[] = [];
  const clock = new HybridClock('secondaries-spec', () => Date.now());
  const cli = (...args: string[]) =>
    raftns(['--nats', nats.url, '--cluster', CLUSTER, '--timeout', '60000', ...args], { timeoutMs: 120_000 });

  const write = async (name: string, address: string) => {
    const written = await client.dnsBatch({
      changes: [
        { op: 'upsert', zone: ZONE, name, type: 'A', ttl: 60, rdata: [address], version: clock.next() },
      ],
    });
    expect(written.ok, JSON.stringify(written)).to.equal(true);
  };
  const answers = async (secondary: Secondary, name: string): Promise<string> => {
    const run = await kdig({ address: '127.0.0.1', port: secondary.port, mode: 'lease' } as DnsListenerInfo, [
      '+short',
      '+norec',
      `${name}.${ZONE}`,
      'A',
    ]);
    return run.out.trim();
  };

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'secondaries-spec', log: silentLogger });
    cluster = await startTransferCluster({ nats, nc, cluster: CLUSTER, zone: ZONE });
    client = await cluster.client();
    dir = await mkdtemp(join(tmpdir(), 'raftns-secondaries-'));
    const zoneFile = join(dir, 'zone.db');
    // A hundred hosts more: a difference of a few versions is then smaller than the zone,
    // which IXFR needs (RFC 1995 §4: a larger difference is answered with the whole zone).
    const hosts = Array.from({ length: 100 }, (_, i) => `host${i} A 10.0.0.${i + 1}`);
    await writeFile(zoneFile, `${SMALL_ZONE_FILE}${hosts.join('\n')}\n`);
    const imported = await cli('zone', 'import', ZONE, zoneFile);
    expect(imported.code, imported.stderr).to.equal(0);
    const added = await cli('tsig', 'add', 'xfr.', '--zone', ZONE);
    expect(added.code, added.stderr).to.equal(0);
    secret = keyFileSecret(added.stdout);
    const allowed = await cli('zone', 'allow-transfer', ZONE, '--key', 'xfr.');
    expect(allowed.code, allowed.stderr).to.equal(0);
    // The linearizable listeners: a secondary's SOA check and transfer see every acknowledged write.
    const primaries = cluster.replicas.map((r) => r.dns[1] as DnsListenerInfo);
    secondaries.push(
      await knotSecondary(dir, ZONE, secret, primaries),
      await nsdSecondary(dir, ZONE, secret, primaries),
      await bindSecondary(dir, ZONE, secret, primaries),
    );
    for (const secondary of secondaries) {
      const listed = await cli('zone', 'notify', ZONE, 'add', `127.0.0.1:${secondary.port}`, '--key', 'xfr.');
      expect(listed.code, listed.stderr).to.equal(0);
    }
    const list = await cli('zone', 'notify', ZONE, 'list');
    for (const secondary of secondaries)
      expect(list.stdout).to.include(`127.0.0.1:${secondary.port} key=xfr.`);
    for (const secondary of secondaries) await secondary.start();
  });

  after(async () => {
    for (const secondary of secondaries) await secondary.stop();
    await client?.close();
    await cluster?.stop();
    await nc?.close();
    await nats?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('each secondary takes the zone by a signed transfer', async () => {
    for (const secondary of secondaries)
      await pollUntil(`${secondary.name} serves the zone\n${secondary.log()}`, 60_000, async () =>
        (await answers(secondary, 'www')) === '192.0.2.80' ? true : undefined,
      );
  });

  it('a write reaches every secondary by NOTIFY and a new transfer, timed from its acknowledgement', async () => {
    const delays: Record<string, number[]> = {};
    for (let round = 0; round < 5; round++) {
      const address = `198.51.100.${round + 1}`;
      await write('fresh', address);
      const acknowledgedMs = Date.now();
      await Promise.all(
        secondaries.map(async (secondary) => {
          // Within 10 s: far below the zone's SOA refresh (3600 s), so only NOTIFY explains it.
          await pollUntil(
            `${secondary.name} answers ${address}\n${secondary.log().slice(-3000)}`,
            10_000,
            async () => ((await answers(secondary, 'fresh')) === address ? true : undefined),
          );
          const list = delays[secondary.name] ?? [];
          list.push(Date.now() - acknowledgedMs);
          delays[secondary.name] = list;
        }),
      );
    }
    for (const [name, list] of Object.entries(delays)) {
      const sorted = [...list].sort((a, b) => a - b);
      console.log(
        `      ${name}: write acknowledged → answered in ${sorted.map((ms) => `${ms} ms`).join(', ')}`,
      );
    }
  });

  it('adds, replacements and deletions reach every secondary by IXFR, not by full transfers', async () => {
    const transfers = async (answer: 'incremental' | 'full'): Promise<number> => {
      let sum = 0;
      for (const replica of cluster.replicas) {
        const value = await replicaMetric(
          replica,
          new RegExp(`^raftns_dns_transfers_total\\{[^}]*answer="${answer}"`),
        );
        sum += Number.isNaN(value) ? 0 : value;
      }
      return sum;
    };
    const octets = async (): Promise<number> => {
      let sum = 0;
      for (const replica of cluster.replicas)
        sum += await replicaMetric(replica, /^raftns_dns_transfer_octets_total/);
      return sum;
    };
    const incrementalBefore = await transfers('incremental');
    const fullBefore = await transfers('full');
    const octetsBefore = await octets();
    const batch = async (changes: DnsChange[]) => {
      const written = await client.dnsBatch({ changes });
      expect(written.ok, JSON.stringify(written)).to.equal(true);
    };
    const v = () => clock.next();
    await batch([
      { op: 'upsert', zone: ZONE, name: 'ixfr-x', type: 'A', ttl: 60, rdata: ['192.0.2.201'], version: v() },
      { op: 'upsert', zone: ZONE, name: 'ixfr-y', type: 'A', ttl: 60, rdata: ['192.0.2.250'], version: v() },
    ]);
    await batch([
      { op: 'upsert', zone: ZONE, name: 'ixfr-x', type: 'A', ttl: 60, rdata: ['192.0.2.202'], version: v() },
    ]);
    await batch([{ op: 'delete-rrset', zone: ZONE, name: 'ixfr-y', type: 'A', version: v() }]);
    await Promise.all(
      secondaries.map((secondary) =>
        pollUntil(
          `${secondary.name} has the three changes\n${secondary.log().slice(-3000)}`,
          20_000,
          async () =>
            (await answers(secondary, 'ixfr-x')) === '192.0.2.202' &&
            (await answers(secondary, 'ixfr-y')) === ''
              ? true
              : undefined,
        ),
      ),
    );
    // Unchanged data is still there: the differences were applied to the zone, not replacing it.
    for (const secondary of secondaries) expect(await answers(secondary, 'www')).to.equal('192.0.2.80');
    const incremental = (await transfers('incremental')) - incrementalBefore;
    const full = (await transfers('full')) - fullBefore;
    const sent = (await octets()) - octetsBefore;
    console.log(`      ${incremental} incremental and ${full} full transfers, ${sent} octets, for 3 writes`);
    expect(incremental).to.be.at.least(secondaries.length);
    expect(full).to.equal(0);
  });

  it('a secondary stopped during many writes catches up after its restart', async () => {
    const [stopped] = secondaries;
    if (stopped === undefined) throw new Error('no secondary');
    await stopped.stop();
    for (let i = 0; i < 50; i++) await write(`burst${i}`, `203.0.113.${i + 1}`);
    await stopped.start();
    await pollUntil(`${stopped.name} catches up\n${stopped.log().slice(-3000)}`, 60_000, async () =>
      (await answers(stopped, 'burst49')) === '203.0.113.50' ? true : undefined,
    );
    expect(await answers(stopped, 'burst0')).to.equal('203.0.113.1');
  });
});
