import { expect } from 'chai';
import { type LookupResult, lookup, MAX_CNAME_CHAIN, ZoneSet } from '../../../../actors/dns/zone/lookup.js';
import { RCODE, RR_CLASS } from '../../../../protocol/dns/wire/codes.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { q, text, zone } from './helpers.js';

const SOA = '@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300';
const NEG_SOA = 'example. 300 IN SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300';

function kind(r: LookupResult): string {
  return r.kind;
}

function sections(r: LookupResult): { answers: string[]; authorities: string[]; additionals: string[] } {
  if (r.kind === 'refused') return { answers: [], authorities: [], additionals: [] };
  return { answers: text(r.answers), authorities: text(r.authorities), additionals: text(r.additionals) };
}

describe('dns/zone/lookup: RFC 4592 §2.2.1 example', () => {
  const z = zone('example.', [
    SOA,
    '@ 3600 NS ns.example.com.',
    '@ 3600 NS ns.example.net.',
    '* 3600 TXT "this is a wildcard"',
    '* 3600 MX 10 host1.example.',
    'sub.* 3600 TXT "this is not a wildcard"',
    'host1 3600 A 192.0.2.1',
    '_ssh._tcp.host1 3600 SRV 0 0 22 host1.example.',
    '_ssh._tcp.host2 3600 SRV 0 0 22 host2.example.',
    'subdel 3600 NS ns.example.com.',
    'subdel 3600 NS ns.example.net.',
  ]);
  const zones = [z];

  it('synthesizes from *.example. for names that do not exist', () => {
    const mx = lookup(zones, q('host3.example.', 'MX'));
    expect(kind(mx)).to.equal('answer');
    expect(sections(mx).answers).to.deep.equal(['host3.example. 3600 IN MX 10 host1.example.']);
    const a = lookup(zones, q('host3.example.', 'A'));
    expect(kind(a)).to.equal('nodata');
    expect(sections(a).authorities).to.deep.equal([NEG_SOA]);
    const txt = lookup(zones, q('foo.bar.example.', 'TXT'));
    expect(sections(txt).answers).to.deep.equal(['foo.bar.example. 3600 IN TXT "this is a wildcard"']);
  });

  it('does not synthesize for the listed queries', () => {
    expect(kind(lookup(zones, q('host1.example.', 'MX')))).to.equal('nodata');
    expect(kind(lookup(zones, q('sub.*.example.', 'MX')))).to.equal('nodata');
    expect(kind(lookup(zones, q('_telnet._tcp.host1.example.', 'SRV')))).to.equal('nxdomain');
    expect(kind(lookup(zones, q('host.subdel.example.', 'A')))).to.equal('referral');
    expect(kind(lookup(zones, q('ghost.*.example.', 'MX')))).to.equal('nxdomain');
  });

  it('answers sub.*.example. TXT from its own data, and *.example. itself literally', () => {
    expect(sections(lookup(zones, q('sub.*.example.', 'TXT'))).answers).to.deep.equal([
      'sub.*.example. 3600 IN TXT "this is not a wildcard"',
    ]);
    expect(sections(lookup(zones, q('*.example.', 'MX'))).answers).to.deep.equal([
      '*.example. 3600 IN MX 10 host1.example.',
    ]);
  });

  it('treats _tcp.host1.example. (an empty non-terminal) as existing: NODATA, not a wildcard', () => {
    const r = lookup(zones, q('_tcp.host1.example.', 'TXT'));
    expect(kind(r)).to.equal('nodata');
    expect(r.rcode).to.equal(RCODE.NOERROR);
  });

  it('ANY at a wildcard match returns every synthesized RRset', () => {
    expect(sections(lookup(zones, q('x.example.', 'ANY'))).answers).to.deep.equal([
      'x.example. 3600 IN TXT "this is a wildcard"',
      'x.example. 3600 IN MX 10 host1.example.',
    ]);
  });
});

describe('dns/zone/lookup', () => {
  const z = zone('example.', [
    SOA,
    '@ 3600 NS ns1',
    '@ 3600 NS ns.other.net.',
    'ns1 3600 A 192.0.2.53',
    'WWW 300 A 192.0.2.1',
    'www 300 AAAA 2001:db8::1',
    'alias 300 CNAME www',
    'alias2 300 CNAME ALIAS',
    'out 300 CNAME www.example.org.',
    'dangling 300 CNAME nothing',
    'loop1 300 CNAME loop2',
    'loop2 300 CNAME loop1',
    'todeleg 300 CNAME host.sub',
    'a.b.c 300 TXT "deep"',
    'sub 300 NS ns.sub',
    'sub 300 NS ns1',
    'sub 300 NS ns.elsewhere.org.',
    'ns.sub 300 A 192.0.2.9',
    'ns.sub 300 AAAA 2001:db8::9',
    'sub 300 NS ns.Sub2',
    'ns.sub2 300 A 192.0.2.10',
  ]);
  const zones = [z];

  it('answers with AA and echoes the question name as asked', () => {
    const r = lookup(zones, q('wWw.ExAmple.', 'A'));
    expect(r.kind).to.equal('answer');
    if (r.kind !== 'answer') return;
    expect(r.authoritative).to.equal(true);
    expect(r.rcode).to.equal(RCODE.NOERROR);
    expect(text(r.answers)).to.deep.equal(['wWw.ExAmple. 300 IN A 192.0.2.1']);
    expect(r.authorities).to.deep.equal([]);
  });

  it('follows a CNAME chain inside the zone', () => {
    const r = lookup(zones, q('Alias2.example.', 'AAAA'));
    expect(sections(r).answers).to.deep.equal([
      'Alias2.example. 300 IN CNAME ALIAS.example.',
      'ALIAS.example. 300 IN CNAME www.example.',
      'www.example. 300 IN AAAA 2001:db8::1',
    ]);
    expect(r.kind === 'answer' && r.chainEnd).to.equal(undefined);
    // Asking for the CNAME itself does not follow it.
    expect(sections(lookup(zones, q('alias.example.', 'CNAME'))).answers).to.deep.equal([
      'alias.example. 300 IN CNAME www.example.',
    ]);
  });

  it('stops the chain at an out-of-zone target, a loop, and reports NXDOMAIN for a dangling target', () => {
    const out = lookup(zones, q('out.example.', 'A'));
    expect(out.kind === 'answer' && out.chainEnd).to.equal('out-of-zone');
    expect(sections(out).answers).to.deep.equal(['out.example. 300 IN CNAME www.example.org.']);
    const loop = lookup(zones, q('loop1.example.', 'A'));
    expect(loop.kind === 'answer' && loop.chainEnd).to.equal('loop');
    expect(sections(loop).answers).to.have.length(2);
    const dangling = lookup(zones, q('dangling.example.', 'A'));
    expect(dangling.kind).to.equal('nxdomain');
    expect(dangling.rcode).to.equal(RCODE.NXDOMAIN);
    expect(sections(dangling).answers).to.deep.equal(['dangling.example. 300 IN CNAME nothing.example.']);
    expect(sections(dangling).authorities).to.deep.equal([NEG_SOA]);
  });

  it('limits chain length', () => {
    const lines = [SOA, '@ 3600 NS ns1'];
    for (let i = 0; i < 40; i++) lines.push(`c${i} 60 CNAME c${i + 1}`);
    lines.push('c40 60 A 192.0.2.1');
    const long = zone('example.', lines);
    const r = lookup([long], q('c0.example.', 'A'));
    expect(r.kind === 'answer' && r.chainEnd).to.equal('limit');
    expect(sections(r).answers).to.have.length(MAX_CNAME_CHAIN);
    const short = lookup([long], q(`c${40 - MAX_CNAME_CHAIN + 1}.example.`, 'A'));
    expect(sections(short).answers).to.have.length(MAX_CNAME_CHAIN);
    expect(short.kind === 'answer' && short.chainEnd).to.equal(undefined);
  });

  it('refers below a cut, with in-bailiwick glue first and required', () => {
    const r = lookup(zones, q('a.b.SUB.example.', 'A'));
    expect(r.kind).to.equal('referral');
    if (r.kind !== 'referral') return;
    expect(r.authoritative).to.equal(false);
    expect(r.cut.toString()).to.equal('sub.example.');
    expect(r.answers).to.deep.equal([]);
    expect(text(r.authorities)).to.deep.equal([
      'sub.example. 300 IN NS ns.sub.example.',
      'sub.example. 300 IN NS ns1.example.',
      'sub.example. 300 IN NS ns.elsewhere.org.',
      'sub.example. 300 IN NS ns.Sub2.example.',
    ]);
    expect(text(r.additionals)).to.deep.equal([
      'ns.sub.example. 300 IN A 192.0.2.9',
      'ns.sub.example. 300 IN AAAA 2001:db8::9',
      'ns1.example. 3600 IN A 192.0.2.53',
      'ns.sub2.example. 300 IN A 192.0.2.10',
    ]);
    expect(r.requiredAdditionals).to.equal(2);
    // At the cut itself, even for NS, and from a CNAME into the delegation.
    expect(lookup(zones, q('sub.example.', 'NS')).kind).to.equal('referral');
    const viaCname = lookup(zones, q('todeleg.example.', 'A'));
    expect(viaCname.kind).to.equal('referral');
    expect(viaCname.kind === 'referral' && viaCname.authoritative).to.equal(true);
    expect(sections(viaCname).answers).to.have.length(1);
    // DS at the cut belongs to the parent: we hold none, so NODATA.
    expect(lookup(zones, q('sub.example.', 'TYPE43')).kind).to.equal('nodata');
    expect(lookup(zones, q('x.sub.example.', 'TYPE43')).kind).to.equal('referral');
  });

  it('tells NXDOMAIN from NODATA, counting empty non-terminals as existing (RFC 8020)', () => {
    const nx = lookup(zones, q('nope.example.', 'A'));
    expect(nx.kind).to.equal('nxdomain');
    expect(sections(nx).authorities).to.deep.equal([NEG_SOA]);
    expect(lookup(zones, q('www.example.', 'MX')).kind).to.equal('nodata');
    expect(lookup(zones, q('b.C.example.', 'A')).kind).to.equal('nodata');
    expect(lookup(zones, q('c.example.', 'A')).kind).to.equal('nodata');
    expect(lookup(zones, q('x.c.example.', 'A')).kind).to.equal('nxdomain');
    expect(lookup(zones, q('a.b.c.example.', 'TXT')).kind).to.equal('answer');
  });

  it('uses min(SOA TTL, minimum) for the negative SOA (RFC 2308 §5)', () => {
    const low = zone('example.', ['@ 60 SOA ns1 hostmaster 1 7200 3600 1209600 300', '@ 60 NS ns1']);
    expect(sections(lookup([low], q('x.example.', 'A'))).authorities[0]).to.match(/^example\. 60 IN SOA /);
  });

  it('returns all RRsets for ANY', () => {
    expect(sections(lookup(zones, q('www.example.', 'ANY'))).answers).to.deep.equal([
      'www.example. 300 IN A 192.0.2.1',
      'www.example. 300 IN AAAA 2001:db8::1',
    ]);
    expect(sections(lookup(zones, q('alias.example.', 'ANY'))).answers).to.deep.equal([
      'alias.example. 300 IN CNAME www.example.',
    ]);
  });

  it('refuses names outside served zones and picks the longest matching zone', () => {
    expect(lookup(zones, q('example.org.', 'A')).kind).to.equal('refused');
    expect(lookup(zones, q('.', 'NS')).kind).to.equal('refused');
    expect(lookup(zones, { ...q('www.example.', 'A'), class: RR_CLASS.CH }).kind).to.equal('refused');
    const child = zone('sub.example.', [
      '@ 3600 SOA ns.sub hostmaster 9 7200 3600 1209600 60',
      '@ 3600 NS ns.sub',
      'ns 300 A 192.0.2.9',
      'host 300 A 192.0.2.77',
    ]);
    for (const served of [[z, child], [child, z], new ZoneSet([z, child])]) {
      const r = lookup(served, q('HOST.sub.example.', 'A'));
      expect(r.kind).to.equal('answer');
      expect(sections(r).answers).to.deep.equal(['HOST.sub.example. 300 IN A 192.0.2.77']);
      expect(lookup(served, q('www.example.', 'A')).kind).to.equal('answer');
      const nx = lookup(served, q('nx.sub.example.', 'A'));
      expect(nx.kind !== 'refused' && nx.zone.apex.equals(Name.parse('sub.example.'))).to.equal(true);
    }
  });
});
