import { expect } from 'chai';
import {
  changesByZone,
  changesSchema,
  EndpointError,
  endpointOf,
  replaceChange,
  txtContent,
  zoneOf,
} from '../../../clients/externaldns/webhook-endpoints.js';

const changes = (value: unknown) => changesSchema.parse(value);

describe('ExternalDNS endpoints ↔ raftns RRsets', () => {
  it('quotes a TXT target, escapes it, and splits it into strings of at most 255 bytes', () => {
    expect(txtContent('"already quoted"')).to.equal('"already quoted"');
    expect(txtContent('say "hi" \\ bye')).to.equal('"say \\"hi\\" \\\\ bye"');
    const long = `${'a'.repeat(254)}é${'b'.repeat(10)}`;
    // é is two bytes: it does not fit after 254 one-byte characters and starts the next string.
    expect(txtContent(long)).to.equal(`"${'a'.repeat(254)}" "é${'b'.repeat(10)}"`);
  });

  it('writes names in targets absolute, and lists them without the final dot', () => {
    const write = replaceChange({
      dnsName: 'Srv.Example.org',
      recordType: 'srv',
      targets: ['0 5 5060 sip.example.org'],
    });
    expect(write).to.deep.equal({
      name: 'srv.example.org.',
      type: 'SRV',
      changetype: 'REPLACE',
      ttl: 300,
      records: [{ content: '0 5 5060 sip.example.org.', disabled: false }],
    });
    expect(
      endpointOf({
        name: 'srv.example.org.',
        type: 'SRV',
        ttl: 60,
        records: [{ content: '0 5 5060 sip.example.org.', disabled: false }],
      }),
    ).to.deep.equal({
      dnsName: 'srv.example.org',
      recordType: 'SRV',
      recordTTL: 60,
      targets: ['0 5 5060 sip.example.org'],
      labels: {},
    });
    expect(endpointOf({ name: 'example.org.', type: 'SOA', ttl: 60, records: [] })).to.equal(null);
  });

  it('finds the longest zone holding a name', () => {
    const zones = ['example.org.', 'sub.example.org.', 'other.net.'];
    expect(zoneOf('a.sub.example.org', zones)).to.equal('sub.example.org.');
    expect(zoneOf('sub.example.org', zones)).to.equal('sub.example.org.');
    expect(zoneOf('xsub.example.org', zones)).to.equal('example.org.');
    expect(zoneOf('example.com', zones)).to.equal(null);
  });

  it('groups changes by zone, deletions first, and keeps an RRset both deleted and written', () => {
    const byZone = changesByZone(
      changes({
        create: [{ dnsName: 'new.a.test', targets: ['192.0.2.1'], recordType: 'A' }],
        updateOld: [{ dnsName: 'www.b.test', targets: ['192.0.2.2'], recordType: 'A' }],
        updateNew: [{ dnsName: 'www.b.test', targets: ['192.0.2.3'], recordType: 'A' }],
        delete: [{ dnsName: 'old.a.test', targets: ['192.0.2.4'], recordType: 'A' }],
      }),
      ['a.test.', 'b.test.'],
    );
    expect([...byZone.keys()].sort()).to.deep.equal(['a.test.', 'b.test.']);
    expect(byZone.get('a.test.')?.map((c) => `${c.changetype} ${c.name}`)).to.deep.equal([
      'DELETE old.a.test.',
      'REPLACE new.a.test.',
    ]);
    expect(byZone.get('b.test.')?.map((c) => `${c.changetype} ${c.name}`)).to.deep.equal([
      'REPLACE www.b.test.',
    ]);
  });

  it('refuses routing policies, empty target lists, a name written twice and names outside every zone', () => {
    const refused = (value: unknown) => () => changesByZone(changes(value), ['a.test.']);
    expect(
      refused({
        create: [{ dnsName: 'x.a.test', targets: ['192.0.2.1'], recordType: 'A', setIdentifier: 'eu' }],
      }),
    ).to.throw(EndpointError, /routing policy/);
    expect(refused({ create: [{ dnsName: 'x.a.test', targets: [], recordType: 'A' }] })).to.throw(
      EndpointError,
      /no targets/,
    );
    expect(
      refused({
        create: [{ dnsName: 'x.a.test', targets: ['192.0.2.1'], recordType: 'A' }],
        updateNew: [{ dnsName: 'X.a.test', targets: ['192.0.2.2'], recordType: 'A' }],
      }),
    ).to.throw(EndpointError, /written twice/);
    expect(refused({ create: [{ dnsName: 'x.b.test', targets: ['192.0.2.1'], recordType: 'A' }] })).to.throw(
      EndpointError,
      /in no zone/,
    );
  });
});
