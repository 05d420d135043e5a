/**
 * The responder over a `ZoneReplica` kept current by store deltas, as the DNS actor runs
 * it: cached answers must never outlive a change of the zone or of the zone set.
 */
import { expect } from 'chai';
import { Responder } from '../../../../actors/dns/server/responder.js';
import { DnsStore } from '../../../../actors/dns/store/dns-store.js';
import { ZoneReplica } from '../../../../actors/dns/store/zone-replica.js';
import type { DnsChange } from '../../../../protocol/dns/changes.js';
import { RCODE } from '../../../../protocol/dns/wire/codes.js';
import { rdataToText } from '../../../../protocol/dns/wire/rdata.js';
import { decodeOk, makeQuery } from './helpers.js';

const ZONE = 'live.example.';
let counter = 0;
const version = () => ({ hlcMs: 1, counter: ++counter, writer: 'w' });
const createZone: DnsChange = {
  op: 'create-zone',
  zone: ZONE,
  soa: { mname: `ns.${ZONE}`, rname: `admin.${ZONE}`, refresh: 1, retry: 1, expire: 1, minimum: 1, ttl: 60 },
  ns: [`ns.${ZONE}`],
  nsTtl: 60,
};
const setA = (address: string): DnsChange => ({
  op: 'upsert',
  zone: ZONE,
  name: `www.${ZONE}`,
  type: 'A',
  ttl: 60,
  rdata: [address],
  version: version(),
});

function answerOf(responder: Responder, replica: ZoneReplica): { rcode: number; data: string[] } {
  const message = decodeOk(responder.respond(makeQuery(`www.${ZONE}`, 'A'), 'udp', replica));
  return {
    rcode: message.flags.rcode,
    data: message.answers.map((rr) => rdataToText(rr.rdata)),
  };
}

describe('Responder over a live ZoneReplica', () => {
  it('answers the new data after every change, zone deletion and re-creation, and reset', () => {
    const store = new DnsStore();
    const replica = new ZoneReplica();
    const responder = new Responder({ identity: 'r1' });
    const apply = (...changes: DnsChange[]) => {
      const result = store.applyBatch({ changes });
      expect(result.ok, JSON.stringify(result)).to.equal(true);
      replica.apply(store.takeDeltas());
    };
    expect(answerOf(responder, replica).rcode).to.equal(RCODE.REFUSED);
    apply(createZone, setA('192.0.2.1'));
    expect(answerOf(responder, replica)).to.deep.equal({ rcode: RCODE.NOERROR, data: ['192.0.2.1'] });
    expect(answerOf(responder, replica)).to.deep.equal({ rcode: RCODE.NOERROR, data: ['192.0.2.1'] });
    apply(setA('192.0.2.2'));
    expect(answerOf(responder, replica).data).to.deep.equal(['192.0.2.2']);
    apply({ op: 'delete-zone', zone: ZONE });
    expect(answerOf(responder, replica).rcode).to.equal(RCODE.REFUSED);
    apply(createZone, setA('192.0.2.3'));
    expect(answerOf(responder, replica).data).to.deep.equal(['192.0.2.3']);
    replica.reset();
    expect(answerOf(responder, replica).rcode).to.equal(RCODE.REFUSED);
    replica.apply(store.dumpDeltas());
    expect(answerOf(responder, replica).data).to.deep.equal(['192.0.2.3']);
    expect(responder.stats().cacheHits).to.be.greaterThan(0);
  });
});
