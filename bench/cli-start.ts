/**
 * How long the `raftns` CLI takes from exec to exit, next to Node itself starting and
 * exiting (`node -e 0`, the floor any Node CLI pays): `raftns --help` (the program and its
 * command catalogue, nothing else), and `raftns get NAME A` against a running cluster of one
 * region with one replica (a real nats-server with JetStream, the plan in NATS KV, one zone
 * and one RRset): the `get` command's module, the NATS client, the plan read, one read of
 * the region's group and the output. Runs each command `--runs` times, alternating, and
 * prints one JSON line per command with the median and p90.
 *
 *   npm run bench:cli [-- --runs 20] [--no-cluster] [--cli PATH/raftns.js ...] [--profile DIR]
 *
 * `--cli` (repeatable) times these builds' entry points instead of this one's, alternating
 * in one run: an older checkout's dist next to this one. The commands inherit the
 * environment: a `NODE_EXTRA_CA_CERTS` there raises the floor itself (the header says so).
 * `--profile DIR` then runs each timed CLI command once more under `--cpu-prof`, writing its
 * V8 CPU profile into DIR (open it in Chrome's DevTools).
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import { RegionWriter } from '../clients/region-writer.js';
import { silentLogger } from '../runtime/log.js';
import { connectNats } from '../runtime/nats/nats-connection.js';
import { createZoneChange } from '../spec/fixtures/dns-zone.js';
import { type NatsServerHandle, startNatsServer } from '../spec/fixtures/nats-server.js';
import type { RaftCluster } from '../spec/fixtures/raft-cluster.js';
import { startRegionClusters } from '../spec/fixtures/region-clusters.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    'no-cluster': { type: 'boolean', default: false },
    cli: { type: 'string', multiple: true },
    profile: { type: 'string' },
  },
});
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1 || runs > 1_000)
  throw new Error(`--runs: 1 to 1000, got ${values.runs}`);
const CLIS =
  values.cli === undefined
    ? [fileURLToPath(new URL('../clients/cli/raftns.js', import.meta.url))]
    : values.cli.map((path) => resolve(path));

const CLUSTER = 'bench-cli';
const REGION = 'r1';
const ZONE = 'example.org.';
const NAME = 'www.example.org.';

interface Timed {
  readonly name: string;
  readonly args: readonly string[];
}

/** One region, one replica, the zone and one RRset, as `raftns get` reads them. */
interface Cluster {
  readonly nats: NatsServerHandle;
  readonly nc: NatsConnection;
  readonly regions: Map<string, RaftCluster>;
}

async function startCluster(): Promise<Cluster> {
  const nats = await startNatsServer({ jetstream: true });
  const nc = await connectNats({ urls: [nats.url], name: 'bench-cli', log: silentLogger });
  const regions = await startRegionClusters({
    nats,
    nc,
    cluster: CLUSTER,
    regions: [REGION],
    group: 'g1',
    zone: ZONE,
  });
  const writer = await RegionWriter.open({ nc, cluster: CLUSTER, writerId: 'bench-cli' });
  try {
    const report = await writer.write([
      createZoneChange(ZONE),
      { op: 'upsert', name: NAME, type: 'A', ttl: 300, rdata: ['192.0.2.1'] },
    ]);
    if (!report.complete) throw new Error(`the zone was not written: ${JSON.stringify(report.regions)}`);
  } finally {
    await writer.close();
  }
  return { nats, nc, regions };
}

async function stopCluster(cluster: Cluster): Promise<void> {
  for (const region of cluster.regions.values()) await region.stop();
  await cluster.nc.close();
  await cluster.nats.stop();
}

function timeOnce(args: readonly string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.status !== 0)
    throw new Error(`${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const cluster = values['no-cluster'] ? undefined : await startCluster();
try {
  const commands: Timed[] = [{ name: 'node -e 0 (the floor)', args: ['-e', '0'] }];
  for (const [index, cli] of CLIS.entries()) {
    const tag = CLIS.length === 1 ? '' : ` #${index + 1}`;
    commands.push({ name: `raftns --help${tag}`, args: [cli, '--help'] });
    if (cluster !== undefined)
      commands.push({
        name: `raftns get${tag}`,
        args: [cli, '--nats', cluster.nats.url, '--cluster', CLUSTER, '--region', REGION, 'get', NAME, 'A'],
      });
  }
  console.log(
    `bench:cli — ${runs} runs per command, alternating; ${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
  );
  for (const [index, cli] of CLIS.entries()) console.log(`  cli #${index + 1}: ${cli}`);
  // Node reads (and parses) these certificates at every start, before any of the CLI runs:
  // on the machine measured, ≈ 80 ms of `node -e 0`'s 130 ms.
  console.log(
    `  NODE_EXTRA_CA_CERTS: ${process.env.NODE_EXTRA_CA_CERTS === undefined ? 'not set' : `set (${process.env.NODE_EXTRA_CA_CERTS}): every Node start reads it`}`,
  );
  console.log(
    cluster === undefined
      ? '  no cluster (--no-cluster): raftns get not timed'
      : `  raftns get: ${NAME} A (linearizable) from region ${REGION}, one replica, nats-server at ${cluster.nats.url}`,
  );
  const samples = new Map(commands.map((c) => [c.name, [] as number[]]));
  for (let i = 0; i < runs; i++) {
    for (const command of commands) samples.get(command.name)?.push(timeOnce(command.args));
  }
  if (values.profile !== undefined) {
    for (const command of commands.slice(1))
      timeOnce(['--cpu-prof', '--cpu-prof-dir', resolve(values.profile), ...command.args]);
    console.log(`  CPU profiles of one run of each raftns command: ${resolve(values.profile)}`);
  }
  for (const command of commands) {
    const sorted = [...(samples.get(command.name) ?? [])].sort((a, b) => a - b);
    const median = quantile(sorted, 0.5);
    const p90 = quantile(sorted, 0.9);
    console.log(`  ${command.name.padEnd(24)} median ${median.toFixed(0)} ms  p90 ${p90.toFixed(0)} ms`);
    console.log(
      JSON.stringify({
        figure: 'cli-start',
        command: command.name,
        medianMs: Math.round(median),
        p90Ms: Math.round(p90),
      }),
    );
  }
} finally {
  if (cluster !== undefined) await stopCluster(cluster);
}
