import { expect } from 'chai';
import { type DnsTransport, Responder, type ZoneFinder } from '../../../../actors/dns/server/responder.js';
import { ZoneSet } from '../../../../actors/dns/zone/lookup.js';
import type { ZoneView } from '../../../../actors/dns/zone/zone-view.js';
import { RCODE, RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { decodeMessage, fullRcode, type Message } from '../../../../protocol/dns/wire/message.js';
import type { Name } from '../../../../protocol/dns/wire/name.js';
import { recordToText } from '../../../../protocol/dns/wire/record.js';
import { zone } from '../zone/helpers.js';
import { decodeOk, exampleZones, makeQuery } from './helpers.js';

const zones = exampleZones();
const texts = (m: Message, section: 'answers' | 'authorities' | 'additionals'): string[] =>
  m[section].map(recordToText);

function ask(
  name: string,
  type: string | number,
  options: Parameters<typeof makeQuery>[2] = {},
  transport: DnsTransport = 'udp',
  responder = new Responder({ identity: 'replica-1' }),
  finder: ZoneFinder = zones,
): Message {
  return decodeOk(responder.respond(makeQuery(name, type, options), transport, finder));
}

describe('dns/server/responder: authoritative answers (RFC 1034 §4.3.2)', () => {
  it('answers with AA, RA and CD clear, the id and RD copied, the question echoed in the asked case', () => {
    const m = ask('WwW.ExAmple.', 'A', { id: 0xbeef, rd: true, cd: true });
    expect(m.id).to.equal(0xbeef);
    expect(m.flags).to.include({ qr: true, aa: true, tc: false, rd: true, ra: false, cd: false, rcode: 0 });
    expect(m.questions.map((q) => q.name.toString())).to.deep.equal(['WwW.ExAmple.']);
    expect(texts(m, 'answers')).to.deep.equal(['WwW.ExAmple. 300 IN A 192.0.2.1']);
    expect(m.edns).to.equal(undefined);
    const plain = ask('www.example.', 'A');
    expect(plain.flags).to.include({ rd: false, cd: false });
  });

  it('follows a CNAME chain inside the zone', () => {
    const m = ask('chain.example.', 'AAAA');
    expect(m.flags).to.include({ aa: true, rcode: 0 });
    expect(texts(m, 'answers')).to.deep.equal([
      'chain.example. 300 IN CNAME alias.example.',
      'alias.example. 300 IN CNAME www.example.',
      'www.example. 300 IN AAAA 2001:db8::1',
    ]);
    expect(texts(ask('away.example.', 'A'), 'answers')).to.deep.equal([
      'away.example. 300 IN CNAME www.example.net.',
    ]);
  });

  it('refers below a cut: NS in authority, glue in additional, AA clear', () => {
    const m = ask('host.child.example.', 'A');
    expect(m.flags).to.include({ aa: false, rcode: 0 });
    expect(texts(m, 'answers')).to.deep.equal([]);
    expect(texts(m, 'authorities')).to.deep.equal([
      'child.example. 3600 IN NS ns.child.example.',
      'child.example. 3600 IN NS ns1.example.',
    ]);
    expect(texts(m, 'additionals')).to.deep.equal([
      'ns.child.example. 3600 IN A 192.0.2.10',
      'ns1.example. 3600 IN A 192.0.2.53',
    ]);
  });

  it('denies with the SOA in authority (RFC 2308 §3): NXDOMAIN and NODATA', () => {
    const soa = 'example. 300 IN SOA ns1.example. hostmaster.example. 1 7200 3600 1209600 300';
    const nx = ask('nope.example.', 'A');
    expect(nx.flags).to.include({ aa: true, rcode: RCODE.NXDOMAIN });
    expect(texts(nx, 'answers')).to.deep.equal([]);
    expect(texts(nx, 'authorities')).to.deep.equal([soa]);
    const nodata = ask('www.example.', 'MX');
    expect(nodata.flags).to.include({ aa: true, rcode: RCODE.NOERROR });
    expect(texts(nodata, 'answers')).to.deep.equal([]);
    expect(texts(nodata, 'authorities')).to.deep.equal([soa]);
  });

  it('synthesizes from a wildcard with the query name as owner', () => {
    const m = ask('Any.Thing.wild.example.', 'TXT');
    expect(m.flags).to.include({ aa: true, rcode: 0 });
    expect(texts(m, 'answers')).to.deep.equal(['Any.Thing.wild.example. 300 IN TXT "wild"']);
  });

  it('refuses names outside the zones, without recursion, RD copied', () => {
    const m = ask('www.example.net.', 'A', { rd: true });
    expect(m.flags).to.include({ aa: false, ra: false, rd: true, rcode: RCODE.REFUSED });
    expect(m.questions.map((q) => q.name.toString())).to.deep.equal(['www.example.net.']);
    expect(m.answers.length + m.authorities.length + m.additionals.length).to.equal(0);
    expect(ask('www.example.', 'A', { rrClass: RR_CLASS.ANY }).flags.rcode).to.equal(RCODE.REFUSED);
  });

  it('ANY (RFC 8482 §4.1): one RRset of the name, over UDP and over TCP alike', () => {
    const udp = ask('www.example.', 'ANY');
    expect(texts(udp, 'answers')).to.deep.equal(['www.example. 300 IN A 192.0.2.1']);
    expect(udp.flags).to.include({ aa: true, tc: false, rcode: RCODE.NOERROR });
    const tcp = ask('www.example.', 'ANY', {}, 'tcp');
    expect(texts(tcp, 'answers')).to.deep.equal(['www.example. 300 IN A 192.0.2.1']);
  });
});

describe('dns/server/responder: malformed and unsupported queries', () => {
  const responder = new Responder({ identity: 'replica-1' });
  const good = makeQuery('www.example.', 'A', { id: 0x0102, rd: true });

  function rcodeOf(bytes: Uint8Array): { id: number; rcode: number; qr: boolean; counts: number[] } {
    const out = responder.respond(bytes, 'udp', zones);
    expect(out).to.not.equal(null);
    const m = decodeOk(out);
    return {
      id: m.id,
      rcode: fullRcode(m),
      qr: m.flags.qr,
      counts: [m.questions.length, m.answers.length, m.authorities.length, m.additionals.length],
    };
  }

  it('drops what has no readable header, and responses', () => {
    expect(responder.respond(new Uint8Array(0), 'udp', zones)).to.equal(null);
    expect(responder.respond(good.subarray(0, 11), 'udp', zones)).to.equal(null);
    const response = good.slice();
    response[2] = (response[2] as number) | 0x80;
    expect(responder.respond(response, 'udp', zones)).to.equal(null);
  });

  it('FORMERR (RFC 1035 §4.1.1) with the id for QDCOUNT 0 or 2, a cut question, trailing bytes', () => {
    const noQuestion = good.slice(0, 12);
    noQuestion[5] = 0;
    expect(rcodeOf(noQuestion)).to.deep.equal({
      id: 0x0102,
      rcode: RCODE.FORMERR,
      qr: true,
      counts: [0, 0, 0, 0],
    });
    const two = good.slice();
    two[5] = 2;
    expect(rcodeOf(two).rcode).to.equal(RCODE.FORMERR);
    expect(rcodeOf(good.subarray(0, good.length - 1)).rcode).to.equal(RCODE.FORMERR);
    expect(rcodeOf(good.subarray(0, 14)).rcode).to.equal(RCODE.FORMERR);
    const trailing = new Uint8Array(good.length + 3);
    trailing.set(good);
    expect(rcodeOf(trailing).rcode).to.equal(RCODE.FORMERR);
    const header = responder.respond(two, 'udp', zones) as Uint8Array;
    expect((header[2] as number) & 0x01, 'RD copied').to.equal(1);
  });

  it('FORMERR for two OPT records (RFC 6891 §6.1.1) and for OPT as the question type', () => {
    const withOpt = makeQuery('www.example.', 'A', { edns: {} });
    const opt = withOpt.subarray(withOpt.length - 11);
    const doubled = new Uint8Array(withOpt.length + 11);
    doubled.set(withOpt);
    doubled.set(opt, withOpt.length);
    doubled[11] = 2;
    expect(decodeMessage(doubled).ok).to.equal(false);
    expect(rcodeOf(doubled).rcode).to.equal(RCODE.FORMERR);
    expect(rcodeOf(makeQuery('www.example.', RR_TYPE.OPT)).rcode).to.equal(RCODE.FORMERR);
  });

  it('NOTIMP for opcodes other than QUERY, and for AXFR and IXFR', () => {
    for (const opcode of [1, 2, 4, 5, 15]) {
      const out = rcodeOf(makeQuery('www.example.', 'A', { opcode }));
      expect(out.rcode, `opcode ${opcode}`).to.equal(RCODE.NOTIMP);
    }
    const bytes = responder.respond(
      makeQuery('www.example.', 'A', { opcode: 4 }),
      'udp',
      zones,
    ) as Uint8Array;
    expect(decodeOk(bytes).flags.opcode).to.equal(4);
    for (const type of ['AXFR', 'IXFR']) {
      const m = ask('example.', type, {}, 'tcp');
      expect(m.flags.rcode, type).to.equal(RCODE.NOTIMP);
      expect(m.questions.length).to.equal(1);
    }
  });
});

describe('dns/server/responder: EDNS (RFC 6891) and NSID (RFC 5001)', () => {
  it('echoes an OPT with our payload size and the DO bit', () => {
    const m = ask('www.example.', 'A', { edns: { udpPayloadSize: 4096, dnssecOk: true } });
    expect(m.edns).to.deep.include({ udpPayloadSize: 1232, version: 0, extendedRcode: 0, dnssecOk: true });
    expect(m.edns?.options).to.deep.equal([]);
    const custom = ask(
      'www.example.',
      'A',
      { edns: {} },
      'udp',
      new Responder({ identity: 'r', maxUdpPayload: 1400 }),
    );
    expect(custom.edns?.udpPayloadSize).to.equal(1400);
    expect(ask('www.example.', 'A', { edns: { dnssecOk: false } }).edns?.dnssecOk).to.equal(false);
  });

  it('BADVERS (RFC 6891 §6.1.3) for EDNS version 1, with an OPT of version 0', () => {
    const m = ask('www.example.', 'A', { edns: { version: 1 } });
    expect(fullRcode(m)).to.equal(RCODE.BADVERS);
    expect(m.edns).to.deep.include({ version: 0, extendedRcode: 1 });
    expect(m.answers).to.deep.equal([]);
  });

  it('returns NSID when asked, and not otherwise', () => {
    const m = ask('www.example.', 'A', { edns: { options: [{ code: 3, data: new Uint8Array(0) }] } });
    expect(m.edns?.options.map((o) => [o.code, new TextDecoder().decode(o.data)])).to.deep.equal([
      [3, 'replica-1'],
    ]);
    expect(
      ask('www.example.', 'A', { edns: { options: [{ code: 10, data: new Uint8Array(8) }] } }).edns?.options,
    ).to.deep.equal([]);
  });
});

describe('dns/server/responder: size limits and TC', () => {
  it('truncates at 512 without EDNS, at min(client, ours) with EDNS, never over TCP', () => {
    const noEdns = ask('big.example.', 'TXT');
    expect(noEdns.flags.tc).to.equal(true);
    const bytes = new Responder({ identity: 'r' }).respond(makeQuery('big.example.', 'TXT'), 'udp', zones);
    expect(bytes?.length).to.be.at.most(512);
    const small = new Responder({ identity: 'r' }).respond(
      makeQuery('big.example.', 'TXT', { edns: { udpPayloadSize: 4096 } }),
      'udp',
      zones,
    ) as Uint8Array;
    expect(small.length).to.be.at.most(1232).and.above(512);
    expect(decodeOk(small).flags.tc).to.equal(true);
    expect(decodeOk(small).edns, 'OPT kept when truncated').to.not.equal(undefined);
    // A payload size below 512 counts as 512 (RFC 6891 §6.2.5).
    const tiny = new Responder({ identity: 'r' }).respond(
      makeQuery('www.example.', 'A', { edns: { udpPayloadSize: 100 } }),
      'udp',
      zones,
    );
    expect(decodeOk(tiny).flags.tc).to.equal(false);
    const tcp = ask('big.example.', 'TXT', {}, 'tcp');
    expect(tcp.flags.tc).to.equal(false);
    expect(tcp.answers.length).to.equal(30);
  });

  it('drops optional glue first without TC; dropping required glue sets TC', () => {
    const records = ['@ 3600 SOA ns1 h 1 1 1 1 300', '@ 3600 NS ns1', 'ns1 3600 A 192.0.2.1'];
    for (let i = 0; i < 20; i++) records.push(`d 60 NS ns${i}.d`, `ns${i}.d 60 A 192.0.2.${i + 10}`);
    for (let i = 0; i < 20; i++) records.push(`o 60 NS n${i}`, `n${i} 60 AAAA 2001:db8::${i + 1}`);
    const z = new ZoneSet([zone('t.', records)]);
    const required = decodeOk(new Responder({ identity: 'r' }).respond(makeQuery('x.d.t.', 'A'), 'udp', z));
    expect(required.flags.tc).to.equal(true);
    const optional = decodeOk(new Responder({ identity: 'r' }).respond(makeQuery('x.o.t.', 'A'), 'udp', z));
    expect(optional.authorities.length).to.equal(20);
    expect(optional.additionals.length).to.be.below(20);
    expect(optional.flags.tc).to.equal(false);
  });
});

describe('dns/server/responder: CHAOS (RFC 4892)', () => {
  it('answers id.server. and hostname.bind. TXT with the identity, version.* with the version, refuses the rest', () => {
    for (const name of ['id.server.', 'HOSTNAME.bind.']) {
      const m = ask(name, 'TXT', { rrClass: RR_CLASS.CH });
      expect(m.flags).to.include({ aa: true, rcode: 0 });
      expect(texts(m, 'answers')).to.deep.equal([`${name} 0 CH TXT "replica-1"`]);
    }
    for (const name of ['version.bind.', 'VERSION.server.']) {
      const m = ask(name, 'TXT', { rrClass: RR_CLASS.CH });
      expect(m.flags).to.include({ aa: true, rcode: 0 });
      expect(texts(m, 'answers')).to.deep.equal([`${name} 0 CH TXT "raftns 0.1.0"`]);
    }
    const custom = new Responder({ identity: 'replica-1', version: 'ask the operator' });
    expect(
      texts(ask('version.bind.', 'TXT', { rrClass: RR_CLASS.CH }, 'udp', custom), 'answers'),
    ).to.deep.equal(['version.bind. 0 CH TXT "ask the operator"']);
    expect(() => new Responder({ identity: 'r', version: 'v'.repeat(256) })).to.throw(RangeError);
    for (const name of ['authors.bind.', 'www.example.'])
      expect(ask(name, 'TXT', { rrClass: RR_CLASS.CH }).flags.rcode, name).to.equal(RCODE.REFUSED);
    expect(ask('id.server.', 'A', { rrClass: RR_CLASS.CH }).flags.rcode).to.equal(RCODE.REFUSED);
  });
});

/** A zone whose content can be swapped: the generation moves on each swap. */
class SwappableZone implements ZoneView {
  generation = 1;
  constructor(private current: ZoneView) {}
  swap(next: ZoneView): void {
    this.current = next;
    this.generation++;
  }
  get apex(): Name {
    return this.current.apex;
  }
  get rrClass(): number {
    return this.current.rrClass;
  }
  get hasCuts(): boolean {
    return this.current.hasCuts;
  }
  contains(name: Name): boolean {
    return this.current.contains(name);
  }
  node(name: Name) {
    return this.current.node(name);
  }
  rrset(name: Name, type: number) {
    return this.current.rrset(name, type);
  }
  exists(name: Name): boolean {
    return this.current.exists(name);
  }
  isCut(name: Name): boolean {
    return this.current.isCut(name);
  }
  soaRecord() {
    return this.current.soaRecord();
  }
  negativeSoaRecord() {
    return this.current.negativeSoaRecord();
  }
}

describe('dns/server/responder: the response cache', () => {
  const cases: Array<[string, string, Parameters<typeof makeQuery>[2], DnsTransport]> = [
    ['WWW.example.', 'A', {}, 'udp'],
    ['Chain.Example.', 'AAAA', { edns: { dnssecOk: true } }, 'udp'],
    ['x.CHILD.example.', 'A', { edns: { options: [{ code: 3, data: new Uint8Array(0) }] } }, 'tcp'],
    ['NOPE.example.', 'TXT', {}, 'tcp'],
    ['BIG.example.', 'TXT', { edns: { udpPayloadSize: 700 } }, 'udp'],
    ['Big.example.', 'TXT', {}, 'udp'],
    ['a.B.wild.example.', 'ANY', {}, 'udp'],
    ['ID.server.', 'TXT', { rrClass: RR_CLASS.CH }, 'udp'],
    ['elsewhere.', 'A', {}, 'udp'],
  ];

  it('a hit equals a miss byte for byte, once the id and the question case are set', () => {
    const cached = new Responder({ identity: 'r1' });
    const uncached = new Responder({ identity: 'r1', cacheEntries: 0 });
    for (const [name, type, options, transport] of cases) {
      const lower = makeQuery(name.toLowerCase(), type, { ...options, id: 1 });
      const asked = makeQuery(name, type, { ...options, id: 2, rd: true });
      const miss = cached.respond(lower, transport, zones);
      const hit = cached.respond(asked, transport, zones);
      const reference = uncached.respond(asked, transport, zones);
      expect(hit, name).to.deep.equal(reference);
      // Only the id, RD and the question name's letters differ from the first answer.
      const expected = (miss as Uint8Array).slice();
      expected.set(asked.subarray(0, 2), 0);
      expected[2] = (expected[2] as number) | 1;
      expected.set(asked.subarray(12, 12 + name.length + 1), 12);
      expect(hit, name).to.deep.equal(expected);
    }
    expect(cached.stats()).to.include({
      cacheHits: cases.length,
      cacheMisses: cases.length,
      internalErrors: 0,
    });
    expect(uncached.stats().cacheEntries).to.equal(0);
  });

  it('recomputes when the zone generation moves', () => {
    const v1 = zone('g.', ['@ 60 SOA ns h 1 1 1 1 60', '@ 60 NS ns', 'www 60 A 192.0.2.1']);
    const v2 = zone('g.', ['@ 60 SOA ns h 2 1 1 1 60', '@ 60 NS ns', 'www 60 A 192.0.2.2']);
    const live = new SwappableZone(v1);
    const finder = new ZoneSet([live]);
    const responder = new Responder({ identity: 'r' });
    const answer = () => texts(ask('www.g.', 'A', {}, 'udp', responder, finder), 'answers');
    expect(answer()).to.deep.equal(['www.g. 60 IN A 192.0.2.1']);
    expect(answer()).to.deep.equal(['www.g. 60 IN A 192.0.2.1']);
    expect(responder.stats()).to.include({ cacheHits: 1, cacheMisses: 1 });
    live.swap(v2);
    expect(answer()).to.deep.equal(['www.g. 60 IN A 192.0.2.2']);
    expect(responder.stats()).to.include({ cacheHits: 1, cacheMisses: 2 });
    // A zone removed from the set: the cached answer is not served.
    const empty = new ZoneSet([]);
    expect(ask('www.g.', 'A', {}, 'udp', responder, empty).flags.rcode).to.equal(RCODE.REFUSED);
  });

  it('is bounded, evicting an entry not used since the hand last passed (CLOCK)', () => {
    const responder = new Responder({ identity: 'r', cacheEntries: 2 });
    const q = (name: string) => responder.respond(makeQuery(name, 'A'), 'udp', zones);
    q('a.example.');
    q('b.example.');
    q('a.example.');
    q('c.example.');
    expect(responder.stats()).to.include({ cacheEntries: 2, cacheHits: 1, cacheMisses: 3 });
    q('a.example.');
    expect(responder.stats().cacheHits).to.equal(2);
    q('b.example.');
    expect(responder.stats().cacheMisses).to.equal(4);
  });

  it('rejects bad options', () => {
    expect(() => new Responder({ identity: '' })).to.throw(RangeError);
    expect(() => new Responder({ identity: 'x'.repeat(201) })).to.throw(RangeError);
    expect(() => new Responder({ identity: 'x', maxUdpPayload: 511 })).to.throw(RangeError);
    expect(() => new Responder({ identity: 'x', cacheEntries: -1 })).to.throw(RangeError);
  });
});

describe('dns/server/responder: error answers (SERVFAIL for a read mode that cannot be honoured)', () => {
  it('echoes the question, RD and the OPT record, with only the rcode', () => {
    const responder = new Responder({ identity: 'r1' });
    const query = makeQuery('WwW.example.', 'A', { id: 77, rd: true, edns: {} });
    const answer = decodeOk(responder.errorResponse(query, RCODE.SERVFAIL));
    expect(answer.id).to.equal(77);
    expect(answer.flags).to.include({ qr: true, aa: false, rd: true, rcode: RCODE.SERVFAIL });
    expect(answer.questions.map((q) => q.name.toString())).to.deep.equal(['WwW.example.']);
    expect(answer.answers).to.deep.equal([]);
    expect(answer.edns?.version).to.equal(0);
  });

  it('answers an unparseable question with the header alone, and never a response or a runt', () => {
    const responder = new Responder({ identity: 'r1' });
    const query = makeQuery('www.example.', 'A', { id: 5 });
    const cut = query.slice(0, 14);
    const answer = responder.errorResponse(cut, RCODE.SERVFAIL);
    expect(answer?.length).to.equal(12);
    expect((answer?.[3] ?? 0xff) & 0x0f).to.equal(RCODE.SERVFAIL);
    const response = query.slice();
    response[2] = response[2]! | 0x80;
    expect(responder.errorResponse(response, RCODE.SERVFAIL)).to.equal(null);
    expect(responder.errorResponse(query.slice(0, 5), RCODE.SERVFAIL)).to.equal(null);
  });
});
