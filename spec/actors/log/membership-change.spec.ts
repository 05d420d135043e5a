import { expect } from 'chai';
import {
  CATCH_UP_ROUNDS_MAX,
  type CatchUpInput,
  type CatchUpStep,
  type ChangeRequestInput,
  catchUpStep,
  changeRefusal,
  MembershipChanges,
  removedLeaderStepsDown,
  trackedPeerChanges,
} from '../../../actors/log/membership-change.js';
import type { ChangeResult } from '../../../actors/log/protocol.js';

/** A leader of {a,b,c} whose no-op (index 4) and last configuration (index 2) committed. */
const READY: ChangeRequestInput = {
  change: { op: 'add', replica: 'd' },
  leading: true,
  leaderId: 'a',
  busy: false,
  commitIndex: 6,
  termStartIndex: 4,
  latestConfigIndex: 2,
  current: { voters: ['a', 'b', 'c'] },
};

describe('actors/log/membership-change', () => {
  describe('when a single-server change may be proposed (thesis §4.1)', () => {
    const cases: ReadonlyArray<{
      name: string;
      input: Partial<ChangeRequestInput>;
      expected: ChangeResult | undefined;
    }> = [
      { name: 'an addition, ready', input: {}, expected: undefined },
      { name: 'a removal, ready', input: { change: { op: 'remove', replica: 'c' } }, expected: undefined },
      {
        name: 'a follower refuses, naming the leader it knows',
        input: { leading: false, leaderId: 'b' },
        expected: { ok: false, reason: 'not-leader', leaderId: 'b' },
      },
      {
        name: 'one change at a time',
        input: { busy: true },
        expected: { ok: false, reason: 'busy', detail: 'another change or transfer is under way' },
      },
      {
        name: "§4.1 erratum: not before this term's no-op commits",
        input: { commitIndex: 3 },
        expected: { ok: false, reason: 'not-ready', detail: 'this leader has not committed an entry yet' },
      },
      {
        name: 'not before the previous configuration commits',
        input: { latestConfigIndex: 7 },
        expected: { ok: false, reason: 'busy', detail: 'the previous configuration is not committed yet' },
      },
      {
        name: 'the previous configuration just committed',
        input: { latestConfigIndex: 6 },
        expected: undefined,
      },
      {
        name: 'adding a voter twice',
        input: { change: { op: 'add', replica: 'b' } },
        expected: { ok: false, reason: 'invalid', detail: 'b is already a voter' },
      },
      {
        name: 'removing a non-voter',
        input: { change: { op: 'remove', replica: 'z' } },
        expected: { ok: false, reason: 'invalid', detail: 'z is not a voter' },
      },
      {
        name: 'removing the last voter',
        input: { change: { op: 'remove', replica: 'a' }, current: { voters: ['a'] } },
        expected: { ok: false, reason: 'invalid', detail: 'cannot remove the last voter' },
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(changeRefusal({ ...READY, ...c.input })).to.deep.equal(c.expected);
      });
    }
  });

  describe('catching a new server up before it votes (thesis §4.2.1)', () => {
    const base: CatchUpInput = {
      match: 100,
      target: 100,
      rounds: 0,
      lastIndex: 100,
      maxEntriesPerAppend: 10,
    };
    const cases: ReadonlyArray<{ name: string; input: Partial<CatchUpInput>; expected: CatchUpStep }> = [
      { name: 'no progress tracked', input: { match: undefined }, expected: { action: 'wait' } },
      { name: 'short of the round target', input: { match: 99 }, expected: { action: 'wait' } },
      { name: 'at the target, nothing new', input: {}, expected: { action: 'propose' } },
      {
        name: 'at the target, less than one append behind',
        input: { lastIndex: 110 },
        expected: { action: 'propose' },
      },
      {
        name: 'at the target, more than one append behind',
        input: { lastIndex: 111 },
        expected: { action: 'next-round', target: 111 },
      },
      {
        name: 'still behind after the last round: propose anyway',
        input: { lastIndex: 500, rounds: CATCH_UP_ROUNDS_MAX },
        expected: { action: 'propose' },
      },
      {
        name: 'one round left',
        input: { lastIndex: 500, rounds: CATCH_UP_ROUNDS_MAX - 1 },
        expected: { action: 'next-round', target: 500 },
      },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.expected.action}`, () => {
        expect(catchUpStep({ ...base, ...c.input })).to.deep.equal(c.expected);
      });
    }
  });

  describe('which followers the leader tracks as the configuration changes (thesis §4.1, §4.2.1)', () => {
    const cases: ReadonlyArray<{
      name: string;
      voters: string[];
      tracked: string[];
      catchingUp?: string;
      expected: { add: string[]; remove: string[] };
    }> = [
      { name: 'unchanged', voters: ['a', 'b', 'c'], tracked: ['b', 'c'], expected: { add: [], remove: [] } },
      {
        name: 'a voter added',
        voters: ['a', 'b', 'c', 'd'],
        tracked: ['b', 'c'],
        expected: { add: ['d'], remove: [] },
      },
      {
        name: 'a voter removed',
        voters: ['a', 'c'],
        tracked: ['b', 'c'],
        expected: { add: [], remove: ['b'] },
      },
      {
        name: 'a server catching up stays tracked',
        voters: ['a', 'b', 'c'],
        tracked: ['b', 'c', 'd'],
        catchingUp: 'd',
        expected: { add: [], remove: [] },
      },
      {
        name: 'a truncated addition stops being tracked',
        voters: ['a', 'b', 'c'],
        tracked: ['b', 'c', 'd'],
        expected: { add: [], remove: ['d'] },
      },
      {
        name: 'the leader itself is never tracked',
        voters: ['b', 'a', 'e'],
        tracked: ['d', 'c'],
        expected: { add: ['b', 'e'], remove: ['d', 'c'] },
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        expect(
          trackedPeerChanges({ voters: c.voters, self: 'a', tracked: c.tracked, catchingUp: c.catchingUp }),
        ).to.deep.equal(c.expected);
      });
    }
  });

  describe('a removed leader steps down once its removal commits (thesis §4.2.2)', () => {
    const cases = [
      { voters: ['a', 'b'], commitIndex: 9, latestConfigIndex: 9, expected: false },
      { voters: ['b', 'c'], commitIndex: 8, latestConfigIndex: 9, expected: false },
      { voters: ['b', 'c'], commitIndex: 9, latestConfigIndex: 9, expected: true },
      { voters: ['b', 'c'], commitIndex: 12, latestConfigIndex: 9, expected: true },
    ];
    for (const c of cases) {
      it(`voters ${c.voters.join(',')}, commit ${c.commitIndex}, configuration at ${c.latestConfigIndex}: ${c.expected}`, () => {
        expect(removedLeaderStepsDown({ ...c, self: 'a' })).to.equal(c.expected);
      });
    }
  });

  describe('one change through its phases', () => {
    it('an addition catches up, is proposed, and completes when its entry commits', () => {
      const changes = new MembershipChanges<string>();
      changes.begin({ op: 'add', replica: 'd' }, 'reply', 40, 3);
      expect([changes.underWay, changes.catchingUp]).to.deep.equal([true, 'd']);
      changes.nextRound(45);
      expect(changes.current).to.include({ rounds: 1, target: 45, phase: 'catching-up' });
      expect(changes.takeCommitted(100)).to.equal(undefined);
      changes.proposed(46);
      expect(changes.catchingUp).to.equal(undefined);
      expect(changes.tick()).to.equal(undefined);
      expect(changes.tick()).to.equal(undefined);
      expect(changes.tick()).to.equal(undefined); // committing: catch-up time no longer runs
      expect(changes.takeCommitted(45)).to.equal(undefined);
      expect(changes.takeCommitted(46)).to.include({ reply: 'reply', configIndex: 46 });
      expect(changes.underWay).to.equal(false);
    });

    const ticks = [1, 2, 5];
    for (const allowed of ticks) {
      it(`an addition that does not catch up in ${allowed} ticks is abandoned on the ${allowed}th`, () => {
        const changes = new MembershipChanges<string>();
        changes.begin({ op: 'add', replica: 'd' }, 'reply', 40, allowed);
        for (let tick = 1; tick < allowed; tick++) expect(changes.tick()).to.equal(undefined);
        expect(changes.tick()).to.include({ reply: 'reply' });
        expect(changes.underWay).to.equal(false);
      });
    }

    it('a removal commits without catching up, and a change is taken when leadership ends', () => {
      const changes = new MembershipChanges<string>();
      changes.begin({ op: 'remove', replica: 'c' }, 'reply', 40, 1);
      expect([changes.current?.phase, changes.catchingUp]).to.deep.equal(['committing', undefined]);
      expect(changes.tick()).to.equal(undefined);
      expect(changes.take()).to.include({ reply: 'reply' });
      expect(changes.take()).to.equal(undefined);
    });
  });
});
