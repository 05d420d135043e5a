import { expect } from 'chai';
import fc from 'fast-check';
import { masterFileErrorText } from '../../../../protocol/dns/master-file/errors.js';
import { parseMasterFile } from '../../../../protocol/dns/master-file/parser.js';
import { renderMasterFile } from '../../../../protocol/dns/master-file/render.js';
import { RR_CLASS, RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import type { Rdata } from '../../../../protocol/dns/wire/rdata.js';
import { type ResourceRecord, recordToText } from '../../../../protocol/dns/wire/record.js';
import { nameArb, rdataArbs } from '../wire/arbitraries.js';
import { checkerAvailable, checkZone, ZONE_CHECKERS, type ZoneChecker } from './zone-tools.js';

/**
 * Parse → render → parse over generated zones with every type the codec knows, unknown
 * types in the RFC 3597 form, and owners with any octets; and the real zone checkers
 * (BIND's named-checkzone, Knot's kzonecheck) on rendered zones.
 */
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ORIGIN = Name.parse('zone.example.');
const SOA: ResourceRecord = {
  name: ORIGIN,
  type: RR_TYPE.SOA,
  class: RR_CLASS.IN,
  ttl: 3600,
  rdata: {
    kind: 'SOA',
    mname: Name.parse('ns1.zone.example.'),
    rname: Name.parse('hostmaster.zone.example.'),
    serial: 1,
    refresh: 7200,
    retry: 3600,
    expire: 1209600,
    minimum: 300,
  },
};
const APEX_NS: ResourceRecord = {
  name: ORIGIN,
  type: RR_TYPE.NS,
  class: RR_CLASS.IN,
  ttl: 3600,
  rdata: { kind: 'NS', target: Name.parse('ns.other.example.') },
};

const anyOwnerArb = fc
  .array(
    fc.oneof(
      fc.constantFrom('www', 'a', '_tcp', '*', 'Mixed'),
      fc.uint8Array({ minLength: 1, maxLength: 20 }).map((b) => String.fromCharCode(...b)),
    ),
    { maxLength: 3 },
  )
  .map((labels) => Name.fromLabels([...labels, ...ORIGIN.labels]));
/** Types we have no codec for and that may be zone data. */
const unknownTypeArb = fc.integer({ min: 258, max: 0xffff }).filter((t) => t < 32768 || t > 32769);
const u32 = fc.integer({ min: 0, max: 0xffffffff });

const recordArb: fc.Arbitrary<ResourceRecord> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(anyOwnerArb, u32, fc.oneof(...Object.values(rdataArbs)))
      .map(([name, ttl, rdata]) => ({
        name,
        type: RR_TYPE[rdata.kind as keyof typeof RR_TYPE],
        class: RR_CLASS.IN,
        ttl,
        rdata,
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(anyOwnerArb, u32, unknownTypeArb, fc.uint8Array({ maxLength: 40 }))
      .map(([name, ttl, type, bytes]) => ({
        name,
        type,
        class: RR_CLASS.IN,
        ttl,
        rdata: { kind: 'opaque', bytes } as Rdata,
      })),
  },
);

function parseOk(text: string): readonly ResourceRecord[] {
  const result = parseMasterFile(text, { file: 'generated.zone', origin: ORIGIN });
  if (!result.ok) expect.fail(`${masterFileErrorText(result.error)}\n${text}`);
  return result.records;
}

describe('protocol/dns/master-file: round trips and real zone checkers', function () {
  this.timeout(300_000);
  before(() => console.log(`    master-file seed ${seed} (FUZZ_SEED=${seed} replays)`));

  it('render → parse gives the same records, every type (property)', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 40 }), (records) => {
        const zone = [SOA, ...records];
        const text = renderMasterFile(zone, { origin: ORIGIN });
        const back = parseOk(text);
        expect(back.map(recordToText).sort()).to.deep.equal(zone.map(recordToText).sort());
        // Names keep their case and octets exactly, not just their canonical text.
        expect(back.map((r) => r.name.labels.join('|')).sort()).to.deep.equal(
          zone.map((r) => r.name.labels.join('|')).sort(),
        );
        expect(renderMasterFile(back, { origin: ORIGIN })).to.equal(text);
      }),
      { seed, numRuns: 300 },
    );
  });

  it('parse → render → parse is stable for text written by hand', () => {
    const text = '$ORIGIN x.\n$TTL 60\n@ SOA ns h 1 2 3 4 5\nwww ( A\n 192.0.2.1 ) ; c\n  TXT "a" b\n';
    const first = parseOk(text.replace('$ORIGIN x.', '$ORIGIN zone.example.'));
    expect(parseOk(renderMasterFile(first, { origin: ORIGIN })).map(recordToText)).to.have.members(
      first.map(recordToText),
    );
  });

  const hostLabelArb = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
  const hostArb = fc
    .array(hostLabelArb, { minLength: 1, maxLength: 2 })
    .map((labels) => Name.fromLabels([...labels, ...ORIGIN.labels]));
  const outsideArb = fc
    .array(hostLabelArb, { minLength: 1, maxLength: 2 })
    .map((labels) => Name.fromLabels([...labels, 'other', 'example']));
  const ttlArb = fc.integer({ min: 0, max: 604800 });
  /** Zones both checkers must accept: hostnames where check-names wants them, no CNAME clashes, targets outside. */
  const validRecordArb: fc.Arbitrary<ResourceRecord> = fc
    .tuple(
      hostArb,
      ttlArb,
      fc.oneof(
        rdataArbs.A,
        rdataArbs.AAAA,
        rdataArbs.TXT,
        rdataArbs.CAA,
        fc
          .tuple(fc.integer({ min: 0, max: 0xffff }), outsideArb)
          .map(([preference, exchange]): Rdata => ({ kind: 'MX', preference, exchange })),
        fc
          .tuple(
            fc.integer({ min: 0, max: 0xffff }),
            fc.integer({ min: 0, max: 0xffff }),
            fc.integer({ min: 0, max: 0xffff }),
            outsideArb,
          )
          .map(
            ([priority, weight, port, target]): Rdata => ({ kind: 'SRV', priority, weight, port, target }),
          ),
        nameArb.map((target): Rdata => ({ kind: 'PTR', target })),
        fc
          .tuple(fc.integer({ min: 65280, max: 65534 }), fc.uint8Array({ maxLength: 30 }))
          .map(([type, bytes]) => ({ kind: 'opaque', bytes, type }) as Rdata & { type: number }),
      ),
    )
    .map(([name, ttl, rdata]) => {
      if (rdata.kind === 'opaque') {
        const { type, bytes } = rdata as Rdata & { type: number; bytes: Uint8Array };
        return { name, type, class: RR_CLASS.IN, ttl, rdata: { kind: 'opaque', bytes } };
      }
      return { name, type: RR_TYPE[rdata.kind as keyof typeof RR_TYPE], class: RR_CLASS.IN, ttl, rdata };
    });

  for (const checker of Object.keys(ZONE_CHECKERS) as ZoneChecker[]) {
    it(`${checker} accepts rendered zones`, async function () {
      if (!checkerAvailable(checker)) {
        console.log(`    skipped: ${ZONE_CHECKERS[checker]} is not installed`);
        this.skip();
      }
      const zones = fc.sample(fc.array(validRecordArb, { minLength: 1, maxLength: 60 }), {
        seed,
        numRuns: 8,
      });
      for (const records of zones) {
        const text = renderMasterFile([SOA, APEX_NS, ...records], { origin: ORIGIN });
        const verdict = await checkZone(checker, ORIGIN.toString(), text);
        expect(verdict.ok, `${checker} rejected:\n${verdict.output}\n${text}`).to.equal(true);
      }
      // The checker must be able to say no: a CNAME beside other data.
      const clash = `${renderMasterFile([SOA, APEX_NS], { origin: ORIGIN })}www.zone.example. 60 IN CNAME a.other.example.\nwww.zone.example. 60 IN A 192.0.2.1\n`;
      expect((await checkZone(checker, ORIGIN.toString(), clash)).ok).to.equal(false);
    });
  }

  it('a 100k-record zone parses and renders (times printed, not asserted)', () => {
    const lines = [
      '$ORIGIN big.example.',
      '$TTL 300',
      '@ SOA ns1 hostmaster 1 7200 3600 1209600 300',
      '  NS ns1',
      'ns1 A 192.0.2.1',
    ];
    for (let i = 0; lines.length < 100_000; i++) {
      const host = `host-${i}`;
      lines.push(`${host} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
      if (i % 4 === 0) lines.push(`${host} 60 AAAA 2001:db8::${(i & 0xffff).toString(16)}`);
      if (i % 8 === 0) lines.push(`  TXT "record ${i}" "v=spf1 -all"`);
      if (i % 16 === 0) lines.push(`mx-${i} ( MX 10 ${host} ) ; grouped`);
    }
    const text = lines.join('\n');
    const parseStart = performance.now();
    const result = parseMasterFile(text, { file: 'big.zone' });
    const parseMs = performance.now() - parseStart;
    if (!result.ok) expect.fail(masterFileErrorText(result.error));
    expect(result.records.length).to.equal(lines.length - 2);
    const renderStart = performance.now();
    const rendered = renderMasterFile(result.records, { origin: Name.parse('big.example.') });
    const renderMs = performance.now() - renderStart;
    const reparseStart = performance.now();
    const again = parseMasterFile(rendered, { file: 'big-rendered.zone' });
    const reparseMs = performance.now() - reparseStart;
    expect(again.ok && again.records.length).to.equal(result.records.length);
    console.log(
      `    100k zone: ${result.records.length} records, ${(text.length / 1e6).toFixed(1)} MB; parse ${parseMs.toFixed(0)} ms, render ${renderMs.toFixed(0)} ms, parse rendered ${reparseMs.toFixed(0)} ms`,
    );
  });
});
