import { cp, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { type BackupManifest, BLOCK_BYTES } from '../../clients/backup/backup-manifest.js';
import { EXIT_OK, EXIT_USAGE } from '../../clients/cli/exit-codes.js';
import { RegionWriter, type WriterChange } from '../../clients/region-writer.js';
import { importZone, readZone, type ZoneSnapshot } from '../../clients/zone-import-export.js';
import { parseZoneFile } from '../../protocol/dns/master-file/zone-file.js';
import { Name } from '../../protocol/dns/wire/name.js';
import { diffZoneContent, type ZoneRrset } from '../../protocol/dns/zone-content.js';
import { ZONE_PAGE_RRSETS_MAX } from '../../protocol/limits.js';
import { PLAN_KEY, PLAN_VERSION, planBucket } from '../../protocol/plan.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import type { RaftCluster } from '../fixtures/raft-cluster.js';
import { raftns as runRaftns } from '../fixtures/raftns-cli.js';
import { startRegionClusters } from '../fixtures/region-clusters.js';

/**
 * `raftns backup | restore` against real clusters: a source cluster of two regions (one
 * group each, over NATS) with a zone of every type, more RRsets than one page holds and a
 * few hundred records written through the region writer; a FRESH cluster with the same
 * plan restored from the backup and backed up again, byte for byte the same; one zone
 * restored over changed data; corrupt, truncated and incomplete backups refused with the
 * file and offset and nothing changed; backups taken while writes continue hold one state.
 * The writes are randomized from a printed seed (BACKUP_SEED replays).
 */
const seed = Number(process.env.BACKUP_SEED ?? Math.floor(Math.random() * 2 ** 31));
const raftns = (args: readonly string[]) => runRaftns(args, { timeoutMs: 120_000 });

const CLUSTER = 'backups';
const GROUP = 'g1';
const ZONE = 'example.org.';
const APEX = Name.parse(ZONE);
const REGIONS = ['r1', 'r2'] as const;
const DATA_FILE = `${GROUP}.zone-0.jsonl`;

/** A small deterministic generator (mulberry32), so a failing run replays from its seed. */
function random(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE_ZONE = [
  '$TTL 1h',
  '@ IN SOA ns1 hostmaster 2024010101 7200 3600 1209600 300',
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
  'sub NS ns.sub',
  'ns.sub A 192.0.2.99',
  // More RRsets than one page: the backup reads the zone in pages.
  `$GENERATE 1-${ZONE_PAGE_RRSETS_MAX + 100} bulk-$ 120 TXT "record $"`,
  '',
].join('\n');

/** A few hundred records of varied types and TTLs, in batches through the normal write path. */
function variedChanges(next: () => number): WriterChange[][] {
  const batches: WriterChange[][] = [];
  let batch: WriterChange[] = [];
  for (let i = 0; i < 120; i++) {
    const ttl = 1 + Math.floor(next() * 86_400);
    const name = `v${i}.example.org.`;
    const kind = i % 6;
    const change: WriterChange =
      kind === 0
        ? { op: 'upsert', name, type: 'A', ttl, rdata: ['192.0.2.1', '192.0.2.2', `198.51.100.${i % 250}`] }
        : kind === 1
          ? {
              op: 'upsert',
              name,
              type: 'AAAA',
              ttl,
              rdata: [`2001:db8::${i.toString(16)}`, '2001:db8::ffff'],
            }
          : kind === 2
            ? {
                op: 'upsert',
                name,
                type: 'TXT',
                ttl,
                // Long TXT: several 255-octet strings with quotes, escapes and UTF-8.
                rdata: [
                  `"${'x'.repeat(255)}" "${'y'.repeat(200)}\\"q\\" é ${Math.floor(next() * 1e9)}"`,
                  '"v=spf1 -all"',
                ],
              }
            : kind === 3
              ? {
                  op: 'upsert',
                  name,
                  type: 'MX',
                  ttl,
                  rdata: ['10 mail.example.org.', '20 mx2.example.net.'],
                }
              : kind === 4
                ? { op: 'upsert', name, type: 'SRV', ttl, rdata: [`0 5 ${1000 + i} target.example.net.`] }
                : {
                    op: 'upsert',
                    name,
                    type: 'TYPE65281',
                    ttl,
                    rdata: [`\\# 3 0102${(i % 256).toString(16).padStart(2, '0')}`],
                  };
    batch.push(change);
    if (batch.length === 30) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

function sameContent(a: readonly ZoneRrset[], b: readonly ZoneRrset[]): void {
  const diff = diffZoneContent(APEX, a, b);
  expect({ upserts: diff.upserts, deletes: diff.deletes }).to.deep.equal({ upserts: [], deletes: [] });
}

async function readManifest(dir: string): Promise<BackupManifest> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as BackupManifest;
}

interface Cluster {
  readonly nats: NatsServerHandle;
  readonly nc: NatsConnection;
  readonly regions: Map<string, RaftCluster>;
  readonly writer: RegionWriter;
  readonly target: readonly string[];
}

async function startCluster(label: string): Promise<Cluster> {
  const nats = await startNatsServer({ jetstream: true });
  const nc = await connectNats({ urls: [nats.url], name: `backup-spec-${label}`, log: silentLogger });
  const regions = await startRegionClusters({
    nats,
    nc,
    cluster: CLUSTER,
    regions: REGIONS,
    group: GROUP,
    zone: ZONE,
  });
  const writer = await RegionWriter.open({ nc, cluster: CLUSTER, writerId: `backup-spec-${label}` });
  return {
    nats,
    nc,
    regions,
    writer,
    target: ['--nats', nats.url, '--cluster', CLUSTER, '--timeout', '60000'],
  };
}

async function stopCluster(cluster: Cluster | undefined): Promise<void> {
  if (cluster === undefined) return;
  await cluster.writer.close();
  for (const replicas of cluster.regions.values()) await replicas.stop();
  await cluster.nc.close();
  await cluster.nats.stop();
}

async function zoneOf(cluster: Cluster, region: string): Promise<ZoneSnapshot> {
  const read = await readZone(await cluster.writer.client(region, GROUP), ZONE);
  if (read === null) expect.fail(`no zone ${ZONE} in ${region}`);
  return read;
}

describe('raftns backup and restore against real clusters', function () {
  this.timeout(300_000);
  let dir: string;
  let source: Cluster | undefined;
  let fresh: Cluster | undefined;
  const next = random(seed);

  const backup = async (cluster: Cluster, name: string, extra: readonly string[] = []): Promise<string> => {
    const out = join(dir, name);
    const run = await raftns([...cluster.target, 'backup', '--out', out, ...extra]);
    expect(run.code, run.stderr).to.equal(EXIT_OK);
    return out;
  };

  before(async () => {
    console.log(`    backup-restore seed ${seed} (BACKUP_SEED=${seed} replays)`);
    dir = await mkdtemp(join(tmpdir(), 'raftns-backup-'));
    [source, fresh] = await Promise.all([startCluster('source'), startCluster('fresh')]);
    const base = parseZoneFile(BASE_ZONE, 'base.db', ZONE);
    if (!base.ok) expect.fail(base.text);
    const imported = await importZone(source.writer, ZONE, base.rrsets, { deadlineMs: 60_000 });
    expect(imported.complete, JSON.stringify(imported.regions)).to.equal(true);
    for (const changes of variedChanges(next)) {
      const report = await source.writer.write(changes);
      expect(report.complete, JSON.stringify(report.regions)).to.equal(true);
    }
  });
  after(async () => {
    await stopCluster(source);
    await stopCluster(fresh);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('restores a backup into a fresh cluster; a backup of it is byte for byte the same', async () => {
    const src = source as Cluster;
    const dst = fresh as Cluster;
    const first = await backup(src, 'first');
    const manifest = await readManifest(first);
    const original = await zoneOf(src, 'r1');
    expect(manifest.groups).to.have.length(1);
    const entry = manifest.groups[0];
    expect(entry?.region).to.equal('r1');
    expect(entry?.appliedIndex).to.be.at.least(original.changedIndex);
    expect(entry?.zones[0]?.rrsets).to.equal(original.rrsets.length);
    expect(entry?.zones[0]?.serial).to.equal(original.serial);
    expect(original.rrsets.length).to.be.above(ZONE_PAGE_RRSETS_MAX);

    const restored = await raftns([...dst.target, 'restore', first]);
    expect(restored.code, restored.stderr).to.equal(EXIT_OK);
    expect(restored.stdout).to.match(
      /^r1 example\.org\.: restored \d+ RRsets .*\nr2 example\.org\.: restored /,
    );
    for (const region of REGIONS) {
      const read = await zoneOf(dst, region);
      sameContent(original.rrsets, read.rrsets);
      // A zone the restore creates starts at the backup's serial.
      expect(read.serial).to.equal(original.serial);
    }
    const second = await backup(dst, 'second');
    expect(await readFile(join(second, DATA_FILE))).to.deep.equal(await readFile(join(first, DATA_FILE)));
    // The export of the restored region holds the same records as the source's.
    const exported = await raftns([...dst.target, '--region', 'r2', 'zone', 'export', ZONE]);
    expect(exported.code, exported.stderr).to.equal(EXIT_OK);
    const parsed = parseZoneFile(exported.stdout, 'export.db', ZONE);
    if (!parsed.ok) expect.fail(parsed.text);
    sameContent(original.rrsets, parsed.rrsets);
  });

  it('restores one zone over changed data: RRsets not in the backup go, changed ones come back', async () => {
    const src = source as Cluster;
    const dst = fresh as Cluster;
    const only = await backup(src, 'only-zone', ['--zone', ZONE]);
    const report = await dst.writer.write([
      { op: 'upsert', name: 'extra.example.org.', type: 'A', ttl: 60, rdata: ['192.0.2.200'] },
      { op: 'upsert', name: 'www.example.org.', type: 'AAAA', ttl: 30, rdata: ['2001:db8::dead'] },
      { op: 'delete-rrset', name: 'v0.example.org.', type: 'A' },
    ]);
    expect(report.complete).to.equal(true);
    const dry = await raftns([...dst.target, 'restore', only, '--zone', ZONE, '--dry-run']);
    expect(dry.code, dry.stderr).to.equal(EXIT_OK);
    expect(dry.stdout).to.contain('- extra.example.org. A\n');
    expect(dry.stdout).to.contain('+ www.example.org. 300 AAAA 2001:db8::1\n');
    expect(dry.stdout).to.match(/\n2 RRset\(s\) to write, 1 to delete, \d+ unchanged\n$/);
    const run = await raftns([...dst.target, 'restore', only, '--zone', 'example.org']);
    expect(run.code, run.stderr).to.equal(EXIT_OK);
    const original = await zoneOf(src, 'r1');
    for (const region of REGIONS) sameContent(original.rrsets, (await zoneOf(dst, region)).rrsets);
    const missing = await raftns([...dst.target, 'restore', only, '--zone', 'example.com']);
    expect(missing.code).to.equal(EXIT_USAGE);
    expect(missing.stderr).to.contain('manifest.json: the backup holds no zone example.com');
  });

  it('refuses a corrupt, truncated or incomplete backup with the file and offset, and changes nothing', async () => {
    const src = source as Cluster;
    const dst = fresh as Cluster;
    const good = await backup(src, 'good');
    const bytes = await readFile(join(good, DATA_FILE));
    expect(bytes.length).to.be.above(3 * BLOCK_BYTES);
    const before = await Promise.all(REGIONS.map((r) => zoneOf(dst, r)));

    const copy = async (name: string): Promise<string> => {
      const out = join(dir, name);
      await cp(good, out, { recursive: true });
      return out;
    };
    const refused = async (backupDir: string, expected: string): Promise<void> => {
      const run = await raftns([...dst.target, 'restore', backupDir]);
      expect(run.code, run.stdout + run.stderr).to.equal(EXIT_USAGE);
      expect(run.stderr).to.contain(`raftns: backup refused, nothing written: ${backupDir}/${expected}`);
    };

    // A flipped bit inside a TXT string ("record 1500" becomes "record 0500"): every line
    // still parses, so the block holding it is named.
    const inText = bytes.indexOf('record 1500') + 'record '.length;
    expect(inText).to.be.above(BLOCK_BYTES);
    const flipped = Buffer.from(bytes);
    flipped[inText] = (flipped[inText] as number) ^ 0x01;
    const flippedDir = await copy('flipped');
    await writeFile(join(flippedDir, DATA_FILE), flipped);
    const block = Math.floor(inText / BLOCK_BYTES) * BLOCK_BYTES;
    await refused(flippedDir, `${DATA_FILE} at byte offset ${block}: SHA-256 differs`);

    // A broken line: the offset is that line's first byte.
    const inLine = bytes.indexOf('"type":"TXT"', 2 * BLOCK_BYTES);
    const lineStart = bytes.lastIndexOf(0x0a, inLine) + 1;
    const broken = Buffer.from(bytes);
    broken[inLine] = 0x7b; // '{'
    const brokenDir = await copy('broken');
    await writeFile(join(brokenDir, DATA_FILE), broken);
    await refused(brokenDir, `${DATA_FILE} at byte offset ${lineStart}: not a JSON line`);

    const cut = bytes.length - 1000;
    const truncatedDir = await copy('truncated');
    await truncate(join(truncatedDir, DATA_FILE), cut);
    await refused(
      truncatedDir,
      `${DATA_FILE} at byte offset ${cut}: ${cut} bytes where the manifest says ${bytes.length}`,
    );

    const manifestDir = await copy('manifest');
    const text = await readFile(join(manifestDir, 'manifest.json'), 'utf8');
    await writeFile(
      join(manifestDir, 'manifest.json'),
      text.replace(/"appliedIndex": \d+/, '"appliedIndex": 1'),
    );
    await refused(manifestDir, 'manifest.json: its SHA-256 differs from manifest.sha256');

    const incompleteDir = await copy('incomplete');
    await rm(join(incompleteDir, 'manifest.sha256'));
    await refused(incompleteDir, 'manifest.sha256: missing: the backup did not complete');

    for (const [i, region] of REGIONS.entries()) {
      const after = await zoneOf(dst, region);
      expect(after.changedIndex, region).to.equal(before[i]?.changedIndex);
      expect(after.serial, region).to.equal(before[i]?.serial);
    }
    // Nothing staged either.
    for (const region of REGIONS) {
      const staged = await (await dst.writer.client(region, GROUP)).range('dns-import/');
      expect(staged.entries).to.deep.equal([]);
    }
  });

  it('refuses a zone the target cluster does not serve, before writing anything', async () => {
    const dst = fresh as Cluster;
    const other = 'other';
    const kv = await new Kvm(dst.nc).create(planBucket(other));
    await kv.put(
      PLAN_KEY,
      JSON.stringify({
        version: PLAN_VERSION,
        cluster: other,
        regions: ['r1'],
        replicasPerGroup: 1,
        groups: [{ id: 'net', zone: 'example.net.' }],
      }),
    );
    const run = await raftns(['--nats', dst.nats.url, '--cluster', other, 'restore', join(dir, 'good')]);
    expect(run.code, run.stdout + run.stderr).to.equal(EXIT_USAGE);
    expect(run.stderr).to.contain(
      `${DATA_FILE}: zone example.org.: no group of the cluster serves example.org.`,
    );
    const notZone = await raftns([
      ...dst.target,
      'backup',
      '--out',
      join(dir, 'not-a-zone'),
      '--zone',
      'www.example.org',
    ]);
    expect(notZone.code).to.equal(EXIT_USAGE);
    expect(notZone.stderr).to.contain(
      'www.example.org. is not a zone of the cluster (it lies in example.org.)',
    );
    const summary = await raftns([...dst.target, 'backup', '--out', join(dir, 'summary'), '--region', 'r2']);
    expect(summary.code, summary.stderr).to.equal(EXIT_OK);
    expect(summary.stdout).to.match(
      /^g1 example\.org\.: applied index \d+, serial \d+, \d+ RRsets, \d+ records, \d+ bytes in g1\.zone-0\.jsonl\nbackup of backups region r2: 1 groups, 1 zones, \d+ records, \d+ bytes in .*summary\n$/,
    );
    const again = await raftns([...dst.target, 'backup', '--out', join(dir, 'good')]);
    expect(again.code).to.equal(EXIT_USAGE);
    expect(again.stderr).to.contain('already holds a backup');
  });

  it('backups taken while writes continue each hold one state of the zone', async () => {
    const src = source as Cluster;
    // One batch per step: a counter and three records that must appear together or not at
    // all, on both sides of the 2,100 bulk RRsets, so in different pages of the read.
    let acknowledged = 0;
    let writing = true;
    let writeError: unknown;
    const writer = (async () => {
      for (let n = 1; writing && n < 100_000; n++) {
        const value = `"${n}"`;
        const report = await src.writer.write([
          { op: 'upsert', name: 'counter.example.org.', type: 'TXT', ttl: 60, rdata: [value] },
          { op: 'upsert', name: 'aaa-set.example.org.', type: 'TXT', ttl: 60, rdata: [value] },
          { op: 'upsert', name: 'mmm-set.example.org.', type: 'TXT', ttl: 60, rdata: [value] },
          { op: 'upsert', name: 'zzz-set.example.org.', type: 'TXT', ttl: 60, rdata: [value] },
        ]);
        if (!report.complete) throw new Error(`write ${n}: ${JSON.stringify(report.regions)}`);
        acknowledged = n;
      }
    })().catch((error: unknown) => {
      writeError = error;
    });
    try {
      const deadline = Date.now() + 60_000;
      while (acknowledged < 3 && Date.now() < deadline && writeError === undefined)
        await new Promise((resolve) => setTimeout(resolve, 20));
      for (let i = 0; i < 3; i++) {
        const ackedBefore = acknowledged;
        const out = await backup(src, `while-writing-${i}`);
        const ackedAfter = acknowledged;
        const lines = (await readFile(join(out, DATA_FILE), 'utf8'))
          .split('\n')
          .filter((line) => line.length > 0)
          .map((line) => JSON.parse(line) as ZoneRrset);
        const textAt = (name: string) => lines.find((l) => l.name === name && l.type === 'TXT')?.rdata[0];
        const counter = textAt('counter.example.org.');
        expect(counter, `backup ${i}`).to.be.a('string');
        const n = Number(JSON.parse(counter as string));
        // The read spans pages: the first member in the first, the last in a later one.
        expect(lines.findIndex((l) => l.name === 'aaa-set.example.org.')).to.be.below(ZONE_PAGE_RRSETS_MAX);
        expect(lines.findIndex((l) => l.name === 'zzz-set.example.org.')).to.be.at.least(
          ZONE_PAGE_RRSETS_MAX,
        );
        for (const name of ['aaa-set.example.org.', 'mmm-set.example.org.', 'zzz-set.example.org.'])
          expect(textAt(name), `${name} in backup ${i}`).to.equal(counter);
        // Linearizable: at least every write acknowledged before the backup started.
        expect(n, `backup ${i}`).to.be.within(ackedBefore, ackedAfter + 1);
        const manifest = await readManifest(out);
        expect(manifest.groups[0]?.appliedIndex).to.be.a('number');
        console.log(
          `    backup ${i} while writing: counter ${n} (acknowledged ${ackedBefore}..${ackedAfter}), applied index ${manifest.groups[0]?.appliedIndex}`,
        );
      }
    } finally {
      writing = false;
      await writer;
    }
    expect(writeError).to.equal(undefined);
    expect(acknowledged).to.be.above(3);
  });

  it('files of a backup are the data files and the manifest only (no temporary files left)', async () => {
    const files = await readdir(join(dir, 'first'));
    expect(files.sort()).to.deep.equal([DATA_FILE, 'manifest.json', 'manifest.sha256']);
  });
});
