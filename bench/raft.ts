/**
 * A 3-replica Raft group as separate processes (`runtime/main`) over a real nats-server,
 * each replica with synced RocksDB, driven by RaftClient from this process. Prints its
 * setup, then one JSON line per figure:
 *
 * - `reference`: what one hop costs here (NATS request/reply, a synced RocksDB batch, a
 *   round trip through a replica's intake to its actors without Raft);
 * - `writes`: writes/s and commit latency (p50/p99, as the client sees it) at 1, 16, 64
 *   and 256 concurrent clients, each for `--duration` seconds;
 * - `reads`: reads/s and latency per read mode (linearizable and lease through the leader,
 *   bounded spread over every replica);
 * - `failover`: under a steady write load, SIGKILL of the leader: the write gap (the longest
 *   stretch without an acknowledged write around the kill), the time until a new leader
 *   serves, over `--runs` runs (the killed replica is restarted and caught up in between),
 *   and their medians.
 *
 * The replicas and the NATS server run under `taskset -c 0`, this load generator under
 * `taskset -c 1` (PLATFORM-NOTES: benchmarks on 2 cores), unless `--no-pin` or there is no
 * taskset / second core.
 *
 *   npm run bench:raft [-- --duration 5 --runs 5 --no-pin]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import { RaftClientError } from '../clients/errors.js';
import { RaftClient, type RaftClientOptions } from '../clients/raft-client.js';
import type { ReadModeText } from '../protocol/read-mode.js';
import { silentLogger } from '../runtime/log.js';
import { connectNats } from '../runtime/nats/nats-connection.js';
import { requestWithTimeout } from '../runtime/nats/nats-request.js';
import { RocksKvStore } from '../runtime/storage/rocks-kv-store.js';
import { pollUntil } from '../spec/fixtures/poll-until.js';
import { longestWriteGap, RaftCluster } from '../spec/fixtures/raft-cluster.js';

const { values } = parseArgs({
  options: {
    /** Node flags for the replica processes, space-separated (experiments: heap sizes). */
    'node-args': { type: 'string', default: '' },
    duration: { type: 'string', default: '5' },
    runs: { type: 'string', default: '5' },
    'no-pin': { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '1,16,64,256' },
  },
});
const durationMs = Number(values.duration) * 1000;
const runs = Number(values.runs);
const concurrencies = String(values.concurrency).split(',').map(Number);
const WARMUP_MS = 1_000;
const CONNECTIONS = 4;
const VALUE = 'v'.repeat(100);
const KEYS = 1_000;
/** Throughput runs: long enough that queueing at 256 clients is not mistaken for loss. */
const THROUGHPUT_CLIENT: Partial<RaftClientOptions> = { requestTimeoutMs: 2_000, deadlineMs: 20_000 };
/** Failover runs: how long a client waits for an answer before retrying elsewhere. */
const FAILOVER_REQUEST_TIMEOUT_MS = 250;
const FAILOVER_CLIENTS = 16;

// ---------------------------------------------------------------------------------------
// Helpers

const now = () => performance.now();

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

function summarize(latenciesMs: number[]) {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)) };
}

function canPin(): boolean {
  if (values['no-pin'] || cpus().length < 2) return false;
  return spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
}

function natsServerVersion(): string {
  try {
    return execFileSync('nats-server', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    try {
      return execFileSync('/usr/sbin/nats-server', ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  }
}

/** Runs `op` in `concurrency` loops for the measured window (after a warm-up); latencies of successes. */
async function closedLoop(
  concurrency: number,
  op: (worker: number, n: number) => Promise<void>,
): Promise<{ completed: number; errors: number; latenciesMs: number[]; elapsedMs: number }> {
  const started = now();
  const measureFrom = started + WARMUP_MS;
  const stopAt = measureFrom + durationMs;
  const latenciesMs: number[] = [];
  let errors = 0;
  const loop = async (worker: number) => {
    for (let n = 0; now() < stopAt; n++) {
      const begin = now();
      try {
        await op(worker, n);
        if (begin >= measureFrom) latenciesMs.push(now() - begin);
      } catch (error) {
        if (!(error instanceof RaftClientError)) throw error;
        if (begin >= measureFrom) errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, worker) => loop(worker)));
  return { completed: latenciesMs.length, errors, latenciesMs, elapsedMs: durationMs };
}

// ---------------------------------------------------------------------------------------
// Reference costs

async function referenceFigures(cluster: RaftCluster, nc: NatsConnection, leader: string) {
  // NATS request/reply to a responder in this process (one server hop each way).
  const echo = nc.subscribe('bench.echo', {
    callback: (_e, msg) => {
      msg.respond(msg.data);
    },
  });
  await nc.flush();
  const rtt: number[] = [];
  for (let i = 0; i < 2_000; i++) {
    const begin = now();
    await requestWithTimeout(nc, 'bench.echo', new Uint8Array(100), 1_000);
    rtt.push(now() - begin);
  }
  echo.unsubscribe();
  emit({
    figure: 'reference',
    what: 'NATS request/reply, 100 B, same server',
    samples: rtt.length,
    ...summarize(rtt),
  });

  // A synced RocksDB batch (one fdatasync), as the storage actor writes the log.
  const dir = await mkdtemp(join(tmpdir(), 'raftns-bench-fsync-'));
  const store = await RocksKvStore.open(dir);
  const fsync: number[] = [];
  try {
    const key = new TextEncoder().encode('k');
    const value = new Uint8Array(200);
    for (let i = 0; i < 500; i++) {
      const begin = now();
      await store.write([{ type: 'put', key, value }], { sync: true });
      fsync.push(now() - begin);
    }
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
  emit({
    figure: 'reference',
    what: 'RocksDB synced batch (fdatasync), 200 B',
    samples: fsync.length,
    ...summarize(fsync),
  });

  // Through a replica's intake to its election and state-machine actors: no Raft, no disk.
  const client = await RaftClient.connect({
    nc,
    cluster: cluster.cluster,
    region: cluster.region,
    group: cluster.group,
  });
  const status: number[] = [];
  for (let i = 0; i < 1_000; i++) {
    const begin = now();
    await client.status(leader);
    status.push(now() - begin);
  }
  emit({
    figure: 'reference',
    what: 'status round trip: NATS + intake + 2 actor asks (no Raft)',
    samples: status.length,
    ...summarize(status),
  });

  // One client, one request at a time: what each read mode adds to the status round trip.
  await client.put('ref', VALUE);
  const reads: Array<[ReadModeText, string]> = [
    ['bounded:1000', 'get, bounded, leader: + state machine -> log contact ask'],
    ['lease', 'get, lease, leader: + log read-index ask, no Raft round'],
    ['linearizable', 'get, linearizable, leader: + one heartbeat round to a majority (ReadIndex)'],
  ];
  for (const [mode, what] of reads) {
    const latencies: number[] = [];
    for (let i = 0; i < 500; i++) {
      const begin = now();
      await client.get('ref', { mode });
      latencies.push(now() - begin);
    }
    emit({ figure: 'reference', what, samples: latencies.length, ...summarize(latencies) });
  }
}

// ---------------------------------------------------------------------------------------
// Throughput

async function makeClients(
  cluster: RaftCluster,
  connections: readonly NatsConnection[],
  count: number,
  options: Partial<RaftClientOptions>,
): Promise<RaftClient[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      RaftClient.connect({
        nc: connections[i % connections.length]!,
        cluster: cluster.cluster,
        region: cluster.region,
        group: cluster.group,
        ...options,
      }),
    ),
  );
}

/** Leader and term now, to show whether a figure ran under one leader. */
async function leadership(cluster: RaftCluster): Promise<string> {
  const leader = await cluster.waitForLeader(20_000);
  return `${leader.replica}@${leader.term}`;
}

async function writeFigures(cluster: RaftCluster, connections: readonly NatsConnection[]) {
  for (const concurrency of concurrencies) {
    const clients = await makeClients(cluster, connections, concurrency, THROUGHPUT_CLIENT);
    const before = await leadership(cluster);
    const result = await closedLoop(concurrency, async (worker, n) => {
      await clients[worker]!.put(`k${(worker * 7919 + n) % KEYS}`, VALUE);
    });
    const after = await leadership(cluster);
    emit({
      figure: 'writes',
      clients: concurrency,
      writesPerSec: round(result.completed / (result.elapsedMs / 1000), 0),
      ...summarize(result.latenciesMs),
      errors: result.errors,
      clientTimeouts: clients.reduce((sum, client) => sum + client.stats().timeouts, 0),
      leader: before === after ? before : `${before} -> ${after}`,
      valueBytes: VALUE.length,
    });
  }
}

async function readFigures(cluster: RaftCluster, connections: readonly NatsConnection[]) {
  const concurrency = 64;
  const ids = cluster.ids;
  const modes: Array<{ mode: ReadModeText; spread: boolean }> = [
    { mode: 'linearizable', spread: false },
    { mode: 'lease', spread: false },
    { mode: 'bounded:1000', spread: true },
  ];
  for (const { mode, spread } of modes) {
    const clients = await makeClients(cluster, connections, concurrency, {
      ...THROUGHPUT_CLIENT,
      readMode: mode,
    });
    const before = await leadership(cluster);
    const result = await closedLoop(concurrency, async (worker, n) => {
      const key = `k${(worker * 31 + n) % KEYS}`;
      await clients[worker]!.get(key, spread ? { replica: ids[worker % ids.length]! } : {});
    });
    emit({
      figure: 'reads',
      mode,
      servedBy: spread ? 'every replica (direct subjects)' : 'the leader (read subject)',
      clients: concurrency,
      readsPerSec: round(result.completed / (result.elapsedMs / 1000), 0),
      ...summarize(result.latenciesMs),
      errors: result.errors,
      clientTimeouts: clients.reduce((sum, client) => sum + client.stats().timeouts, 0),
      leader: await leadership(cluster).then((after) =>
        before === after ? before : `${before} -> ${after}`,
      ),
    });
  }
}

// ---------------------------------------------------------------------------------------
// Failover

async function failoverRun(cluster: RaftCluster, connections: readonly NatsConnection[], run: number) {
  const leader = await cluster.waitForLeader(20_000);
  const clients = await makeClients(cluster, connections, FAILOVER_CLIENTS, {
    requestTimeoutMs: FAILOVER_REQUEST_TIMEOUT_MS,
    deadlineMs: 10_000,
  });
  const acks: number[] = [];
  let running = true;
  let unknown = 0;
  const loops = clients.map(async (client, worker) => {
    for (let n = 0; running; n++) {
      try {
        await client.put(`f${worker}-${n % 50}`, VALUE);
        acks.push(now());
      } catch (error) {
        if (!(error instanceof RaftClientError)) throw error;
        unknown++;
      }
    }
  });
  await pollUntil('steady writes', 10_000, async () => (acks.length > 200 ? true : undefined));
  const killedAt = now();
  await cluster.replica(leader.replica).kill('SIGKILL');
  const successor = await cluster.waitForLeader(20_000, (s) => s.replica !== leader.replica);
  const newLeaderMs = now() - killedAt;
  const ackedAtElection = acks.length;
  await pollUntil('writes after the failover', 20_000, async () =>
    acks.length > ackedAtElection + 200 ? true : undefined,
  );
  running = false;
  await Promise.all(loops);
  const gapMs = longestWriteGap(acks, killedAt);
  // Bring the victim back and let it catch up, so the next run starts with three replicas.
  const victim = cluster.replica(leader.replica);
  await victim.start();
  const target = (await cluster.status(successor.replica))?.appliedIndex ?? 0;
  await pollUntil(`${victim.id} to catch up`, 30_000, async () => {
    const status = await cluster.status(victim.id);
    return status !== undefined && status.appliedIndex >= target ? true : undefined;
  });
  const figure = {
    figure: 'failover',
    run,
    killed: leader.replica,
    newLeader: successor.replica,
    termBefore: leader.term,
    termAfter: successor.term,
    writeGapMs: round(gapMs, 0),
    newLeaderServingMs: round(newLeaderMs, 0),
    clients: FAILOVER_CLIENTS,
    requestTimeoutMs: FAILOVER_REQUEST_TIMEOUT_MS,
    writesGivenUp: unknown,
  };
  emit(figure);
  return figure;
}

// ---------------------------------------------------------------------------------------
// Main

const pin = canPin();
if (pin) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
const cluster = await RaftCluster.start({
  replicas: 3,
  logLevel: 'warn',
  cluster: 'bench',
  nodeArgs: String(values['node-args'])
    .split(' ')
    .filter((a) => a !== ''),
  ...(pin ? { cpus: '0', natsCpus: '0' } : {}),
});
const connections: NatsConnection[] = [];
try {
  process.stdout.write(
    [
      `raft bench: 3 replicas (runtime/main processes, synced RocksDB) + 1 nats-server (${natsServerVersion()}), node ${process.version}${values['node-args'] === '' ? '' : ` ${values['node-args']}`}`,
      `  cpus: ${cpus().length} x ${cpus()[0]?.model ?? '?'}; ${pin ? 'replicas + nats-server pinned to cpu 0, load generator to cpu 1 (taskset)' : 'not pinned'}`,
      `  raft: tick 10 ms, heartbeat 50 ms, election timeout 150-300 ms, PreVote + CheckQuorum; default snapshot threshold`,
      `  load: closed loops, ${CONNECTIONS} NATS connections, one RaftClient (session) per loop, ${VALUE.length} B values over ${KEYS} keys;`,
      `        ${durationMs / 1000} s measured after ${WARMUP_MS / 1000} s warm-up per figure; failover: ${runs} runs, ${FAILOVER_CLIENTS} writers, request timeout ${FAILOVER_REQUEST_TIMEOUT_MS} ms`,
      '',
    ].join('\n'),
  );
  for (let i = 0; i < CONNECTIONS; i++) {
    connections.push(await connectNats({ urls: [cluster.nats.url], name: `bench-${i}`, log: silentLogger }));
  }
  const leader = await cluster.waitForLeader(20_000);
  await referenceFigures(cluster, connections[0]!, leader.replica);
  await writeFigures(cluster, connections);
  await readFigures(cluster, connections);
  const failovers = [];
  for (let run = 1; run <= runs; run++) failovers.push(await failoverRun(cluster, connections, run));
  const median = (xs: number[]) =>
    round(
      percentile(
        [...xs].sort((a, b) => a - b),
        50,
      ),
      0,
    );
  emit({
    figure: 'failover-summary',
    runs,
    writeGapP50Ms: median(failovers.map((f) => f.writeGapMs)),
    newLeaderServingP50Ms: median(failovers.map((f) => f.newLeaderServingMs)),
  });
} finally {
  for (const nc of connections) await nc.close().catch(() => undefined);
  await cluster.stop();
}
