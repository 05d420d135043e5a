/**
 * A planned restart (SIGTERM) of the leader of a real 3-replica group (nats-server, three
 * `runtime/main` processes, synced RocksDB) under steady writes and lease-mode DNS queries:
 * the leader hands leadership off (runtime/composition/leadership-hand-off.ts) before it
 * drains, so another replica leads while the old process is still running, no
 * acknowledged write is lost, and the queries at the other replicas are all answered.
 */
import { expect } from 'chai';
import type { RaftClient } from '../../../clients/raft-client.js';
import { HybridClock } from '../../../protocol/dns/version.js';
import { HAND_OFF_TIMEOUT_MS_DEFAULT } from '../../../runtime/composition/leadership-hand-off.js';
import { createZoneChange } from '../../fixtures/dns-zone.js';
import { pollUntil } from '../../fixtures/poll-until.js';
import {
  type DnsListenerInfo,
  longestWriteGap,
  RaftCluster,
  type ReplicaProcess,
} from '../../fixtures/raft-cluster.js';
import { startQueryLoad, startWriteLoad } from '../../fixtures/steady-load.js';

const ZONE = 'example.org.';
const NAME = 'www.example.org.';
const WRITERS = 4;
const QUERIES_PER_S = 200;

function leaseListener(replica: ReplicaProcess): DnsListenerInfo {
  const found = replica.dns.find((l) => l.mode === 'lease');
  if (found === undefined) throw new Error(`${replica.id} has no lease listener`);
  return found;
}

describe('planned restart: SIGTERM on the leader hands leadership off first (real processes)', function () {
  this.timeout(120_000);
  let cluster: RaftCluster;
  let client: RaftClient;

  before(async () => {
    cluster = await RaftCluster.start({ replicas: 3, dnsListen: () => ['127.0.0.1:0@lease'] });
    await cluster.waitForLeader(20_000);
    client = await cluster.client();
    const clock = new HybridClock('planned-restart-spec', () => Date.now());
    const created = await client.dnsBatch({
      changes: [
        createZoneChange(ZONE),
        {
          op: 'upsert',
          zone: ZONE,
          name: NAME,
          type: 'A',
          ttl: 60,
          rdata: ['192.0.2.1'],
          version: clock.next(),
        },
      ],
    });
    expect(created.ok, JSON.stringify(created)).to.equal(true);
  });

  after(async () => {
    await cluster?.stop();
  });

  it('another replica leads before the old leader exits; no acknowledged write is lost; lease-mode queries at the others all answered', async () => {
    const leader = await cluster.waitForLeader(20_000);
    const old = cluster.replica(leader.replica);
    const others = cluster.replicas.filter((r) => r.id !== old.id);
    const writers = await Promise.all(
      Array.from({ length: WRITERS }, () => cluster.client({ requestTimeoutMs: 250, deadlineMs: 10_000 })),
    );
    const writes = startWriteLoad(writers, 'planned-');
    // Queries go to the replicas that stay up, as after the restarted one is taken out of
    // a load balancer (or as a resolver's retries would).
    const queries = await startQueryLoad({
      targets: () => others.map(leaseListener),
      name: NAME,
      perSecond: QUERIES_PER_S,
      timeoutMs: 1_000,
    });
    try {
      await pollUntil('steady writes', 20_000, async () =>
        writes.ackTimesMs.length > 100 ? true : undefined,
      );
      const signalledAt = performance.now();
      const exited = old.kill('SIGTERM').then(() => performance.now());
      // Sampled after each status answer: a leader seen while the old process still runs
      // was elected before it exited.
      const successor = await pollUntil('a successor while the old leader runs', 10_000, async () => {
        const statuses = await Promise.all(others.map((r) => cluster.status(r.id, 300)));
        const leading = statuses.find((s) => s?.role === 'leader' && s.term > leader.term);
        if (leading === undefined) return undefined;
        return { status: leading, oldStillRunning: old.running };
      });
      const exitedAt = await exited;
      expect(
        successor.oldStillRunning,
        `${successor.status.replica} was seen leading only after the exit`,
      ).to.equal(true);
      const acksAtExit = writes.ackTimesMs.length;
      await pollUntil('writes after the restart', 20_000, async () =>
        writes.ackTimesMs.length > acksAtExit + 100 ? true : undefined,
      );
      await writes.stop();
      const counts = await queries.stop();
      const gapMs = longestWriteGap(writes.ackTimesMs, signalledAt);
      console.log(
        `      SIGTERM of ${old.id}: ${successor.status.replica} leads term ${successor.status.term}; ` +
          `old process exited after ${Math.round(exitedAt - signalledAt)} ms; longest write gap ${Math.round(gapMs)} ms; ` +
          `writes acknowledged ${writes.acked.size}, given up ${writes.givenUp()}; ` +
          `queries ${counts.sent}: failed ${counts.failed}, timed out ${counts.timedOut}`,
      );

      // Every acknowledged write is there, read linearizably from the new leader.
      const keys = [...writes.acked.keys()];
      for (let i = 0; i < keys.length; i += 50) {
        const slice = keys.slice(i, i + 50);
        const entries = await Promise.all(slice.map((key) => client.get(key)));
        slice.forEach((key, j) => {
          expect(entries[j]?.value, `acknowledged ${key}`).to.equal(writes.acked.get(key));
        });
      }
      expect(counts.sent).to.be.greaterThan(0);
      expect(counts.failed + counts.timedOut, 'lease-mode queries not answered').to.equal(0);
      // The hand-off takes about one election, not an election timeout plus a crash detection.
      expect(gapMs).to.be.lessThan(HAND_OFF_TIMEOUT_MS_DEFAULT);
    } finally {
      await writes.stop();
      await queries.stop();
    }
  });

  it('a leader with no follower to hand off to (a group of one) drains at once', async () => {
    const solo = await RaftCluster.start({
      replicas: 1,
      group: 'solo',
      dnsListen: () => ['127.0.0.1:0@lease'],
    });
    try {
      const leader = await solo.waitForLeader(20_000);
      const signalledAt = performance.now();
      await solo.replica(leader.replica).kill('SIGTERM');
      // Without the refusal it would wait for a successor for the whole hand-off bound.
      expect(performance.now() - signalledAt).to.be.lessThan(HAND_OFF_TIMEOUT_MS_DEFAULT);
    } finally {
      await solo.stop();
    }
  });
});
