/**
 * A Raft message from a replica outside the group's configuration is dropped and counted
 * (`messagesDropped['non-member']`, exported as
 * `raftns_raft_dropped_messages_total{reason="non-member"}`), and changes nothing: three
 * replicas of the real Raft actors in the deterministic simulator, frames injected into a
 * follower's election actor exactly as its transport would deliver them. The same message
 * from a member does move the follower's term, so the injection path is the real one.
 */
import { expect } from 'chai';
import type { ElectionMessage, ElectionStatus } from '../../../actors/election/protocol.js';
import { ELECTION, LOG, STATE_MACHINE, STORAGE } from '../../../actors/raft/actor-names.js';
import { encodeRaftMessage } from '../../../actors/raft/codec.js';
import type { RaftMessage } from '../../../actors/raft/peer-messages.js';
import { simulateRaftGroup } from '../../fixtures/sim-raft-group.js';

const IDS = ['r1', 'r2', 'r3'];
const SEED = 16;

describe('actors/election: messages from non-members', () => {
  it(`are dropped and counted, and leave the term alone (seed ${SEED})`, async () => {
    const sim = await simulateRaftGroup({ seed: SEED, ids: IDS });
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
    const follower = IDS.find((id) => id !== leader) as string;
    await run('the follower to know its leader', () => status(follower)?.leaderId === leader);
    const term = status(follower)?.term as number;

    const inject = (envelopeFrom: string, message: RaftMessage) => {
      const encoded = encodeRaftMessage(message);
      if (!encoded.ok) throw encoded.error;
      const frame: ElectionMessage = {
        type: 'peer-frame',
        from: envelopeFrom,
        bytes: encoded.bytes,
        receivedAtMs: sim.nowMs(),
      };
      sim.send(follower, ELECTION, frame);
    };
    const higherTerm = (from: string): RaftMessage => ({
      type: 'request-vote-response',
      term: term + 100,
      from,
      to: follower,
      granted: false,
    });
    // A stranger, in its own name; and a stranger claiming, in the envelope, to be the leader.
    inject('r9', higherTerm('r9'));
    inject(leader, higherTerm('r9'));
    // A vote request from the stranger.
    inject('r9', {
      type: 'request-vote',
      term: term + 100,
      from: 'r9',
      to: follower,
      lastLogIndex: 1e6,
      lastLogTerm: term + 99,
      transfer: true,
    });
    await run('the frames to be handled', () => {
      const dropped = status(follower)?.messagesDropped;
      return dropped !== undefined && dropped['non-member'] + dropped['forged-sender'] >= 3;
    });
    const after = status(follower) as ElectionStatus;
    expect(after.messagesDropped).to.deep.include({ 'non-member': 2, 'forged-sender': 1 });
    expect(after.term).to.equal(term);
    expect(after.votedFor).to.not.equal('r9');
    expect(after.leaderId).to.equal(leader);

    // The same message from a member is taken: its higher term is adopted.
    inject(leader, higherTerm(leader));
    await run('a member’s term to be adopted', () => (status(follower)?.term ?? 0) >= term + 100);
    expect(status(follower)?.messagesDropped['non-member']).to.equal(2);
  });
});
