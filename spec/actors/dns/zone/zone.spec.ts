import { expect } from 'chai';
import { buildZone, type ZoneError } from '../../../../actors/dns/zone/zone.js';
import { RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import type { ResourceRecord } from '../../../../protocol/dns/wire/record.js';
import { records, rr, zone } from './helpers.js';

const ORIGIN = 'example.';
const BASE = ['@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300', '@ 3600 NS ns1', 'ns1 3600 A 192.0.2.53'];

function errorsOf(extra: readonly string[], base: readonly string[] = BASE): ZoneError[] {
  const built = buildZone(Name.parse(ORIGIN), records(ORIGIN, [...base, ...extra]));
  return built.ok ? [] : [...built.errors];
}

function codes(extra: readonly string[], base: readonly string[] = BASE): string[] {
  return errorsOf(extra, base).map((e) => e.code);
}

describe('dns/zone/zone: validation', () => {
  it('accepts a valid zone and indexes it case-insensitively', () => {
    const z = zone(ORIGIN, [...BASE, 'WWW 300 A 192.0.2.1', 'www 300 A 192.0.2.2', 'a.b.c 60 TXT "deep"']);
    expect(z.node(Name.parse('www.EXAMPLE.'))?.rrsets.get(RR_TYPE.A)?.rdatas).to.have.length(2);
    expect(z.node(Name.parse('www.example.'))?.name.toString()).to.equal('WWW.example.');
    expect(z.exists(Name.parse('b.c.example.'))).to.equal(true, 'empty non-terminal exists');
    expect(z.exists(Name.parse('C.example.'))).to.equal(true);
    expect(z.node(Name.parse('c.example.'))).to.equal(undefined);
    expect(z.exists(Name.parse('x.example.'))).to.equal(false);
    expect(z.soa.serial).to.equal(1);
    expect(z.negativeSoaRecord().ttl).to.equal(300);
  });

  it('merges duplicate records (an RRset is a set, names compared case-insensitively)', () => {
    const z = zone(ORIGIN, [
      ...BASE,
      'w 300 A 192.0.2.1',
      'w 300 A 192.0.2.1',
      'c 300 MX 10 MAIL',
      'c 300 MX 10 mail',
    ]);
    expect(z.rrset(Name.parse('w.example.'), RR_TYPE.A)?.rdatas).to.have.length(1);
    expect(z.rrset(Name.parse('c.example.'), RR_TYPE.MX)?.rdatas).to.have.length(1);
  });

  it('rejects owners outside the zone', () => {
    const errors = errorsOf(['www.example.org. 300 A 192.0.2.1']);
    expect(errors).to.have.length(1);
    expect(errors[0]).to.include({ code: 'owner-outside-zone' });
  });

  it('requires exactly one SOA, at the apex', () => {
    expect(codes([], ['@ 3600 NS ns1'])).to.deep.equal(['soa-missing']);
    expect(codes(['sub 3600 SOA ns1 h 1 2 3 4 5'])).to.deep.equal(['soa-not-at-apex']);
    expect(codes(['@ 3600 SOA ns2 hostmaster 2 7200 3600 1209600 300'])).to.deep.equal(['soa-multiple']);
  });

  it('requires NS at the apex', () => {
    expect(codes([], ['@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300'])).to.deep.equal([
      'ns-missing-at-apex',
    ]);
  });

  it('keeps a CNAME owner exclusive: no other data, one CNAME (RFC 1034 §3.6.2, RFC 2181 §10.1)', () => {
    expect(codes(['w 300 CNAME x', 'w 300 A 192.0.2.1'])).to.deep.equal(['cname-with-other-data']);
    expect(codes(['@ 300 CNAME x'])).to.deep.equal(['cname-with-other-data']);
    expect(codes(['w 300 CNAME x', 'w 300 CNAME y'])).to.deep.equal(['cname-multiple']);
    // RRSIG (46) and NSEC (47) may sit beside a CNAME.
    expect(codes(['w 300 CNAME x', 'w 300 TYPE46 \\# 1 00', 'w 300 TYPE47 \\# 1 00'])).to.deep.equal([]);
    expect(codes(['w 300 CNAME x', 'w 300 TYPE99 \\# 1 00'])).to.deep.equal(['cname-with-other-data']);
  });

  it('checks the TTL range and uniformity within an RRset (RFC 2181 §5.2, §8)', () => {
    expect(codes(['w 2147483647 A 192.0.2.1'])).to.deep.equal([]);
    expect(codes(['w 0 A 192.0.2.1'])).to.deep.equal([]);
    expect(codes(['w 2147483648 A 192.0.2.1'])).to.deep.equal(['ttl-out-of-range']);
    const negative: ResourceRecord = { ...rr('w.example. 1 A 192.0.2.1'), ttl: -1 };
    const fractional: ResourceRecord = { ...rr('w.example. 1 A 192.0.2.1'), ttl: 1.5 };
    const built = buildZone(Name.parse(ORIGIN), [...records(ORIGIN, BASE), negative, fractional]);
    expect(built.ok ? [] : built.errors.map((e) => e.code)).to.deep.equal([
      'ttl-out-of-range',
      'ttl-out-of-range',
    ]);
    const mismatch = errorsOf(['w 300 A 192.0.2.1', 'w 600 A 192.0.2.2']);
    expect(mismatch).to.have.length(1);
    expect(mismatch[0]).to.deep.include({ code: 'ttl-mismatch', type: RR_TYPE.A, ttls: [300, 600] });
  });

  it('rejects wrong class, meta-types and RDATA of another type', () => {
    const ch: ResourceRecord = { ...rr('w.example. 1 A 192.0.2.1'), class: RR_CLASS.CH };
    const any: ResourceRecord = { ...rr('w.example. 1 A 192.0.2.1'), type: RR_TYPE.ANY };
    const wrong: ResourceRecord = { ...rr('w.example. 1 A 192.0.2.1'), type: RR_TYPE.AAAA };
    const opaqueSoa: ResourceRecord = { ...rr('w.example. 1 TYPE65000 \\# 1 00'), type: RR_TYPE.SOA };
    const built = buildZone(Name.parse(ORIGIN), [...records(ORIGIN, BASE), ch, any, wrong, opaqueSoa]);
    expect(built.ok ? [] : built.errors.map((e) => e.code)).to.deep.equal([
      'class-mismatch',
      'meta-type',
      'rdata-type-mismatch',
      'rdata-type-mismatch',
    ]);
  });

  it('knows its cuts and allows only glue at and below them', () => {
    const z = zone(ORIGIN, [
      ...BASE,
      'sub 300 NS ns.sub',
      'ns.sub 300 A 192.0.2.9',
      'sub 300 AAAA 2001:db8::1',
    ]);
    expect(z.isCut(Name.parse('SUB.example.'))).to.equal(true);
    expect(z.isCut(Name.parse('example.'))).to.equal(false, 'the apex NS is not a cut');
    expect(codes(['sub 300 NS ns.sub', 'sub 300 TXT "x"'])).to.deep.equal(['occluded-data']);
    expect(codes(['sub 300 NS ns.sub', 'a.sub 300 MX 1 x'])).to.deep.equal(['occluded-data']);
    expect(codes(['sub 300 NS ns.sub', 'deeper.sub 300 NS ns.sub'])).to.deep.equal(['occluded-data']);
  });

  it('rejects NS at a wildcard owner (RFC 4592 §4.2)', () => {
    expect(codes(['* 300 NS ns1'])).to.deep.equal(['ns-at-wildcard']);
  });

  it('reports every problem at once, never throwing', () => {
    expect(codes(['w 300 CNAME x', 'w 300 TXT "a"', 'o.example.org. 1 A 192.0.2.1'], [])).to.have.members([
      'soa-missing',
      'ns-missing-at-apex',
      'cname-with-other-data',
      'owner-outside-zone',
    ]);
  });
});
