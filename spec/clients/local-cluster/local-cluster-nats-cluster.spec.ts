/**
 * `npm start -- --nats-cluster 3`: the local hierarchy on a 3-server NATS cluster (routes,
 * clustered JetStream, R3 buckets, nkey users), every replica given all three URLs. The
 * cluster becomes ready, serves a write and a DNS read, and losing one NATS server (SIGKILL)
 * stops writes for at most NATS_LOSS_GAP_MS_MAX; the groups whose term changed (a leader's
 * reconnect outlasting the CheckQuorum window) are printed.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { EXAMPLE_ADDRESS, EXAMPLE_NAME, LocalCluster } from '../../../clients/local-cluster/local-cluster.js';
import type { ReplicaStatus } from '../../../protocol/client-wire.js';
import { pollUntil } from '../../fixtures/poll-until.js';
import { longestWriteGap } from '../../fixtures/raft-cluster.js';

const execFileAsync = promisify(execFile);

/** `count` consecutive ports free now on 127.0.0.1, starting at a port the kernel picked. */
async function freePortRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const first = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        const port = typeof address === 'object' && address !== null ? address.port : 0;
        server.close(() => resolve(port));
      });
    });
    if (first + count > 65_535) continue;
    const free = await Promise.all(
      Array.from(
        { length: count },
        (_, i) =>
          new Promise<boolean>((resolve) => {
            const server = createServer();
            server.once('error', () => resolve(false));
            server.listen(first + i, '127.0.0.1', () => server.close(() => resolve(true)));
          }),
      ),
    );
    if (free.every(Boolean)) return first;
  }
  throw new Error(`no ${count} consecutive free ports`);
}

/** Losing one NATS server of three may not stop writes for longer than this (the aim is 500 ms; the machine is shared). */
const NATS_LOSS_GAP_MS_MAX = 2_000;
const WRITE_WINDOW_MS = 4_000;

describe('npm start --nats-cluster 3: the local hierarchy on a 3-server NATS cluster', function () {
  this.timeout(240_000);
  let dir: string;
  let cluster: LocalCluster;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftns-natscluster-'));
    cluster = new LocalCluster({
      dir,
      natsServers: 3,
      natsPort: await freePortRun(3),
      natsRoutePort: await freePortRun(3),
      subnet: 40,
      logLevel: 'info',
      registrationTtlMs: 3_000,
    });
    await cluster.start();
    await cluster.waitReady(150_000);
    await cluster.seedExample();
  });

  after(async () => {
    await cluster?.stop(5_000);
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one configuration per server: routes to the other two, a server name, authorization included', async () => {
    expect(cluster.natsUrls).to.have.length(3);
    for (let i = 0; i < 3; i++) {
      const config = await readFile(join(cluster.natsDir, `nats-server-n${i}.conf`), 'utf8');
      expect(config).to.match(/server_name: "raftns-local-n\d"/);
      expect(config).to.match(/routes: \["nats:\/\/127\.0\.0\.1:\d+","nats:\/\/127\.0\.0\.1:\d+"\]/);
      expect(config).to.contain('include "authorization.conf"');
    }
    const topology = await cluster.topology();
    expect(topology.nats.split(',')).to.deep.equal(cluster.natsUrls);
  });

  it('serves a write and a DNS read', async () => {
    const client = await cluster.client('region1', 'wikipedia-org');
    const written = await client.put('nats-cluster-probe', 'v1');
    expect(written.revision).to.be.greaterThan(0);
    expect((await client.get('nats-cluster-probe'))?.value).to.equal('v1');
    // Any replica answers for wikipedia.org only if it is in that group: ask them all.
    const answers = await Promise.all(
      cluster.replicaList().map(async (replica) => {
        const { stdout } = await execFileAsync(
          'dig',
          [
            `@${replica.address}`,
            '-p',
            String(replica.port),
            '+time=2',
            '+tries=2',
            '+short',
            '+norec',
            EXAMPLE_NAME,
            'A',
          ],
          { timeout: 20_000 },
        );
        return stdout.trim();
      }),
    );
    expect(answers).to.include(EXAMPLE_ADDRESS);
  });

  it('loses one NATS server with writes going on and every group led afterwards', async () => {
    const groups = cluster.plan.groups.map((g) => g.id);
    const before = new Map<string, ReplicaStatus>();
    for (const group of groups) before.set(group, await leaderOf(cluster, group));
    const client = await cluster.client('region1', 'wikipedia-org');
    const acks: number[] = [];
    let writing = true;
    const writer = (async () => {
      for (let n = 0; writing; n++) {
        try {
          await client.put(`nats-loss-${n}`, String(n), { deadlineMs: 5_000 });
          acks.push(performance.now());
        } catch {
          // The gap measures what is acknowledged; a failed write only widens it.
        }
      }
    })();
    await pollUntil('writes flowing', 10_000, async () => (acks.length >= 20 ? true : undefined));
    const killedAt = performance.now();
    await cluster.killNats(0);
    await pollUntil('the write window', WRITE_WINDOW_MS + 1_000, async () =>
      performance.now() - killedAt >= WRITE_WINDOW_MS ? true : undefined,
    );
    writing = false;
    await writer;
    const gapMs = longestWriteGap(acks, killedAt);
    console.log(`      write gap after SIGKILL of NATS server n0: ${Math.round(gapMs)} ms`);
    expect(acks.filter((at) => at > killedAt).length, 'writes acknowledged after the kill').to.be.greaterThan(
      20,
    );
    expect(gapMs).to.be.at.most(NATS_LOSS_GAP_MS_MAX);
    const terms: string[] = [];
    let changed = 0;
    for (const group of groups) {
      // leaderOf fails the test when a group has no single leader at its highest term.
      const after = await leaderOf(cluster, group);
      const was = before.get(group);
      if (after.replica !== was?.replica || after.term !== was?.term) changed++;
      terms.push(`${group} ${was?.replica}@${was?.term} -> ${after.replica}@${after.term}`);
    }
    // A leader whose own NATS server died must be reconnected and answered within the
    // CheckQuorum window (the minimum election timeout, 150 ms). With the native nkey
    // signature and the heartbeat on reconnect that holds in most runs, but a host as loaded
    // as a parallel CI run still delays threads past it (1 of 6 runs had a new term): reported,
    // not asserted (docs/OPERATIONS.md#chaos-runs).
    console.log(`      groups with a new term: ${changed} of ${groups.length}`);
    console.log(`      leaders and terms: ${terms.join(', ')}`);
  });
});

/** The leader of `group` in region1 as the group's replicas report it (every answering one agreeing). */
async function leaderOf(cluster: LocalCluster, group: string): Promise<ReplicaStatus> {
  const client = await cluster.client('region1', group);
  return pollUntil(`a leader of ${group}`, 15_000, async () => {
    const statuses = await Promise.all(
      cluster
        .replicaList()
        .map((r) => client.status(r.instanceId, { deadlineMs: 500 }).catch(() => undefined)),
    );
    const members = statuses.filter((s): s is ReplicaStatus => s !== undefined && s.group === group);
    const leaders = members.filter((s) => s.role === 'leader');
    const maxTerm = Math.max(0, ...members.map((s) => s.term));
    return leaders.length === 1 && leaders[0]?.term === maxTerm ? leaders[0] : undefined;
  });
}
