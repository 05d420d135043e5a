/**
 * Rolling restarts of a 3-replica group under steady load, by SIGTERM (a planned restart:
 * the leader hands leadership off before it drains) and by SIGKILL (a crash), in the same
 * run. Load: closed write loops through RaftClient and lease-mode DNS queries over UDP at
 * a steady rate, sent to the replicas not being restarted (each is taken out of the query
 * rotation, as from a load balancer, before it is signalled). Each round restarts every replica in turn, followers first and the leader last,
 * waiting for the restarted one to catch up; rounds alternate SIGTERM and SIGKILL.
 *
 * Prints its setup, the longest write gap of a window of the same load with no restart (the
 * machine's own floor), one JSON line per restart (the longest write gap and when it began
 * after the signal, and the longest that began before the process exited: the stop's own
 * cost, apart from the start-up after it), then per method: the longest write gap of any restart, the longest of
 * the follower restarts (no leadership change: the floor while a replica starts on the
 * same cores), the median write gap of the leader restarts, and the DNS queries that failed
 * (SERVFAIL) or timed out out of those sent.
 *
 * The replicas and the NATS server run under `taskset -c 0`, this load generator under
 * `taskset -c 1` (PLATFORM-NOTES: benchmarks on 2 cores), unless `--no-pin`.
 *
 *   npm run bench:restart [-- --rounds 2 --writers 4 --qps 200 --no-pin]
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { RaftClient } from '../clients/raft-client.js';
import { HybridClock } from '../protocol/dns/version.js';
import { createZoneChange } from '../spec/fixtures/dns-zone.js';
import { pollUntil } from '../spec/fixtures/poll-until.js';
import { type DnsListenerInfo, RaftCluster, type ReplicaProcess } from '../spec/fixtures/raft-cluster.js';
import { type QueryCounts, startQueryLoad, startWriteLoad } from '../spec/fixtures/steady-load.js';
import { canPin, emit, median, round } from './write-loops.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    writers: { type: 'string', default: '4' },
    qps: { type: 'string', default: '200' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const writers = Number(values.writers);
const queriesPerS = Number(values.qps);
const ZONE = 'example.org.';
const NAME = 'www.example.org.';
/** How long a writer waits for an answer before it tries again (as in bench:raft's failover). */
const REQUEST_TIMEOUT_MS = 250;
/** A query unanswered this long is counted as timed out (resolvers retry after about 1 s). */
const QUERY_TIMEOUT_MS = 1_000;
/** The window of steady load with no restart whose longest write gap is printed first. */
const QUIET_WINDOW_MS = 3_000;
/** Acknowledged writes after a restart before the next one: the group is writing again. */
const WRITES_BETWEEN = 100;
const METHODS = ['SIGTERM', 'SIGKILL'] as const;
type Method = (typeof METHODS)[number];

interface Restart {
  readonly method: Method;
  readonly round: number;
  readonly replica: string;
  readonly leader: boolean;
  readonly writeGapMs: number;
  /** When the longest write gap began, after the signal. */
  readonly writeGapAtMs: number;
  /**
   * The longest write gap that began before the process exited: the stop's own cost (the
   * hand-off, or a crash's failover), apart from the replica's start-up that follows.
   */
  readonly stopWriteGapMs: number;
  readonly queries: QueryCounts;
}

const now = () => performance.now();

/** The stretches without an acknowledged write in (from, until]: when each began, and how long. */
function writeGaps(
  ackTimesMs: readonly number[],
  from: number,
  until: number,
): Array<{ readonly atMs: number; readonly ms: number }> {
  const gaps: Array<{ atMs: number; ms: number }> = [];
  let previous = from;
  for (const t of ackTimesMs.filter((a) => a > from && a <= until).sort((a, b) => a - b)) {
    gaps.push({ atMs: previous - from, ms: t - previous });
    previous = t;
  }
  return gaps;
}

/** The longest of `gaps` (the first of equals), or a zero gap at 0 when there is none. */
function longest(gaps: ReadonlyArray<{ readonly atMs: number; readonly ms: number }>): {
  readonly atMs: number;
  readonly ms: number;
} {
  return gaps.reduce((best, gap) => (gap.ms > best.ms ? gap : best), { atMs: 0, ms: 0 });
}

function leaseListener(replica: ReplicaProcess): DnsListenerInfo {
  const found = replica.dns.find((l) => l.mode === 'lease');
  if (found === undefined) throw new Error(`${replica.id} has no lease listener`);
  return found;
}

function delta(after: QueryCounts, before: QueryCounts): QueryCounts {
  return {
    sent: after.sent - before.sent,
    answered: after.answered - before.answered,
    failed: after.failed - before.failed,
    timedOut: after.timedOut - before.timedOut,
  };
}

const pin = canPin(values['no-pin']);
if (pin) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
const cluster = await RaftCluster.start({
  replicas: 3,
  logLevel: 'warn',
  cluster: 'bench',
  dnsListen: () => ['127.0.0.1:0@lease'],
  ...(pin ? { cpus: '0', natsCpus: '0' } : {}),
});
/** The replica being restarted gets no queries: a resolver would be asking another. */
let restarting: string | undefined;
try {
  process.stdout.write(
    [
      `restart bench: 3 replicas (runtime/main processes, synced RocksDB) + 1 nats-server, node ${process.version}`,
      `  cpus: ${cpus().length} x ${cpus()[0]?.model ?? '?'}; ${pin ? 'replicas + nats-server pinned to cpu 0, load generator to cpu 1 (taskset)' : 'not pinned'}`,
      `  load: ${writers} closed write loops (request timeout ${REQUEST_TIMEOUT_MS} ms), ${queriesPerS} lease-mode DNS queries/s over UDP (timeout ${QUERY_TIMEOUT_MS} ms) to the replicas not being restarted`,
      `  ${rounds} round(s) per method, alternating; each round restarts every replica, followers first, the leader last`,
      '',
    ].join('\n'),
  );
  await cluster.waitForLeader(20_000);
  const admin: RaftClient = await cluster.client();
  const clock = new HybridClock('bench-restart', () => Date.now());
  const created = await admin.dnsBatch({
    changes: [
      createZoneChange(ZONE),
      {
        op: 'upsert',
        zone: ZONE,
        name: NAME,
        type: 'A',
        ttl: 60,
        rdata: ['192.0.2.1'],
        version: clock.next(),
      },
    ],
  });
  if (!created.ok) throw new Error(`creating the zone failed: ${JSON.stringify(created)}`);
  const clients = await Promise.all(
    Array.from({ length: writers }, () =>
      cluster.client({ requestTimeoutMs: REQUEST_TIMEOUT_MS, deadlineMs: 20_000 }),
    ),
  );
  const writes = startWriteLoad(clients, 'restart-');
  const queries = await startQueryLoad({
    targets: () => cluster.replicas.filter((r) => r.running && r.id !== restarting).map(leaseListener),
    name: NAME,
    perSecond: queriesPerS,
    timeoutMs: QUERY_TIMEOUT_MS,
  });
  const restarts: Restart[] = [];
  try {
    await pollUntil('steady writes', 20_000, async () =>
      writes.ackTimesMs.length > WRITES_BETWEEN ? true : undefined,
    );
    // A measurement window: the load runs on its own for this long, with nothing restarted.
    const quietFrom = now();
    await sleep(QUIET_WINDOW_MS);
    const quietGap = longest(writeGaps(writes.ackTimesMs, quietFrom, quietFrom + QUIET_WINDOW_MS));
    emit({ figure: 'no-restart', windowMs: QUIET_WINDOW_MS, writeGapMs: round(quietGap.ms, 0) });
    for (let r = 1; r <= rounds; r++) {
      for (const method of METHODS) {
        const leader = await cluster.waitForLeader(20_000);
        const order = [...cluster.ids.filter((id) => id !== leader.replica), leader.replica];
        for (const id of order) {
          const replica = cluster.replica(id);
          const wasLeader = id === (await cluster.waitForLeader(20_000)).replica;
          const countsBefore = { ...queries.counts };
          // Taken out of the query rotation first, as from a load balancer: its last
          // answers arrive before it is signalled.
          restarting = id;
          await pollUntil(`queries at ${id} answered`, 5_000, async () =>
            queries.pendingAt(leaseListener(replica)) === 0 ? true : undefined,
          );
          const signalledAt = now();
          await replica.kill(method);
          const exitedAt = now();
          await replica.start();
          restarting = undefined;
          const target = (await cluster.waitForLeader(20_000)).appliedIndex;
          await pollUntil(`${id} to catch up`, 30_000, async () => {
            const status = await cluster.status(id);
            return status !== undefined && status.appliedIndex >= target ? true : undefined;
          });
          const acked = writes.ackTimesMs.length;
          await pollUntil('writes after the restart', 20_000, async () =>
            writes.ackTimesMs.length >= acked + WRITES_BETWEEN ? true : undefined,
          );
          const until = now();
          const gaps = writeGaps(writes.ackTimesMs, signalledAt, until);
          const restart: Restart = {
            method,
            round: r,
            replica: id,
            leader: wasLeader,
            writeGapMs: round(longest(gaps).ms, 0),
            writeGapAtMs: round(longest(gaps).atMs, 0),
            stopWriteGapMs: round(longest(gaps.filter((g) => g.atMs < exitedAt - signalledAt)).ms, 0),
            queries: delta(queries.counts, countsBefore),
          };
          restarts.push(restart);
          emit({ figure: 'restart', ...restart });
        }
      }
    }
  } finally {
    restarting = undefined;
    await writes.stop();
    await queries.stop();
  }
  for (const method of METHODS) {
    const mine = restarts.filter((r) => r.method === method);
    const sum = (pick: (q: QueryCounts) => number) => mine.reduce((total, r) => total + pick(r.queries), 0);
    emit({
      figure: 'restart-summary',
      method,
      restarts: mine.length,
      longestWriteGapMs: Math.max(0, ...mine.map((r) => r.writeGapMs)),
      followerRestartLongestWriteGapMs: Math.max(
        0,
        ...mine.filter((r) => !r.leader).map((r) => r.writeGapMs),
      ),
      leaderRestartWriteGapP50Ms: round(median(mine.filter((r) => r.leader).map((r) => r.writeGapMs)), 0),
      leaderStopWriteGapsMs: mine.filter((r) => r.leader).map((r) => r.stopWriteGapMs),
      queriesSent: sum((q) => q.sent),
      queriesFailed: sum((q) => q.failed),
      queriesTimedOut: sum((q) => q.timedOut),
    });
  }
  emit({ figure: 'writes', acknowledged: writes.acked.size, givenUp: writes.givenUp() });
} finally {
  await cluster.stop();
}
