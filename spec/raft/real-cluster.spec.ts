/**
 * A Raft group as real processes: a real nats-server and three `runtime/main` processes
 * (r1..r3, synced RocksDB each), driven by RaftClient exactly as a client would, through
 * crashes (SIGKILL), restarts and freezes (SIGSTOP/SIGCONT) of the leader.
 *
 * Histories are recorded with HistoryRecorder on this process's monotonic clock and checked
 * with the linearizability checker (spec/checkers), as the simulator's Raft scenarios do.
 * Nothing waits by sleeping: every wait polls a condition until a deadline.
 */
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { NotLeaderError, RaftClientError, UnknownOutcomeError } from '../../clients/errors.js';
import type { RaftClient } from '../../clients/raft-client.js';
import type { ReplicaStatus } from '../../protocol/client-wire.js';
import type { CommandResult, GroupCommand, QueryResult } from '../../protocol/group/commands.js';
import { HistoryRecorder } from '../checkers/history.js';
import { type KvInput, type KvOutput, kvModel } from '../checkers/kv-model.js';
import { checkLinearizable } from '../checkers/linearizability.js';
import { pollUntil } from '../fixtures/poll-until.js';
import { liveReplicaPids, longestWriteGap, RaftCluster } from '../fixtures/raft-cluster.js';

const SNAPSHOT_THRESHOLD = 50;
const LEADER_TIMEOUT_MS = 15_000;
const KEYS = ['a', 'b', 'c'];

const now = () => performance.now();

/** What a run of clients did: the history, when writes were acknowledged, and the durable writes. */
interface LoadResult {
  readonly history: HistoryRecorder<KvInput, KvOutput>;
  /** Completion times of acknowledged writes, in order. */
  readonly writeAcks: number[];
  /** Unique keys written once each and acknowledged, with their values. */
  readonly durable: Map<string, string>;
  readonly unknownWrites: number;
  readonly failedReads: number;
}

/**
 * Concurrent clients, each one operation at a time on a few shared keys (put, cas, delete,
 * linearizable get), plus one writer of unique keys whose acknowledged writes must all
 * survive. Runs until `stop()`.
 */
function startLoad(clients: readonly RaftClient[], durableWriter: RaftClient) {
  const result: LoadResult = {
    history: new HistoryRecorder<KvInput, KvOutput>(),
    writeAcks: [],
    durable: new Map(),
    unknownWrites: 0,
    failedReads: 0,
  };
  const mutable = result as { unknownWrites: number; failedReads: number };
  let running = true;
  let seed = 1;
  const random = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % n;
  };
  const loop = async (client: RaftClient, index: number) => {
    const name = `c${index}`;
    let n = 0;
    while (running) {
      n++;
      const key = KEYS[random(KEYS.length)]!;
      const dice = random(100);
      if (dice < 55) {
        let command: GroupCommand;
        if (dice < 35) command = { kind: 'kv-put', key, value: `${name}.${n}` };
        else if (dice < 50)
          command = {
            kind: 'kv-cas',
            key,
            expectedRevision: random(4) === 0 ? 0 : random(400),
            value: `${name}.x${n}`,
          };
        else command = { kind: 'kv-delete', key };
        const handle = result.history.invoke(name, { kind: 'write', command }, now());
        try {
          const output: CommandResult = await client.write(command);
          const at = now();
          result.history.complete(handle, output, at);
          result.writeAcks.push(at);
        } catch (error) {
          if (!(error instanceof RaftClientError)) throw error;
          // Whatever the error, the write may not be assumed absent unless the client says so.
          if (error instanceof UnknownOutcomeError || error.code === 'CLIENT_CLOSED') {
            result.history.unknown(handle);
            mutable.unknownWrites++;
          } else {
            result.history.fail(handle, now());
          }
        }
      } else {
        const handle = result.history.invoke(name, { kind: 'read', query: { op: 'get', key } }, now());
        try {
          const output: QueryResult = await client.read({ op: 'get', key });
          result.history.complete(handle, output, now());
        } catch (error) {
          if (!(error instanceof RaftClientError)) throw error;
          result.history.fail(handle, now());
          mutable.failedReads++;
        }
      }
    }
  };
  const durableLoop = async () => {
    let n = 0;
    while (running) {
      const key = `d-${n}`;
      const value = `v-${n}`;
      n++;
      try {
        await durableWriter.put(key, value);
        result.durable.set(key, value);
        result.writeAcks.push(now());
      } catch (error) {
        if (!(error instanceof RaftClientError)) throw error;
      }
    }
  };
  const loops = [...clients.map((client, i) => loop(client, i)), durableLoop()];
  return {
    result,
    /** Number of writes acknowledged so far. */
    acked: () => result.writeAcks.length,
    async stop(): Promise<LoadResult> {
      running = false;
      await Promise.all(loops);
      result.writeAcks.sort((x, y) => x - y);
      return result;
    },
  };
}

async function waitForAcks(load: { acked: () => number }, count: number, timeoutMs: number, what: string) {
  await pollUntil(what, timeoutMs, async () => (load.acked() >= count ? true : undefined));
}

function expectLinearizable(history: HistoryRecorder<KvInput, KvOutput>): void {
  const checked = checkLinearizable(kvModel(), history.history(), { maxSteps: 5_000_000, timeoutMs: 30_000 });
  expect(checked.result, checked.counterexample ?? '').to.equal('linearizable');
}

describe('a Raft group of real processes over NATS and RocksDB', function () {
  this.timeout(60_000);
  let cluster: RaftCluster | undefined;
  /** Command-line fragments unique to the processes this file started (data dirs, server names). */
  const started: string[] = [];

  const start = async () => {
    cluster = await RaftCluster.start({ snapshotThreshold: SNAPSHOT_THRESHOLD, logLevel: 'info' });
    started.push(cluster.nats.server.name);
    for (const replica of cluster.replicas) started.push(replica.dataDir);
    return cluster;
  };

  afterEach(async function () {
    if (cluster !== undefined && this.currentTest?.state === 'failed') {
      process.stderr.write(`replica logs:\n${cluster.logs(40)}\n`);
    }
    await cluster?.stop();
    cluster = undefined;
  });

  it('elects a leader; writes and reads work through the client', async () => {
    const group = await start();
    const leader = await group.waitForLeader(LEADER_TIMEOUT_MS);
    expect(leader.voters).to.deep.equal(['r1', 'r2', 'r3']);
    const client = await group.client({ requestTimeoutMs: 1_000, deadlineMs: 5_000 });

    const first = await client.put('www', '192.0.2.1');
    expect(first.previous).to.equal(null);
    const second = await client.put('www', '192.0.2.2');
    expect(second.previous).to.deep.equal({ key: 'www', value: '192.0.2.1', revision: first.revision });
    expect(second.revision).to.be.greaterThan(first.revision);

    expect(await client.cas('www', first.revision, 'lost')).to.deep.include({
      kind: 'kv-cas-mismatch',
    });
    expect(await client.cas('www', second.revision, '192.0.2.3')).to.deep.include({ kind: 'kv-written' });
    await client.put('mail', '192.0.2.25');
    await client.delete('mail');

    for (const mode of ['linearizable', 'lease', 'bounded:5000'] as const) {
      const entry = await client.get('www', { mode });
      expect(entry?.value, mode).to.equal('192.0.2.3');
    }
    expect(await client.get('mail')).to.equal(null);
    // A follower serves a linearizable read through the leader's read index, and refuses a write.
    const follower = group.ids.find((id) => id !== leader.replica)!;
    expect((await client.get('www', { replica: follower }))?.value).to.equal('192.0.2.3');
    const refused = await client.put('x', 'y', { replica: follower }).catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(NotLeaderError);
    expect((refused as NotLeaderError).leaderId).to.equal(leader.replica);

    const page = await client.range('', { limit: 10 });
    expect(page.entries.map((e) => e.key)).to.deep.equal(['www']);
    // Every replica applies the same entries.
    const applied = (await client.status(leader.replica)).appliedIndex;
    await pollUntil('every replica applied the writes', 10_000, async () => {
      const all = await group.statuses();
      return all.length === 3 && all.every((s) => s.appliedIndex >= applied) ? true : undefined;
    });
  });

  it('survives SIGKILL of the leader under load: a new leader, no acknowledged write lost, a linearizable history', async () => {
    const group = await start();
    const oldLeader = await group.waitForLeader(LEADER_TIMEOUT_MS);
    const options = { requestTimeoutMs: 500, deadlineMs: 4_000 };
    const clients = await Promise.all([0, 1, 2, 3].map(() => group.client(options)));
    const load = startLoad(clients, await group.client(options));

    await waitForAcks(load, 150, 20_000, '150 writes before the kill');
    const killedAt = now();
    await group.replica(oldLeader.replica).kill('SIGKILL');
    const ackedAtKill = load.acked();
    const newLeader = await group.waitForLeader(LEADER_TIMEOUT_MS, (s) => s.replica !== oldLeader.replica);
    expect(newLeader.term).to.be.greaterThan(oldLeader.term);
    await waitForAcks(load, ackedAtKill + 150, 20_000, '150 writes after the kill');
    const result = await load.stop();

    const gapMs = longestWriteGap(result.writeAcks, killedAt);
    process.stdout.write(
      `      write gap after SIGKILL of the leader: ${gapMs.toFixed(0)} ms ` +
        `(${result.writeAcks.length} writes acknowledged, ${result.unknownWrites} unknown, ${result.failedReads} reads failed, ` +
        `${result.history.size} operations)\n`,
    );
    expect(gapMs).to.be.below(5_000);

    // Every acknowledged write of a unique key is still there, through the new leader.
    const reader = await group.client({ requestTimeoutMs: 1_000, deadlineMs: 5_000 });
    expect(result.durable.size).to.be.greaterThan(20);
    for (const [key, value] of result.durable) {
      expect((await reader.get(key))?.value, key).to.equal(value);
    }
    expectLinearizable(result.history);
  });

  it('a restarted replica catches up through InstallSnapshot after the log moved past it', async () => {
    const group = await start();
    const leader = await group.waitForLeader(LEADER_TIMEOUT_MS);
    const options = { requestTimeoutMs: 500, deadlineMs: 4_000 };
    const writer = await group.client(options);
    const load = startLoad([await group.client(options)], writer);
    await waitForAcks(load, 40, 20_000, '40 writes before the kill');

    const victim = group.replica(leader.replica);
    await victim.kill('SIGKILL');
    await group.waitForLeader(LEADER_TIMEOUT_MS, (s) => s.replica !== leader.replica);
    // Far more entries than the snapshot threshold: the survivors compact past the victim's log.
    await waitForAcks(
      load,
      load.acked() + 4 * SNAPSHOT_THRESHOLD,
      30_000,
      'writes while the replica is down',
    );
    const result = await load.stop();

    await victim.start();
    const target = await pollUntil('a leader applied index', 5_000, async () => {
      const all = await group.statuses();
      return all.find((s) => s.role === 'leader')?.appliedIndex;
    });
    const caughtUp: ReplicaStatus = await pollUntil(
      `${victim.id} to catch up to ${target}`,
      20_000,
      async () => {
        const status = await group.status(victim.id);
        return status !== undefined && status.appliedIndex >= target ? status : undefined;
      },
    );
    expect(caughtUp.snapshotsInstalled, 'snapshots installed from the leader').to.be.at.least(1);
    // All three agree, and the restarted replica serves the data it never saw as log entries.
    await pollUntil('every replica at the same applied index', 10_000, async () => {
      const all = await group.statuses();
      const indexes = new Set(all.map((s) => s.appliedIndex));
      return all.length === 3 && indexes.size === 1 ? true : undefined;
    });
    const reader = await group.client({ requestTimeoutMs: 1_000, deadlineMs: 5_000 });
    for (const [key, value] of result.durable) {
      const entry = await reader.get(key, { replica: victim.id, mode: 'bounded:5000' });
      expect(entry?.value, key).to.equal(value);
    }
  });

  it('a leader frozen past the election timeout steps down after SIGCONT and serves no stale read', async () => {
    const group = await start();
    const old = await group.waitForLeader(LEADER_TIMEOUT_MS);
    const client = await group.client({ requestTimeoutMs: 500, deadlineMs: 8_000 });
    await client.put('k', 'before');
    // Lease and linearizable reads on the old leader work before the freeze.
    expect((await client.get('k', { replica: old.replica, mode: 'lease' }))?.value).to.equal('before');

    const frozen = group.replica(old.replica);
    await frozen.kill('SIGSTOP');
    const stoppedAt = now();
    try {
      const successor = await group.waitForLeader(LEADER_TIMEOUT_MS, (s) => s.replica !== old.replica);
      expect(successor.term).to.be.greaterThan(old.term);
      // The group takes writes while the old leader is frozen.
      await client.put('k', 'after');
      // Frozen for well past the maximum election timeout (300 ms) in any case.
      await pollUntil('the freeze to last 1 s', 5_000, async () =>
        now() - stoppedAt > 1_000 ? true : undefined,
      );

      // Reads addressed to the frozen leader, queued before it wakes up and sent right after.
      const reader = await group.client({ requestTimeoutMs: 2_000, deadlineMs: 3_000 });
      const ask = (mode: 'linearizable' | 'lease') =>
        reader.get('k', { replica: old.replica, mode }).then(
          (entry) => ({ value: entry?.value ?? null }),
          (error: unknown) => ({ error }),
        );
      const queued = [ask('linearizable'), ask('lease')];
      await frozen.kill('SIGCONT');
      const afterWake = [ask('linearizable'), ask('lease')];
      for (const outcome of await Promise.all([...queued, ...afterWake])) {
        if ('error' in outcome) {
          expect(outcome.error, String(outcome.error)).to.be.instanceOf(RaftClientError);
        } else {
          expect(outcome.value, 'a read served by the old leader').to.equal('after');
        }
      }
    } finally {
      await frozen.kill('SIGCONT');
    }

    // It steps down: a follower of a leader in a higher term than its own.
    const rejoined = await pollUntil(`${old.replica} to step down`, 10_000, async () => {
      const status = await group.status(old.replica);
      return status !== undefined && status.role !== 'leader' && status.term > old.term ? status : undefined;
    });
    const leader = await group.waitForLeader(LEADER_TIMEOUT_MS);
    expect(leader.term).to.be.greaterThan(old.term);
    expect(rejoined.term).to.be.at.most(leader.term);
    // And it catches up: a linearizable read through it sees the latest write.
    expect((await client.get('k', { replica: old.replica }))?.value).to.equal('after');
  });

  it('leaves no replica or nats-server process behind', () => {
    expect(liveReplicaPids()).to.deep.equal([]);
    expect(started.length).to.be.greaterThan(0);
    for (const fragment of started) {
      let found = '';
      try {
        found = execFileSync('pgrep', ['-af', '--', fragment], { encoding: 'utf8' });
      } catch {
        // pgrep exits 1 when nothing matches
      }
      expect(found, fragment).to.equal('');
    }
  });
});
