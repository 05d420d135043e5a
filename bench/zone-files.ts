/**
 * Zone files in and out: parse and render throughput of a generated zone on the CPU pool
 * (with the main thread's event-loop delay meanwhile, which the pool keeps low), then the
 * time to import (stage + one commit entry) and export (paged, one state) that zone
 * through a local group of one region (one replica, over NATS), and to back the group up
 * (`raftns backup`: read, encode, checksum, fsync), check a backup (`raftns restore`'s
 * checks, before it writes) and restore it over a changed zone. Prints one JSON line per
 * figure; `--records` sets the zone size, `--runs` the repetitions (medians reported).
 *
 *   npm run bench:zones [-- --records 100000 --runs 3]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Kvm } from '@nats-io/kv';
import { restoreBackup, verifyBackup } from '../clients/backup/restore-backup.js';
import { takeBackup } from '../clients/backup/take-backup.js';
import { RegionWriter } from '../clients/region-writer.js';
import { importZone, readZone } from '../clients/zone-import-export.js';
import { PLAN_KEY, PLAN_VERSION, planBucket, slotKey, slotsBucket } from '../protocol/plan.js';
import { CpuPool } from '../runtime/cpu-pool.js';
import { silentLogger } from '../runtime/log.js';
import { connectNats } from '../runtime/nats/nats-connection.js';
import { startNatsServer } from '../spec/fixtures/nats-server.js';
import { RaftCluster } from '../spec/fixtures/raft-cluster.js';

const { values } = parseArgs({
  options: { records: { type: 'string', default: '100000' }, runs: { type: 'string', default: '3' } },
});
const records = Number(values.records);
const runs = Number(values.runs);
const ZONE = 'bench.example.';
const TASK_TIMEOUT_MS = 600_000;
const DEADLINE_MS = 600_000;

/** A zone of `count` records of several types (A, AAAA, TXT, MX), as an operator's file. */
function zoneText(count: number): string {
  const lines = ['$TTL 300', '@ SOA ns1 hostmaster 1 7200 3600 1209600 300', '  NS ns1', 'ns1 A 192.0.2.1'];
  for (let i = 0; lines.length - 1 < count; i++) {
    const host = `host-${i}`;
    lines.push(`${host} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    if (i % 4 === 0) lines.push(`${host} 60 AAAA 2001:db8::${(i & 0xffff).toString(16)}`);
    if (i % 8 === 0) lines.push(`  TXT "record ${i}" "v=spf1 -all"`);
    if (i % 16 === 0) lines.push(`mx-${i} MX 10 ${host}`);
  }
  return `${lines.join('\n')}\n`;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number; loopDelayMaxMs: number }> {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  delay.disable();
  return { value, ms, loopDelayMaxMs: delay.max / 1e6 };
}

function figure(
  name: string,
  samples: ReadonlyArray<{ ms: number; loopDelayMaxMs: number }>,
  extra = {},
): void {
  const ms = median(samples.map((s) => s.ms));
  console.log(
    JSON.stringify({
      bench: 'zones',
      figure: name,
      records,
      runs: samples.length,
      medianMs: Math.round(ms),
      recordsPerSecond: Math.round(records / (ms / 1000)),
      eventLoopDelayMaxMs: Math.round(Math.max(...samples.map((s) => s.loopDelayMaxMs))),
      ...extra,
    }),
  );
}

console.log(`bench:zones — ${records} records, ${runs} runs; ${cpus().length} x ${cpus()[0]?.model ?? '?'}`);
const text = zoneText(records);
const pool = new CpuPool({ maxThreads: 1, maxQueue: 2 });
const parses = [];
const renders = [];
let rrsets: Awaited<ReturnType<typeof parse>> = [];
async function parse() {
  const bytes = new TextEncoder().encode(text).buffer as ArrayBuffer;
  const result = await pool.run(
    { kind: 'parse-zone-file', bytes, file: 'bench.db', zone: ZONE },
    { timeoutMs: TASK_TIMEOUT_MS, transfer: [bytes] },
  );
  if (!result.ok) throw new Error(result.text);
  return result.rrsets;
}
for (let i = 0; i < runs; i++) {
  const p = await timed(parse);
  parses.push(p);
  rrsets = p.value;
  renders.push(
    await timed(() =>
      pool.run(
        { kind: 'render-zone-file', zone: ZONE, rrsets, comments: [] },
        { timeoutMs: TASK_TIMEOUT_MS },
      ),
    ),
  );
}
await pool.close();
figure('parse on the CPU pool', parses, { bytes: Buffer.byteLength(text) });
figure('render on the CPU pool', renders);

const nats = await startNatsServer({ jetstream: true });
const nc = await connectNats({ urls: [nats.url], name: 'bench-zones', log: silentLogger });
const cluster = await (async () => {
  const kvm = new Kvm(nc);
  const plan = {
    version: PLAN_VERSION,
    cluster: 'bench',
    regions: ['r1'],
    replicasPerGroup: 1,
    groups: [{ id: 'g1', zone: ZONE }],
  };
  await (await kvm.create(planBucket('bench'))).put(PLAN_KEY, JSON.stringify(plan));
  await (await kvm.create(slotsBucket('bench'))).put(slotKey('r1', 'g1', 0), 'r1');
  const c = await RaftCluster.start({ replicas: 1, cluster: 'bench', region: 'r1', group: 'g1', nats });
  await c.waitForLeader(30_000);
  return c;
})();
const writer = await RegionWriter.open({ nc, cluster: 'bench', deadlineMs: DEADLINE_MS });
try {
  const imports = [];
  const exports = [];
  let chunks = 0;
  for (let i = 0; i < runs; i++) {
    // Alternate a full replacement (every RRset rewritten with new TTLs) and the original.
    const content =
      i % 2 === 0 ? rrsets : rrsets.map((r) => (r.type === 'SOA' ? r : { ...r, ttl: r.ttl + 1 }));
    const imported = await timed(() => importZone(writer, ZONE, content, { deadlineMs: DEADLINE_MS }));
    if (!imported.value.complete) throw new Error(JSON.stringify(imported.value.regions));
    chunks = imported.value.chunks;
    imports.push(imported);
    const client = await writer.client('r1', 'g1');
    const read = await timed(() => readZone(client, ZONE, { deadlineMs: DEADLINE_MS }));
    if (read.value === null || read.value.rrsets.length !== content.length)
      throw new Error(`export read ${read.value?.rrsets.length} of ${content.length} RRsets`);
    exports.push(read);
  }
  figure('import through a group (stage + one commit entry)', imports, { rrsets: rrsets.length, chunks });
  figure('export read from a group (paged, one state)', exports, { rrsets: rrsets.length });

  const backups = [];
  const checks = [];
  const restores = [];
  let bytes = 0;
  const dir = await mkdtemp(join(tmpdir(), 'bench-backup-'));
  try {
    for (let i = 0; i < runs; i++) {
      const out = join(dir, `b${i}`);
      const backup = await timed(() => takeBackup(writer, out, { region: 'r1', createdAt: new Date() }));
      bytes = backup.value.bytes;
      backups.push(backup);
      const checked = await timed(() => verifyBackup(out));
      checks.push(checked);
      // Over a changed zone (every TTL moved), so the restore rewrites every RRset.
      const changed = rrsets.map((r) => (r.type === 'SOA' ? r : { ...r, ttl: r.ttl + 2 }));
      const imported = await importZone(writer, ZONE, changed, { deadlineMs: DEADLINE_MS });
      if (!imported.complete) throw new Error(JSON.stringify(imported.regions));
      const restored = await timed(() => restoreBackup(writer, checked.value, { deadlineMs: DEADLINE_MS }));
      if (!restored.value.every((r) => r.complete)) throw new Error(JSON.stringify(restored.value));
      restores.push(restored);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  figure('backup of the group (one index, encode, checksums, fsync)', backups, {
    rrsets: rrsets.length,
    bytes,
  });
  figure('backup checked before a restore (sizes, checksums, every line)', checks, { bytes });
  figure('restore over a changed zone (every RRset rewritten)', restores, { rrsets: rrsets.length });
} finally {
  await writer.close();
  await cluster.stop();
  await nc.close();
  await nats.stop();
}
