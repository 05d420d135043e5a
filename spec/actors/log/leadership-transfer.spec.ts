import { expect } from 'chai';
import {
  chooseSuccessor,
  decideTransfer,
  LeadershipTransfer,
  type SuccessorCandidate,
  type TransferDecision,
  type TransferRequestInput,
} from '../../../actors/log/leadership-transfer.js';

const READY: TransferRequestInput = {
  to: 'b',
  self: 'a',
  leading: true,
  leaderId: 'a',
  voters: ['a', 'b', 'c'],
  busy: false,
};

describe('actors/log/leadership-transfer (thesis §3.10)', () => {
  describe('whether a transfer starts', () => {
    const cases: ReadonlyArray<{
      name: string;
      input: Partial<TransferRequestInput>;
      expected: TransferDecision;
    }> = [
      { name: 'to another voter', input: {}, expected: { action: 'start' } },
      {
        name: 'a follower refuses',
        input: { leading: false, leaderId: 'c' },
        expected: { action: 'answer', result: { ok: false, reason: 'not-leader', leaderId: 'c' } },
      },
      {
        name: 'to itself: done already',
        input: { to: 'a' },
        expected: { action: 'answer', result: { ok: true } },
      },
      {
        name: 'to itself while busy: done already',
        input: { to: 'a', busy: true },
        expected: { action: 'answer', result: { ok: true } },
      },
      {
        name: 'to a non-voter',
        input: { to: 'z' },
        expected: { action: 'answer', result: { ok: false, reason: 'invalid', detail: 'z is not a voter' } },
      },
      {
        name: 'while a change or transfer is under way',
        input: { busy: true },
        expected: {
          action: 'answer',
          result: { ok: false, reason: 'busy', detail: 'another change or transfer is under way' },
        },
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(decideTransfer({ ...READY, ...c.input })).to.deep.equal(c.expected);
      });
    }
  });

  describe('when TimeoutNow goes out: once the target holds the whole log', () => {
    const cases: ReadonlyArray<{ match: number | undefined; lastIndex: number; sends: boolean }> = [
      { match: undefined, lastIndex: 10, sends: false },
      { match: 9, lastIndex: 10, sends: false },
      { match: 10, lastIndex: 10, sends: true },
      { match: 11, lastIndex: 10, sends: true },
    ];
    for (const c of cases) {
      it(`match ${c.match}, last index ${c.lastIndex}: ${c.sends ? 'sends' : 'waits'}`, () => {
        const transfer = new LeadershipTransfer<string>();
        transfer.begin('b', 'reply', 5);
        const ready = transfer.takeReadyToSend(c.match, c.lastIndex);
        expect(ready !== undefined).to.equal(c.sends);
        if (ready !== undefined) expect(ready).to.include({ to: 'b', reply: 'reply', sent: true });
        // It goes out once; the transfer stays under way (no new entries) until it times out.
        expect(transfer.takeReadyToSend(20, 10) !== undefined).to.equal(!c.sends);
        expect(transfer.takeReadyToSend(20, 10)).to.equal(undefined);
        expect(transfer.target).to.equal('b');
      });
    }
  });

  describe('abandoned after an election timeout', () => {
    const cases: ReadonlyArray<{ sent: boolean; owed: boolean }> = [
      { sent: false, owed: true },
      { sent: true, owed: false },
    ];
    for (const c of cases) {
      it(`${c.sent ? 'after' : 'before'} TimeoutNow: the reply is ${c.owed ? '' : 'not '}owed`, () => {
        const transfer = new LeadershipTransfer<string>();
        transfer.begin('b', 'reply', 3);
        if (c.sent) transfer.takeReadyToSend(10, 10);
        expect(transfer.tick()).to.equal(undefined);
        expect(transfer.tick()).to.equal(undefined);
        expect(transfer.tick() !== undefined).to.equal(c.owed);
        expect(transfer.underWay).to.equal(false);
      });
      it(`leadership lost ${c.sent ? 'after' : 'before'} TimeoutNow: the reply is ${c.owed ? '' : 'not '}owed`, () => {
        const transfer = new LeadershipTransfer<string>();
        transfer.begin('b', 'reply', 3);
        if (c.sent) transfer.takeReadyToSend(10, 10);
        expect(transfer.abort() !== undefined).to.equal(c.owed);
        expect([transfer.underWay, transfer.target]).to.deep.equal([false, undefined]);
      });
    }
  });

  describe('whom a stopping leader hands leadership to (chooseSuccessor)', () => {
    const follower = (
      id: string,
      match: number,
      more: Partial<SuccessorCandidate> = {},
    ): SuccessorCandidate => ({
      id,
      match,
      silentTicks: 0,
      installingSnapshot: false,
      ...more,
    });
    const cases: ReadonlyArray<{
      name: string;
      followers: readonly SuccessorCandidate[];
      voters?: readonly string[];
      expected: string | undefined;
    }> = [
      { name: 'the most caught up', followers: [follower('b', 7), follower('c', 9)], expected: 'c' },
      {
        name: 'on equal match, the most recently heard',
        followers: [follower('b', 9, { silentTicks: 3 }), follower('c', 9, { silentTicks: 1 })],
        expected: 'c',
      },
      { name: 'on a full tie, by id', followers: [follower('c', 9), follower('b', 9)], expected: 'b' },
      {
        name: 'not one silent for an election timeout (it may be down)',
        followers: [follower('b', 9, { silentTicks: 15 }), follower('c', 2)],
        expected: 'c',
      },
      {
        name: 'not one receiving a snapshot',
        followers: [follower('b', 9, { installingSnapshot: true }), follower('c', 2)],
        expected: 'c',
      },
      {
        name: 'not a replica that is not a voter (catching up to join)',
        followers: [follower('z', 9), follower('c', 2)],
        expected: 'c',
      },
      { name: 'never itself', followers: [follower('a', 99), follower('b', 1)], expected: 'b' },
      {
        name: 'nobody when no follower is eligible',
        followers: [follower('b', 9, { silentTicks: 40 }), follower('c', 9, { installingSnapshot: true })],
        expected: undefined,
      },
      { name: 'nobody in a group of one', followers: [], voters: ['a'], expected: undefined },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(
          chooseSuccessor({
            self: 'a',
            voters: c.voters ?? ['a', 'b', 'c'],
            followers: c.followers,
            silentTicksMax: 15,
          }),
        ).to.equal(c.expected);
      });
    }
  });
});
