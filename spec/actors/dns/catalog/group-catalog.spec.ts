/**
 * The group's catalog as the DNS actor serves it: a valid zone generated from the members,
 * whose serial is the log index of the last change of the member set (or of the dump a
 * copy started from), so it never goes backwards and moves exactly when the set does.
 */
import { expect } from 'chai';
import { GroupCatalog } from '../../../../actors/dns/catalog/group-catalog.js';
import { snapshotZone } from '../../../../actors/dns/transfer/zone-snapshot.js';
import { catalogMemberOwner, catalogZoneName } from '../../../../protocol/dns/catalog-zone.js';
import { RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { Name } from '../../../../protocol/dns/wire/name.js';

const APEX = catalogZoneName('c1', 'g1');
const ORG = Name.parse('example.org.');
const COM = Name.parse('example.com.');

function serialOf(catalog: GroupCatalog): number | undefined {
  return catalog.zone?.soa()?.rdata.serial;
}

function ptrTargets(catalog: GroupCatalog): string[] {
  const zone = catalog.zone;
  if (zone === undefined) return [];
  const out: string[] = [];
  for (const node of zone.nodes())
    for (const rdata of node.rrsets.get(RR_TYPE.PTR)?.rdatas ?? [])
      if (rdata.kind === 'PTR') out.push(rdata.target.toString());
  return out.sort();
}

describe('GroupCatalog (the served catalog zone and its serial)', () => {
  it('serves nothing before its first refresh, then a valid zone listing the members', () => {
    const catalog = new GroupCatalog(APEX);
    expect(catalog.zone).to.equal(undefined);
    expect(catalog.refresh([ORG], 7)).to.equal(true);
    const zone = catalog.zone;
    expect(zone?.checkAll()).to.deep.equal([]);
    expect(ptrTargets(catalog)).to.deep.equal(['example.org.']);
    expect(zone?.rrset(catalogMemberOwner(APEX, ORG), RR_TYPE.PTR)?.rdatas.length).to.equal(1);
    expect(zone?.rrset(APEX.child('version'), RR_TYPE.TXT)?.rdatas.length).to.equal(1);
    expect(serialOf(catalog)).to.equal(7);
    expect(catalog.members).to.equal(1);
  });

  it('moves the serial to the index of each change of the member set, and only then', () => {
    const catalog = new GroupCatalog(APEX);
    catalog.refresh([ORG], 10);
    expect(catalog.refresh([ORG], 11)).to.equal(false);
    expect(catalog.refresh([Name.parse('EXAMPLE.org.')], 12)).to.equal(false);
    expect(serialOf(catalog)).to.equal(10);
    expect(catalog.refresh([ORG, COM], 20)).to.equal(true);
    expect(serialOf(catalog)).to.equal(20);
    expect(ptrTargets(catalog)).to.deep.equal(['example.com.', 'example.org.']);
    expect(catalog.refresh([COM], 30)).to.equal(true);
    expect(serialOf(catalog)).to.equal(30);
    expect(ptrTargets(catalog)).to.deep.equal(['example.com.']);
    expect(catalog.zone?.checkAll()).to.deep.equal([]);
  });

  it('starts a restarted replica at its dump index, never below what it served before', () => {
    const before = new GroupCatalog(APEX);
    before.refresh([ORG], 10);
    before.refresh([ORG, COM], 25);
    // A restart: a new catalog from a dump at index 40 (at least the index of any earlier answer).
    const after = new GroupCatalog(APEX);
    after.refresh([ORG, COM], 40);
    expect(serialOf(after)).to.be.greaterThanOrEqual(serialOf(before) as number);
    expect(ptrTargets(after)).to.deep.equal(ptrTargets(before));
  });

  it('keeps a transfer snapshot taken before a change as it was', () => {
    const catalog = new GroupCatalog(APEX);
    catalog.refresh([ORG], 1);
    const snapshot = snapshotZone(catalog.zone as NonNullable<typeof catalog.zone>);
    catalog.refresh([COM], 2);
    expect(snapshot.serial).to.equal(1);
    const listed = snapshot.nodes.flatMap((n) =>
      n.rrsets.flatMap((s) => s.rdatas.flatMap((r) => (r.kind === 'PTR' ? [r.target.toString()] : []))),
    );
    expect(listed).to.deep.equal(['example.org.']);
    expect(ptrTargets(catalog)).to.deep.equal(['example.com.']);
  });

  it('never lists itself, and wraps the serial mod 2^32', () => {
    const catalog = new GroupCatalog(APEX);
    catalog.refresh([APEX, ORG], 2 ** 32 + 3);
    expect(ptrTargets(catalog)).to.deep.equal(['example.org.']);
    expect(serialOf(catalog)).to.equal(3);
  });
});
