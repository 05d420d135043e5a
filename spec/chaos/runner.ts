/**
 * One chaos run against real processes: a Raft group of 3 or 5 `runtime/main` replicas on a
 * real nats-server (one, or a 3-server cluster), concurrent clients recording every
 * operation (workload.ts), faults applied from the seed's schedule (schedule.ts), then the
 * checks of checks.ts once the faults stop. Prints the seed first and one summary line last;
 * a failing run's history, schedule and replica logs go to a JSON file whose path is printed.
 *
 * Everything the run starts it stops, also when it fails: the group and the NATS servers in
 * a `finally`, and the fixtures' exit hook SIGKILLs whatever an interrupted run left behind.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RaftClient } from '../../clients/raft-client.js';
import type { KvEntryView } from '../../protocol/group/commands.js';
import { BOUNDED_STALENESS_MS_MAX } from '../../protocol/limits.js';
import type { Operation } from '../checkers/history.js';
import type { KvInput, KvOutput } from '../checkers/kv-model.js';
import { ChaosNetwork, networkUnavailable } from '../fixtures/chaos-network.js';
import {
  type NatsServerHandle,
  type ServerPlacement,
  startNatsCluster,
  startNatsServer,
} from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';
import { RaftCluster } from '../fixtures/raft-cluster.js';
import {
  type AppliedFault,
  electionsByLabel,
  gapsByLabel,
  longestGapByLabel,
  longestGapWithin,
  median,
} from './availability.js';
import {
  checkConvergence,
  checkDurableWrites,
  checkExits,
  checkHistory,
  describeViolation,
  type ReplicaData,
  type ReplicaExit,
  type Violation,
} from './checks.js';
import {
  ALL_FAULT_LABELS,
  describeSchedule,
  type FaultLabel,
  faultLabel,
  faultLastsMs,
  faultSchedule,
  PARTITION_LABELS,
  type ScheduledFault,
} from './schedule.js';
import { SHARED_KEYS, startWorkload } from './workload.js';

export interface ChaosOptions {
  readonly seed: number;
  /** How long faults are applied under load; the setup and the checks come on top. */
  readonly seconds: number;
  readonly replicas: 3 | 5;
  readonly natsServers: 1 | 3;
  /** Fault kinds to draw from; default all. */
  readonly labels?: readonly FaultLabel[];
  /** Clients on the shared keys (the durable writer comes on top). Default 4. */
  readonly clients?: number;
  /** Where progress lines go; default stdout. */
  readonly log?: (line: string) => void;
}

export interface ChaosReport {
  readonly seed: number;
  readonly schedule: readonly ScheduledFault[];
  readonly faults: readonly AppliedFault[];
  readonly ops: { readonly ok: number; readonly failed: number; readonly unknown: number };
  readonly durableAcked: number;
  /** When each write was acknowledged, ascending (the clock of `faults`). */
  readonly writeAcks: readonly number[];
  readonly linearizability: 'linearizable' | 'not-linearizable' | 'unknown';
  /** The recorded KV history, the final reads included. */
  readonly history: readonly Operation<KvInput, KvOutput>[];
  readonly violations: readonly Violation[];
  readonly longestGapMs: ReadonlyMap<FaultLabel, number>;
  readonly summary: string;
  /** The failing run's record, when there were violations. */
  readonly recordPath: string | undefined;
}

export const SECONDS_MAX = 600;
const CLIENTS_DEFAULT = 4;
const CLIENT_OPTIONS = { requestTimeoutMs: 500, deadlineMs: 3_000 } as const;
const LEADER_TIMEOUT_MS = 15_000;
/** How long a fault waits to learn whom to hit (the leader of the moment). */
const TARGET_TIMEOUT_MS = 5_000;
/** After the last fault: load keeps running this long before it stops. */
const SETTLE_MS = 1_500;
const CONVERGENCE_TIMEOUT_MS = 20_000;
const RANGE_PAGES_MAX = 200;

const now = () => performance.now();

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  if (!(options.seconds > 0 && options.seconds <= SECONDS_MAX))
    throw new RangeError(`seconds must be in (0, ${SECONDS_MAX}]`);
  const labels = withoutUnavailable(options.labels ?? ALL_FAULT_LABELS, log);
  const durationMs = options.seconds * 1_000;
  const schedule = faultSchedule({
    seed: options.seed,
    durationMs,
    natsServers: options.natsServers,
    labels,
  });
  log(
    `chaos seed=${options.seed} seconds=${options.seconds} replicas=${options.replicas} nats=${options.natsServers}` +
      ` (replay: npm run chaos -- --seed ${options.seed} --seconds ${options.seconds}` +
      ` --replicas ${options.replicas} --nats ${options.natsServers}` +
      `${options.labels === undefined ? '' : ` --faults ${options.labels.join(',')}`})`,
  );

  const runStartedAt = now();
  const replicaIds = Array.from({ length: options.replicas }, (_, i) => `r${i + 1}`);
  const natsIds = Array.from({ length: options.natsServers }, (_, i) => `n${i}`);
  // Partitions need every replica and NATS server in a namespace of its own.
  const network = labels.some((label) => PARTITION_LABELS.includes(label))
    ? await ChaosNetwork.create([...replicaIds, ...natsIds])
    : undefined;
  let nats: NatsServerHandle | undefined;
  let cluster: RaftCluster | undefined;
  try {
    const placement: ServerPlacement | undefined =
      network === undefined
        ? undefined
        : {
            address: (i) => network.address(`n${i}`),
            wrap: (i, command, args) => network.wrap(`n${i}`, command, args),
          };
    nats = await startNats(options.natsServers, placement);
    cluster = await RaftCluster.start({
      replicas: options.replicas,
      nats,
      logLevel: 'info',
      ...(network === undefined
        ? {}
        : { launch: (i, command, args) => network.wrap(replicaIds[i] ?? '', command, args) }),
    });
    return await driveAndCheck(cluster, nats, network, options, schedule, labels, log, runStartedAt);
  } finally {
    await cluster?.stop();
    await nats?.stop();
    await network?.remove();
  }
}

/** The labels asked for, less the partition kinds when this machine cannot make namespaces. */
function withoutUnavailable(labels: readonly FaultLabel[], log: (line: string) => void): FaultLabel[] {
  const partitions = labels.filter((label) => PARTITION_LABELS.includes(label));
  const unavailable = partitions.length === 0 ? undefined : networkUnavailable();
  if (unavailable === undefined) return [...labels];
  log(`  skipping ${partitions.join(', ')}: ${unavailable}`);
  const rest = labels.filter((label) => !PARTITION_LABELS.includes(label));
  if (rest.length === 0) throw new Error(`no fault kind left to run: ${unavailable}`);
  return rest;
}

async function startNats(servers: 1 | 3, placement: ServerPlacement | undefined): Promise<NatsServerHandle> {
  const where = placement === undefined ? {} : { placement };
  if (servers === 1) return startNatsServer(where);
  const natsCluster = await startNatsCluster({ size: servers, jetstream: false, ...where });
  const first = natsCluster.servers[0];
  if (first === undefined) throw new Error('a NATS cluster without servers');
  // RaftCluster hands every URL of `urls` to each process; `url`/`server` name the first.
  return { ...natsCluster, url: first.url, server: first };
}

async function driveAndCheck(
  group: RaftCluster,
  nats: NatsServerHandle,
  network: ChaosNetwork | undefined,
  options: ChaosOptions,
  schedule: readonly ScheduledFault[],
  labels: readonly FaultLabel[],
  log: (line: string) => void,
  runStartedAt: number,
): Promise<ChaosReport> {
  await group.waitForLeader(LEADER_TIMEOUT_MS);
  const clients: RaftClient[] = [];
  for (let i = 0; i < (options.clients ?? CLIENTS_DEFAULT); i++)
    clients.push(await group.client(CLIENT_OPTIONS));
  const workload = startWorkload(clients, await group.client(CLIENT_OPTIONS), options.seed);

  const exits = new ExitWatch(group);
  const faults: AppliedFault[] = [];
  const startedAt = now();
  const durationMs = options.seconds * 1_000;
  let notReached = 0;
  const violations: Violation[] = [];
  try {
    for (const fault of schedule) {
      await delayUntil(startedAt + fault.atMs);
      // Restarts can run late on a loaded machine; the run keeps to its duration instead.
      if (now() - startedAt + faultLastsMs(fault) > durationMs) {
        notReached++;
        continue;
      }
      exits.check();
      const termBefore = await highestTerm(group);
      const previous = faults.at(-1);
      if (previous !== undefined) faults[faults.length - 1] = withTermAfter(previous, termBefore);
      const applied = { ...(await applyFault(group, nats, network, fault, exits)), termBefore };
      faults.push(applied);
      log(
        `  ${((applied.appliedAt - startedAt) / 1_000).toFixed(1)} s ${applied.label} ${applied.target}` +
          ` healed after ${Math.round(applied.healedAt - applied.appliedAt)} ms`,
      );
    }
    await delayUntil(startedAt + durationMs + SETTLE_MS);
  } finally {
    exits.check();
  }
  const endedAt = now();
  const result = await workload.stop();

  // The group must serve again once the faults stop; then its final state is read.
  const checker = await group.client({ requestTimeoutMs: 1_000, deadlineMs: 10_000 });
  const leader = await group.waitForLeader(LEADER_TIMEOUT_MS).catch((error: unknown) => {
    violations.push({
      kind: 'unavailable',
      detail: `no leader within ${LEADER_TIMEOUT_MS} ms: ${String(error)}`,
    });
    return undefined;
  });
  const last = faults.at(-1);
  if (last !== undefined) faults[faults.length - 1] = withTermAfter(last, leader?.term);
  if (leader !== undefined) {
    // A final linearizable read of each shared key joins the history: an acknowledged write
    // that vanished then shows up as a read the checker cannot place.
    for (const key of SHARED_KEYS) {
      const handle = result.history.invoke('final', { kind: 'read', query: { op: 'get', key } }, now());
      try {
        result.history.complete(handle, await checker.read({ op: 'get', key }), now());
      } catch {
        result.history.fail(handle, now());
      }
    }
    const final = await readAll(checker, undefined);
    if (final === undefined) violations.push({ kind: 'unavailable', detail: 'the final range read failed' });
    else violations.push(...checkDurableWrites(result.durable, new Map(final.map((e) => [e.key, e.value]))));
    violations.push(...(await convergence(group, checker)));
  }
  exits.check();
  violations.push(...checkExits(exits.unexpected));

  const history = result.history.history();
  const linearizable = checkHistory(history);
  violations.push(...linearizable.violations);

  const ops = { ok: 0, failed: 0, unknown: 0 };
  for (const op of history) {
    if (op.status === 'ok') ops.ok++;
    else if (op.status === 'fail') ops.failed++;
    else ops.unknown++;
  }
  const longestGapMs = longestGapByLabel(result.writeAcks, faults, endedAt);
  const gaps = gapsByLabel(result.writeAcks, faults, endedAt);
  const baselineGapMs = longestGapWithin(result.writeAcks, startedAt, faults[0]?.appliedAt ?? endedAt);
  const summary = summaryLine(
    options,
    ops,
    result.durable.size,
    faults,
    labels,
    linearizable.verdict,
    violations,
    gaps,
    { baselineGapMs, notReached, wallMs: now() - runStartedAt },
  );
  let recordPath: string | undefined;
  if (violations.length > 0) {
    for (const violation of violations.slice(0, 20)) log(`  violation: ${describeViolation(violation)}`);
    recordPath = await writeRecord(options, schedule, faults, violations, history, group);
    log(`  history, schedule and replica logs: ${recordPath}`);
  }
  log(summary);
  return {
    seed: options.seed,
    schedule,
    faults,
    ops,
    durableAcked: result.durable.size,
    writeAcks: result.writeAcks,
    linearizability: linearizable.verdict,
    history,
    violations,
    longestGapMs,
    summary,
    recordPath,
  };
}

// ---------------------------------------------------------------------------------------
// Faults

/** Replicas the schedule killed (and has not restarted yet) versus ones that died on their own. */
class ExitWatch {
  readonly killed = new Set<string>();
  readonly unexpected: ReplicaExit[] = [];
  private readonly reported = new Set<string>();

  constructor(private readonly group: RaftCluster) {}

  check(): void {
    for (const replica of this.group.replicas) {
      if (replica.running || this.killed.has(replica.id) || this.reported.has(replica.id)) continue;
      this.reported.add(replica.id);
      this.unexpected.push({ replica: replica.id, detail: replica.tail(8) });
    }
  }
}

async function applyFault(
  group: RaftCluster,
  nats: NatsServerHandle,
  network: ChaosNetwork | undefined,
  fault: ScheduledFault,
  exits: ExitWatch,
): Promise<AppliedFault> {
  const label = faultLabel(fault);
  const cut = (member: string, healAt: number) => {
    if (network === undefined) throw new Error(`${label} needs the run's network namespaces`);
    return cutFor(network, member, healAt);
  };
  if (fault.kind === 'partition-nats') {
    const member = `n${fault.server}`;
    const appliedAt = now();
    await cut(member, appliedAt + fault.cutMs);
    return { label, target: `nats ${member}`, appliedAt, healedAt: now() };
  }
  if (fault.kind === 'nats-restart') {
    const server = nats.servers[fault.server];
    if (server === undefined) throw new RangeError(`no NATS server n${fault.server}`);
    const appliedAt = now();
    await server.kill('SIGKILL');
    await delayUntil(appliedAt + fault.downMs);
    await server.restart();
    return { label, target: `nats n${fault.server}`, appliedAt, healedAt: now() };
  }
  const target = await chooseReplica(group, fault.role, fault.pick);
  if (typeof target !== 'string')
    return { label, target: `skipped: ${target.skipped}`, appliedAt: now(), healedAt: now() };
  const replica = group.replica(target);
  const appliedAt = now();
  if (fault.kind === 'kill') {
    exits.killed.add(target);
    await replica.kill('SIGKILL');
    await delayUntil(appliedAt + fault.downMs);
    try {
      await replica.start();
      exits.killed.delete(target);
    } catch (error) {
      // It stays down: counted as a process that failed on its own.
      exits.killed.delete(target);
      exits.unexpected.push({ replica: target, detail: `restart failed: ${String(error)}` });
    }
  } else if (fault.kind === 'stop') {
    await replica.kill('SIGSTOP');
    try {
      await delayUntil(appliedAt + fault.frozenMs);
    } finally {
      await replica.kill('SIGCONT');
    }
  } else if (fault.kind === 'partition') {
    await cut(target, appliedAt + fault.cutMs);
  } else if (fault.kind === 'slow-fsync') {
    const pid = replica.pid;
    if (pid === undefined) return { label, target: 'skipped: no pid', appliedAt, healedAt: now() };
    const tracer = await slowFsync(pid, fault.fsyncDelayMs);
    try {
      await delayUntil(appliedAt + fault.slowMs);
    } finally {
      await tracer.detach();
    }
  } else {
    // Drift: the same data directory, restarted with its clocks at `rate`, then with true ones.
    exits.killed.add(target);
    const restart = async (env: Readonly<Record<string, string>>) => {
      await replica.kill('SIGKILL');
      try {
        await replica.start({ env });
      } catch (error) {
        exits.unexpected.push({ replica: target, detail: `restart failed: ${String(error)}` });
      }
    };
    await restart(fakeClockEnv(fault.rate));
    await delayUntil(appliedAt + fault.driftMs);
    await restart({});
    exits.killed.delete(target);
  }
  return { label, target, appliedAt, healedAt: now() };
}

/** The highest term any answering replica reports, or undefined if none answers. */
async function highestTerm(group: RaftCluster): Promise<number | undefined> {
  const statuses = await group.statuses(TERM_STATUS_TIMEOUT_MS);
  return statuses.length === 0 ? undefined : Math.max(...statuses.map((s) => s.term));
}

const TERM_STATUS_TIMEOUT_MS = 300;

function withTermAfter(fault: AppliedFault, termAfter: number | undefined): AppliedFault {
  return termAfter === undefined ? fault : { ...fault, termAfter };
}

/** Cuts `member` off the run's network until `healAt`, then heals it (also when the wait fails). */
async function cutFor(network: ChaosNetwork, member: string, healAt: number): Promise<void> {
  await network.cut(member);
  try {
    await delayUntil(healAt);
  } finally {
    await network.heal(member);
  }
}

async function chooseReplica(
  group: RaftCluster,
  role: 'leader' | 'follower',
  pick: number,
): Promise<string | { skipped: string }> {
  let leader: string;
  try {
    leader = (await group.waitForLeader(TARGET_TIMEOUT_MS)).replica;
  } catch (error) {
    return { skipped: `no leader to tell roles apart: ${String(error)}` };
  }
  if (role === 'leader') return leader;
  const followers = group.replicas.filter((r) => r.running && r.id !== leader).map((r) => r.id);
  return followers[pick % followers.length] ?? { skipped: 'no running follower' };
}

const FAKETIME_LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

/** The environment that runs a process's clocks at `rate` from its start (libfaketime, `faketime -f`). */
function fakeClockEnv(rate: number): Readonly<Record<string, string>> {
  if (!existsSync(FAKETIME_LIBRARY))
    throw new Error(`${FAKETIME_LIBRARY} is missing: apt-get install faketime`);
  return { LD_PRELOAD: FAKETIME_LIBRARY, FAKETIME: `+0 x${rate}`, FAKETIME_DONT_RESET: '1' };
}

/**
 * Delays every fsync and fdatasync of process `pid` (all its threads) by `delayMs`, through
 * strace's fault injection, until `detach` (SIGINT: strace detaches and the process runs on).
 */
async function slowFsync(pid: number, delayMs: number): Promise<{ detach(): Promise<void> }> {
  const tracer = spawn(
    'strace',
    [
      '-f',
      '-qq',
      '-p',
      String(pid),
      '-e',
      'trace=fsync,fdatasync',
      '-e',
      `inject=fsync,fdatasync:delay_enter=${delayMs * 1000}`,
      '-o',
      '/dev/null',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => tracer.once('exit', () => resolve()));
  const failed = await Promise.race([
    exited.then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), STRACE_ATTACH_MS)),
  ]);
  if (failed)
    throw new Error(`strace could not attach to ${pid} (is strace installed, may this user ptrace?)`);
  return {
    detach: async () => {
      tracer.kill('SIGINT');
      await exited;
    },
  };
}

/** How long strace is given to attach before a fault counts as applied. */
const STRACE_ATTACH_MS = 200;

/** Waits for a point in the schedule (a time, not a condition: the schedule is timed). */
function delayUntil(at: number): Promise<void> {
  const waitMs = at - now();
  if (waitMs <= 0) return Promise.resolve();
  return new Promise((resolve) => setTimeout(resolve, waitMs));
}

// ---------------------------------------------------------------------------------------
// Final state

/** Every entry of the store, paged; through the group (linearizable) or one replica's own data. */
async function readAll(client: RaftClient, replica: string | undefined): Promise<KvEntryView[] | undefined> {
  const entries: KvEntryView[] = [];
  const pinned =
    replica === undefined ? {} : { replica, mode: `bounded:${BOUNDED_STALENESS_MS_MAX}` as const };
  let startAfter: string | undefined;
  try {
    for (let page = 0; page < RANGE_PAGES_MAX; page++) {
      const result = await client.range('', {
        ...pinned,
        ...(startAfter === undefined ? {} : { startAfter }),
      });
      entries.push(...result.entries);
      if (!result.more) return entries;
      startAfter = result.entries.at(-1)?.key;
      if (startAfter === undefined) return entries;
    }
    throw new Error(`more than ${RANGE_PAGES_MAX} pages`);
  } catch {
    return undefined;
  }
}

/**
 * Waits until every replica has applied the same index, then reads each one's own data
 * (a bounded read served locally) and compares them.
 */
async function convergence(group: RaftCluster, client: RaftClient): Promise<Violation[]> {
  const violations: Violation[] = [];
  let lastSeen = '';
  await pollUntil('every replica at the same applied index', CONVERGENCE_TIMEOUT_MS, async () => {
    const statuses = await group.statuses();
    lastSeen = statuses.map((s) => `${s.replica}@${s.appliedIndex}`).join(' ');
    const indexes = new Set(statuses.map((s) => s.appliedIndex));
    return statuses.length === group.replicas.length && indexes.size === 1 ? true : undefined;
  }).catch(() => {
    violations.push({
      kind: 'diverged',
      replica: '*',
      detail: `applied indexes never met within ${CONVERGENCE_TIMEOUT_MS} ms: ${lastSeen}`,
    });
  });
  const data: ReplicaData[] = [];
  for (const replica of group.ids) data.push({ replica, entries: await readAll(client, replica) });
  violations.push(...checkConvergence(data));
  return violations;
}

// ---------------------------------------------------------------------------------------
// Reporting

function summaryLine(
  options: ChaosOptions,
  ops: ChaosReport['ops'],
  durableAcked: number,
  faults: readonly AppliedFault[],
  labels: readonly FaultLabel[],
  verdict: ChaosReport['linearizability'],
  violations: readonly Violation[],
  gapsMs: ReadonlyMap<FaultLabel, readonly number[]>,
  extra: { readonly baselineGapMs: number; readonly notReached: number; readonly wallMs: number },
): string {
  const counts = labels.map((label) => {
    const applied = faults.filter((f) => f.label === label && !f.target.startsWith('skipped')).length;
    return `${label}=${applied}`;
  });
  const skipped = faults.filter((f) => f.target.startsWith('skipped')).length;
  const gaps = labels.flatMap((label) => {
    const all = gapsMs.get(label);
    if (all === undefined || all.length === 0) return [];
    return [`${label}=${Math.round(Math.max(...all))}ms(p50 ${Math.round(median(all))})`];
  });
  const elections = [...electionsByLabel(faults)].map(
    ([label, count]) => `${label}=${count.elections}/${count.of}`,
  );
  return (
    `chaos ${violations.length === 0 ? 'PASS' : 'FAIL'} seed=${options.seed} replicas=${options.replicas}` +
    ` nats=${options.natsServers} seconds=${options.seconds}` +
    ` ops=${ops.ok + ops.failed + ops.unknown} (ok ${ops.ok}, failed ${ops.failed}, unknown ${ops.unknown})` +
    ` durable-acked=${durableAcked} faults: ${counts.join(' ')}${skipped > 0 ? ` skipped=${skipped}` : ''}` +
    `${extra.notReached > 0 ? ` not-reached=${extra.notReached}` : ''}` +
    ` linearizability=${verdict} violations=${violations.length}` +
    ` longest-write-gap: ${gaps.length === 0 ? 'none' : gaps.join(' ')}` +
    ` elections: ${elections.length === 0 ? 'none' : elections.join(' ')}` +
    ` (before any fault: ${Math.round(extra.baselineGapMs)}ms) wall=${(extra.wallMs / 1_000).toFixed(1)}s`
  );
}

async function writeRecord(
  options: ChaosOptions,
  schedule: readonly ScheduledFault[],
  faults: readonly AppliedFault[],
  violations: readonly Violation[],
  history: readonly unknown[],
  group: RaftCluster,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'raftns-chaos-'));
  const path = join(dir, `seed-${options.seed}.json`);
  const record = {
    options: { ...options, log: undefined },
    schedule: describeSchedule(schedule).split('\n'),
    faults,
    violations: violations.map(describeViolation),
    history,
    replicaLogs: Object.fromEntries(group.replicas.map((r) => [r.id, r.logs()])),
  };
  await writeFile(path, `${JSON.stringify(record, null, 1)}\n`);
  return path;
}
