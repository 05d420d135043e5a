/**
 * `npm run bench:update`: RFC 2136 UPDATEs signed with TSIG through a replica's DNS port,
 * next to the same writes through the project's own client (RaftClient `dnsBatch`, the path
 * of `raftns write`), in one run against one 3-replica group on loopback.
 *
 * Every write replaces one TXT RRset: the UPDATE deletes the RRset and adds one record
 * (bench/dns-update-sender.ts), the client sends one `upsert`. Each of the N loops in
 * flight writes its own owner name, so writes never wait on each other's data. Paths:
 *
 * - `update-udp-leader` / `update-tcp-leader`: UPDATE to the leader's DNS listener;
 * - `update-udp-follower`: UPDATE to a follower, which forwards it (RFC 2136 §6);
 * - `client`: RaftClient.dnsBatch over NATS, one client (session) per loop.
 *
 * Figures: writes/s, latency p50/p99 as the sender sees it, errors (an rcode other than
 * NOERROR, or a client error) and lost (no answer within the timeout), at 1 and 64 in
 * flight, each for `--seconds` after a warm-up. The paths alternate within a round;
 * `--rounds` rounds give a median per path and concurrency (PLATFORM-NOTES: one run varies
 * by 10–20 %).
 *
 * The replicas and nats-server run under `taskset -c 0`, this process under `taskset -c 1`,
 * unless `--no-pin`.
 *
 *   npm run bench:update [-- --seconds 3 --rounds 3 --no-pin]
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import type { TsigKey } from '../protocol/dns/tsig/key.js';
import { parseKeyFile } from '../protocol/dns/tsig/key-file.js';
import { RCODE } from '../protocol/dns/wire/codes.js';
import { Name } from '../protocol/dns/wire/name.js';
import { silentLogger } from '../runtime/log.js';
import { connectNats } from '../runtime/nats/nats-connection.js';
import { startNatsServer } from '../spec/fixtures/nats-server.js';
import { pollUntil } from '../spec/fixtures/poll-until.js';
import { type DnsListenerInfo, RaftCluster } from '../spec/fixtures/raft-cluster.js';
import { raftns } from '../spec/fixtures/raftns-cli.js';
import {
  type DnsTransport,
  replaceTxtUpdate,
  UpdateSender,
  UpdateTimeoutError,
} from './dns-update-sender.js';
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
/** Past this an UPDATE counts as lost; a retry would be another write. */
const UPDATE_TIMEOUT_MS = 5_000;
const CLIENT_REQUEST_TIMEOUT_MS = 2_000;
const CLIENT_DEADLINE_MS = 20_000;
const NATS_CONNECTIONS = 4;
const ZONE = 'bench.example.';
const KEY_NAME = 'bench.';

type Path = 'update-udp-leader' | 'update-tcp-leader' | 'update-udp-follower' | 'client';
const PATHS: readonly Path[] = ['update-udp-leader', 'update-tcp-leader', 'update-udp-follower', 'client'];

/** UPDATE loops through `at`, one sender (socket or connection) per loop. */
async function updateLoops(
  transport: DnsTransport,
  at: DnsListenerInfo,
  key: TsigKey,
  concurrency: number,
  tag: string,
): Promise<LoopResult> {
  const senders = await Promise.all(
    Array.from({ length: concurrency }, () =>
      UpdateSender.open(transport, at.address, at.port, UPDATE_TIMEOUT_MS),
    ),
  );
  const zone = Name.parse(ZONE);
  const owners = senders.map((_, worker) => Name.parse(`u${worker}.${ZONE}`));
  let nextId = 0;
  try {
    return await closedLoops(concurrency, WINDOW, async (worker, n) => {
      const id = nextId++ & 0xffff;
      const message = replaceTxtUpdate(
        id,
        zone,
        owners[worker] as Name,
        `${tag}-${n}`,
        key,
        Math.floor(Date.now() / 1000),
      );
      try {
        const answer = await (senders[worker] as UpdateSender).exchange(id, message);
        return answer.rcode === RCODE.NOERROR ? 'ok' : 'error';
      } catch (error) {
        if (error instanceof UpdateTimeoutError) return 'lost';
        throw error;
      }
    });
  } finally {
    await Promise.all(senders.map((sender) => sender.close()));
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
    ...(pin ? { cpus: '0', natsCpus: '0' } : {}),
  });
  const group = cluster;
  const leader = await group.waitForLeader(20_000);
  const listener = (id: string) => group.replicas.find((r) => r.id === id)?.dns[0] as DnsListenerInfo;
  const leaderAt = listener(leader.replica);
  const followerId = group.replicas.find((r) => r.id !== leader.replica)?.id as string;
  const followerAt = listener(followerId);

  const admin = await group.client();
  const created = await admin.dnsBatch({
    changes: [
      {
        op: 'create-zone',
        zone: ZONE,
        soa: {
          mname: `ns1.${ZONE}`,
          rname: `hostmaster.${ZONE}`,
          refresh: 3600,
          retry: 600,
          expire: 604800,
          minimum: 60,
          ttl: 3600,
          serial: 1,
        },
        ns: [`ns1.${ZONE}`],
        nsTtl: 3600,
      },
    ],
  });
  if (!created.ok) throw new Error(`create-zone: ${JSON.stringify(created)}`);
  const added = await raftns([
    '--nats',
    nats.url,
    '--cluster',
    group.cluster,
    'tsig',
    'add',
    KEY_NAME,
    '--zone',
    ZONE,
  ]);
  if (added.code !== 0) throw new Error(`raftns tsig add: ${added.stderr}`);
  const parsed = parseKeyFile(added.stdout);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const key = parsed.keys[0] as TsigKey;
  // The replicas pick the key up from the bucket within moments: wait until both targets take it.
  for (const at of [leaderAt, followerAt]) {
    await pollUntil(`the key at ${at.address}:${at.port}`, 10_000, async () => {
      const sender = await UpdateSender.open('udp', at.address, at.port, 1_000);
      try {
        const message = replaceTxtUpdate(
          1,
          Name.parse(ZONE),
          Name.parse(`probe.${ZONE}`),
          'probe',
          key,
          Math.floor(Date.now() / 1000),
        );
        const answer = await sender.exchange(1, message);
        return answer.rcode === RCODE.NOERROR ? true : undefined;
      } finally {
        await sender.close();
      }
    });
  }
  for (let i = 0; i < NATS_CONNECTIONS; i++)
    connections.push(await connectNats({ urls: nats.urls, name: `bench-update-${i}`, log: silentLogger }));

  process.stdout.write(
    [
      `update bench: 3 replicas (runtime/main processes, synced RocksDB) + 1 nats-server with JetStream, node ${process.version}`,
      `  cpus: ${cpus().length} x ${cpus()[0]?.model ?? '?'}; ${pin ? 'replicas + nats-server pinned to cpu 0, load generator to cpu 1 (taskset)' : 'not pinned'}`,
      `  leader ${leader.replica} (DNS ${leaderAt.address}:${leaderAt.port}), follower ${followerId} (DNS ${followerAt.address}:${followerAt.port})`,
      `  write: replace one TXT RRset per write, an owner name per loop; UPDATE = delete RRset + add, TSIG ${key.algorithm} (key ${KEY_NAME}, zone ${ZONE});`,
      `         client = RaftClient.dnsBatch one upsert, one client per loop over ${NATS_CONNECTIONS} NATS connections`,
      `  paths: ${PATHS.join(', ')}; in flight: ${CONCURRENCIES.join(', ')}; ${MEASURE_MS / 1000} s measured after ${WARMUP_MS / 1000} s warm-up;`,
      `         ${ROUNDS} round(s), paths alternating within a round; an UPDATE unanswered after ${UPDATE_TIMEOUT_MS} ms is lost`,
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
            : await updateLoops(
                path === 'update-tcp-leader' ? 'tcp' : 'udp',
                path === 'update-udp-follower' ? followerAt : leaderAt,
                key,
                concurrency,
                tag,
              );
        const sorted = [...result.latenciesMs].sort((a, b) => a - b);
        const figure = {
          figure: 'update-writes',
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
      figure: 'update-writes-median',
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
