import { expect } from 'chai';
import { examplePlan } from '../../../protocol/plan.js';
import { departure, removedByLeader } from '../../../runtime/composition/slot-retirement.js';

describe('runtime/composition/slot-retirement: when a replica leaves for good', () => {
  const plan = { ...examplePlan('c', ['r1']), replicasPerGroup: 3 };
  const slot = (index: number) => ({ region: 'r1', group: 'org', index, key: `r1.org.${index}` });

  it('finds the slots beyond replicasPerGroup removed (the highest-numbered go), and a retired group', () => {
    expect(departure(plan, slot(2))).to.equal(undefined);
    expect(departure(plan, slot(3))).to.deep.equal({
      kind: 'slot-removed',
      reason: "slot r1.org.3 is beyond the plan's 3 replica(s) per group",
    });
    expect(departure({ ...plan, replicasPerGroup: 1 }, slot(1))?.kind).to.equal('slot-removed');
    expect(departure({ ...plan, replicasPerGroup: 1 }, slot(0))).to.equal(undefined);
    const withoutWiki = { ...plan, groups: plan.groups.filter((g) => g.id !== 'wikipedia-org') };
    expect(
      departure(withoutWiki, { region: 'r1', group: 'wikipedia-org', index: 0, key: 'r1.wikipedia-org.0' }),
    ).to.deep.equal({
      kind: 'group-retired',
      reason: 'group wikipedia-org was retired from the plan',
    });
  });

  it('finds a retired region: every slot of it, whatever its group or index', () => {
    const two = { ...examplePlan('c', ['r1', 'r2']), replicasPerGroup: 3 };
    expect(departure(two, slot(0))).to.equal(undefined);
    expect(departure({ ...two, regions: ['r2'] }, slot(0))).to.deep.equal({
      kind: 'region-retired',
      reason: 'region r1 was retired from the plan',
    });
    expect(departure({ ...two, regions: ['r2'], replicasPerGroup: 1 }, slot(2))?.kind).to.equal(
      'region-retired',
    );
  });

  it('leaves only on the word of another replica that leads without it', () => {
    expect(removedByLeader('d', undefined)).to.equal(false);
    expect(removedByLeader('d', { leaderId: 'a', voters: ['a', 'b', 'c', 'd'], committed: true })).to.equal(
      false,
    );
    // A removed leader's own view is not enough: it stepped down, another leads.
    expect(removedByLeader('d', { leaderId: 'd', voters: ['a', 'b', 'c'], committed: true })).to.equal(false);
    // An appended removal may be lost with its leader (thesis §4.1): only a committed one counts.
    expect(removedByLeader('d', { leaderId: 'a', voters: ['a', 'b', 'c'], committed: false })).to.equal(
      false,
    );
    expect(removedByLeader('d', { leaderId: 'a', voters: ['a', 'b', 'c'], committed: true })).to.equal(true);
  });
});
