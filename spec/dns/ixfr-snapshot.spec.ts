/**
 * The change history behind IXFR lives in the replicated state and in snapshots: a replica
 * killed while the group commits (and compacts its log past it) comes back by installing
 * the leader's snapshot, and then answers an IXFR from a serial older than that snapshot
 * with the same difference sequence as the leader (RFC 1995 §4). Real processes: a
 * 3-replica group with `--snapshot-threshold 10`, nats-server, kdig.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import type { RaftClient } from '../../clients/raft-client.js';
import { HybridClock } from '../../protocol/dns/version.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';
import type { DnsListenerInfo, RaftCluster } from '../fixtures/raft-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';
import { keyFileSecret } from '../fixtures/secondaries.js';
import { ixfrSequence, kdig, startTransferCluster } from '../fixtures/zone-transfer.js';

const ZONE = 'example.org.';
const CLUSTER = 'ixfrsnap';
const SNAPSHOT_THRESHOLD = 10;
/** Writes while the replica is down: 4 snapshots' worth, far fewer than the 64 versions kept. */
const WRITES = 4 * SNAPSHOT_THRESHOLD;

describe('IXFR from a replica that installed a snapshot (the history travels in snapshots)', function () {
  this.timeout(300_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let cluster: RaftCluster;
  let client: RaftClient;
  let dir: string;
  let secret = '';
  const clock = new HybridClock('ixfr-snapshot-spec', () => Date.now());
  const cli = (...args: string[]) =>
    raftns(['--nats', nats.url, '--cluster', CLUSTER, '--timeout', '60000', ...args], { timeoutMs: 120_000 });

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'ixfr-snapshot-spec', log: silentLogger });
    cluster = await startTransferCluster({
      nats,
      nc,
      cluster: CLUSTER,
      zone: ZONE,
      snapshotThreshold: SNAPSHOT_THRESHOLD,
    });
    client = await cluster.client();
    dir = await mkdtemp(join(tmpdir(), 'raftns-ixfr-snapshot-'));
    const lines = [
      '$TTL 300',
      '@ IN SOA ns1 hostmaster 1 3600 600 604800 60',
      '  NS ns1',
      'ns1 A 192.0.2.53',
    ];
    for (let i = 0; i < 200; i++) lines.push(`h${i} A 10.0.${i >> 8}.${i & 255}`);
    const file = join(dir, 'zone.db');
    await writeFile(file, `${lines.join('\n')}\n`);
    const imported = await cli('zone', 'import', ZONE, file);
    expect(imported.code, imported.stderr).to.equal(0);
    const added = await cli('tsig', 'add', 'xfr.', '--zone', ZONE);
    expect(added.code, added.stderr).to.equal(0);
    secret = keyFileSecret(added.stdout);
    const allowed = await cli('zone', 'allow-transfer', ZONE, '--key', 'xfr.');
    expect(allowed.code, allowed.stderr).to.equal(0);
  });

  after(async () => {
    await client?.close();
    await cluster?.stop();
    await nc?.close();
    await nats?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('a follower back by snapshot answers IXFR from before the snapshot exactly as the leader does', async () => {
    const leader = await cluster.waitForLeader(30_000);
    const victim = cluster.replicas.find((r) => r.id !== leader.replica);
    if (victim === undefined) return expect.fail('no follower');
    await victim.kill('SIGKILL');
    let from = -1;
    for (let i = 0; i < WRITES; i++) {
      const written = await client.dnsBatch({
        changes: [
          {
            op: 'upsert',
            zone: ZONE,
            name: `snap${i}`,
            type: 'A',
            ttl: 60,
            rdata: [`198.51.100.${i + 1}`],
            version: clock.next(),
          },
        ],
      });
      if (!written.ok) return expect.fail(JSON.stringify(written));
      if (i === 0) from = (written.serials[ZONE] as number) - 1;
    }
    await victim.start();
    const target = await pollUntil('a leader applied index', 10_000, async () => {
      const all = await cluster.statuses();
      return all.find((s) => s.role === 'leader')?.appliedIndex;
    });
    const caughtUp = await pollUntil(`${victim.id} catches up to ${target}`, 30_000, async () => {
      const status = await cluster.status(victim.id);
      return status !== undefined && status.appliedIndex >= target ? status : undefined;
    });
    expect(caughtUp.snapshotsInstalled, 'the follower installed the leader snapshot').to.be.at.least(1);

    const ixfr = (at: DnsListenerInfo) =>
      kdig(at, ['-t', `IXFR=${from}`, '-y', `hmac-sha256:xfr.:${secret}`, ZONE]);
    const leaderListener = cluster.replica(leader.replica).dns[1] as DnsListenerInfo;
    const fromLeader = ixfrSequence((await ixfr(leaderListener)).out, ZONE);
    const fromVictim = ixfrSequence((await ixfr(victim.dns[1] as DnsListenerInfo)).out, ZONE);
    const to = from + WRITES;
    // RFC 1995 §4: the current SOA, then per version old SOA, (nothing removed), new SOA, the added A.
    const expected = [`SOA ${to}`];
    for (let i = 0; i < WRITES; i++)
      expected.push(`SOA ${from + i}`, `SOA ${from + i + 1}`, `snap${i}.${ZONE} 60 IN A 198.51.100.${i + 1}`);
    expected.push(`SOA ${to}`);
    expect(fromLeader).to.deep.equal(expected);
    expect(fromVictim).to.deep.equal(expected);
  });
});
