/**
 * Zone transfers out of raftns next to Knot in the same run (issue: zone transfers):
 *
 *   - AXFR of a generated zone (`--records`, default 100,000) from a one-replica raftns
 *     group and from a Knot primary serving the same zone file: seconds and MB/s on
 *     loopback, as `kdig` receives them (median of `--runs`);
 *   - IXFR of 1 and of 100 changes behind (raftns from its replicated change history, which
 *     keeps 64 versions, so 100 behind gets the whole zone in AXFR form, RFC 1995 §4; Knot
 *     from its journal);
 *   - a write acknowledged by raftns → a Knot secondary answering it (NOTIFY, SOA check,
 *     transfer), p50 and p99 over `--writes` writes, one at a time.
 *
 *   npm run bench:axfr [-- --records 100000 --runs 3 --writes 100]
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Kvm } from '@nats-io/kv';
import { TransferAclStore } from '../bootstrap/transfer-acl-store.js';
import type { TsigKey } from '../protocol/dns/tsig/key.js';
import { parseKeyFile } from '../protocol/dns/tsig/key-file.js';
import { HybridClock } from '../protocol/dns/version.js';
import { PLAN_KEY, PLAN_VERSION, planBucket, slotKey, slotsBucket } from '../protocol/plan.js';
import { silentLogger } from '../runtime/log.js';
import { connectNats } from '../runtime/nats/nats-connection.js';
import { runTool } from '../spec/fixtures/child-process.js';
import { freePort } from '../spec/fixtures/free-port.js';
import { startNatsServer } from '../spec/fixtures/nats-server.js';
import { type DnsListenerInfo, RaftCluster } from '../spec/fixtures/raft-cluster.js';
import { daemon, knotSecondary } from '../spec/fixtures/secondaries.js';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '3' },
    writes: { type: 'string', default: '100' },
  },
});
const records = Number(values.records);
const runs = Number(values.runs);
const writes = Number(values.writes);
const ZONE = 'bench.example.';
const CLUSTER = 'benchxfr';

function zoneText(count: number, serial: number): string {
  const lines = [
    '$TTL 300',
    `@ SOA ns1 hostmaster ${serial} 7200 3600 1209600 300`,
    '  NS ns1',
    'ns1 A 192.0.2.1',
  ];
  for (let i = 0; lines.length - 1 < count; i++)
    lines.push(`host-${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return `${lines.join('\n')}\n`;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
}

interface Transfer {
  readonly ms: number;
  readonly bytes: number;
  readonly messages: number;
  readonly records: number;
}

/** One transfer by `kdig` (records not printed), timed around the whole exchange. */
async function transfer(at: { address: string; port: number }, type: string): Promise<Transfer> {
  const started = performance.now();
  const run = await runTool(
    'kdig',
    [`@${at.address}`, '-p', String(at.port), '+noall', '+stats', '+timeout=60', '-t', type, ZONE],
    { timeoutMs: 120_000 },
  );
  const ms = performance.now() - started;
  const stats = /Received (\d+) B \((\d+) messages, (\d+) records\)/.exec(run.out);
  if (run.code !== 0 || stats === null) throw new Error(`kdig ${type}: ${run.out.slice(0, 2000)}`);
  return { ms, bytes: Number(stats[1]), messages: Number(stats[2]), records: Number(stats[3]) };
}

function print(server: string, figure: string, samples: readonly Transfer[]): void {
  const ms = median(samples.map((s) => s.ms));
  const last = samples[samples.length - 1] as Transfer;
  console.log(
    JSON.stringify({
      bench: 'axfr',
      server,
      figure,
      runs: samples.length,
      medianMs: Math.round(ms),
      bytes: last.bytes,
      messages: last.messages,
      records: last.records,
      megabytesPerSecond: Math.round((last.bytes / 1e6 / (ms / 1000)) * 10) / 10,
    }),
  );
}

async function soaSerial(at: { address: string; port: number }): Promise<number> {
  const run = await runTool('kdig', [`@${at.address}`, '-p', String(at.port), '+short', ZONE, 'SOA'], {
    timeoutMs: 10_000,
  });
  return Number(run.stdout.trim().split(/\s+/)[2]);
}

async function answers(at: { address: string; port: number }, name: string): Promise<string> {
  const run = await runTool(
    'kdig',
    [`@${at.address}`, '-p', String(at.port), '+short', '+norec', name, 'A'],
    {
      timeoutMs: 10_000,
    },
  );
  return run.stdout.trim();
}

async function until(what: string, deadlineMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

console.log(
  JSON.stringify({
    bench: 'axfr',
    setup: {
      records,
      runs,
      writes,
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      raftns: '1 replica, lease listener',
      knot: 'knotd 3.2, zone file + journal',
    },
  }),
);

const dir = await mkdtemp(join(tmpdir(), 'bench-axfr-'));
const nats = await startNatsServer({ jetstream: true });
const nc = await connectNats({ urls: [nats.url], name: 'bench-axfr', log: silentLogger });
const stops: Array<() => Promise<void>> = [];
try {
  // raftns: one replica serving the zone, transfers allowed from loopback.
  const kvm = new Kvm(nc);
  const plan = {
    version: PLAN_VERSION,
    cluster: CLUSTER,
    regions: ['r1'],
    replicasPerGroup: 1,
    groups: [{ id: 'g1', zone: ZONE }],
  };
  await (await kvm.create(planBucket(CLUSTER))).put(PLAN_KEY, JSON.stringify(plan));
  await (await kvm.create(slotsBucket(CLUSTER))).put(slotKey('r1', 'g1', 0), 'r1');
  const cluster = await RaftCluster.start({ replicas: 1, cluster: CLUSTER, region: 'r1', group: 'g1', nats });
  stops.push(() => cluster.stop());
  await cluster.waitForLeader(30_000);
  const raftnsAt = cluster.replicas[0]?.dns[0] as DnsListenerInfo;
  const file = join(dir, 'zone.db');
  await writeFile(file, zoneText(records, 1));
  const cli = join(import.meta.dirname, '../clients/cli/raftns.js');
  const imported = await runTool(
    process.execPath,
    [cli, '--nats', nats.url, '--cluster', CLUSTER, '--timeout', '600000', 'zone', 'import', ZONE, file],
    {
      timeoutMs: 620_000,
    },
  );
  if (imported.code !== 0) throw new Error(imported.out);
  const acl = await TransferAclStore.open(nc, CLUSTER);
  await acl.allow(ZONE, { keys: [], prefixes: ['127.0.0.1'] });
  const tsig = await runTool(
    process.execPath,
    [cli, '--nats', nats.url, '--cluster', CLUSTER, 'tsig', 'add', 'xfr.', '--zone', ZONE],
    {
      timeoutMs: 30_000,
    },
  );
  const keyFile = parseKeyFile(tsig.stdout);
  if (tsig.code !== 0 || !keyFile.ok) throw new Error(tsig.out);
  const secret = Buffer.from((keyFile.keys[0] as TsigKey).secret).toString('base64');
  await acl.allow(ZONE, { keys: ['xfr.'], prefixes: [] });
  await until(
    'raftns allows the transfer',
    20_000,
    async () => (await transfer(raftnsAt, 'IXFR=0').catch(() => null)) !== null,
  );

  // Knot: a primary serving the same zone file, changes through knotc transactions (journal).
  const knotPort = await freePort();
  const knotDir = join(dir, 'knot-primary');
  await mkdir(join(knotDir, 'run'), { recursive: true });
  await writeFile(join(knotDir, `${ZONE}zone`), zoneText(records, 1));
  const knotConf = join(knotDir, 'knot.conf');
  await writeFile(
    knotConf,
    [
      'server:',
      `    rundir: "${knotDir}/run"`,
      `    listen: 127.0.0.1@${knotPort}`,
      'database:',
      `    storage: "${knotDir}"`,
      'acl:',
      '  - id: any',
      '    address: 127.0.0.1',
      '    action: transfer',
      'template:',
      '  - id: default',
      `    storage: "${knotDir}"`,
      '    zonefile-sync: -1',
      '    journal-content: changes',
      'zone:',
      `  - domain: ${ZONE}`,
      '    acl: any',
      '',
    ].join('\n'),
  );
  const knot = daemon('knotd', ['-c', knotConf]);
  knot.start();
  stops.push(() => knot.stop());
  const knotAt = { address: '127.0.0.1', port: knotPort };
  await until(`Knot serves the zone ${knot.log()}`, 60_000, async () => (await soaSerial(knotAt)) === 1);

  // AXFR, alternating servers.
  const axfr: Record<string, Transfer[]> = { raftns: [], knot: [] };
  for (let i = 0; i < runs; i++) {
    axfr.raftns?.push(await transfer(raftnsAt, 'AXFR'));
    axfr.knot?.push(await transfer(knotAt, 'AXFR'));
  }
  print('raftns', 'AXFR', axfr.raftns ?? []);
  print('knot', 'AXFR', axfr.knot ?? []);

  // IXFR 1 and 100 changes behind: 100 single-record changes on each server.
  const clock = new HybridClock('bench-axfr', () => Date.now());
  const client = await cluster.client();
  stops.push(() => client.close());
  const raftnsStart = await soaSerial(raftnsAt);
  for (let i = 0; i < 100; i++) {
    const result = await client.dnsBatch({
      changes: [
        {
          op: 'upsert',
          zone: ZONE,
          name: `ixfr-${i}`,
          type: 'A',
          ttl: 60,
          rdata: [`192.0.2.${(i % 250) + 1}`],
          version: clock.next(),
        },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result));
  }
  for (let i = 0; i < 100; i++) {
    const knotc = (...args: string[]) => runTool('knotc', ['-c', knotConf, ...args], { timeoutMs: 30_000 });
    await knotc('zone-begin', ZONE);
    await knotc('zone-set', ZONE, `ixfr-${i}`, '60', 'A', `192.0.2.${(i % 250) + 1}`);
    const committed = await knotc('zone-commit', ZONE);
    if (committed.code !== 0) throw new Error(`knotc: ${committed.out}`);
  }
  const raftnsEnd = await soaSerial(raftnsAt);
  const knotEnd = await soaSerial(knotAt);
  for (const behind of [1, 100]) {
    const r: Transfer[] = [];
    const k: Transfer[] = [];
    for (let i = 0; i < runs; i++) {
      r.push(await transfer(raftnsAt, `IXFR=${raftnsEnd - behind}`));
      k.push(await transfer(knotAt, `IXFR=${knotEnd - behind}`));
    }
    print('raftns', `IXFR ${behind} change${behind === 1 ? '' : 's'} behind`, r);
    print('knot', `IXFR ${behind} change${behind === 1 ? '' : 's'} behind`, k);
  }
  if (raftnsEnd - raftnsStart !== 100)
    console.error(`raftns serial moved ${raftnsEnd - raftnsStart} for 100 writes`);

  // Write acknowledged → a Knot secondary answering it.
  const secondary = await knotSecondary(dir, ZONE, secret, [raftnsAt]);
  await secondary.start();
  stops.push(() => secondary.stop());
  await acl.addNotify(ZONE, { address: '127.0.0.1', port: secondary.port, key: 'xfr.' });
  const secondaryAt = { address: '127.0.0.1', port: secondary.port };
  await until(
    `the secondary serves the zone ${secondary.log().slice(-2000)}`,
    120_000,
    async () => (await soaSerial(secondaryAt)) === raftnsEnd,
  );
  const delays: number[] = [];
  for (let i = 0; i < writes; i++) {
    const address = `198.51.100.${(i % 250) + 1}`;
    const result = await client.dnsBatch({
      changes: [
        {
          op: 'upsert',
          zone: ZONE,
          name: 'notified',
          type: 'A',
          ttl: 60,
          rdata: [address],
          version: clock.next(),
        },
      ],
    });
    if (!result.ok) throw new Error(JSON.stringify(result));
    const acknowledged = performance.now();
    await until(
      `secondary answers write ${i}`,
      30_000,
      async () => (await answers(secondaryAt, `notified.${ZONE}`)) === address,
    );
    delays.push(performance.now() - acknowledged);
  }
  console.log(
    JSON.stringify({
      bench: 'axfr',
      figure: 'write acknowledged → Knot secondary answers (NOTIFY, SOA, IXFR)',
      writes,
      p50Ms: Math.round(percentile(delays, 0.5)),
      p99Ms: Math.round(percentile(delays, 0.99)),
      maxMs: Math.round(Math.max(...delays)),
    }),
  );
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  await nc.close();
  await nats.stop();
  await rm(dir, { recursive: true, force: true });
}
