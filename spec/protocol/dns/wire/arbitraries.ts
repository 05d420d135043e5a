/**
 * fast-check arbitraries for the wire codec: names (mostly under a few shared zones, so
 * compression has something to find, sometimes arbitrary octets), RDATA of every kind,
 * records and whole messages. Generated values are in the form decoding produces
 * (canonical addresses, no `edns` key when absent), so round trips can compare with
 * deep equality.
 */
import fc from 'fast-check';
import { formatIpv4, formatIpv6 } from '../../../../protocol/dns/wire/address.js';
import { RR_CLASS } from '../../../../protocol/dns/wire/codes.js';
import type { Edns, Message, MessageFlags } from '../../../../protocol/dns/wire/message.js';
import { MAX_NAME_OCTETS, Name } from '../../../../protocol/dns/wire/name.js';
import type { Rdata } from '../../../../protocol/dns/wire/rdata.js';
import { makeRecord, type Question, type ResourceRecord } from '../../../../protocol/dns/wire/record.js';

const octetLabelArb = fc
  .uint8Array({ minLength: 1, maxLength: 63 })
  .map((bytes) => String.fromCharCode(...bytes));
const wordLabelArb = fc.constantFrom(
  'www',
  'mail',
  'ns1',
  'WWW',
  'Example',
  'a',
  '_tcp',
  '_sip',
  '*',
  'xn--bcher-kva',
);
const labelArb = fc.oneof({ weight: 4, arbitrary: wordLabelArb }, { weight: 1, arbitrary: octetLabelArb });
const zoneArb = fc.constantFrom(
  ['example', 'com'],
  ['example', 'org'],
  ['svc', 'example', 'com'],
  [],
  ['arpa'],
);

export const nameArb: fc.Arbitrary<Name> = fc
  .tuple(fc.array(labelArb, { maxLength: 5 }), zoneArb)
  .map(([head, zone]) => [...head, ...zone])
  .filter((labels) => labels.reduce((sum, l) => sum + l.length + 1, 1) <= MAX_NAME_OCTETS)
  .map((labels) => Name.fromLabels(labels));

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytesArb = (maxLength: number) => fc.uint8Array({ maxLength });

/** Types without a codec (and outside OPT/query-only types), for opaque RDATA. */
export const opaqueTypeArb = fc.oneof(
  fc.constantFrom(99, 250, 65280, 65534),
  fc.integer({ min: 258, max: 0xffff }),
);

export const rdataArbs = {
  A: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b): Rdata => ({ kind: 'A', address: formatIpv4(b) })),
  AAAA: fc
    .uint8Array({ minLength: 16, maxLength: 16 })
    .map((b): Rdata => ({ kind: 'AAAA', address: formatIpv6(b) })),
  NS: nameArb.map((target): Rdata => ({ kind: 'NS', target })),
  CNAME: nameArb.map((target): Rdata => ({ kind: 'CNAME', target })),
  PTR: nameArb.map((target): Rdata => ({ kind: 'PTR', target })),
  MX: fc.tuple(u16, nameArb).map(([preference, exchange]): Rdata => ({ kind: 'MX', preference, exchange })),
  TXT: fc
    .array(fc.oneof(bytesArb(20), bytesArb(255)), { minLength: 1, maxLength: 4 })
    .map((strings): Rdata => ({ kind: 'TXT', strings })),
  SOA: fc.tuple(nameArb, nameArb, u32, u32, u32, u32, u32).map(
    ([mname, rname, serial, refresh, retry, expire, minimum]): Rdata => ({
      kind: 'SOA',
      mname,
      rname,
      serial,
      refresh,
      retry,
      expire,
      minimum,
    }),
  ),
  SRV: fc
    .tuple(u16, u16, u16, nameArb)
    .map(([priority, weight, port, target]): Rdata => ({ kind: 'SRV', priority, weight, port, target })),
  CAA: fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.stringMatching(/^[A-Za-z0-9]{1,15}$/), bytesArb(80))
    .map(([flags, tag, value]): Rdata => ({ kind: 'CAA', flags, tag, value })),
} as const;

export const knownRdataArb: fc.Arbitrary<Rdata> = fc.oneof(...Object.values(rdataArbs));

export const recordArb: fc.Arbitrary<ResourceRecord> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(nameArb, u32, knownRdataArb).map(([n, ttl, r]) => makeRecord(n, ttl, r)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(nameArb, u32, opaqueTypeArb, bytesArb(40), fc.constantFrom(RR_CLASS.IN, RR_CLASS.CH, 4242))
      .map(([n, ttl, type, bytes, rrClass]) =>
        makeRecord(n, ttl, { kind: 'opaque', bytes }, { type, rrClass }),
      ),
  },
);

export const questionArb: fc.Arbitrary<Question> = fc
  .tuple(nameArb, u16, fc.constantFrom(RR_CLASS.IN, RR_CLASS.CH, RR_CLASS.ANY))
  .map(([name, type, rrClass]) => ({ name, type, class: rrClass }));

export const flagsArb: fc.Arbitrary<MessageFlags> = fc.record({
  qr: fc.boolean(),
  opcode: fc.integer({ min: 0, max: 15 }),
  aa: fc.boolean(),
  tc: fc.boolean(),
  rd: fc.boolean(),
  ra: fc.boolean(),
  ad: fc.boolean(),
  cd: fc.boolean(),
  rcode: fc.integer({ min: 0, max: 15 }),
});

export const ednsArb: fc.Arbitrary<Edns> = fc.record({
  udpPayloadSize: u16,
  extendedRcode: fc.integer({ min: 0, max: 255 }),
  version: fc.integer({ min: 0, max: 255 }),
  dnssecOk: fc.boolean(),
  options: fc.array(fc.record({ code: u16, data: bytesArb(24) }), { maxLength: 3 }),
});

export const messageArb: fc.Arbitrary<Message> = fc
  .record({
    id: u16,
    flags: flagsArb,
    questions: fc.array(questionArb, { maxLength: 2 }),
    answers: fc.array(recordArb, { maxLength: 6 }),
    authorities: fc.array(recordArb, { maxLength: 3 }),
    additionals: fc.array(recordArb, { maxLength: 4 }),
    edns: fc.option(ednsArb, { nil: undefined }),
  })
  .map(({ edns, ...rest }) => (edns === undefined ? rest : { ...rest, edns }));
