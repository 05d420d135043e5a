/**
 * `npm run bench:api`: PATCH of one RRset through the HTTP API (runtime/composition/http/
 * pdns-api.ts) next to the same write through the project's own client (RaftClient
 * `dnsBatch`, the path of `raftns write`), in one run against one 3-replica group on
 * loopback, every replica with `--http`.
 *
 * Every write replaces one TXT RRset; each of the N loops in flight writes its own owner
 * name. Paths:
 *
 * - `api-leader`: `PATCH /api/v1/servers/localhost/zones/Z` (REPLACE) to the leader's listener;
 * - `api-follower`: the same to a follower, whose committer sends the batch to the leader;
 * - `client`: RaftClient.dnsBatch over NATS, one client (session) per loop.
 *
 * The key's rate limit is set far above what the machine does (`--rate 100000`). HTTP
 * requests go over keep-alive connections (an http.Agent of at most 64 sockets, the
 * listener's connection bound). Figures: writes/s, latency p50/p99, errors (a status other
 * than 204, or a client error), at 1 and 64 in flight, each for `--seconds` after a
 * warm-up; `--rounds` rounds give a median per path and concurrency.
 *
 * The replicas and nats-server run under `taskset -c 0`, this process under `taskset -c 1`,
 * unless `--no-pin`.
 *
 *   npm run bench:api [-- --seconds 3 --rounds 3 --no-pin]
 */
import { execFileSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import { silentLogger } from '../runtime/log.js';
import { connectNats } from '../runtime/nats/nats-connection.js';
import { createZoneChange } from '../spec/fixtures/dns-zone.js';
import { startNatsServer } from '../spec/fixtures/nats-server.js';
import { pollUntil } from '../spec/fixtures/poll-until.js';
import { RaftCluster } from '../spec/fixtures/raft-cluster.js';
import { raftns } from '../spec/fixtures/raftns-cli.js';
import {
  canPin,
  clientLoops,
  closedLoops,
  emit,
  type LoopResult,
  median,
  percentile,
  round,
} from './write-loops.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,64' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const MEASURE_MS = Number(values.seconds) * 1000;
const ROUNDS = Number(values.rounds);
const CONCURRENCIES = String(values.concurrency).split(',').map(Number);
const WARMUP_MS = 1_000;
const WINDOW = { warmupMs: WARMUP_MS, measureMs: MEASURE_MS };
const HTTP_TIMEOUT_MS = 20_000;
const CLIENT_REQUEST_TIMEOUT_MS = 2_000;
const CLIENT_DEADLINE_MS = 20_000;
const NATS_CONNECTIONS = 4;
const ZONE = 'bench.example.';

type Path = 'api-leader' | 'api-follower' | 'client';
const PATHS: readonly Path[] = ['api-leader', 'api-follower', 'client'];

/** One HTTP request over `agent`; resolves with the status (0: no answer in time). */
function httpCall(
  agent: Agent,
  at: { readonly host: string; readonly port: number },
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      { agent, host: at.host, port: at.port, method, path, headers, timeout: HTTP_TIMEOUT_MS },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** PATCH loops through the API at `at`. */
async function apiLoops(
  at: { readonly host: string; readonly port: number },
  key: string,
  concurrency: number,
  tag: string,
): Promise<LoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  try {
    return await closedLoops(concurrency, WINDOW, async (worker, n) => {
      const body = JSON.stringify({
        rrsets: [
          {
            name: `h${worker}.${ZONE}`,
            type: 'TXT',
            ttl: 60,
            changetype: 'REPLACE',
            records: [{ content: `"${tag}-${n}"`, disabled: false }],
          },
        ],
      });
      const status = await httpCall(
        agent,
        at,
        'PATCH',
        `/api/v1/servers/localhost/zones/${ZONE}`,
        {
          'x-api-key': key,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
        },
        body,
      );
      return status === 204 ? 'ok' : status === 0 ? 'lost' : 'error';
    });
  } finally {
    agent.destroy();
  }
}

const pin = canPin(values['no-pin'] === true);
if (pin) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
const nats = await startNatsServer({ jetstream: true });
const connections: NatsConnection[] = [];
let cluster: RaftCluster | undefined;
try {
  cluster = await RaftCluster.start({
    replicas: 3,
    nats,
    logLevel: 'warn',
    cluster: 'bench',
    extraArgs: () => ['--http', '127.0.0.1:0'],
    ...(pin ? { cpus: '0', natsCpus: '0' } : {}),
  });
  const group = cluster;
  const leader = await group.waitForLeader(20_000);
  const httpOf = (id: string) => {
    const http = group.replicas.find((r) => r.id === id)?.http;
    if (http === undefined) throw new Error(`${id} has no HTTP listener`);
    return http;
  };
  const leaderAt = httpOf(leader.replica);
  const followerId = group.replicas.find((r) => r.id !== leader.replica)?.id as string;
  const followerAt = httpOf(followerId);

  const admin = await group.client();
  const created = await admin.dnsBatch({ changes: [createZoneChange(ZONE, 1)] });
  if (!created.ok) throw new Error(`create-zone: ${JSON.stringify(created)}`);
  const added = await raftns([
    '--nats',
    nats.url,
    '--cluster',
    group.cluster,
    'api-key',
    'add',
    'bench',
    '--rate',
    '100000',
  ]);
  if (added.code !== 0) throw new Error(`raftns api-key add: ${added.stderr}`);
  const key = added.stdout.trim();
  // The replicas pick the key up from the bucket within moments; the first write of each
  // also waits for its committer's plan lookup (none here: this group is the cluster).
  for (const at of [leaderAt, followerAt]) {
    const agent = new Agent({ keepAlive: false });
    await pollUntil(`a PATCH through ${at.host}:${at.port}`, 20_000, async () => {
      const body = JSON.stringify({
        rrsets: [
          {
            name: `probe.${ZONE}`,
            type: 'TXT',
            ttl: 60,
            changetype: 'REPLACE',
            records: [{ content: '"p"' }],
          },
        ],
      });
      const status = await httpCall(
        agent,
        at,
        'PATCH',
        `/api/v1/servers/localhost/zones/${ZONE}`,
        { 'x-api-key': key, 'content-type': 'application/json' },
        body,
      );
      return status === 204 ? true : undefined;
    });
  }
  for (let i = 0; i < NATS_CONNECTIONS; i++)
    connections.push(await connectNats({ urls: nats.urls, name: `bench-api-${i}`, log: silentLogger }));

  process.stdout.write(
    [
      `HTTP API bench: 3 replicas (runtime/main processes, synced RocksDB, --http) + 1 nats-server with JetStream, node ${process.version}`,
      `  cpus: ${cpus().length} x ${cpus()[0]?.model ?? '?'}; ${pin ? 'replicas + nats-server pinned to cpu 0, load generator to cpu 1 (taskset)' : 'not pinned'}`,
      `  leader ${leader.replica} (HTTP ${leaderAt.host}:${leaderAt.port}), follower ${followerId} (HTTP ${followerAt.host}:${followerAt.port})`,
      `  write: replace one TXT RRset per write, an owner name per loop; api = PATCH REPLACE (X-API-Key, keep-alive);`,
      `         client = RaftClient.dnsBatch one upsert, one client per loop over ${NATS_CONNECTIONS} NATS connections`,
      `  paths: ${PATHS.join(', ')}; in flight: ${CONCURRENCIES.join(', ')}; ${MEASURE_MS / 1000} s measured after ${WARMUP_MS / 1000} s warm-up;`,
      `         ${ROUNDS} round(s), paths alternating within a round`,
      '',
    ].join('\n'),
  );

  const results = new Map<string, { writesPerS: number[]; p50Ms: number[]; p99Ms: number[] }>();
  for (let roundNo = 1; roundNo <= ROUNDS; roundNo++) {
    for (const concurrency of CONCURRENCIES) {
      for (const path of PATHS) {
        const tag = `r${roundNo}`;
        const result =
          path === 'client'
            ? await clientLoops({
                cluster: group,
                connections,
                concurrency,
                window: WINDOW,
                zone: ZONE,
                tag,
                requestTimeoutMs: CLIENT_REQUEST_TIMEOUT_MS,
                deadlineMs: CLIENT_DEADLINE_MS,
              })
            : await apiLoops(path === 'api-leader' ? leaderAt : followerAt, key, concurrency, tag);
        const sorted = [...result.latenciesMs].sort((a, b) => a - b);
        const figure = {
          figure: 'api-writes',
          round: roundNo,
          path,
          inFlight: concurrency,
          writesPerS: round(result.writes / (MEASURE_MS / 1000), 0),
          p50Ms: round(percentile(sorted, 50)),
          p99Ms: round(percentile(sorted, 99)),
          errors: result.errors,
          lost: result.lost,
        };
        emit(figure);
        const entry = results.get(`${path}@${concurrency}`) ?? { writesPerS: [], p50Ms: [], p99Ms: [] };
        entry.writesPerS.push(figure.writesPerS);
        entry.p50Ms.push(figure.p50Ms);
        entry.p99Ms.push(figure.p99Ms);
        results.set(`${path}@${concurrency}`, entry);
      }
    }
  }
  for (const [at, entry] of results) {
    const [path, inFlight] = at.split('@');
    emit({
      figure: 'api-writes-median',
      rounds: ROUNDS,
      path,
      inFlight: Number(inFlight),
      writesPerS: median(entry.writesPerS),
      p50Ms: median(entry.p50Ms),
      p99Ms: median(entry.p99Ms),
    });
  }
} finally {
  for (const nc of connections) await nc.close().catch(() => undefined);
  await cluster?.stop();
  await nats.stop();
}
