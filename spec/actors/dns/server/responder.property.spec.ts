import { expect } from 'chai';
import fc from 'fast-check';
import { targetAddresses } from '../../../../actors/dns/server/additional-addresses.js';
import { Responder } from '../../../../actors/dns/server/responder.js';
import { lookup, ZoneSet } from '../../../../actors/dns/zone/lookup.js';
import { buildZone } from '../../../../actors/dns/zone/zone.js';
import { RCODE, RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { decodeMessage, HEADER_BYTES } from '../../../../protocol/dns/wire/message.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import type { Rdata } from '../../../../protocol/dns/wire/rdata.js';
import { type ResourceRecord, recordToText } from '../../../../protocol/dns/wire/record.js';
import { DnsListeners } from '../../../fixtures/dns-listeners.js';
import { exampleZones, makeQuery } from './helpers.js';
import { TcpClient, udpExchange, udpExchangeWithProbe } from './sockets.js';

const APEX = Name.parse('z.');
const nameArb = (min: number, max: number) =>
  fc
    .array(fc.constantFrom('a', 'A', 'b', '*'), { minLength: min, maxLength: max })
    .map((l) => Name.fromLabels([...l, 'z']));
const targetArb = fc.oneof(nameArb(0, 3), fc.constant(Name.parse('o.')));
const recordArb: fc.Arbitrary<ResourceRecord> = fc
  .tuple(
    nameArb(1, 3),
    fc.oneof(
      fc.constantFrom('192.0.2.1', '192.0.2.2').map((address): Rdata => ({ kind: 'A', address })),
      fc.constant<Rdata>({ kind: 'TXT', strings: [Uint8Array.of(0x78)] }),
      targetArb.map((target): Rdata => ({ kind: 'CNAME', target })),
      targetArb.map((target): Rdata => ({ kind: 'NS', target })),
    ),
  )
  .map(([name, rdata]) => ({ name, type: RR_TYPE[rdata.kind as 'A'], class: RR_CLASS.IN, ttl: 60, rdata }));
const BASE: ResourceRecord[] = [
  {
    name: APEX,
    type: RR_TYPE.SOA,
    class: RR_CLASS.IN,
    ttl: 60,
    rdata: {
      kind: 'SOA',
      mname: Name.parse('ns.z.'),
      rname: Name.parse('h.z.'),
      serial: 1,
      refresh: 1,
      retry: 1,
      expire: 1,
      minimum: 30,
    },
  },
  {
    name: APEX,
    type: RR_TYPE.NS,
    class: RR_CLASS.IN,
    ttl: 60,
    rdata: { kind: 'NS', target: Name.parse('ns.z.') },
  },
];

function zoneOf(extra: readonly ResourceRecord[]): ZoneSet {
  let records = [...BASE, ...extra];
  for (;;) {
    const built = buildZone(APEX, records);
    if (built.ok) return new ZoneSet([built.zone]);
    const bad = new Set<string>();
    for (const e of built.errors) if ('owner' in e) bad.add(e.owner.key);
    records = records.filter((r) => r.name.equals(APEX) || !bad.has(r.name.key));
  }
}

const lower = (records: readonly ResourceRecord[]) => records.map((r) => recordToText(r).toLowerCase());

describe('dns/server/responder: properties', () => {
  it('answers with the sections, rcode and AA of lookup() (TCP, no truncation; ANY: one RRset), cached or not', () => {
    const responder = new Responder({ identity: 'p', cacheEntries: 64 });
    fc.assert(
      fc.property(
        fc.array(recordArb, { maxLength: 12 }),
        fc.array(
          fc.tuple(
            nameArb(0, 4),
            fc.constantFrom(RR_TYPE.A, RR_TYPE.TXT, RR_TYPE.CNAME, RR_TYPE.NS, RR_TYPE.SOA, RR_TYPE.ANY, 99),
          ),
          { minLength: 1, maxLength: 6 },
        ),
        (extra, questions) => {
          const zones = zoneOf(extra);
          for (const [name, type] of [...questions, ...questions]) {
            const expected = lookup(zones, { name, type, class: RR_CLASS.IN });
            const out = responder.respond(makeQuery(name.toString(), type, { id: 5 }), 'tcp', zones);
            const decoded = decodeMessage(out as Uint8Array);
            if (!decoded.ok) expect.fail(decoded.error.message);
            const m = decoded.message;
            expect(m.questions[0]?.name.toString()).to.equal(name.toString());
            expect(m.flags.rcode).to.equal(expected.rcode);
            if (expected.kind === 'refused') continue;
            expect(m.flags.aa).to.equal(expected.authoritative);
            expect(m.flags.tc).to.equal(false);
            // RFC 8482 §4.1: ANY gets the first RRset of the name only.
            const first = expected.answers[0];
            const answers =
              type === RR_TYPE.ANY && expected.kind === 'answer' && first !== undefined
                ? expected.answers.filter((rr) => rr.type === first.type && rr.name.equals(first.name))
                : expected.answers;
            expect(lower(m.answers)).to.deep.equal(lower(answers));
            expect(lower(m.authorities)).to.deep.equal(lower(expected.authorities));
            // Answers add the in-zone addresses of their NS (and MX, SRV) targets.
            const additionals =
              expected.kind === 'answer'
                ? [...expected.additionals, ...targetAddresses(expected.zone, answers)]
                : expected.additionals;
            expect(lower(m.additionals)).to.deep.equal(lower(additionals));
          }
        },
      ),
      { numRuns: 200 },
    );
    expect(responder.stats().internalErrors).to.equal(0);
  });
});

/** Valid queries, then bits flipped, bytes cut, added or overwritten. */
const seedQueryArb = fc
  .tuple(
    fc.constantFrom(
      'www.example.',
      'WWW.example.',
      'big.example.',
      'x.child.example.',
      'a.wild.example.',
      'nope.example.',
      'id.server.',
      'net.',
    ),
    fc.constantFrom('A', 'AAAA', 'TXT', 'ANY', 'NS', 'SOA', 'AXFR'),
    fc.option(
      fc.record({
        udpPayloadSize: fc.integer({ min: 0, max: 0xffff }),
        version: fc.constantFrom(0, 0, 1),
        dnssecOk: fc.boolean(),
      }),
    ),
    fc.boolean(),
  )
  .map(([name, type, edns, nsid]) =>
    makeQuery(name, type, {
      rrClass: name === 'id.server.' ? RR_CLASS.CH : RR_CLASS.IN,
      ...(edns === null
        ? {}
        : { edns: { ...edns, options: nsid ? [{ code: 3, data: new Uint8Array(0) }] : [] } }),
    }),
  );
const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer T> ? T : never;
function mutate(query: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = query.slice();
  for (const m of mutations) {
    if (b.length === 0) break;
    if (m.kind === 'flip') b[m.at % b.length] = (b[m.at % b.length] as number) ^ (1 << m.bit);
    else if (m.kind === 'set') b[m.at % b.length] = m.value;
    else if (m.kind === 'cut') b = b.slice(0, m.at % (b.length + 1));
    else {
      const longer = new Uint8Array(b.length + m.bytes.length);
      longer.set(b);
      longer.set(m.bytes, b.length);
      b = longer;
    }
  }
  return b;
}
const packetArb = fc.oneof(
  fc.tuple(seedQueryArb, fc.array(mutationArb, { maxLength: 4 })).map(([q, ms]) => mutate(q, ms)),
  fc.uint8Array({ maxLength: 80 }),
);

/** The contract for any input: nothing, or a response that decodes; FORMERR where the query is malformed. */
function checkAnswer(query: Uint8Array, out: Uint8Array | null): void {
  if (query.length < HEADER_BYTES || ((query[2] as number) & 0x80) !== 0) {
    expect(out).to.equal(null);
    return;
  }
  expect(out, 'a readable header gets an answer').to.not.equal(null);
  const decoded = decodeMessage(out as Uint8Array);
  if (!decoded.ok) expect.fail(`answer does not decode: ${decoded.error.message}`);
  const m = decoded.message;
  expect(m.id).to.equal(((query[0] as number) << 8) | (query[1] as number));
  expect(m.flags.qr).to.equal(true);
  const opcode = ((query[2] as number) >>> 3) & 0x0f;
  if (opcode !== 0) expect(m.flags.rcode).to.equal(RCODE.NOTIMP);
  else if (!decodeMessage(query).ok) expect(m.flags.rcode).to.equal(RCODE.FORMERR);
  expect(m.flags.rcode).to.not.equal(RCODE.SERVFAIL);
}

describe('dns/server/responder: fuzz', () => {
  const zones = exampleZones();

  it('never throws, answers nothing or a message that decodes, FORMERR for malformed queries', () => {
    const responder = new Responder({ identity: 'f', cacheEntries: 32 });
    fc.assert(
      fc.property(packetArb, fc.constantFrom('udp' as const, 'tcp' as const), (query, transport) => {
        const out = responder.respond(query, transport, zones);
        checkAnswer(query, out);
        if (out !== null && transport === 'udp') expect(out.length).to.be.at.most(1232);
      }),
      { numRuns: 5000 },
    );
    expect(responder.stats().internalErrors).to.equal(0);
  });

  it('over real UDP and TCP sockets: the same contract, and the servers keep serving', async function () {
    this.timeout(60_000);
    const responder = new Responder({ identity: 'f' });
    const reference = new Responder({ identity: 'f' });
    const listeners = await DnsListeners.start({
      addresses: ['127.0.0.1:0'],
      handler: (query, transport) => responder.respond(query, transport, zones),
    });
    const port = listeners.bound[0]?.port as number;
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(packetArb, { minLength: 1, maxLength: 8 }), async (packets) => {
          const client = await TcpClient.connect('127.0.0.1', port);
          try {
            const expected = packets.map((p) => reference.respond(p, 'tcp', zones)).filter((o) => o !== null);
            client.write(Buffer.concat(packets.map((p) => TcpClient.frame(p))));
            const replies = await client.read(expected.length);
            for (const reply of replies) expect(decodeMessage(reply).ok).to.equal(true);
          } finally {
            client.close();
          }
          for (const packet of packets.slice(0, 2)) {
            if (packet.length === 0) continue;
            const expectNone = reference.respond(packet, 'udp', zones) === null;
            if (expectNone) {
              // The probe's id differs from any fuzz packet's answer only by chance: pick one
              // the packet cannot carry (its own id + 1).
              const id =
                packet.length >= 2
                  ? ((((packet[0] as number) << 8) | (packet[1] as number)) + 1) & 0xffff
                  : 1;
              const replies = await udpExchangeWithProbe(
                '127.0.0.1',
                port,
                packet,
                makeQuery('www.example.', 'A', { id }),
              );
              expect(replies, 'the dropped packet got an answer').to.have.length(1);
            } else {
              checkAnswer(packet, await udpExchange('127.0.0.1', port, packet, 2000));
            }
          }
        }),
        { numRuns: 60 },
      );
      // Still answering after the garbage.
      const after = await udpExchange('127.0.0.1', port, makeQuery('www.example.', 'A'));
      expect(decodeMessage(after as Uint8Array).ok).to.equal(true);
      expect(responder.stats().internalErrors).to.equal(0);
    } finally {
      await listeners.close();
    }
  });
});
