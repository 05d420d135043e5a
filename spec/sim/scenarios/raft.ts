import type { LogInspection } from '../../../actors/log/log-inspection.js';
import type { LogMessage } from '../../../actors/log/protocol.js';
import { raftConfig } from '../../../actors/raft/raft-config.js';
import type {
  ReadResult,
  StateMachineMessage,
  SubmitResult,
} from '../../../actors/state-machine/protocol.js';
import type { GroupCommand, GroupQuery, QueryResult } from '../../../protocol/group/commands.js';
import type { ReadMode } from '../../../protocol/read-mode.js';
import { DEFAULT_STATE_MACHINE_ACTOR, raftReplicaActors } from '../../../runtime/composition/raft-actors.js';
import type { MessageOf } from '../../../runtime/message.js';
import { type Random, SeededRandom } from '../../../runtime/random.js';
import type { FaultPlan } from '../../../runtime/sim/fault-plan.js';
import { Simulator } from '../../../runtime/sim/simulator.js';
import { HistoryRecorder, type OperationHandle } from '../../checkers/history.js';
import { type KvInput, type KvOutput, kvModel } from '../../checkers/kv-model.js';
import { checkLinearizable } from '../../checkers/linearizability.js';
import { RaftInvariants } from '../raft-invariants.js';
import type { Scenario, ScenarioOutcome, ScenarioRunOptions } from '../scenario.js';
import { mixedFaults } from './fault-plans.js';

/**
 * A Raft group of 3 or 5 replicas, each the real storage, election, log and state machine
 * actors, under a lossy, duplicating, reordering network, partitions, power loss of whole
 * replicas and crashes of single actors. Clients write (put, cas, delete with sessions and
 * retries) and read (linearizable and lease) through any replica, following not-leader
 * hints. Raft's safety properties are checked after every step; at the end the clients'
 * history must be linearizable and the replicas that applied the same prefix must hold
 * identical state.
 */
export interface RaftScenarioOptions {
  readonly name: string;
  readonly replicas: number;
  readonly clients: number;
  /**
   * `mixed`: a lossy network, partitions, power loss and actor crashes; `partitions`: the
   * lossy network and frequent, long partitions only; `none`: a quiet network (the lossy
   * one when `minorityLeader` is set) and no faults but the scripted ones.
   */
  readonly faults: 'none' | 'mixed' | 'partitions';
  /**
   * Snapshot by bytes too: compact once the applied entries after the snapshot hold this many
   * bytes (a few entries' worth), so the byte threshold decides compaction in this scenario.
   */
  readonly snapshotThresholdBytes?: number;
  /**
   * An operator adds and removes voters (thesis §4.1, one at a time, new ones catching up
   * first) and transfers leadership (§3.10) while clients run. The last replica starts
   * outside the configuration and joins when added.
   */
  readonly reconfigure?: boolean;
  /**
   * Once a leader holds its lease, a long partition leaves it in a minority with one
   * follower while the majority elects another and moves on. CheckQuorum is off, so the
   * old leader keeps its role: its lease reads and its follower's bounded reads must not
   * serve what the majority has overwritten.
   */
  readonly minorityLeader?: boolean;
  /**
   * Each replica's clock runs fast or slow at the very bound the lease assumes: two clocks
   * drift apart by `CLOCK_DRIFT_BOUND_MS` over the minimum election timeout.
   */
  readonly clockDrift?: boolean;
}

const KEYS = ['a', 'b', 'c'];
const REQUEST_TIMEOUT_MS = 400;
const ATTEMPTS_MAX = 8;
const VIRTUAL_MS = 3_000;
/** A run that acknowledged fewer writes than this proved nothing. */
const ACKED_WRITES_MIN = 5;

type Submit = MessageOf<StateMachineMessage, 'submit'>;
type Read = MessageOf<StateMachineMessage, 'read'>;

interface ClientState {
  readonly id: number;
  sessionId: string;
  seq: number;
  ackedSeq: number;
  target: string;
  /** The highest log index this client has seen (writes' and reads' answers): its reads never go below it. */
  seenIndex: number;
  /** A reader that stays at its replica whatever the answer (`minorityLeader`). */
  readonly pinned: boolean;
}

/** Bounded-staleness reads in this scenario promise data at most this old (plus one network delay). */
const MAX_STALE_MS = 60;
const NETWORK_DELAY_MAX_MS = 10;
/** The drift the lease allows for (thesis §6.4.1): this much over the minimum election timeout. */
const CLOCK_DRIFT_BOUND_MS = 10;
const MINORITY_PARTITION_AT_MS = { min: 500, max: 900 };
const MINORITY_PARTITION_MS = { min: 1_000, max: 1_500 };

/**
 * Per-replica clock rates at the drift bound: each clock runs fast or slow by half the
 * bound's rate, so two of them drift apart by the whole bound over an election timeout.
 */
function clockRates(seed: number, ids: readonly string[], electionTimeoutMinMs: number): Map<string, number> {
  const random = new SeededRandom(seed).fork();
  const halfRate = CLOCK_DRIFT_BOUND_MS / electionTimeoutMinMs / 2;
  return new Map(ids.map((id) => [id, random.chance(0.5) ? 1 + halfRate : 1 - halfRate]));
}

export function raftScenario(options: RaftScenarioOptions): Scenario {
  return {
    name: options.name,
    description:
      `${options.replicas}-replica Raft group, ${options.clients} clients, faults: ${options.faults}` +
      `${options.reconfigure === true ? ', reconfiguration' : ''}${options.minorityLeader === true ? ', a leader left in a minority' : ''}` +
      `${options.clockDrift === true ? ', clocks drifting at the lease bound' : ''}: Figure 3 invariants every step, linearizable history`,
    async run(seed: number, runOptions: ScenarioRunOptions = {}): Promise<ScenarioOutcome> {
      const ids = Array.from({ length: options.replicas }, (_, i) => `r${i + 1}`);
      const initialVoters = options.reconfigure === true ? ids.slice(0, -1) : ids;
      const faults: FaultPlan | undefined =
        options.faults === 'mixed'
          ? mixedFaults(initialVoters.length, VIRTUAL_MS - 800)
          : options.faults === 'partitions'
            ? {
                // Long and frequent, yet with gaps: a group partitioned all the time proves nothing.
                partition: { everyMs: { min: 250, max: 600 }, durationMs: { min: 100, max: 500 } },
                untilMs: VIRTUAL_MS - 800,
              }
            : undefined;
      const lossy = options.faults !== 'none' || options.minorityLeader === true;
      const timing = raftConfig('g1', 'r1', initialVoters);
      const rates =
        options.clockDrift === true
          ? clockRates(seed, ids, timing.electionTicksMin * timing.tickMs)
          : new Map<string, number>();
      const sim = await Simulator.create({
        seed,
        traceLinesKept: runOptions.traceLinesKept,
        replicas: ids.map((id) => ({
          id,
          clockRate: rates.get(id) ?? 1,
          actors: raftReplicaActors({
            // Small snapshots, often, in small chunks: compaction and InstallSnapshot run in every seed.
            raft: raftConfig('g1', id, initialVoters, {
              snapshotThresholdEntries: 25,
              ...(options.snapshotThresholdBytes === undefined
                ? {}
                : { snapshotThresholdBytes: options.snapshotThresholdBytes }),
              snapshotChunkBytes: 256,
              checkQuorum: options.minorityLeader !== true,
            }),
            clockDriftBoundMs: CLOCK_DRIFT_BOUND_MS,
            stateMachine: { ...DEFAULT_STATE_MACHINE_ACTOR, waitTimeoutMs: 2_000 },
          }),
        })),
        network: lossy
          ? {
              dropProbability: 0.02,
              duplicateProbability: 0.02,
              delayMs: { min: 1, max: 10 },
              maxInFlightPerLink: 1024,
            }
          : { delayMs: { min: 1, max: 3 } },
        disk: lossy
          ? {
              fsyncLatencyMs: { min: 1, max: 4 },
              slowFsyncProbability: 0.02,
              slowFsyncLatencyMs: { min: 20, max: 100 },
            }
          : { fsyncLatencyMs: { min: 1, max: 2 } },
        restartPolicy: { maxRestarts: 10, windowMs: 1_000, backoffBaseMs: 10, backoffMaxMs: 100 },
        processRebootMs: { min: 20, max: 100 },
        ...(faults === undefined ? {} : { faults }),
      });
      const invariants = new RaftInvariants(ids);
      sim.onStep(() => invariants.check(sim));

      const history = new HistoryRecorder<KvInput, KvOutput>();
      const random = sim.random;
      const stats = { writesAcked: 0, writesUnknown: 0, readsOk: 0, readsFailed: 0, sessionsRenewed: 0 };
      const clients: ClientState[] = Array.from({ length: options.clients }, (_, id) => ({
        id,
        sessionId: `c${id}-s0`,
        seq: 1,
        ackedSeq: 0,
        target: ids[id % ids.length] as string,
        seenIndex: 0,
        pinned: false,
      }));
      // Readers that never write and never move: one whose replica ends up on the minority side
      // of a partition knows only what that replica tells it, the case a stale read slips through.
      const readers: ClientState[] =
        options.minorityLeader === true
          ? ids.map((target, k) => ({
              id: options.clients + k,
              sessionId: `c${options.clients + k}-s0`,
              seq: 1,
              ackedSeq: 0,
              target,
              seenIndex: 0,
              pinned: true,
            }))
          : [];
      // Every acknowledged write's completion time and log index, in completion order.
      const ackedWrites: Array<{ readonly atMs: number; readonly index: number }> = [];
      const readViolations: string[] = [];
      sim.onStep(() => {
        if (readViolations.length > 0) throw new Error(readViolations[0]);
      });
      /** The newest index acknowledged to any client at or before `atMs`. */
      const ackedBy = (atMs: number) => {
        let newest = 0;
        for (const write of ackedWrites) {
          if (write.atMs > atMs) break;
          if (write.index > newest) newest = write.index;
        }
        return newest;
      };
      const clientsStopMs = VIRTUAL_MS - 200;
      const slowestRate = Math.min(1, ...rates.values());

      const pickTarget = (client: ClientState, hint: string | null) => {
        client.target =
          hint !== null && ids.includes(hint) ? hint : (ids[random.intBetween(0, ids.length - 1)] as string);
      };

      const submitOnce = (client: ClientState, command: GroupCommand): Promise<SubmitResult | undefined> =>
        sim
          .request<Submit>(
            client.target,
            'state-machine',
            {
              type: 'submit',
              command: { clientId: client.sessionId, seq: client.seq, ackedSeq: client.ackedSeq, command },
            },
            { timeoutMs: REQUEST_TIMEOUT_MS },
          )
          .catch(() => undefined);

      const write = async (client: ClientState, command: GroupCommand) => {
        const handle: OperationHandle = history.invoke(
          `c${client.id}`,
          { kind: 'write', command },
          sim.nowMs(),
        );
        for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
          const result = await submitOnce(client, command);
          if (result?.status === 'applied') {
            history.complete(handle, result.result, sim.nowMs());
            ackedWrites.push({ atMs: sim.nowMs(), index: result.index });
            client.seenIndex = Math.max(client.seenIndex, result.index);
            client.ackedSeq = client.seq;
            client.seq++;
            stats.writesAcked++;
            return;
          }
          if (result?.status === 'rejected') {
            if (result.reason === 'invalid')
              throw new Error(`the scenario sent an invalid command: ${result.detail}`);
            break; // session gone: whether an earlier attempt applied is unknown
          }
          pickTarget(client, result?.status === 'not-leader' ? result.leaderId : null);
          await pause(random, 5, 40);
        }
        // Gave up not knowing: start a fresh session so the unknown command can never be confused with the next.
        history.unknown(handle);
        stats.writesUnknown++;
        stats.sessionsRenewed++;
        client.sessionId = `c${client.id}-s${stats.sessionsRenewed}`;
        client.seq = 1;
        client.ackedSeq = 0;
      };

      const read = async (client: ClientState, query: GroupQuery, mode: ReadMode) => {
        const calledMs = sim.nowMs();
        const result = await sim
          .request<Read>(
            client.target,
            'state-machine',
            { type: 'read', query, mode, minIndex: client.seenIndex },
            { timeoutMs: REQUEST_TIMEOUT_MS },
          )
          .catch((): ReadResult | undefined => undefined);
        if (result?.status !== 'ok') {
          stats.readsFailed++;
          if (!client.pinned) pickTarget(client, result?.status === 'not-leader' ? result.leaderId : null);
          return;
        }
        stats.readsOk++;
        // Monotonic reads: never older than what this client saw before.
        if (result.index < client.seenIndex) {
          readViolations.push(
            `client c${client.id} read index ${result.index} after seeing ${client.seenIndex} (${mode.kind})`,
          );
        }
        client.seenIndex = Math.max(client.seenIndex, result.index);
        if (mode.kind === 'bounded') {
          // The promise: every write acknowledged more than the bound (plus a network delay) before the call is
          // visible; the bound is measured by the replica's clock, which may run slow by up to its drift.
          const boundMs = mode.maxStaleMs / slowestRate + NETWORK_DELAY_MAX_MS;
          const owed = ackedBy(calledMs - boundMs);
          if (result.index < owed) {
            readViolations.push(
              `bounded read by c${client.id} at ${calledMs} ms served index ${result.index}, older than ${owed} acknowledged before ${calledMs - boundMs} ms`,
            );
          }
          return; // bounded reads are not linearizable by design
        }
        const handle = history.invoke(`c${client.id}`, { kind: 'read', query }, calledMs);
        history.complete(handle, result.result as QueryResult, sim.nowMs());
      };
      const pause = (r: Random, minMs: number, maxMs: number) =>
        new Promise<void>((resolve) => sim.schedule(r.intBetween(minMs, maxMs), 'client pause', resolve));

      const runClient = async (client: ClientState) => {
        await pause(random, 0, 50);
        while (sim.nowMs() < clientsStopMs) {
          const key = KEYS[random.intBetween(0, KEYS.length - 1)] as string;
          const dice = random.intBetween(0, 99);
          if (dice < 35) await write(client, { kind: 'kv-put', key, value: `v${client.id}.${client.seq}` });
          else if (dice < 50)
            await write(client, {
              kind: 'kv-cas',
              key,
              expectedRevision: random.intBetween(0, 3) === 0 ? 0 : random.intBetween(1, 60),
              value: `x${client.id}.${client.seq}`,
            });
          else if (dice < 55) await write(client, { kind: 'kv-delete', key });
          else if (dice < 78) await read(client, { op: 'get', key }, { kind: 'linearizable' });
          else if (dice < 88) await read(client, { op: 'get', key }, { kind: 'lease' });
          else await read(client, { op: 'get', key }, { kind: 'bounded', maxStaleMs: MAX_STALE_MS });
          await pause(random, 1, 20);
        }
      };
      for (const client of clients) void runClient(client);
      const runReader = async (reader: ClientState) => {
        await pause(random, 0, 50);
        while (sim.nowMs() < clientsStopMs) {
          const key = KEYS[random.intBetween(0, KEYS.length - 1)] as string;
          if (random.chance(0.5)) await read(reader, { op: 'get', key }, { kind: 'lease' });
          else await read(reader, { op: 'get', key }, { kind: 'bounded', maxStaleMs: MAX_STALE_MS });
          await pause(random, 5, 30);
        }
      };
      for (const reader of readers) void runReader(reader);

      const reconfigurations = { added: 0, removed: 0, transfers: 0, refused: 0 };
      const currentLeader = (): { id: string; voters: readonly string[] } | undefined => {
        let best: { id: string; term: number; voters: readonly string[] } | undefined;
        for (const id of ids) {
          const view = sim.inspect(id, 'log') as LogInspection | undefined;
          if (view?.role === 'leader' && (best === undefined || view.term > best.term))
            best = { id, term: view.term, voters: view.voters };
        }
        return best;
      };
      const runOperator = async () => {
        while (sim.nowMs() < clientsStopMs - 300) {
          await pause(random, 150, 400);
          const leader = currentLeader();
          if (leader === undefined) continue;
          const outsiders = ids.filter((id) => !leader.voters.includes(id));
          const dice = random.intBetween(0, 2);
          let answer: { ok: boolean } | undefined;
          if (dice === 0 && outsiders.length > 0) {
            const replica = outsiders[random.intBetween(0, outsiders.length - 1)] as string;
            answer = await sim
              .request<MessageOf<LogMessage, 'change-membership'>>(
                leader.id,
                'log',
                { type: 'change-membership', change: { op: 'add', replica } },
                { timeoutMs: 2_000 },
              )
              .catch(() => undefined);
            if (answer?.ok === true) reconfigurations.added++;
          } else if (dice === 1 && leader.voters.length > 3) {
            const replica = leader.voters[random.intBetween(0, leader.voters.length - 1)] as string;
            answer = await sim
              .request<MessageOf<LogMessage, 'change-membership'>>(
                leader.id,
                'log',
                { type: 'change-membership', change: { op: 'remove', replica } },
                { timeoutMs: 2_000 },
              )
              .catch(() => undefined);
            if (answer?.ok === true) reconfigurations.removed++;
          } else if (random.intBetween(0, 1) === 0) {
            const others = leader.voters.filter((v) => v !== leader.id);
            const to = others[random.intBetween(0, others.length - 1)];
            if (to === undefined) continue;
            answer = await sim
              .request<MessageOf<LogMessage, 'transfer-leadership'>>(
                leader.id,
                'log',
                { type: 'transfer-leadership', to },
                { timeoutMs: 1_000 },
              )
              .catch(() => undefined);
            if (answer?.ok === true) reconfigurations.transfers++;
          } else {
            // What a stopping leader asks for: the log actor picks the successor.
            answer = await sim
              .request<MessageOf<LogMessage, 'hand-off-leadership'>>(
                leader.id,
                'log',
                { type: 'hand-off-leadership' },
                { timeoutMs: 1_000 },
              )
              .catch(() => undefined);
            if (answer?.ok === true) reconfigurations.transfers++;
          }
          if (answer?.ok !== true) reconfigurations.refused++;
        }
      };
      if (options.reconfigure === true) void runOperator();

      const minority = { leader: '', follower: '', atMs: 0 };
      if (options.minorityLeader === true) {
        sim.schedule(
          random.intBetween(MINORITY_PARTITION_AT_MS.min, MINORITY_PARTITION_AT_MS.max),
          'minority partition',
          () => {
            const leader = currentLeader();
            if (leader === undefined) return;
            const others = ids.filter((id) => id !== leader.id);
            const follower = others[random.intBetween(0, others.length - 1)] as string;
            const minoritySide = [leader.id, follower];
            sim.partition(
              minoritySide,
              others.filter((id) => id !== follower),
            );
            Object.assign(minority, { leader: leader.id, follower, atMs: sim.nowMs() });
            sim.schedule(
              random.intBetween(MINORITY_PARTITION_MS.min, MINORITY_PARTITION_MS.max),
              'heal minority',
              () => sim.heal(),
            );
          },
        );
      }

      let result = await sim.run({
        maxSteps: runOptions.maxSteps ?? 2_000_000,
        maxVirtualMs: runOptions.maxVirtualMs ?? VIRTUAL_MS,
      });
      let verdict = 'skipped';
      if (result.ok) {
        result = sim.verify(() => {
          const checked = checkLinearizable(kvModel(), history.history(), { maxSteps: 2_000_000 });
          verdict = checked.result;
          if (checked.result === 'not-linearizable') {
            throw new Error(`history not linearizable: ${checked.counterexample ?? ''}`);
          }
          if (stats.writesAcked < ACKED_WRITES_MIN) {
            throw new Error(
              `no progress: only ${stats.writesAcked} writes acknowledged (want ${ACKED_WRITES_MIN})`,
            );
          }
          checkConvergedState(sim, ids);
          // Power loss leaves a disk as a real one would: a replica must always start from it.
          // A start that failed because a sibling actor was being restarted by an injected
          // crash (PEER_UNAVAILABLE) says nothing about the disk: the process exits and is
          // rebooted, as systemd would, and starts from the same disk.
          const unbootable = sim.crashes.find(
            (crash) =>
              crash.reason.startsWith('start failed') &&
              !crash.reason.includes('is unavailable (restarting or stopped)'),
          );
          if (unbootable !== undefined)
            throw new Error(`${unbootable.replica} could not start from its disk: ${unbootable.reason}`);
        });
      }
      const snapshots = { taken: 0, installed: 0, chunksSent: 0 };
      for (const id of ids) {
        const view = sim.inspect(id, 'log') as LogInspection | undefined;
        if (view === undefined) continue;
        snapshots.taken += view.snapshots.taken;
        snapshots.installed += view.snapshots.installed;
        snapshots.chunksSent += view.snapshots.chunksSent;
      }
      const summary =
        `reconfig=${JSON.stringify(reconfigurations)} snapshots=${snapshots.taken}/${snapshots.installed}/${snapshots.chunksSent} writes=${stats.writesAcked} unknown=${stats.writesUnknown} reads=${stats.readsOk} readsFailed=${stats.readsFailed} ` +
        `leaders=${invariants.leadersElected} crashes=${sim.crashes.length} linearizability=${verdict}` +
        (options.minorityLeader === true
          ? ` minority=${minority.leader === '' ? 'none' : `${minority.leader}+${minority.follower}@${minority.atMs}ms`}`
          : '');
      return { scenario: options.name, seed, result, summary };
    },
  };
}

/** Replicas that applied the same number of entries must hold byte-identical state. */
function checkConvergedState(sim: Simulator, ids: readonly string[]): void {
  const digestAt = new Map<number, { replica: string; digest: string }>();
  for (const id of ids) {
    const view = sim.inspect(id, 'state-machine') as { appliedIndex: number; digest: string } | undefined;
    if (view === undefined) continue;
    const known = digestAt.get(view.appliedIndex);
    if (known === undefined) digestAt.set(view.appliedIndex, { replica: id, digest: view.digest });
    else if (known.digest !== view.digest) {
      throw new Error(
        `state diverged: ${known.replica} and ${id} applied ${view.appliedIndex} entries to different state`,
      );
    }
  }
}
