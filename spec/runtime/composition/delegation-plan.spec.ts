import { expect } from 'chai';
import type { RecordVersion } from '../../../protocol/dns/version.js';
import type { DnsNameView } from '../../../protocol/dns/views.js';
import {
  nameserverName,
  nameserverRRsets,
  reconcileChanges,
  staleNameservers,
  withAddresses,
} from '../../../runtime/composition/delegation-plan.js';

const ORG = { id: 'org', zone: 'org.', parent: 'root' };
const members = [
  { instanceId: 'i-2', addresses: ['127.0.1.2'] },
  { instanceId: 'i-1', addresses: ['127.0.1.1', '::1'] },
];
let counter = 0;
const next = (): RecordVersion => ({ hlcMs: 1, counter: ++counter, writer: 't' });
const view = (name: string, rrsets: Array<{ type: string; rdata: string[]; ttl?: number }>): DnsNameView => ({
  zone: 'org.',
  name,
  rrsets: rrsets.map((r) => ({ name, type: r.type, ttl: r.ttl ?? 300, rdata: r.rdata, version: next() })),
  deleted: [],
  nameDeleted: null,
});

describe('bootstrap/delegation-plan', () => {
  it('names one in-bailiwick nameserver per replica, with its addresses', () => {
    expect(nameserverName('I-1', 'org.')).to.equal('ns-i-1.org.');
    expect(nameserverName('i-1', '.')).to.equal('ns-i-1.');
    expect(nameserverRRsets(ORG, members)).to.deep.equal([
      { name: 'org.', type: 'NS', ttl: 300, rdata: ['ns-i-1.org.', 'ns-i-2.org.'] },
      { name: 'ns-i-1.org.', type: 'A', ttl: 300, rdata: ['127.0.1.1'] },
      { name: 'ns-i-1.org.', type: 'AAAA', ttl: 300, rdata: ['::1'] },
      { name: 'ns-i-2.org.', type: 'A', ttl: 300, rdata: ['127.0.1.2'] },
    ]);
  });

  it('writes nothing when the zone already holds the desired data, whatever the case and order', () => {
    const desired = nameserverRRsets(ORG, members);
    const current = new Map([
      ['org.', view('org.', [{ type: 'NS', rdata: ['NS-I-2.org.', 'ns-i-1.org.'] }])],
      [
        'ns-i-1.org.',
        view('ns-i-1.org.', [
          { type: 'A', rdata: ['127.0.1.1'] },
          { type: 'AAAA', rdata: ['::1'] },
        ]),
      ],
      ['ns-i-2.org.', view('ns-i-2.org.', [{ type: 'A', rdata: ['127.0.1.2'] }])],
    ]);
    expect(reconcileChanges('org.', desired, current, [], next)).to.deep.equal([]);
  });

  it('upserts what differs and deletes the addresses of replaced nameservers', () => {
    const desired = nameserverRRsets(ORG, members);
    const current = new Map<string, DnsNameView | null>([
      ['org.', view('org.', [{ type: 'NS', rdata: ['ns-i-1.org.', 'ns-i-9.org.'] }])],
      [
        'ns-i-1.org.',
        view('ns-i-1.org.', [
          { type: 'A', rdata: ['127.0.1.1'], ttl: 60 },
          { type: 'AAAA', rdata: ['::1'] },
        ]),
      ],
      ['ns-i-2.org.', view('ns-i-2.org.', [])],
      ['ns-i-9.org.', view('ns-i-9.org.', [{ type: 'A', rdata: ['127.0.1.9'] }])],
    ]);
    const stale = staleNameservers('org.', desired, current);
    expect(stale).to.deep.equal(['ns-i-9.org.']);
    const changes = reconcileChanges('org.', desired, current, stale, next);
    expect(changes.map((c) => [c.op, 'name' in c ? c.name : '', 'type' in c ? c.type : ''])).to.deep.equal([
      ['upsert', 'org.', 'NS'],
      ['upsert', 'ns-i-1.org.', 'A'],
      ['upsert', 'ns-i-2.org.', 'A'],
      ['delete-name', 'ns-i-9.org.', ''],
    ]);
  });

  it('publishes anycast addresses (a Global Accelerator) for every nameserver, in the zone and as glue', () => {
    const anycast = ['75.2.0.1', '99.83.0.1'];
    expect(withAddresses(members, undefined)).to.equal(members);
    expect(withAddresses(members, [])).to.equal(members);
    const desired = nameserverRRsets(ORG, withAddresses(members, anycast));
    expect(desired).to.deep.equal([
      { name: 'org.', type: 'NS', ttl: 300, rdata: ['ns-i-1.org.', 'ns-i-2.org.'] },
      { name: 'ns-i-1.org.', type: 'A', ttl: 300, rdata: anycast },
      { name: 'ns-i-2.org.', type: 'A', ttl: 300, rdata: anycast },
    ]);
    // The replicas' own addresses in the zone are replaced.
    const current = new Map<string, DnsNameView | null>([
      ['org.', view('org.', [{ type: 'NS', rdata: ['ns-i-1.org.', 'ns-i-2.org.'] }])],
      ['ns-i-1.org.', view('ns-i-1.org.', [{ type: 'A', rdata: ['127.0.1.1'] }])],
      ['ns-i-2.org.', view('ns-i-2.org.', [{ type: 'A', rdata: ['127.0.1.2'] }])],
    ]);
    const changes = reconcileChanges('org.', desired, current, [], next);
    expect(changes.map((c) => (c.op === 'upsert' ? [c.name, c.type, c.rdata] : c.op))).to.deep.equal([
      ['ns-i-1.org.', 'A', anycast],
      ['ns-i-2.org.', 'A', anycast],
    ]);
  });

  it('deletes an address RRset a nameserver no longer has (no stale glue)', () => {
    const ipv4Only = [
      { instanceId: 'i-1', addresses: ['127.0.1.1'] },
      { instanceId: 'i-2', addresses: ['127.0.1.2'] },
    ];
    const desired = nameserverRRsets(ORG, ipv4Only);
    const current = new Map<string, DnsNameView | null>([
      ['org.', view('org.', [{ type: 'NS', rdata: ['ns-i-1.org.', 'ns-i-2.org.'] }])],
      [
        'ns-i-1.org.',
        view('ns-i-1.org.', [
          { type: 'A', rdata: ['127.0.1.1'] },
          { type: 'AAAA', rdata: ['::1'] },
        ]),
      ],
      ['ns-i-2.org.', view('ns-i-2.org.', [{ type: 'A', rdata: ['127.0.1.2'] }])],
    ]);
    const changes = reconcileChanges('org.', desired, current, [], next);
    expect(changes.map((c) => [c.op, 'name' in c ? c.name : '', 'type' in c ? c.type : ''])).to.deep.equal([
      ['delete-rrset', 'ns-i-1.org.', 'AAAA'],
    ]);
  });
});
