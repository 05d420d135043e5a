/**
 * What one replica process costs at rest, and how fast it is back: a 3-replica group as
 * separate processes (`runtime/main`) over a real nats-server, each with the actor
 * placement of `--placement` (runtime/worker/thread-plan.ts; default: the replica's own
 * default). Prints one JSON line per figure:
 *
 * - `idle`: each replica's resident memory (VmRSS) and thread count (/proc/<pid>/status)
 *   after `--writes` writes and `--settle` seconds without load;
 * - `restart`: a follower killed with SIGKILL and started again, `--restarts` times: the
 *   time from its process start to ready (actors started, intake serving), and to caught
 *   up with the leader's applied index.
 *
 *   npm run bench:footprint [-- --placement 'election+log+state-machine | storage' --settle 5]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pollUntil } from '../spec/fixtures/poll-until.js';
import { RaftCluster } from '../spec/fixtures/raft-cluster.js';

const { values } = parseArgs({
  options: {
    /** Node flags for the replica processes, space-separated (experiments: heap sizes). */
    'node-args': { type: 'string', default: '' },
    placement: { type: 'string' },
    writes: { type: 'string', default: '2000' },
    settle: { type: 'string', default: '5' },
    restarts: { type: 'string', default: '3' },
  },
});
const writes = Number(values.writes);
const settleMs = Number(values.settle) * 1000;
const restarts = Number(values.restarts);
const WRITERS = 16;

function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

/**
 * Resident memory in MB of `pid` from /proc: VmRSS, split into anonymous memory (heaps,
 * stacks: what the replica itself costs) and file-backed pages (mostly the node binary's
 * code, shared with every other node process and reclaimable), and its thread count.
 */
function footprint(pid: number): { rssMb: number; anonMb: number; fileMb: number; threads: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? Number.NaN);
  return {
    rssMb: Math.round(field('VmRSS') / 1024),
    anonMb: Math.round(field('RssAnon') / 1024),
    fileMb: Math.round(field('RssFile') / 1024),
    threads: field('Threads'),
  };
}

const placement = values.placement ?? process.env.RAFTNS_PLACEMENT;
const cluster = await RaftCluster.start({
  replicas: 3,
  logLevel: 'warn',
  cluster: 'footprint',
  nodeArgs: String(values['node-args'])
    .split(' ')
    .filter((a) => a !== ''),
  ...(placement === undefined ? {} : { env: { RAFTNS_PLACEMENT: placement } }),
});
try {
  process.stdout.write(
    `replica footprint: 3 replicas, placement ${placement ?? '(default)'}, node ${process.version}${values['node-args'] === '' ? '' : ` ${values['node-args']}`}\n`,
  );
  await cluster.waitForLeader(30_000);
  const clients = await Promise.all(
    Array.from({ length: WRITERS }, () => cluster.client({ requestTimeoutMs: 2_000, deadlineMs: 20_000 })),
  );
  let next = 0;
  await Promise.all(
    clients.map(async (client) => {
      while (next < writes) await client.put(`k${next++ % 1_000}`, 'v'.repeat(100));
    }),
  );
  // Idle is the condition measured: no load for `settle`, then one reading.
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  for (const replica of cluster.replicas) {
    if (replica.pid !== undefined)
      emit({ figure: 'idle', replica: replica.id, writes, ...footprint(replica.pid) });
  }
  for (let run = 1; run <= restarts; run++) {
    const leader = await cluster.waitForLeader(30_000);
    const victim = cluster.replicas.find((replica) => replica.id !== leader.replica);
    if (victim === undefined) throw new Error('no follower to restart');
    await victim.kill('SIGKILL');
    const started = performance.now();
    await victim.start();
    const readyMs = performance.now() - started;
    const target = (await cluster.status(leader.replica))?.appliedIndex ?? 0;
    await pollUntil(`${victim.id} caught up`, 30_000, async () => {
      const status = await cluster.status(victim.id);
      return status !== undefined && status.appliedIndex >= target ? true : undefined;
    });
    const caughtUpMs = performance.now() - started;
    emit({
      figure: 'restart',
      run,
      replica: victim.id,
      readyMs: Math.round(readyMs),
      caughtUpMs: Math.round(caughtUpMs),
      ...(victim.pid === undefined ? {} : footprint(victim.pid)),
    });
  }
} finally {
  await cluster.stop();
}
