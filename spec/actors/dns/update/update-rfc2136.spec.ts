/**
 * The pure RFC 2136 logic (actors/dns/update/): reading the sections (§2.4, §2.5, §3.1.1,
 * §3.2.1, §3.4.1) and evaluating against a zone (§3.2, §3.3, §3.4.2), one row per rcode
 * and per §3.4.2 rule.
 */
import { expect } from 'chai';
import { evaluateUpdate, type UpdateVerdict } from '../../../../actors/dns/update/update-evaluate.js';
import { readUpdateRequest } from '../../../../actors/dns/update/update-request.js';
import { buildZone, type Zone } from '../../../../actors/dns/zone/zone.js';
import { parseClusterTsigKey, type ResolvedTsigKey } from '../../../../protocol/dns/tsig/cluster-key.js';
import { OPCODE, parseRrType, RCODE, RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import type { Message } from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { rdataFromText } from '../../../../protocol/dns/wire/rdata.js';
import type { ResourceRecord } from '../../../../protocol/dns/wire/record.js';
import { queryFlags } from '../../../fixtures/dns-query.js';

const APEX = Name.parse('example.org.');

/** `name class type ttl rdata?` → a record; an empty rdata is the UPDATE's empty RDATA. */
function rr(text: string): ResourceRecord {
  const [name, cls, type, ttl, ...rest] = text.split(' ') as [string, string, string, string, ...string[]];
  const typeCode = parseRrType(type) as number;
  const rdataText = rest.join(' ');
  const parsed = rdataText === '' ? undefined : rdataFromText(typeCode, rdataText, APEX);
  if (parsed !== undefined && !parsed.ok) throw new Error(parsed.error.message);
  return {
    name: Name.parse(name, APEX),
    class: RR_CLASS[cls as keyof typeof RR_CLASS],
    type: typeCode,
    ttl: Number(ttl),
    rdata: parsed === undefined ? { kind: 'opaque', bytes: new Uint8Array(0) } : parsed.rdata,
  };
}

function update(
  prerequisites: string[],
  updates: string[],
  zone = 'example.org.',
  zoneType: number = RR_TYPE.SOA,
): Message {
  return {
    id: 1,
    flags: queryFlags({ opcode: OPCODE.UPDATE }),
    questions: [{ name: Name.parse(zone), type: zoneType, class: RR_CLASS.IN }],
    answers: prerequisites.map(rr),
    authorities: updates.map(rr),
    additionals: [],
  };
}

function zone(): Zone {
  const records = [
    '@ IN SOA 3600 ns1 hostmaster 1 3600 600 604800 60',
    '@ IN NS 3600 ns1',
    'ns1 IN A 300 192.0.2.53',
    'www IN A 300 192.0.2.1',
    'www IN A 300 192.0.2.2',
    'www IN TXT 300 "hello"',
    'alias IN CNAME 300 www',
  ].map(rr);
  const built = buildZone(APEX, records);
  if (!built.ok) throw new Error(JSON.stringify(built.errors));
  return built.zone;
}

function key(policy: object = { zones: ['example.org.'] }): ResolvedTsigKey {
  const parsed = parseClusterTsigKey({ name: 'k.', algorithm: 'hmac-sha256', secret: 'c2VjcmV0', policy });
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.key;
}

function verdict(message: Message, k = key()): UpdateVerdict {
  const request = readUpdateRequest(message);
  if (request.kind === 'formerr') return { kind: 'rcode', rcode: RCODE.FORMERR, why: 'zone section' };
  return evaluateUpdate(request, zone(), k);
}

function rcodeOf(message: Message, k?: ResolvedTsigKey): number {
  const v = verdict(message, k);
  return v.kind === 'rcode' ? v.rcode : RCODE.NOERROR;
}

describe('RFC 2136 UPDATE: sections and rcodes', () => {
  const rows: ReadonlyArray<readonly [string, Message, number]> = [
    ['§3.1.1 ZTYPE not SOA → FORMERR', update([], [], 'example.org.', RR_TYPE.A), RCODE.FORMERR],
    [
      '§3.1.1 a zone we do not serve → NOTAUTH',
      update([], ['x IN A 60 192.0.2.9'], 'other.test.'),
      RCODE.NOTAUTH,
    ],
    ['§3.1.1 a name below the apex as zone → NOTAUTH', update([], [], 'www.example.org.'), RCODE.NOTAUTH],
    ['§3.2.1 prerequisite TTL ≠ 0 → FORMERR', update(['www ANY A 5'], []), RCODE.FORMERR],
    [
      '§3.2.1 prerequisite outside the zone → NOTZONE',
      update(['www.other.test. ANY A 0'], []),
      RCODE.NOTZONE,
    ],
    ['§3.2.1 class ANY with RDATA → FORMERR', update(['www ANY A 0 192.0.2.1'], []), RCODE.FORMERR],
    ['§2.4.1 RRset exists, fails → NXRRSET', update(['www ANY MX 0'], []), RCODE.NXRRSET],
    ['§2.4.1 RRset exists, holds → NOERROR', update(['www ANY A 0'], []), RCODE.NOERROR],
    ['§2.4.2 value-dependent, differs → NXRRSET', update(['www IN A 0 192.0.2.1'], []), RCODE.NXRRSET],
    [
      '§2.4.2 value-dependent, equal → NOERROR',
      update(['www IN A 0 192.0.2.2', 'www IN A 0 192.0.2.1'], []),
      RCODE.NOERROR,
    ],
    ['§2.4.3 RRset absent, fails → YXRRSET', update(['www NONE A 0'], []), RCODE.YXRRSET],
    ['§2.4.4 name in use, fails → NXDOMAIN', update(['nope ANY ANY 0'], []), RCODE.NXDOMAIN],
    ['§2.4.5 name not in use, fails → YXDOMAIN', update(['www NONE ANY 0'], []), RCODE.YXDOMAIN],
    [
      '§3.4.1.3 update outside the zone → NOTZONE',
      update([], ['x.other.test. IN A 60 192.0.2.9']),
      RCODE.NOTZONE,
    ],
    ['§3.4.1.3 add of type ANY → FORMERR', update([], ['x IN ANY 60']), RCODE.FORMERR],
    ['§3.4.1.3 class ANY with TTL ≠ 0 → FORMERR', update([], ['www ANY A 60']), RCODE.FORMERR],
    ['§3.4.1.3 class NONE with TTL ≠ 0 → FORMERR', update([], ['www NONE A 60 192.0.2.1']), RCODE.FORMERR],
    ['§3.4.1.3 class CH → FORMERR', update([], ['www CH A 0']), RCODE.FORMERR],
    [
      '§3.2 a failing prerequisite wins over a bad update',
      update(['www ANY MX 0'], ['www ANY A 60']),
      RCODE.NXRRSET,
    ],
  ];
  for (const [title, message, expected] of rows) it(title, () => expect(rcodeOf(message)).to.equal(expected));

  it('§3.3: a key outside its zones, subtree or types is REFUSED', () => {
    const add = update([], ['www IN TXT 60 "x"']);
    expect(rcodeOf(add, key({ zones: ['other.test.'] }))).to.equal(RCODE.REFUSED);
    expect(rcodeOf(add, key({ zones: ['example.org.'], subtree: '_acme-challenge.example.org.' }))).to.equal(
      RCODE.REFUSED,
    );
    expect(rcodeOf(add, key({ zones: ['example.org.'], types: ['A'] }))).to.equal(RCODE.REFUSED);
    const acme = update([], ['_acme-challenge IN TXT 60 "token"']);
    expect(
      rcodeOf(
        acme,
        key({ zones: ['example.org.'], subtree: '_acme-challenge.example.org.', types: ['TXT'] }),
      ),
    ).to.equal(RCODE.NOERROR);
    // A whole-name deletion needs every type: a key limited to types may not.
    expect(
      rcodeOf(update([], ['www ANY ANY 0']), key({ zones: ['example.org.'], types: ['A', 'TXT'] })),
    ).to.equal(RCODE.REFUSED);
  });
});

describe('RFC 2136 §3.4.2: the changes an UPDATE makes, with guards', () => {
  const changesOf = (message: Message) => {
    const v = verdict(message);
    if (v.kind !== 'changes') return v.kind;
    return v.changes;
  };

  it('adds to an RRset, keeps duplicates out and takes the new TTL', () => {
    expect(changesOf(update([], ['www IN A 120 192.0.2.3', 'www IN A 120 192.0.2.1']))).to.deep.equal([
      {
        op: 'upsert',
        name: 'www.example.org.',
        type: 'A',
        ttl: 120,
        rdata: ['192.0.2.1', '192.0.2.2', '192.0.2.3'],
      },
    ]);
    expect(changesOf(update([], ['www IN A 300 192.0.2.1']))).to.equal('no-change');
  });

  it('ignores SOA adds, CNAME next to other data and other data next to a CNAME; replaces a CNAME', () => {
    expect(changesOf(update([], ['@ IN SOA 60 ns1 h 99 1 1 1 1']))).to.equal('no-change');
    expect(changesOf(update([], ['www IN CNAME 60 alias']))).to.equal('no-change');
    expect(changesOf(update([], ['alias IN A 60 192.0.2.7']))).to.equal('no-change');
    expect(changesOf(update([], ['alias IN CNAME 60 ns1']))).to.deep.equal([
      { op: 'upsert', name: 'alias.example.org.', type: 'CNAME', ttl: 60, rdata: ['ns1.example.org.'] },
    ]);
  });

  it('deletes one RR, an RRset, a name; keeps SOA and NS at the apex', () => {
    expect(changesOf(update([], ['www NONE A 0 192.0.2.1']))).to.deep.equal([
      { op: 'upsert', name: 'www.example.org.', type: 'A', ttl: 300, rdata: ['192.0.2.2'] },
    ]);
    expect(changesOf(update([], ['www NONE A 0 192.0.2.1', 'www NONE A 0 192.0.2.2']))).to.deep.equal([
      { op: 'delete-rrset', name: 'www.example.org.', type: 'A' },
    ]);
    expect(changesOf(update([], ['www ANY TXT 0']))).to.deep.equal([
      { op: 'delete-rrset', name: 'www.example.org.', type: 'TXT' },
    ]);
    expect(changesOf(update([], ['www ANY ANY 0']))).to.deep.equal([
      { op: 'delete-name', name: 'www.example.org.' },
    ]);
    expect(changesOf(update([], ['@ ANY SOA 0', '@ ANY NS 0', '@ NONE NS 0 ns1', '@ ANY ANY 0']))).to.equal(
      'no-change',
    );
  });

  it('the lego/certbot flow: RemoveRRset + Insert in one UPDATE, then delete the one RR', () => {
    const v = verdict(update([], ['_acme-challenge ANY TXT 0', '_acme-challenge IN TXT 120 "token-1"']));
    expect(v.kind === 'changes' && v.changes).to.deep.equal([
      { op: 'upsert', name: '_acme-challenge.example.org.', type: 'TXT', ttl: 120, rdata: ['"token-1"'] },
    ]);
    // Every RRset read is guarded, so a concurrent write makes the commit fail and re-evaluate.
    expect(v.kind === 'changes' && v.guards).to.deep.include({
      kind: 'rrset-absent',
      zone: 'example.org.',
      name: '_acme-challenge.example.org.',
      type: 'TXT',
    });
  });

  it('guards every prerequisite and RRset it read', () => {
    const v = verdict(
      update(['www IN A 0 192.0.2.1', 'www IN A 0 192.0.2.2', 'new NONE ANY 0'], ['new IN A 60 192.0.2.8']),
    );
    expect(v.kind).to.equal('changes');
    if (v.kind !== 'changes') return;
    expect(v.guards).to.have.deep.members([
      {
        kind: 'rrset-equals',
        zone: 'example.org.',
        name: 'www.example.org.',
        type: 'A',
        rdata: ['192.0.2.1', '192.0.2.2'],
      },
      { kind: 'name-absent', zone: 'example.org.', name: 'new.example.org.' },
      { kind: 'rrset-absent', zone: 'example.org.', name: 'new.example.org.', type: 'A' },
    ]);
  });
});
