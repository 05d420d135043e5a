/**
 * A leader whose peer transport reconnects sends a heartbeat round at once, not at its next
 * heartbeat tick (up to 50 ms later): its sends were refused while the connection was down,
 * and CheckQuorum (thesis §6.2) needs the followers' answers within the election window.
 * Three replicas of the real Raft actors in the deterministic simulator; the reconnect
 * arrives in the leader's election actor exactly as its transport delivers it.
 */
import { expect } from 'chai';
import type { ElectionStatus } from '../../../actors/election/protocol.js';
import { ELECTION, LOG, STATE_MACHINE, STORAGE } from '../../../actors/raft/actor-names.js';
import { simulateRaftGroup } from '../../fixtures/sim-raft-group.js';

const IDS = ['r1', 'r2', 'r3'];
const SEED = 23;
/** Longer than a network hop (1–3 ms here), far shorter than the heartbeat interval (50 ms). */
const WINDOW_MS = 10;

describe('actors/election: a reconnected transport', () => {
  it(`makes a leader heartbeat at once (seed ${SEED})`, async () => {
    const sim = await simulateRaftGroup({ seed: SEED, ids: IDS, traceLinesKept: 1_000_000 });
    const status = (id: string) => sim.inspect(id, ELECTION) as ElectionStatus | undefined;
    const run = async (what: string, until: () => boolean) => {
      const result = await sim.run({ maxSteps: 2_000_000, maxVirtualMs: 10_000, until });
      expect(result.ok, `${what}: ${JSON.stringify(result.failure)}`).to.equal(true);
      expect(result.stop, what).to.equal('until');
    };
    await run('boot', () =>
      IDS.every((id) =>
        [STORAGE, ELECTION, LOG, STATE_MACHINE].every((a) => sim.actorState(id, a) === 'running'),
      ),
    );
    await run('a leader', () => IDS.some((id) => status(id)?.role === 'leader'));
    const leader = IDS.find((id) => status(id)?.role === 'leader') as string;
    const followers = IDS.filter((id) => id !== leader);
    await run('the followers to know their leader', () =>
      followers.every((f) => status(f)?.leaderId === leader),
    );
    const settled = sim.nowMs() + 500;
    await run('the group to settle', () => sim.nowMs() >= settled);

    /** Frames delivered from the transport to `follower`'s election actor so far. */
    const framesTo = (follower: string) =>
      sim
        .recentTrace()
        .filter((line) => line.includes(` d ${follower} ${ELECTION} transport:raft peer-frame`)).length;
    /** Runs until both followers received a frame (a heartbeat round), then returns. */
    const nextRound = async (what: string) => {
      const before = followers.map(framesTo);
      await run(what, () => followers.every((f, i) => framesTo(f) > (before[i] ?? 0)));
      const done = sim.nowMs() + 4;
      await run('the round to end', () => sim.nowMs() >= done);
    };
    const framesWithin = async (windowMs: number) => {
      const before = followers.map(framesTo);
      const end = sim.nowMs() + windowMs;
      await run('the window', () => sim.nowMs() >= end);
      return followers.map((f, i) => framesTo(f) - (before[i] ?? 0));
    };

    // Control: right after a round, nothing reaches the followers for a while.
    await nextRound('a heartbeat round');
    expect(await framesWithin(WINDOW_MS), 'frames within the window without a reconnect').to.deep.equal([
      0, 0,
    ]);

    await nextRound('another heartbeat round');
    sim.send(leader, ELECTION, { type: 'transport-reconnected' });
    const after = await framesWithin(WINDOW_MS);
    expect(
      after.every((n) => n >= 1),
      `frames to ${followers.join(', ')} after the reconnect: ${after}`,
    ).to.equal(true);
    expect(status(leader)?.role).to.equal('leader');
  });
});
