import { expect } from 'chai';
import type { RaftClient } from '../../clients/raft-client.js';
import type { DnsChange } from '../../protocol/dns/changes.js';
import { HybridClock } from '../../protocol/dns/version.js';
import { RaftCluster } from '../fixtures/raft-cluster.js';

const ZONE = 'example.net.';

describe('clients/raft-client: DNS batches and reads against a real replica', function () {
  this.timeout(90_000);
  let cluster: RaftCluster;
  let client: RaftClient;
  const clock = new HybridClock('spec', () => Date.now());

  before(async () => {
    cluster = await RaftCluster.start({ replicas: 1 });
    await cluster.waitForLeader(20_000);
    client = await cluster.client();
  });
  after(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('creates a zone, writes records, reads them back, and gets typed refusals', async () => {
    const created = await client.dnsBatch({
      changes: [
        {
          op: 'create-zone',
          zone: ZONE,
          soa: {
            mname: 'ns1',
            rname: 'admin',
            refresh: 3600,
            retry: 600,
            expire: 86400,
            minimum: 60,
            ttl: 3600,
            serial: 7,
          },
          ns: ['ns1'],
          nsTtl: 3600,
        },
      ],
    });
    expect(created).to.deep.equal({ ok: true, serials: { [ZONE]: 7 }, outcomes: ['applied'] });
    const upsert = (name: string, type: string, rdata: string[]): DnsChange => ({
      op: 'upsert',
      zone: ZONE,
      name,
      type,
      ttl: 300,
      rdata,
      version: clock.next(),
    });
    const written = await client.dnsBatch({
      changes: [upsert('www', 'A', ['192.0.2.1']), upsert('@', 'MX', ['10 mail'])],
    });
    expect(written).to.deep.equal({ ok: true, serials: { [ZONE]: 8 }, outcomes: ['applied', 'applied'] });
    for (const mode of ['linearizable', 'lease'] as const) {
      expect(await client.dnsZones(mode)).to.deep.equal([{ zone: ZONE, serial: 8, rrsets: 4 }]);
      const view = await client.dnsRrsets(ZONE, 'www', mode);
      expect(view?.rrsets.map((s) => [s.type, s.rdata])).to.deep.equal([['A', ['192.0.2.1']]]);
    }
    expect(await client.dnsRrsets('nope.', 'www')).to.equal(null);
    const conflict = await client.dnsBatch({ changes: [upsert('www', 'CNAME', ['other'])] });
    expect(conflict.ok || conflict.error.code).to.equal('invalid-zone-data');
    const syntax = await client.dnsBatch({ changes: [upsert('www', 'A', ['not an address'])] });
    expect(syntax.ok || syntax.error.code).to.equal('bad-rdata');
    expect(await client.dnsZones()).to.deep.equal([{ zone: ZONE, serial: 8, rrsets: 4 }]);
  });
});
