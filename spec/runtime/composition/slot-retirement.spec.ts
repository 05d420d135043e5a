import { expect } from 'chai';
import { examplePlan } from '../../../protocol/plan.js';
import { removedByLeader, slotRemoved } from '../../../runtime/composition/slot-retirement.js';

describe('runtime/composition/slot-retirement: when a replica leaves for good', () => {
  const plan = { ...examplePlan('c', ['r1']), replicasPerGroup: 3 };
  const slot = (index: number) => ({ group: 'org', index, key: `r1.org.${index}` });

  it('finds the slots beyond replicasPerGroup removed: the highest-numbered go', () => {
    expect(slotRemoved(plan, slot(2))).to.equal(undefined);
    expect(slotRemoved(plan, slot(3))).to.match(/slot r1\.org\.3 is beyond the plan's 3 replica/);
    expect(slotRemoved({ ...plan, replicasPerGroup: 1 }, slot(1))).to.match(/beyond/);
    expect(slotRemoved({ ...plan, replicasPerGroup: 1 }, slot(0))).to.equal(undefined);
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
