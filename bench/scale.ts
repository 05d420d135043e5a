/**
 * `npm run bench:scale`: many zones in one group, many records, against one zone of ten
 * records in the same run, on a bootstrapped hierarchy of real processes (`npm start`'s:
 * root → org → wikipedia.org, `--replicas` per group, one region).
 *
 * The group measured is `wikipedia-org`. Small case: its planned zone holds 10 records.
 * Large case: `--zones` zones `z<i>.wikipedia.org.` created at runtime in that group
 * (`raftns zone create` with many names: the registry, then the group's leader creating
 * them in batches and delegating to each from wikipedia.org.), then `--records` A records
 * spread over them (256 per batch through the group's client). Figures, for the group's
 * replica `r`:
 * - time to create the zones (total, per zone);
 * - resident memory of `r`'s process (all its threads) before, after the zones and after the
 *   records: bytes per zone and per record; and 2 s after the (last) restart, in a process
 *   that holds the same data without having taken the load;
 * - DNS queries/s of `r` (dnsperf, `--seconds`, random existing names) in both cases;
 * - restart to serving: SIGKILL of `r`, a new process on the same data directory, time
 *   until it answers a record of the last zone (RocksDB recovery, snapshot restore, replay).
 * Aims: large-case qps within 10 % of the small case; restart under 10 s.
 *
 * Options: --zones N (10000), --records N (100000), --seconds S (5), --replicas N (1),
 * --outstanding N (100), --keep (leave the logs and data directories), --log-level L (the
 * replicas'; warn), --restarts N (1: restarts of the large case, the median reported with
 * each), --profile DIR (V8 CPU profiles of every thread of the replica's last restart with
 * the large case, written when the cluster stops). Needs dnsperf.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { ZoneRegistryStore } from '../bootstrap/zone-registry-store.js';
import { LocalCluster } from '../clients/local-cluster/local-cluster.js';
import { readPlan } from '../clients/plan-reader.js';
import { RaftClient } from '../clients/raft-client.js';
import { ZoneLifecycle } from '../clients/zone-lifecycle.js';
import { BATCH_CHANGES_MAX, type DnsChange } from '../protocol/dns/changes.js';
import { HybridClock } from '../protocol/dns/version.js';
import { decodeMessage } from '../protocol/dns/wire/message.js';
import { silentLogger } from '../runtime/log.js';
import { connectNats } from '../runtime/nats/nats-connection.js';
import { aQueryBytes } from '../spec/fixtures/dns-query.js';
import { freePort } from '../spec/fixtures/free-port.js';

const execFileAsync = promisify(execFile);

const { values } = parseArgs({
  options: {
    zones: { type: 'string', default: '10000' },
    records: { type: 'string', default: '100000' },
    seconds: { type: 'string', default: '5' },
    replicas: { type: 'string', default: '1' },
    outstanding: { type: 'string', default: '100' },
    /** Keep the cluster's directory (logs, data) after the run, and print where it is. */
    keep: { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
    profile: { type: 'string' },
    restarts: { type: 'string', default: '1' },
  },
});
const ZONES = Number(values.zones);
const RECORDS = Number(values.records);
const SECONDS = Number(values.seconds);
const REPLICAS = Number(values.replicas);
const OUTSTANDING = Number(values.outstanding);
const RESTARTS = Number(values.restarts);
if (!Number.isInteger(RESTARTS) || RESTARTS < 1) throw new Error(`--restarts must be a positive integer`);
const GROUP = 'wikipedia-org';
const PARENT = 'wikipedia.org.';
const SMALL_RECORDS = 10;
/** A restart that has not served within this long is reported as failed. */
const RESTART_DEADLINE_MS = 120_000;

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

/** One UDP query; true when it was answered NOERROR with at least one answer record. */
async function answers(host: string, port: number, name: string, timeoutMs = 500): Promise<boolean> {
  const query = aQueryBytes(name, randomBytes(2).readUInt16BE(0));
  const socket = createSocket('udp4');
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      socket.once('message', (reply) => {
        clearTimeout(timer);
        const decoded = decodeMessage(reply);
        resolve(decoded.ok && decoded.message.flags.rcode === 0 && decoded.message.answers.length > 0);
      });
      socket.once('error', () => resolve(false));
      socket.send(query, port, host);
    });
  } finally {
    socket.close();
  }
}

async function dnsperf(
  host: string,
  port: number,
  queryFile: string,
): Promise<{ qps: number; lost: number }> {
  const { stdout } = await execFileAsync(
    'dnsperf',
    ['-s', host, '-p', String(port), '-d', queryFile, '-l', String(SECONDS), '-q', String(OUTSTANDING)],
    { timeout: (SECONDS + 30) * 1000, maxBuffer: 16 * 1024 * 1024 },
  );
  const number = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? Number.NaN);
  return { qps: number(/Queries per second:\s+([\d.]+)/), lost: number(/Queries lost:\s+(\d+)/) };
}

async function fill(
  client: RaftClient,
  clock: HybridClock,
  names: readonly { zone: string; name: string }[],
) {
  for (let i = 0; i < names.length; i += BATCH_CHANGES_MAX) {
    const changes: DnsChange[] = names.slice(i, i + BATCH_CHANGES_MAX).map((n, j) => ({
      op: 'upsert',
      zone: n.zone,
      name: n.name,
      type: 'A',
      ttl: 300,
      rdata: [`10.${((i + j) >> 16) & 255}.${((i + j) >> 8) & 255}.${(i + j) & 255}`],
      version: clock.next(),
    }));
    const result = await client.dnsBatch({ changes }, { deadlineMs: 30_000 });
    if (!result.ok) throw new Error(`fill: ${result.error.message}`);
  }
}

async function main(): Promise<void> {
  if (spawnSync('dnsperf', ['-h'], { stdio: 'ignore' }).error !== undefined)
    throw new Error('dnsperf is not installed (apt-get install dnsperf)');
  const dir = await mkdtemp(join(tmpdir(), 'raftns-bench-scale-'));
  const cluster = new LocalCluster({
    dir,
    replicasPerGroup: REPLICAS,
    natsPort: await freePort(),
    dnsPort: await freePort(),
    httpPort: null,
    subnet: 90,
    logLevel: values['log-level'],
    dnsRrlRate: 0,
  });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(
    `setup: root → org → wikipedia.org, ${REPLICAS} replica(s) per group, 1 region, nats-server, all on this machine's ${
      (await import('node:os')).cpus().length
    } cores; group measured: ${GROUP}; dnsperf -q ${OUTSTANDING} for ${SECONDS} s per run`,
  );
  let lifecycle: ZoneLifecycle | undefined;
  let client: RaftClient | undefined;
  try {
    await cluster.start();
    await cluster.waitReady(180_000);
    const creds = cluster.credentialsFile('admin');
    const conn = await connectNats({
      urls: [cluster.natsUrl],
      ...(creds === undefined ? {} : { credsFile: creds }),
      name: 'bench-scale',
      log: silentLogger,
    });
    const plan = await readPlan(conn, 'local');
    client = await RaftClient.connect({ nc: conn, cluster: 'local', region: 'region1', group: GROUP });
    lifecycle = new ZoneLifecycle({
      nc: conn,
      plan,
      registry: await ZoneRegistryStore.open(conn, 'local'),
      deadlineMs: 600_000,
      pollMs: 200,
    });
    const clock = new HybridClock('bench-scale', () => Date.now());
    const topology = await cluster.topology();
    const group = topology.regions[0]?.groups.find((g) => g.id === GROUP);
    const leader = group?.replicas.find((r) => r.role === 'leader') ?? group?.replicas[0];
    if (leader === undefined) throw new Error(`no replica of ${GROUP}`);
    const replica = cluster.replicaList().find((r) => r.instanceId === leader.instanceId);
    if (replica === undefined) throw new Error(`no process for ${leader.instanceId}`);
    const pidOf = () => cluster.replicaList().find((r) => r.instanceId === replica.instanceId)?.pid ?? 0;

    const restart = async (probe: string, nodeArgs: readonly string[] = []): Promise<number> => {
      await cluster.kill(replica.instanceId, 'SIGKILL');
      const started = performance.now();
      await cluster.spawnReplica(replica, nodeArgs);
      while (performance.now() - started < RESTART_DEADLINE_MS) {
        if (await answers(replica.address, cluster.dnsPort, probe, 200)) return performance.now() - started;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return Number.NaN;
    };

    // Small case: the planned zone with ten records.
    const small = Array.from({ length: SMALL_RECORDS }, (_, i) => ({
      zone: PARENT,
      name: `s${i}.${PARENT}`,
    }));
    await fill(client, clock, small);
    const queriesSmall = join(dir, 'small.txt');
    await writeFile(queriesSmall, `${small.map((n) => `${n.name} A`).join('\n')}\n`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const rssSmall = rssBytes(pidOf());
    const qpsSmall = await dnsperf(replica.address, cluster.dnsPort, queriesSmall);
    const restartSmall = await restart(small[SMALL_RECORDS - 1]?.name as string);

    // Large case: ZONES zones, then RECORDS records over them.
    const zones = Array.from({ length: ZONES }, (_, i) => `z${i}.${PARENT}`);
    const created = await lifecycle.createMany(zones, GROUP);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const rssZones = rssBytes(pidOf());
    const records = Array.from({ length: RECORDS }, (_, i) => {
      const zone = zones[i % ZONES] as string;
      return { zone, name: `h${Math.floor(i / ZONES)}.${zone}` };
    });
    const fillStarted = performance.now();
    await fill(client, clock, records);
    const fillMs = performance.now() - fillStarted;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const rssRecords = rssBytes(pidOf());
    const queriesLarge = join(dir, 'large.txt');
    const sample = Array.from({ length: 10_000 }, () => records[Math.floor(Math.random() * records.length)]);
    await writeFile(queriesLarge, `${sample.map((n) => `${n?.name} A`).join('\n')}\n`);
    const qpsLarge = await dnsperf(replica.address, cluster.dnsPort, queriesLarge);
    const restartsLarge: number[] = [];
    for (let i = 0; i < RESTARTS; i++)
      restartsLarge.push(
        await restart(
          records[records.length - 1]?.name as string,
          values.profile === undefined || i < RESTARTS - 1
            ? []
            : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`],
        ),
      );
    const restartLarge = [...restartsLarge].sort((a, b) => a - b)[Math.floor((RESTARTS - 1) / 2)] as number;
    // The same data in a process that did not take the load: what the records themselves hold.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const rssRestarted = rssBytes(pidOf());

    const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
    say('');
    say(`| figure | 1 zone, ${SMALL_RECORDS} records | ${ZONES} zones, ${RECORDS} records |`);
    say('|---|---|---|');
    say(
      `| zone creation | — | ${(created.elapsedMs / 1000).toFixed(1)} s for ${created.created.length} (${(created.elapsedMs / ZONES).toFixed(2)} ms per zone) |`,
    );
    say(
      `| record load (256 per batch) | — | ${(fillMs / 1000).toFixed(1)} s (${Math.round(RECORDS / (fillMs / 1000))} records/s) |`,
    );
    say(
      `| resident memory of the replica | ${mb(rssSmall)} | ${mb(rssZones)} with the zones, ${mb(rssRecords)} with the records |`,
    );
    say(
      `| memory per zone, per record | — | ${Math.round((rssZones - rssSmall) / ZONES)} B, ${Math.round((rssRecords - rssZones) / RECORDS)} B |`,
    );
    say(
      `| resident memory after the restart | ${mb(rssSmall)} | ${mb(rssRestarted)}: ${Math.round((rssRestarted - rssSmall) / (ZONES + RECORDS))} B per zone or record |`,
    );
    say(
      `| DNS queries/s (lost) | ${Math.round(qpsSmall.qps)} (${qpsSmall.lost}) | ${Math.round(qpsLarge.qps)} (${qpsLarge.lost}): ${((qpsLarge.qps / qpsSmall.qps) * 100).toFixed(0)} % |`,
    );
    say(
      `| restart to serving (SIGKILL, same data) | ${(restartSmall / 1000).toFixed(2)} s | ${(restartLarge / 1000).toFixed(2)} s${RESTARTS > 1 ? ` (median of ${RESTARTS}: ${restartsLarge.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s)` : ''} |`,
    );
    say('');
    say(
      `aims: qps within 10 % of the small case: ${qpsLarge.qps >= 0.9 * qpsSmall.qps ? 'met' : 'NOT met'}; restart under 10 s: ${restartLarge < 10_000 ? 'met' : 'NOT met'}`,
    );
    await conn.close();
  } finally {
    await lifecycle?.close();
    await client?.close().catch(() => undefined);
    await cluster.stop(5_000);
    if (values.keep) process.stdout.write(`kept: ${dir}\n`);
    else await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:scale failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
