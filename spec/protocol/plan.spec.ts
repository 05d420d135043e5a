import { expect } from 'chai';
import { planDifferences } from '../../bootstrap/plan-store.js';
import { GROUP_VOTERS_MAX, GROUPS_MAX, REGIONS_MAX } from '../../protocol/limits.js';
import {
  type ClusterPlan,
  examplePlan,
  groupForName,
  samePlan,
  slotKey,
  validatePlan,
} from '../../protocol/plan.js';

const base = (): Record<string, unknown> => JSON.parse(JSON.stringify(examplePlan('c1', ['eu', 'us'])));

function problems(change: (plan: Record<string, unknown>) => void): readonly string[] {
  const plan = base();
  change(plan);
  const result = validatePlan(plan);
  if (result.ok) expect.fail(`expected errors for ${JSON.stringify(plan)}`);
  return result.errors;
}

describe('bootstrap/plan: validatePlan', () => {
  it('accepts the example plan and normalises zones to absolute names', () => {
    const result = validatePlan(examplePlan('c1', ['eu', 'us']));
    if (!result.ok) expect.fail(result.errors.join('\n'));
    expect(result.plan.groups.map((g) => g.zone)).to.deep.equal(['.', 'org.', 'wikipedia.org.']);
    const relative = base();
    (relative.groups as { zone: string }[])[1]!.zone = 'org';
    const again = validatePlan(relative);
    if (!again.ok) expect.fail(again.errors.join('\n'));
    expect(again.plan.groups[1]!.zone).to.equal('org.');
  });

  it('rejects a wrong version, unknown fields and missing fields, naming the path', () => {
    expect(problems((p) => (p.version = 2))[0]).to.match(/^plan\.version:/);
    expect(problems((p) => (p.extra = 1))[0]).to.match(/^plan\.\(root\):.*extra/);
    expect(problems((p) => delete p.cluster)[0]).to.match(/^plan\.cluster:/);
    expect(problems((p) => ((p.groups as Record<string, unknown>[])[0]!.owner = 'x')).join('\n')).to.match(
      /plan\.groups\.0/,
    );
  });

  it('requires subject-token names for the cluster, regions and group ids', () => {
    expect(problems((p) => (p.cluster = 'a.b'))[0]).to.match(/^plan\.cluster: expected 1-64 letters/);
    expect(problems((p) => (p.regions = ['eu', 'u s']))[0]).to.match(/^plan\.regions\.1:/);
    expect(problems((p) => ((p.groups as Record<string, unknown>[])[0]!.id = 'ro*t')).join('\n')).to.match(
      /plan\.groups\.0\.id:/,
    );
    expect(problems((p) => (p.cluster = 'x'.repeat(65)))[0]).to.match(/^plan\.cluster:/);
  });

  it('bounds regions (1..REGIONS_MAX, distinct), replicas (1..MAX, odd) and groups (1..GROUPS_MAX)', () => {
    expect(problems((p) => (p.regions = []))[0]).to.match(/^plan\.regions:/);
    expect(
      problems((p) => (p.regions = Array.from({ length: REGIONS_MAX + 1 }, (_, i) => `r${i}`)))[0],
    ).to.match(/^plan\.regions:/);
    expect(problems((p) => (p.regions = ['eu', 'eu']))).to.deep.equal([
      'plan.regions: region names must be distinct',
    ]);
    expect(problems((p) => (p.replicasPerGroup = 0))[0]).to.match(/^plan\.replicasPerGroup:/);
    expect(problems((p) => (p.replicasPerGroup = GROUP_VOTERS_MAX + 2))[0]).to.match(
      /^plan\.replicasPerGroup:/,
    );
    expect(problems((p) => (p.replicasPerGroup = 1.5))[0]).to.match(/^plan\.replicasPerGroup:/);
    expect(problems((p) => (p.replicasPerGroup = 4))).to.deep.equal([
      'plan.replicasPerGroup: 4 is even; a Raft group needs an odd number of voters',
    ]);
    expect(problems((p) => (p.groups = []))[0]).to.match(/^plan\.groups:/);
    const many = [{ id: 'root', zone: '.' }];
    for (let i = 0; i < GROUPS_MAX; i++) many.push({ id: `g${i}`, zone: `z${i}.`, parent: 'root' } as never);
    expect(problems((p) => (p.groups = many))[0]).to.match(/^plan\.groups:/);
  });

  it('rejects zones that are not domain names', () => {
    const found = problems((p) => ((p.groups as { zone: string }[])[1]!.zone = 'a..b'));
    expect(found.join('\n')).to.match(/^plan\.groups\.1\.zone: "a\.\.b" is not a domain name/m);
  });

  it('rejects a group id used twice and a zone served twice', () => {
    expect(
      problems((p) => ((p.groups as { id: string }[])[2]!.id = 'org')).some((e) =>
        /plan\.groups\.2\.id: group id org is used twice/.test(e),
      ),
    ).to.equal(true);
    expect(
      problems((p) => ((p.groups as { zone: string }[])[2]!.zone = 'org.')).some((e) =>
        /plan\.groups\.2\.zone: zone org\. is served by two groups/.test(e),
      ),
    ).to.equal(true);
  });

  it('requires exactly one root group', () => {
    expect(problems((p) => delete (p.groups as { parent?: string }[])[1]!.parent)).to.include(
      'plan.groups: exactly one group must have no parent (the top of the hierarchy), found 2',
    );
    const noRoot = problems((p) => {
      p.groups = [{ id: 'org', zone: 'org.', parent: 'root' }];
    });
    expect(noRoot).to.include(
      'plan.groups: exactly one group must have no parent (the top of the hierarchy), found 0',
    );
  });

  it('requires every parent to be defined earlier and to serve an ancestor zone', () => {
    const later = problems((p) => {
      const groups = p.groups as unknown[];
      p.groups = [groups[0], groups[2], groups[1]];
    });
    expect(later).to.include('plan.groups.1.parent: org is not a group defined before wikipedia-org');
    const notBelow = problems((p) => ((p.groups as { zone: string }[])[2]!.zone = 'wikipedia.com.'));
    expect(notBelow).to.include('plan.groups.2.parent: zone wikipedia.com. is not below org. (group org)');
    const same = problems((p) => {
      (p.groups as unknown[]).push({ id: 'org2', zone: 'ORG.', parent: 'org' });
    });
    expect(same.join('\n')).to.match(/plan\.groups\.3\.(zone|parent)/);
  });

  it('reports every problem at once', () => {
    const found = problems((p) => {
      p.regions = ['eu', 'eu'];
      p.replicasPerGroup = 2;
      (p.groups as { parent?: string }[])[2]!.parent = 'nope';
    });
    expect(found).to.have.length(3);
  });
});

describe('bootstrap/plan: helpers', () => {
  const plan = examplePlan('c1', ['eu']);

  it('finds the group of a name by the longest zone suffix', () => {
    expect(groupForName(plan, 'en.wikipedia.org')?.id).to.equal('wikipedia-org');
    expect(groupForName(plan, 'example.org.')?.id).to.equal('org');
    expect(groupForName(plan, 'example.com.')?.id).to.equal('root');
  });

  it('compares plans by what they say; planDifferences names each difference', () => {
    expect(samePlan(plan, examplePlan('c1', ['eu']))).to.equal(true);
    const other: ClusterPlan = {
      ...plan,
      regions: ['eu', 'us'],
      replicasPerGroup: 5,
      groups: [
        plan.groups[0]!,
        { id: 'org', zone: 'net.', parent: 'root' },
        { id: 'x', zone: 'x.', parent: 'root' },
      ],
    };
    expect(samePlan(plan, other)).to.equal(false);
    expect(planDifferences(plan, other)).to.deep.equal([
      'regions: stored ["eu"], given ["eu","us"]',
      'replicasPerGroup: stored 3, given 5',
      'groups: wikipedia-org is stored but not given',
      'groups: x is given but not stored',
      'groups.org.zone: stored org., given net.',
    ]);
    expect(planDifferences(plan, plan)).to.deep.equal([]);
  });

  it('names slots <region>.<group>.<index>', () => {
    expect(slotKey('eu', 'root', 2)).to.equal('eu.root.2');
  });
});
