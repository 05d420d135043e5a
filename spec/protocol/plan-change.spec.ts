import { expect } from 'chai';
import { type ClusterPlan, examplePlan } from '../../protocol/plan.js';
import { planChange } from '../../protocol/plan-change.js';

const stored = examplePlan('c', ['r1', 'r2']);
const plus = (...groups: ClusterPlan['groups']): ClusterPlan => ({
  ...stored,
  groups: [...stored.groups, ...groups],
});

describe('plan changes: what plan apply allows', () => {
  it('allows adding groups below existing zones, and lists them', () => {
    const change = planChange(
      stored,
      plus(
        { id: 'shop', zone: 'shop.org.', parent: 'org' },
        { id: 'deep', zone: 'a.shop.org.', parent: 'shop' },
      ),
    );
    expect(change.problems).to.deep.equal([]);
    expect(change.changes).to.deep.equal([
      '+ group shop (shop.org., parent org)',
      '+ group deep (a.shop.org., parent shop)',
    ]);
  });

  it('allows more replicas per group', () => {
    expect(planChange(stored, { ...stored, replicasPerGroup: 5 })).to.deep.equal({
      changes: ['~ replicasPerGroup: 3 → 5'],
      problems: [],
    });
  });

  it('allows fewer replicas per group, naming the slots that go (the highest-numbered)', () => {
    expect(planChange({ ...stored, replicasPerGroup: 5 }, stored)).to.deep.equal({
      changes: [
        '~ replicasPerGroup: 5 → 3',
        '- slots 3, 4 of every group in every region (their replicas leave their groups and stop)',
      ],
      problems: [],
    });
    expect(planChange(stored, { ...stored, replicasPerGroup: 1 }).changes[1]).to.match(/^- slots 1, 2 of/);
  });

  it('finds nothing to change in the same plan', () => {
    expect(planChange(stored, stored)).to.deep.equal({ changes: [], problems: [] });
  });

  it('refuses removals, moves, region and replica changes, reordering, each with its reason', () => {
    const problems = (given: ClusterPlan) => planChange(stored, given).problems.join('\n');
    expect(problems({ ...stored, groups: stored.groups.slice(0, 2) })).to.match(
      /wikipedia-org cannot be removed/,
    );
    expect(problems({ ...stored, regions: ['r1', 'r2', 'r3'] })).to.match(/regions/);
    expect(
      problems({
        ...stored,
        groups: stored.groups.map((g) => (g.id === 'wikipedia-org' ? { ...g, zone: 'wiki.org.' } : g)),
      }),
    ).to.match(/keeps its zone/);
    expect(problems({ ...stored, cluster: 'other' })).to.match(/cluster/);
    const [root, org, wiki] = stored.groups;
    if (root === undefined || org === undefined || wiki === undefined) throw new Error('example plan');
    expect(problems({ ...stored, groups: [root, wiki, org] })).to.match(/keep their order/);
  });

  it('refuses a new group whose zone was created at runtime, or contains a served zone', () => {
    expect(
      planChange(stored, plus({ id: 'ex', zone: 'example.org.', parent: 'org' }), [
        'example.org.',
      ]).problems.join(),
    ).to.match(/created at runtime/);
    expect(
      planChange(stored, plus({ id: 'ex', zone: 'example.org.', parent: 'org' }), [
        'a.b.example.org.',
      ]).problems.join(),
    ).to.match(/would contain zones the cluster serves \(a\.b\.example\.org\.\)/);
  });
});
