import { expect } from 'chai';
import { type ClusterPlan, examplePlan } from '../../protocol/plan.js';
import { planChange, plannedZoneData } from '../../protocol/plan-change.js';

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

  it('allows adding regions at the end, and lists them', () => {
    expect(planChange(stored, { ...stored, regions: ['r1', 'r2', 'r3', 'r4'] })).to.deep.equal({
      changes: [
        '+ region r3: every group gets 3 slot(s) there; its zones are filled from the other regions by anti-entropy',
        '+ region r4: every group gets 3 slot(s) there; its zones are filled from the other regions by anti-entropy',
      ],
      problems: [],
    });
  });

  it('allows retiring regions (the others keep their order), also while adding one', () => {
    expect(planChange(stored, { ...stored, regions: ['r2'] })).to.deep.equal({
      changes: [
        '- region r1: retired; its replicas leave their groups and stop (point resolvers at other regions first)',
      ],
      problems: [],
    });
    expect(planChange(stored, { ...stored, regions: ['r1', 'r3'] }).changes).to.deep.equal([
      '- region r2: retired; its replicas leave their groups and stop (point resolvers at other regions first)',
      '+ region r3: every group gets 3 slot(s) there; its zones are filled from the other regions by anti-entropy',
    ]);
  });

  it('finds nothing to change in the same plan', () => {
    expect(planChange(stored, stored)).to.deep.equal({ changes: [], problems: [] });
  });

  it('refuses removals, moves, regions reordered, reordering groups, each with its reason', () => {
    const problems = (given: ClusterPlan) => planChange(stored, given).problems.join('\n');
    expect(problems({ ...stored, regions: ['r2', 'r1'] })).to.match(
      /regions: the remaining regions keep their order/,
    );
    expect(problems({ ...stored, regions: ['r3', 'r1', 'r2'] })).to.match(
      /regions: the remaining regions keep their order/,
    );
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
        { zone: 'example.org.', group: 'org' },
      ]).problems.join(),
    ).to.match(/created at runtime/);
    expect(
      planChange(stored, plus({ id: 'ex', zone: 'example.org.', parent: 'org' }), [
        { zone: 'a.b.example.org.', group: 'org' },
      ]).problems.join(),
    ).to.match(/would contain zones the cluster serves \(a\.b\.example\.org\.\)/);
  });

  it('retires a group once it serves no created zone and none lies below its zone', () => {
    const shop = { id: 'shop', zone: 'shop.org.', parent: 'org' };
    const withShop = plus(shop);
    const change = planChange(withShop, stored, [
      { zone: 'example.org.', group: 'wikipedia-org' },
      { zone: 'elsewhere.net.', group: 'root' },
    ]);
    expect(change).to.deep.equal({
      changes: [
        '- group shop: retired; its zone shop.org. goes with it (the delegation in org is removed first), its replicas stop',
      ],
      problems: [],
    });
    const problems = (zones: Parameters<typeof planChange>[2]) =>
      planChange(withShop, stored, zones).problems.join('\n');
    expect(problems([{ zone: 'a.example.net.', group: 'shop' }])).to.match(
      /shop still serves zones created at runtime \(a\.example\.net\.\): move them first \(raftns zone move/,
    );
    expect(problems([{ zone: 'a.example.net.', group: 'root', to: 'shop' }])).to.match(/still serves/);
    expect(problems([{ zone: 'a.example.net.', group: 'root', movedFrom: 'shop' }])).to.match(/still serves/);
    expect(problems([{ zone: 'www.shop.org.', group: 'wikipedia-org' }])).to.match(
      /shop's zone shop\.org\. delegates zones created at runtime \(www\.shop\.org\.\): delete them first/,
    );
    // The others keep their order around the gap.
    const [root, org, wiki] = stored.groups;
    if (root === undefined || org === undefined || wiki === undefined) throw new Error('example plan');
    expect(planChange(plus(shop), { ...stored, groups: [root, org, wiki] }).problems).to.deep.equal([]);
    expect(planChange(plus(shop), { ...stored, groups: [root, wiki, org] }).problems.join()).to.match(
      /keep their order/,
    );
    expect(planChange(stored, { ...stored, groups: [root, org] }).problems).to.deep.equal([]);
  });

  it("finds a retiring group's own data in its planned zone: all but the apex SOA, NS and the nameservers' addresses", () => {
    const rr = (name: string, type: string, ...rdata: string[]) => ({ name, type, ttl: 60, rdata });
    const zone = [
      rr('shop.org.', 'SOA', 'ns-a.shop.org. hostmaster.shop.org. 1 3600 600 604800 60'),
      rr('shop.org.', 'NS', 'ns-a.shop.org.', 'NS-B.shop.org.'),
      rr('ns-a.shop.org.', 'A', '192.0.2.1'),
      rr('ns-b.shop.org.', 'AAAA', '2001:db8::1'),
    ];
    expect(plannedZoneData('shop.org.', zone)).to.deep.equal([]);
    const own = [
      rr('www.shop.org.', 'A', '192.0.2.9'),
      rr('shop.org.', 'MX', '10 mail.shop.org.'),
      rr('ns-a.shop.org.', 'TXT', '"x"'),
    ];
    expect(plannedZoneData('shop.org.', [...zone, ...own])).to.deep.equal(own);
  });
});
