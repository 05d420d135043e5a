import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import fc from 'fast-check';
import { EXIT_OK, EXIT_USAGE } from '../../../clients/cli/exit-codes.js';
import { RegionWriter } from '../../../clients/region-writer.js';
import { importZone, readZone } from '../../../clients/zone-import-export.js';
import { parseZoneFile } from '../../../protocol/dns/master-file/zone-file.js';
import { RR_CLASS, RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import { Name } from '../../../protocol/dns/wire/name.js';
import type { Rdata } from '../../../protocol/dns/wire/rdata.js';
import type { ResourceRecord } from '../../../protocol/dns/wire/record.js';
import {
  diffZoneContent,
  type ZoneRrset,
  zoneContentFromRecords,
} from '../../../protocol/dns/zone-content.js';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats } from '../../../runtime/nats/nats-connection.js';
import { type NatsServerHandle, startNatsServer } from '../../fixtures/nats-server.js';
import type { RaftCluster } from '../../fixtures/raft-cluster.js';
import { raftns as runRaftns } from '../../fixtures/raftns-cli.js';
import { startRegionClusters } from '../../fixtures/region-clusters.js';
import {
  checkerAvailable,
  checkZone,
  ZONE_CHECKERS,
  type ZoneChecker,
} from '../../protocol/dns/master-file/zone-tools.js';
import { rdataArbs } from '../../protocol/dns/wire/arbitraries.js';

/**
 * `raftns zone import | export` against two real regions (one group each, over NATS):
 * round trips, the real zone checkers on exports, parse errors, dry runs, a zone larger
 * than one batch and one staging chunk, and generated zones of every type through the
 * running group (seeded; FUZZ_SEED replays).
 */
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const raftns = (args: readonly string[]) => runRaftns(args, { timeoutMs: 120_000 });

const CLUSTER = 'zones';
const GROUP = 'g1';
const ZONE = 'example.org.';
const APEX = Name.parse(ZONE);
const REGIONS = ['r1', 'r2'] as const;

/** Every supported type, and the syntax an operator's file uses. */
const ZONE_FILE = [
  '; a hand-written zone',
  '$TTL 1h',
  '@ IN SOA ns1 hostmaster ( 2024010101 ; serial',
  '      7200 3600 1209600 300 )',
  '  NS ns1',
  '  NS ns2.example.net.',
  '  MX 10 mail',
  '  CAA 0 issue "letsencrypt.org"',
  'ns1 A 192.0.2.53',
  'mail 300 IN A 192.0.2.25',
  'www IN 300 AAAA 2001:db8::1',
  'txt TXT "hello world" "semi;colon" esc\\032aped',
  'dotted\\.label TXT "quote \\" inside"',
  '_sip._tcp SRV 10 5 5060 sip.example.net.',
  '1.2.0.192 PTR www.example.org.',
  'alias CNAME www',
  'unk TYPE65280 \\# 4 0a000001',
  'gen TYPE1 \\# 4 C0000201',
  'sub NS ns.sub',
  'ns.sub A 192.0.2.99',
  '$GENERATE 1-3 host-$ A 192.0.2.$',
  '',
].join('\n');

function body(exported: string): string {
  return exported
    .split('\n')
    .filter((line) => !line.startsWith(';'))
    .join('\n');
}

function contentOf(text: string, file = 'export.db'): readonly ZoneRrset[] {
  const parsed = parseZoneFile(text, file, ZONE);
  if (!parsed.ok) expect.fail(`${parsed.text}\n${text}`);
  return parsed.rrsets;
}

function sameContent(a: readonly ZoneRrset[], b: readonly ZoneRrset[]): void {
  const diff = diffZoneContent(APEX, a, b);
  expect({ upserts: diff.upserts, deletes: diff.deletes }).to.deep.equal({ upserts: [], deletes: [] });
}

describe('raftns zone import/export against two real regions', function () {
  this.timeout(600_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let dir: string;
  const regions = new Map<string, RaftCluster>();
  let target: string[];

  const exportZone = async (region: string): Promise<string> => {
    const run = await raftns([...target, '--region', region, 'zone', 'export', ZONE]);
    expect(run.code, run.stderr).to.equal(EXIT_OK);
    return run.stdout;
  };
  const file = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  before(async () => {
    console.log(`    zone-cli seed ${seed} (FUZZ_SEED=${seed} replays)`);
    dir = await mkdtemp(join(tmpdir(), 'raftns-zone-cli-'));
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'zone-cli-spec', log: silentLogger });
    for (const [name, cluster] of await startRegionClusters({
      nats,
      nc,
      cluster: CLUSTER,
      regions: REGIONS,
      group: GROUP,
      zone: ZONE,
    }))
      regions.set(name, cluster);
    target = ['--nats', nats.url, '--cluster', CLUSTER, '--timeout', '120000'];
  });
  after(async () => {
    for (const cluster of regions.values()) await cluster.stop();
    await nc?.close();
    await nats?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('imports a file with every type into every region (creating the zone); export → import → export keeps the data', async () => {
    const original = contentOf(ZONE_FILE, 'original.db');
    const imported = await raftns([...target, 'zone', 'import', ZONE, await file('original.db', ZONE_FILE)]);
    expect(imported.code, imported.stderr).to.equal(EXIT_OK);
    expect(imported.stdout).to.match(/^r1: applied .*\nr2: applied .*\n$/);

    const first = await exportZone('r1');
    expect(first).to.match(
      /^; zone example\.org\. of cluster zones, region r1, group g1\n; read at applied index \d+, serial \d+, \d+ RRsets\n\$ORIGIN example\.org\.\n/,
    );
    expect(body(await exportZone('r2'))).to.equal(body(first));
    sameContent(original, contentOf(first));

    const again = await raftns([...target, 'zone', 'import', ZONE, await file('first.db', first)]);
    expect(again.code, again.stderr).to.equal(EXIT_OK);
    const second = await exportZone('r1');
    sameContent(contentOf(first), contentOf(second));
    // Only the store's serial moved (RFC 1982): the import wrote the SOA and nothing else.
    expect(body(second).replace(/ SOA (\S+) (\S+) \d+ /, ' SOA $1 $2 N ')).to.equal(
      body(first).replace(/ SOA (\S+) (\S+) \d+ /, ' SOA $1 $2 N '),
    );
  });

  for (const checker of Object.keys(ZONE_CHECKERS) as ZoneChecker[]) {
    it(`${checker} accepts the export`, async function () {
      if (!checkerAvailable(checker)) {
        console.log(`    skipped: ${ZONE_CHECKERS[checker]} is not installed`);
        this.skip();
      }
      const verdict = await checkZone(checker, ZONE, await exportZone('r1'));
      expect(verdict.ok, verdict.output).to.equal(true);
    });
  }

  it('--dry-run prints the difference and changes nothing', async () => {
    const before = await exportZone('r1');
    const edited = ZONE_FILE.replace('mail 300 IN A 192.0.2.25', 'mail 300 IN A 192.0.2.26')
      .replace('alias CNAME www\n', '')
      .concat('new 60 TXT "added"\n');
    const run = await raftns([
      ...target,
      'zone',
      'import',
      '--dry-run',
      ZONE,
      await file('edited.db', edited),
    ]);
    expect(run.code, run.stderr).to.equal(EXIT_OK);
    expect(run.stdout).to.match(/^; dry run against r1 at applied index \d+, serial \d+\n/);
    expect(run.stdout).to.contain('- alias.example.org. CNAME\n');
    expect(run.stdout).to.contain('+ mail.example.org. 300 A 192.0.2.26\n');
    expect(run.stdout).to.contain('+ new.example.org. 60 TXT "added"\n');
    expect(run.stdout).to.match(/\n2 RRset\(s\) to write, 1 to delete, \d+ unchanged\n$/);
    expect(await exportZone('r1')).to.equal(before);
  });

  it('names file, line and column of a bad file, exits 2, and changes nothing', async () => {
    const before = await exportZone('r1');
    const cases: Array<[string, string, RegExp]> = [
      ['type.db', `${ZONE_FILE}www 300 IN AAA 1\n`, /^raftns: .*type\.db:22:12: unknown type 'AAA'\n$/],
      [
        'include.db',
        `$INCLUDE other.db\n${ZONE_FILE}`,
        /^raftns: .*include\.db:1:1: \$INCLUDE is not supported/,
      ],
      [
        'rdata.db',
        ZONE_FILE.replace('ns1 A 192.0.2.53', 'ns1 A 192.0.2.999'),
        /^raftns: .*rdata\.db:9:7: A RDATA/,
      ],
      ['paren.db', `${ZONE_FILE}x TXT ( "open"\n`, /^raftns: .*paren\.db:22:7: '\(' is never closed/],
      [
        'outside.db',
        `${ZONE_FILE}www.example.net. A 192.0.2.1\n`,
        /^raftns: .*outside\.db: www\.example\.net\. A is outside the zone/,
      ],
      ['no-ns.db', '$TTL 60\n@ SOA ns1 h 1 2 3 4 5\n', /^raftns: .*no-ns\.db: no NS at the apex/],
    ];
    for (const [name, text, expected] of cases) {
      const run = await raftns([...target, 'zone', 'import', ZONE, await file(name, text)]);
      expect(run.code, `${name}: ${run.stderr}`).to.equal(EXIT_USAGE);
      expect(run.stderr).to.match(expected);
    }
    expect(await exportZone('r1')).to.equal(before);
  });

  it('imports a zone of many chunks atomically, leaves nothing staged, and replaces it whole', async () => {
    const lines = [ZONE_FILE];
    for (let i = 0; i < 30_000; i++)
      lines.push(`bulk-${i} 120 A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const big = `${lines.join('\n')}\n`;
    const run = await raftns([...target, '--json', 'zone', 'import', ZONE, await file('big.db', big)]);
    expect(run.code, run.stderr).to.equal(EXIT_OK);
    const report = JSON.parse(run.stdout) as { chunks: number; complete: boolean };
    expect(report.complete).to.equal(true);
    expect(report.chunks).to.be.above(1);
    // Through a file: the export is larger than a child process's captured stdout.
    const out = join(dir, 'big-export.db');
    const exported = await raftns([...target, '--region', 'r2', 'zone', 'export', ZONE, '--out', out]);
    expect(exported.code, exported.stderr).to.equal(EXIT_OK);
    sameContent(contentOf(big), contentOf(await readFile(out, 'utf8')));
    for (const r of REGIONS) {
      const staged = await raftns([...target, '--region', r, '--group', GROUP, 'kv', 'range', 'dns-import/']);
      expect(staged.code, staged.stderr).to.equal(EXIT_OK);
      expect(staged.stdout.trim()).to.equal('');
    }
    // Back to the small zone: 30,000 RRsets deleted in one entry.
    const back = await raftns([...target, 'zone', 'import', ZONE, await file('small.db', ZONE_FILE)]);
    expect(back.code, back.stdout + back.stderr).to.equal(EXIT_OK);
    sameContent(contentOf(ZONE_FILE), contentOf(await exportZone('r1')));
  });

  it('writes an export to --out', async () => {
    const out = join(dir, 'out.db');
    const run = await raftns([...target, 'zone', 'export', ZONE, '--out', out]);
    expect(run.code, run.stderr).to.equal(EXIT_OK);
    expect(run.stderr).to.match(/RRsets at applied index \d+ written to/);
    sameContent(contentOf(ZONE_FILE), contentOf(await readFile(out, 'utf8')));
  });

  it('property: generated zones of every type go through the running group unchanged (seeded)', async () => {
    const ttlArb = fc.integer({ min: 0, max: 0x7fffffff });
    const typed = Object.entries(rdataArbs)
      .filter(([kind]) => kind !== 'SOA')
      .map(([kind, arb]) => arb.map((rdata) => ({ type: RR_TYPE[kind as keyof typeof RR_TYPE], rdata })));
    const opaque = fc
      .tuple(fc.integer({ min: 65280, max: 65534 }), fc.uint8Array({ maxLength: 40 }))
      .map(([type, bytes]) => ({ type, rdata: { kind: 'opaque', bytes } as Rdata }));
    const labelArb = fc.oneof(
      fc.constantFrom('www', '_tcp', 'Mixed', '*'),
      fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => String.fromCharCode(...b)),
    );
    // One owner per record (a label of any octets above a unique one): no CNAME or
    // delegation can clash with other data, and every type appears at varied names.
    const recordsArb = fc
      .array(fc.tuple(labelArb, ttlArb, fc.oneof(...typed, opaque)), { minLength: 1, maxLength: 60 })
      .map((items) =>
        items.map(([label, ttl, { type, rdata }], i): ResourceRecord => {
          const head = type === RR_TYPE.NS && label === '*' ? 'ns' : label;
          return {
            name: Name.fromLabels([head, `r${i}`, ...APEX.labels]),
            type,
            class: RR_CLASS.IN,
            ttl,
            rdata,
          };
        }),
      );
    const soa: ResourceRecord = {
      name: APEX,
      type: RR_TYPE.SOA,
      class: RR_CLASS.IN,
      ttl: 3600,
      rdata: {
        kind: 'SOA',
        mname: Name.parse('ns1.example.org.'),
        rname: Name.parse('h.example.org.'),
        serial: 7,
        refresh: 1,
        retry: 2,
        expire: 3,
        minimum: 4,
      },
    };
    const ns: ResourceRecord = {
      ...soa,
      type: RR_TYPE.NS,
      rdata: { kind: 'NS', target: Name.parse('ns1.example.org.') },
    };
    const writer = await RegionWriter.open({ nc, cluster: CLUSTER, writerId: 'zone-property' });
    try {
      for (const records of fc.sample(recordsArb, { seed, numRuns: 6 })) {
        const content = zoneContentFromRecords(APEX, [soa, ns, ...records]);
        if (!content.ok) expect.fail(content.problem.message);
        const report = await importZone(writer, ZONE, content.rrsets);
        expect(report.complete, JSON.stringify(report.regions)).to.equal(true);
        for (const r of REGIONS) {
          const read = await readZone(await writer.client(r, GROUP), ZONE);
          if (read === null) expect.fail(`no zone in ${r}`);
          sameContent(content.rrsets, read.rrsets);
          sameContent(
            read.rrsets,
            contentOf((await raftns([...target, '--region', r, 'zone', 'export', ZONE])).stdout),
          );
        }
      }
    } finally {
      await writer.close();
    }
  });
});
