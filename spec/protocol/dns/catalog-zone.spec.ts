/**
 * The catalog zone's records (RFC 9432 §4): the name under `invalid.`, SOA and NS
 * `invalid.` (§4.1, §4.2), `version` TXT "2" (§4.2.1), one PTR per member at
 * `<unique-id>.zones` (§4.3) with an id that depends on the member's name alone (§4.3.1).
 */
import { expect } from 'chai';
import {
  CATALOG_MEMBERS_MAX,
  catalogMemberId,
  catalogMemberOwner,
  catalogRecords,
  catalogZoneName,
  fitsAsCatalog,
} from '../../../protocol/dns/catalog-zone.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import { recordToText } from '../../../protocol/dns/wire/record.js';

const CATALOG = catalogZoneName('prod', 'g1');

describe('catalog zone records (RFC 9432)', () => {
  it('names one catalog per group under invalid. (RFC 6761 §6.4)', () => {
    expect(CATALOG.toString()).to.equal('catalog.g1.prod.raftns.invalid.');
    expect(catalogZoneName('prod', 'g2').equals(CATALOG)).to.equal(false);
  });

  it('refuses a catalog name that leaves no room for its member owners (255 octets)', () => {
    // A group id and a cluster name are single labels: their catalog always fits.
    const longest = catalogZoneName('c'.repeat(63), 'g'.repeat(63));
    expect(catalogMemberOwner(longest, Name.parse('example.org.')).wireLength).to.be.at.most(255);
    // A configured name: 228 octets fit (a member owner then has 255), 229 do not.
    const label = (n: number) => 'x'.repeat(n);
    const of = (octets: number) =>
      Name.fromLabels([label(63), label(63), label(63), label(octets - 1 - 3 * 64 - 1)]);
    expect(of(228).wireLength).to.equal(228);
    expect(fitsAsCatalog(of(228))).to.equal(true);
    expect(catalogMemberOwner(of(228), Name.parse('example.org.')).wireLength).to.equal(255);
    expect(fitsAsCatalog(of(229))).to.equal(false);
  });

  it('gives SOA, NS invalid., version TXT "2" and one PTR per member at <id>.zones', () => {
    const members = [Name.parse('example.org.'), Name.parse('example.com.')];
    const text = catalogRecords(CATALOG, members, 42).map(recordToText);
    expect(text).to.deep.equal([
      'catalog.g1.prod.raftns.invalid. 0 IN SOA invalid. invalid. 42 60 30 2419200 0',
      'catalog.g1.prod.raftns.invalid. 0 IN NS invalid.',
      'version.catalog.g1.prod.raftns.invalid. 0 IN TXT "2"',
      // Sorted by id: 3ebe… (example.com.) before 4cc4… (example.org.).
      '3ebef312509f797c5bb0.zones.catalog.g1.prod.raftns.invalid. 0 IN PTR example.com.',
      '4cc4895e602643ea315d.zones.catalog.g1.prod.raftns.invalid. 0 IN PTR example.org.',
    ]);
  });

  it('keeps a member id stable: a function of the name alone, case ignored (§4.3.1)', () => {
    // Pinned: `printf 'example.org.' | sha256sum | cut -c1-20`.
    expect(catalogMemberId(Name.parse('example.org.'))).to.equal('4cc4895e602643ea315d');
    expect(catalogMemberId(Name.parse('Example.ORG.'))).to.equal('4cc4895e602643ea315d');
    expect(catalogMemberOwner(CATALOG, Name.parse('example.org.')).toString()).to.equal(
      '4cc4895e602643ea315d.zones.catalog.g1.prod.raftns.invalid.',
    );
    const ids = new Set<string>();
    for (let i = 0; i < 2_000; i++) ids.add(catalogMemberId(Name.parse(`zone${i}.example.`)));
    expect(ids.size).to.equal(2_000);
  });

  it('lists a member once, whatever the case it is given in, and the order does not matter', () => {
    const a = catalogRecords(CATALOG, [Name.parse('a.example.'), Name.parse('B.example.')], 1).map(
      recordToText,
    );
    const b = catalogRecords(CATALOG, [Name.parse('b.example.'), Name.parse('A.example.')], 1).map(
      recordToText,
    );
    expect(a.length).to.equal(5);
    expect(a.map((t) => t.toLowerCase())).to.deep.equal(b.map((t) => t.toLowerCase()));
    const dup = catalogRecords(CATALOG, [Name.parse('a.example.'), Name.parse('A.EXAMPLE.')], 1);
    expect(dup.length).to.equal(4);
  });

  it('writes the serial mod 2^32 and refuses more members than its limit', () => {
    const [soa] = catalogRecords(CATALOG, [], 2 ** 32 + 5);
    expect(soa?.rdata.kind === 'SOA' && soa.rdata.serial).to.equal(5);
    const many = Array.from({ length: CATALOG_MEMBERS_MAX + 1 }, (_, i) => Name.parse(`z${i}.example.`));
    expect(() => catalogRecords(CATALOG, many, 1)).to.throw(RangeError);
  });
});
