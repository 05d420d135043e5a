import { expect } from 'chai';
import { MembershipLog } from '../../../actors/log/membership-log.js';
import { encodeMembership } from '../../../actors/raft/membership.js';
import type { LogEntry } from '../../../actors/raft/types.js';

const config = (index: number, voters: string[]): LogEntry => ({
  index,
  term: 1,
  kind: 'config',
  timeMs: 0,
  data: encodeMembership({ voters }),
});
const command = (index: number): LogEntry => ({
  index,
  term: 1,
  kind: 'command',
  timeMs: 0,
  data: new Uint8Array(),
});

/** Base {a,b,c}; index 3 adds d, index 5 removes b, other indexes are commands. */
function logOf(): MembershipLog {
  const configs = new MembershipLog({ voters: ['a', 'b', 'c'] });
  for (const entry of [
    command(1),
    command(2),
    config(3, ['a', 'b', 'c', 'd']),
    command(4),
    config(5, ['a', 'c', 'd']),
  ])
    configs.onAppend(entry);
  return configs;
}

describe('actors/log/membership-log: the configuration in effect (thesis §4.1)', () => {
  const atCases: ReadonlyArray<{ index: number; voters: string[] }> = [
    { index: 0, voters: ['a', 'b', 'c'] },
    { index: 2, voters: ['a', 'b', 'c'] },
    { index: 3, voters: ['a', 'b', 'c', 'd'] },
    { index: 4, voters: ['a', 'b', 'c', 'd'] },
    { index: 5, voters: ['a', 'c', 'd'] },
    { index: 99, voters: ['a', 'c', 'd'] },
  ];
  for (const c of atCases) {
    it(`at index ${c.index}: ${c.voters.join(',')}`, () => {
      expect(logOf().at(c.index).voters).to.deep.equal(c.voters);
    });
  }

  const truncateCases: ReadonlyArray<{
    after: number;
    changed: boolean;
    current: string[];
    latestIndex: number;
  }> = [
    { after: 5, changed: false, current: ['a', 'c', 'd'], latestIndex: 5 },
    { after: 4, changed: true, current: ['a', 'b', 'c', 'd'], latestIndex: 3 },
    { after: 2, changed: true, current: ['a', 'b', 'c'], latestIndex: 0 },
  ];
  for (const c of truncateCases) {
    it(`uses the newest configuration left after truncating after ${c.after} (uncommitted ones included)`, () => {
      const configs = logOf();
      expect(configs.truncateAfter(c.after)).to.equal(c.changed);
      expect([configs.current.voters, configs.latestIndex]).to.deep.equal([c.current, c.latestIndex]);
    });
  }

  it('keeps the configuration at the snapshot point as its base when compacting', () => {
    const configs = logOf();
    configs.compactTo(4);
    expect([configs.at(0).voters, configs.current.voters, configs.latestIndex]).to.deep.equal([
      ['a', 'b', 'c', 'd'],
      ['a', 'c', 'd'],
      5,
    ]);
    configs.truncateAfter(4);
    expect(configs.current.voters).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('reports whether an appended entry changed the configuration', () => {
    const configs = new MembershipLog({ voters: ['a'] });
    expect(configs.onAppend(command(1))).to.equal(false);
    expect(configs.onAppend(config(2, ['a', 'b']))).to.equal(true);
    expect(configs.current.voters).to.deep.equal(['a', 'b']);
  });
});
