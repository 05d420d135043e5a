/**
 * The log actor's leadership observations as subscribers see them across an election:
 * three replicas of the real Raft actors in the deterministic simulator, each replica's
 * external endpoint subscribed to its own log actor. The first leader is cut off, another
 * is elected, the partition heals. Every subscriber must see the terms in order, one leader
 * per term, the no-op's index and the lease only moving forward within a term, and lease
 * extensions at most once per heartbeat interval.
 */
import { expect } from 'chai';
import {
  LEADERSHIP_RENEW_MS,
  type Leadership,
  type LeadershipObserved,
  leadsReady,
} from '../../../actors/log/protocol.js';
import { ELECTION, LOG, STATE_MACHINE, STORAGE } from '../../../actors/raft/actor-names.js';
import { DEFAULT_RAFT_TIMING } from '../../../actors/raft/raft-config.js';
import { simulateRaftGroup } from '../../fixtures/sim-raft-group.js';

const IDS = ['r1', 'r2', 'r3'];
const SEEDS = Number(process.env.RAFTNS_LEADERSHIP_SEEDS ?? 20);
const HEARTBEAT_MS = DEFAULT_RAFT_TIMING.heartbeatTicks * DEFAULT_RAFT_TIMING.tickMs;
const STEADY_MS = 1_000;
const PHASE_MS_MAX = 10_000;
const READ_EVERY_MS = 5;

interface Seen {
  readonly atMs: number;
  readonly leadership: Leadership;
}

/** One subscriber's stream, in order: terms never go back, and within a term nothing is taken back. */
function expectOrdered(replica: string, stream: readonly Seen[]): void {
  /** A term this replica led and stopped leading: it cannot lead it again. */
  let deposedTerm: number | undefined;
  for (let i = 1; i < stream.length; i++) {
    const before = (stream[i - 1] as Seen).leadership;
    const after = (stream[i] as Seen).leadership;
    const why = `${replica}: ${JSON.stringify(before)} then ${JSON.stringify(after)}`;
    expect(after.term, why).to.be.at.least(before.term);
    if (after.term !== before.term) continue;
    if (before.leaderId !== null && after.leaderId !== null)
      expect(after.leaderId, why).to.equal(before.leaderId);
    if (before.leading && after.leading) {
      if (before.readyIndex !== null) expect(after.readyIndex, why).to.equal(before.readyIndex);
      if (before.leaseUntilMs !== null)
        expect(after.leaseUntilMs ?? 0, why).to.be.at.least(before.leaseUntilMs);
    }
    if (before.leading && !after.leading) deposedTerm = after.term;
    if (after.leading) expect(deposedTerm, `${why}: leads again in the same term`).to.not.equal(after.term);
  }
}

/** Across subscribers: at most one leader per term, and followers name that one (Election Safety, §5.2). */
function expectOneLeaderPerTerm(streams: ReadonlyMap<string, readonly Seen[]>): void {
  const leaders = new Map<number, string>();
  for (const [replica, stream] of streams) {
    for (const { leadership } of stream) {
      if (!leadership.leading) continue;
      expect(leadership.leaderId).to.equal(replica);
      const known = leaders.get(leadership.term);
      if (known !== undefined) expect(replica, `term ${leadership.term}`).to.equal(known);
      leaders.set(leadership.term, replica);
    }
  }
  for (const [replica, stream] of streams) {
    for (const { leadership } of stream) {
      const leader = leaders.get(leadership.term);
      if (!leadership.leading && leadership.leaderId !== null && leader !== undefined)
        expect(leadership.leaderId, `${replica} in term ${leadership.term}`).to.equal(leader);
    }
  }
}

/** The leader changes a subscriber saw, in order: `term:leader` whenever either changed and the leader was known. */
function leaderChanges(stream: readonly Seen[]): string[] {
  const changes: string[] = [];
  for (const { leadership } of stream) {
    if (leadership.leaderId === null) continue;
    const change = `${leadership.term}:${leadership.leaderId}`;
    if (changes.at(-1) !== change) changes.push(change);
  }
  return changes;
}

async function runElection(seed: number): Promise<void> {
  const sim = await simulateRaftGroup({ seed, ids: IDS });
  const run = async (what: string, until: () => boolean, maxVirtualMs = PHASE_MS_MAX) => {
    const result = await sim.run({ maxSteps: 2_000_000, maxVirtualMs, until });
    expect(result.ok, `seed ${seed}: ${what}: ${JSON.stringify(result.failure)}`).to.equal(true);
    expect(result.stop, `seed ${seed}: ${what}`).to.equal('until');
  };
  await run('boot', () =>
    IDS.every((id) =>
      [STORAGE, ELECTION, LOG, STATE_MACHINE].every((a) => sim.actorState(id, a) === 'running'),
    ),
  );

  const streams = new Map<string, Seen[]>();
  for (const id of IDS) {
    const stream: Seen[] = [];
    streams.set(id, stream);
    sim.listen(id, (from, message) => {
      if (from === LOG && message.type === 'leadership-observed')
        stream.push({ atMs: sim.nowMs(), leadership: (message as LeadershipObserved).leadership });
    });
  }
  // Renewals repeat the current observation: paused while extensions are counted.
  let cancelRenewal = () => {};
  const renew = () => {
    for (const id of IDS) sim.send(id, LOG, { type: 'subscribe-leadership' });
    cancelRenewal = sim.schedule(LEADERSHIP_RENEW_MS, 'renew leadership subscriptions', renew);
  };
  renew();
  const latest = (id: string) => streams.get(id)?.at(-1)?.leadership;
  const readyLeader = (newerThan: number) =>
    IDS.find((id) => {
      const seen = latest(id);
      return leadsReady(seen) && seen.term > newerThan && seen.leaseUntilMs !== null;
    });

  await run('a first leader', () => readyLeader(0) !== undefined);
  const first = readyLeader(0) as string;
  const firstTerm = latest(first)?.term as number;

  // Steady leadership under linearizable reads (a heartbeat round each, so the lease moves
  // every few ms): extensions arrive, but at most once per heartbeat interval.
  let reading = true;
  const read = () => {
    if (!reading) return;
    sim
      .request(first, LOG, { type: 'read-index', mode: 'linearizable' }, { timeoutMs: 1_000 })
      .catch(() => undefined);
    sim.schedule(READ_EVERY_MS, 'read', read);
  };
  read();
  cancelRenewal();
  renew();
  cancelRenewal();
  await sim.run({ maxSteps: 2_000_000, maxVirtualMs: 10 });
  const steadyFrom = (streams.get(first) as Seen[]).length;
  await sim.run({ maxSteps: 2_000_000, maxVirtualMs: STEADY_MS });
  reading = false;
  renew();
  const steady = (streams.get(first) as Seen[]).slice(steadyFrom);
  expect(steady.length, `seed ${seed}: extensions seen`).to.be.within(
    STEADY_MS / HEARTBEAT_MS / 2,
    STEADY_MS / HEARTBEAT_MS + 2,
  );
  for (let i = 1; i < steady.length; i++)
    expect((steady[i] as Seen).atMs - (steady[i - 1] as Seen).atMs, `seed ${seed}`).to.be.at.least(
      HEARTBEAT_MS,
    );

  sim.isolate(first);
  await run('a second leader', () => readyLeader(firstTerm) !== undefined);
  const second = readyLeader(firstTerm) as string;
  const secondTerm = latest(second)?.term as number;
  expect(second).to.not.equal(first);
  sim.heal();
  await run('the first leader follows the second', () => {
    const seen = latest(first);
    return seen !== undefined && !seen.leading && seen.term >= secondTerm && seen.leaderId === second;
  });

  for (const [id, stream] of streams) expectOrdered(id, stream);
  expectOneLeaderPerTerm(streams);
  const third = IDS.find((id) => id !== first && id !== second) as string;
  for (const id of [first, third]) {
    const changes = leaderChanges(streams.get(id) as Seen[]);
    expect(changes[0], `seed ${seed}: ${id} saw ${changes.join(' ')}`).to.equal(`${firstTerm}:${first}`);
    expect(changes.at(-1), `seed ${seed}: ${id} saw ${changes.join(' ')}`).to.equal(
      `${secondTerm}:${second}`,
    );
  }
}

describe('log: leadership observations across an election (simulator)', function () {
  this.timeout(60_000 + SEEDS * 10_000);

  it(`subscribers see leader changes in order, one leader per term, over ${SEEDS} seeds`, async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      try {
        await runElection(seed);
      } catch (error) {
        throw new Error(`seed ${seed} (RAFTNS_LEADERSHIP_SEEDS to sweep more): ${String(error)}`, {
          cause: error,
        });
      }
    }
  });
});
