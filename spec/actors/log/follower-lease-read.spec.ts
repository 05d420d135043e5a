/**
 * A follower's lease read costs one round trip to the leader, a linearizable one two
 * (thesis §6.4, §6.4.1): three replicas of the real Raft actors in the deterministic
 * simulator, every frame delayed by exactly DELAY_MS. A follower asks its log actor for a
 * read index in each mode; the leader answers a `lease-read-index` at once while it holds
 * its lease, and a `read-index` only after a heartbeat round a majority acknowledged.
 */
import { expect } from 'chai';
import { type LeadershipObserved, leadsReady, type ReadIndexResult } from '../../../actors/log/protocol.js';
import { ELECTION, LOG, STATE_MACHINE, STORAGE } from '../../../actors/raft/actor-names.js';
import type { Simulator } from '../../../runtime/sim/simulator.js';
import { simulateRaftGroup } from '../../fixtures/sim-raft-group.js';

const IDS = ['r1', 'r2', 'r3'];
const DELAY_MS = 5;
const SEEDS = 5;

async function timeRead(sim: Simulator, replica: string, mode: 'lease' | 'linearizable'): Promise<number> {
  const startedAt = sim.nowMs();
  let answer: ReadIndexResult | undefined;
  let answeredAt = 0;
  void sim.request(replica, LOG, { type: 'read-index', mode }, { timeoutMs: 1_000 }).then((result) => {
    answer = result as ReadIndexResult;
    answeredAt = sim.nowMs();
  });
  const run = await sim.run({ maxSteps: 1_000_000, maxVirtualMs: 1_000, until: () => answer !== undefined });
  expect(run.ok, JSON.stringify(run.failure)).to.equal(true);
  expect(answer?.ok, `${mode} read at ${replica}: ${JSON.stringify(answer)}`).to.equal(true);
  return answeredAt - startedAt;
}

describe("actors/log: a follower's lease read (thesis §6.4.1)", () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    it(`takes one round trip to the leader where a linearizable read takes two (seed ${seed})`, async () => {
      const sim = await simulateRaftGroup({ seed, ids: IDS, delayMs: { min: DELAY_MS, max: DELAY_MS } });
      const leases = new Map<string, LeadershipObserved['leadership']>();
      for (const id of IDS) {
        sim.listen(id, (from, message) => {
          if (from === LOG && message.type === 'leadership-observed')
            leases.set(id, (message as LeadershipObserved).leadership);
        });
      }
      const booted = await sim.run({
        maxSteps: 2_000_000,
        maxVirtualMs: 10_000,
        until: () =>
          IDS.every((id) =>
            [STORAGE, ELECTION, LOG, STATE_MACHINE].every((a) => sim.actorState(id, a) === 'running'),
          ),
      });
      expect(booted.ok).to.equal(true);
      for (const id of IDS) sim.send(id, LOG, { type: 'subscribe-leadership' });
      const leaderWithLease = () =>
        IDS.find((id) => {
          const seen = leases.get(id);
          return (
            seen !== undefined &&
            leadsReady(seen) &&
            seen.leaseUntilMs !== null &&
            seen.leaseUntilMs > sim.nowMs() + 100
          );
        });
      const elected = await sim.run({
        maxSteps: 2_000_000,
        maxVirtualMs: 10_000,
        until: () => leaderWithLease() !== undefined,
      });
      expect(elected.stop, `seed ${seed}: a leader holding its lease`).to.equal('until');
      const leader = leaderWithLease() as string;
      const follower = IDS.find((id) => id !== leader) as string;
      // The follower must know the leader before it can forward.
      const known = await sim.run({
        maxSteps: 2_000_000,
        maxVirtualMs: 10_000,
        until: () => leases.get(follower)?.leaderId === leader,
      });
      expect(known.stop, `seed ${seed}: ${follower} knows the leader`).to.equal('until');

      const lease = await timeRead(sim, follower, 'lease');
      const linearizable = await timeRead(sim, follower, 'linearizable');
      expect(lease, `seed ${seed}: lease read at ${follower}`).to.be.below(3 * DELAY_MS);
      expect(linearizable, `seed ${seed}: linearizable read at ${follower}`).to.be.at.least(4 * DELAY_MS);
    });
  }
});
