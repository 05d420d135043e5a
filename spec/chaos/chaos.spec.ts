import { randomInt } from 'node:crypto';
import { expect } from 'chai';
import type { Operation } from '../checkers/history.js';
import type { KvInput, KvOutput } from '../checkers/kv-model.js';
import { leftoverOfThisProcess, networkUnavailable } from '../fixtures/chaos-network.js';
import { liveReplicaPids } from '../fixtures/raft-cluster.js';
import { electionsByLabel, longestGapByLabel, longestGapWithin, median, writeGapMs } from './availability.js';
import { checkConvergence, checkDurableWrites, checkExits, checkHistory } from './checks.js';
import { type ChaosReport, runChaos } from './runner.js';
import { type FaultLabel, faultLabel, faultLastsMs, faultSchedule } from './schedule.js';

/** Partitions join when this machine can make network namespaces (root, ip, iptables). */
const KILLS_STOPS_AND_PARTITIONS: readonly FaultLabel[] = [
  'kill-leader',
  'kill-follower',
  'stop-leader',
  'stop-follower',
  ...(networkUnavailable() === undefined ? (['partition-leader', 'partition-follower'] as const) : []),
];
/** RAFTNS_CHAOS_SEED replays a failing seed; otherwise each run explores a fresh one. */
const SEED =
  process.env.RAFTNS_CHAOS_SEED === undefined
    ? randomInt(0xffff_ffff)
    : Number(process.env.RAFTNS_CHAOS_SEED);
const SECONDS = 20;

type KvOperation = Operation<KvInput, KvOutput>;

describe('chaos: real replica processes under a seeded fault schedule (kills, stops, partitions)', function () {
  this.timeout(150_000);
  let report: ChaosReport | undefined;

  before(async () => {
    report = await runChaos({
      seed: SEED,
      seconds: SECONDS,
      replicas: 3,
      natsServers: 1,
      labels: KILLS_STOPS_AND_PARTITIONS,
      log: (line) => process.stdout.write(`      ${line}\n`),
    });
  });

  it('passes every check: linearizable, no acknowledged write lost, replicas converge, no crash', () => {
    const run = report!;
    expect(run.violations, `seed ${SEED}: ${run.recordPath ?? ''}`).to.deep.equal([]);
    expect(run.linearizability, `seed ${SEED}`).to.equal('linearizable');
    expect(run.faults.filter((f) => !f.target.startsWith('skipped')).length).to.be.at.least(2);
    expect(run.ops.ok, 'operations acknowledged under faults').to.be.greaterThan(200);
    expect(run.durableAcked).to.be.greaterThan(50);
  });

  it('leaves no replica process, network namespace or host link behind', async () => {
    expect(liveReplicaPids()).to.deep.equal([]);
    if (networkUnavailable() === undefined) expect(await leftoverOfThisProcess()).to.deep.equal([]);
  });

  it("the linearizability check rejects the run's own history with one final read made stale", () => {
    const history = report!.history;
    const stale = staleFinalRead(history);
    expect(stale, 'a key with two acknowledged writes in real-time order and a final read').to.not.equal(
      undefined,
    );
    const corrupted = history.map((op, i) => (i === stale!.index ? stale!.operation : op));
    expect(checkHistory(history).verdict).to.equal('linearizable');
    const checked = checkHistory(corrupted);
    expect(checked.verdict).to.equal('not-linearizable');
    expect(checked.violations.map((v) => v.kind)).to.deep.equal(['not-linearizable']);
  });

  it('the durable-write check reports an acknowledged write missing or changed', () => {
    const acknowledged = new Map([
      ['d-1', 'v1'],
      ['d-2', 'v2'],
      ['d-3', 'v3'],
    ]);
    expect(checkDurableWrites(acknowledged, new Map([...acknowledged, ['d-4', 'v4']]))).to.deep.equal([]);
    const final = new Map([
      ['d-1', 'v1'],
      ['d-3', 'other'],
    ]);
    expect(checkDurableWrites(acknowledged, final)).to.deep.equal([
      { kind: 'lost-write', key: 'd-2', expected: 'v2', found: null },
      { kind: 'lost-write', key: 'd-3', expected: 'v3', found: 'other' },
    ]);
  });

  it('the convergence check reports a replica with other data or none', () => {
    const entries = [
      { key: 'a', value: '1', revision: 3 },
      { key: 'b', value: '2', revision: 5 },
    ];
    expect(
      checkConvergence([
        { replica: 'r1', entries },
        { replica: 'r2', entries: [...entries] },
      ]),
    ).to.deep.equal([]);
    const violations = checkConvergence([
      { replica: 'r1', entries },
      { replica: 'r2', entries: [{ key: 'a', value: '1', revision: 4 }] },
      { replica: 'r3', entries: undefined },
    ]);
    expect(violations.map((v) => (v.kind === 'diverged' ? v.replica : v.kind))).to.deep.equal(['r2', 'r3']);
    expect(violations[0]).to.deep.include({ kind: 'diverged' });
    const detail = violations[0]?.kind === 'diverged' ? violations[0].detail : '';
    expect(detail).to.contain('a=1@4').and.contain('lacks b');
  });

  it('the exit check reports every replica that exited on its own', () => {
    expect(checkExits([])).to.deep.equal([]);
    expect(checkExits([{ replica: 'r2', detail: 'exited with code 1' }])).to.deep.equal([
      { kind: 'unexpected-exit', replica: 'r2', detail: 'exited with code 1' },
    ]);
  });
});

describe('chaos: stalled disks and drifting clocks (strace fault injection, libfaketime)', function () {
  this.timeout(150_000);
  const DISK_AND_CLOCK: readonly FaultLabel[] = [
    'slow-fsync-leader',
    'slow-fsync-follower',
    'drift-leader',
    'drift-follower',
  ];
  let report: ChaosReport | undefined;

  before(async () => {
    report = await runChaos({
      seed: SEED + 1,
      seconds: SECONDS,
      replicas: 3,
      natsServers: 1,
      labels: DISK_AND_CLOCK,
      log: (line) => process.stdout.write(`      ${line}\n`),
    });
  });

  it('passes every check with fsyncs delayed and a replica running on a clock 20 % fast or slow', () => {
    const run = report!;
    expect(run.violations, `seed ${SEED + 1}: ${run.recordPath ?? ''}`).to.deep.equal([]);
    expect(run.linearizability, `seed ${SEED + 1}`).to.equal('linearizable');
    const applied = run.faults.filter((f) => !f.target.startsWith('skipped'));
    expect(applied.length, JSON.stringify(run.faults)).to.be.at.least(2);
    expect(run.ops.ok, 'operations acknowledged under faults').to.be.greaterThan(200);
  });

  it('leaves no replica process behind', () => {
    expect(liveReplicaPids()).to.deep.equal([]);
  });
});

describe('chaos: the fault schedule and the gap measure', () => {
  it('derives the same schedule from the same seed, faults one at a time within the duration', () => {
    const options = { seed: 7, durationMs: 60_000, natsServers: 3 };
    const schedule = faultSchedule(options);
    expect(faultSchedule(options)).to.deep.equal(schedule);
    expect(faultSchedule({ ...options, seed: 8 })).to.not.deep.equal(schedule);
    expect(schedule.length).to.be.greaterThan(5);
    let freeAt = 0;
    for (const fault of schedule) {
      const lasts = faultLastsMs(fault);
      expect(fault.atMs).to.be.at.least(freeAt);
      freeAt = fault.atMs + lasts;
      if (fault.kind === 'nats-restart' || fault.kind === 'partition-nats')
        expect(fault.server).to.be.within(0, 2);
    }
    expect(freeAt).to.be.at.most(options.durationMs);
    const onlyKills = faultSchedule({ ...options, labels: ['kill-leader'] });
    expect(onlyKills.every((f) => f.kind === 'kill' && f.role === 'leader')).to.equal(true);
    const partitions = faultSchedule({ ...options, labels: ['partition-follower', 'partition-nats'] });
    expect(new Set(partitions.map(faultLabel))).to.deep.equal(
      new Set(['partition-follower', 'partition-nats']),
    );
  });

  it('measures the longest stretch without an acknowledged write from each fault on', () => {
    // Acks every 10 ms, a 400 ms hole after the fault at 100, a 250 ms one after the one at 800.
    const acks = [10, 20, 90, 490, 500, 510, 790, 1_040, 1_050];
    expect(writeGapMs(acks, 100, 800)).to.equal(390);
    const byLabel = longestGapByLabel(
      acks,
      [
        { label: 'kill-leader', target: 'r1', appliedAt: 100, healedAt: 300 },
        { label: 'stop-follower', target: 'r2', appliedAt: 800, healedAt: 900 },
        { label: 'kill-leader', target: 'skipped: no leader', appliedAt: 1_000, healedAt: 1_000 },
      ],
      1_100,
    );
    expect([...byLabel]).to.deep.equal([
      ['kill-leader', 390],
      ['stop-follower', 240],
    ]);
    // Writes that never resume: the gap runs to the end of the window.
    expect(writeGapMs([10], 100, 700)).to.equal(600);
    // Before any fault: only stretches between two acknowledgements inside the window count.
    expect(longestGapWithin(acks, 0, 600)).to.equal(400);
    expect(median([300, 100, 200, 900])).to.equal(200);
    expect(median([])).to.equal(0);
  });

  it('counts a fault as causing an election when the term grew by the next fault', () => {
    const at = { appliedAt: 0, healedAt: 1 };
    const counts = electionsByLabel([
      { label: 'nats-restart', target: 'nats n1', ...at, termBefore: 3, termAfter: 3 },
      { label: 'nats-restart', target: 'nats n2', ...at, termBefore: 3, termAfter: 4 },
      { label: 'nats-restart', target: 'nats n0', ...at, termBefore: 4 },
      { label: 'kill-leader', target: 'skipped: no leader', ...at, termBefore: 4, termAfter: 9 },
    ]);
    expect([...counts]).to.deep.equal([['nats-restart', { elections: 1, of: 2 }]]);
  });
});

/**
 * The history with one final read (client `final`) replaced by a read of an older value of
 * its key: a value whose write was followed, in real time, by another acknowledged write
 * before the final read began. No linearization can place it.
 */
function staleFinalRead(
  history: readonly KvOperation[],
): { index: number; operation: KvOperation } | undefined {
  for (const [index, read] of history.entries()) {
    if (read.clientId !== 'final' || read.status !== 'ok' || read.input.kind !== 'read') continue;
    if (read.input.query.op !== 'get') continue;
    const key = read.input.query.key;
    const writes = history.filter(
      (op) =>
        op.status === 'ok' &&
        op.input.kind === 'write' &&
        op.input.command.kind === 'kv-put' &&
        op.input.command.key === key &&
        op.output !== undefined &&
        'kind' in op.output &&
        op.output.kind === 'kv-written',
    );
    for (const older of writes) {
      const overwritten = writes.some((newer) => newer.call > older.return! && newer.return! < read.call);
      if (!overwritten || older.input.kind !== 'write' || older.input.command.kind !== 'kv-put') continue;
      if (older.output === undefined || !('kind' in older.output) || older.output.kind !== 'kv-written')
        continue;
      const entry = { key, value: older.input.command.value, revision: older.output.revision };
      return { index, operation: { ...read, output: { op: 'get', entry } } };
    }
  }
  return undefined;
}
