import type { ElectionStatus } from '../../actors/election/protocol.js';
import { inspectedTermAt, type LogInspection } from '../../actors/log/log-inspection.js';
import type { LogMessage, TransferResult } from '../../actors/log/protocol.js';
import { ELECTION, LOG, STATE_MACHINE, STORAGE } from '../../actors/raft/actor-names.js';
import { decodeRaftMessage } from '../../actors/raft/codec.js';
import type { AppendEntries } from '../../actors/raft/peer-messages.js';
import { type RaftConfig, raftConfig } from '../../actors/raft/raft-config.js';
import type { StateMachineMessage } from '../../actors/state-machine/protocol.js';
import type { ReadMode } from '../../protocol/read-mode.js';
import { DEFAULT_STATE_MACHINE_ACTOR, raftReplicaActors } from '../../runtime/composition/raft-actors.js';
import type { MessageOf } from '../../runtime/message.js';
import type { NetworkOwner } from '../../runtime/sim/sim-network.js';
import { type RunResult, Simulator } from '../../runtime/sim/simulator.js';
import type { PeerTransport } from '../../runtime/transport.js';
import { RaftInvariants } from '../sim/raft-invariants.js';
import {
  DOWN,
  describeChange,
  fullState,
  printEntry,
  printError,
  printMessage,
  printRead,
  printSubmit,
  type ReplicaView,
} from './transcript-print.js';

/**
 * The world a transcript runs in: one Raft group of the real storage, election, log and
 * state machine actors in the deterministic simulator, and what the harness needs to
 * drive it (scripted elections, requests, faults) and to observe it (replica views,
 * delivered peer messages, invariants after every step).
 *
 * Quiet by design: no loss, no duplication, a fixed 2 ms network delay and 1 ms fsyncs,
 * and no election unless scripted. The randomized election timeout is drawn from
 * [ELECTION_TICKS_MIN, ELECTION_TICKS_MAX] = [50, 2^40] ticks, so it does not fire within
 * a transcript (odds of a draw under 10^6 ticks: ~10^-6), while the minimum still sets the
 * leader-stickiness window (thesis §4.2.3) and CheckQuorum's period: `tick 50` is how a
 * script lets followers stop believing in a silent leader. A consequence: leader leases
 * never hold (a new leader waits out the maximum timeout first), so `lease` reads take the
 * ReadIndex path, unless the header sets a small `electionTicksMax`.
 */

const GROUP = 'g1';
export const TICK_MS = 10;
const HEARTBEAT_TICKS = 5;
/** The minimum election timeout: leader stickiness and CheckQuorum's period; never a timer here. */
const ELECTION_TICKS_MIN = 50;
/** Randomized timeouts are uniform in [min, max]: with this max, one under 10^6 ticks has odds ~10^-6. */
const ELECTION_TICKS_MAX = 2 ** 40;
const NETWORK_DELAY_MS = 2;
/** `stabilize` stops once nothing changed for this long: two heartbeat rounds. */
const QUIET_MS = 2 * HEARTBEAT_TICKS * TICK_MS;
const STABILIZE_MS_MAX = 10_000;
/** How long a waiting `propose`/`read` or a `run-until` runs at most. */
export const WAIT_MS_MAX = 5_000;
const BOOT_MS_MAX = 2_000;
/** Steps one `sim.run` may take: far more than any transcript needs, so hitting it means a livelock. */
const STEPS_PER_RUN_MAX = 2_000_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** The state machine answers `retry: timeout` to requests that waited this long. */
const STATE_MACHINE_WAIT_MS = 1_000;
const ACTORS = [STORAGE, ELECTION, LOG, STATE_MACHINE] as const;

/** The header directives of a transcript. */
export interface Settings {
  seed: number | undefined;
  preVote: boolean;
  checkQuorum: boolean;
  maxEntriesPerAppend: number;
  /** Overrides ELECTION_TICKS_MAX, so leases can hold (and timers may fire after that many ticks). */
  electionTicksMax: number | undefined;
}

interface StateMachineInspect {
  readonly appliedIndex: number;
  readonly digest: string;
}

interface PendingRequest {
  readonly id: number;
  readonly label: string;
  answer: string | undefined;
  /** Answers of `--no-wait` requests are printed by whichever command sees them arrive. */
  reported: boolean;
}

type Submit = MessageOf<StateMachineMessage, 'submit'>;
type Read = MessageOf<StateMachineMessage, 'read'>;

/** A malformed transcript: the command is wrong, not Raft. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export class World {
  /** Each replica as the previous report left it: the next report prints what changed since. */
  private baseline = new Map<string, ReplicaView>();
  private readonly requests: PendingRequest[] = [];
  private nextRequestId = 1;
  private nextClient = 1;
  private crashesReported = 0;
  private readonly scriptedCrashes = new Set<number>();
  private readonly leaderOfTerm = new Map<number, string>();
  /** Set once the simulation failed (an invariant broke): it cannot run any further. */
  failure: string | undefined;
  /** Messages printed by the current command (`--msgs`), or undefined when not recording. */
  private recording: Array<{ readonly atMs: number; readonly line: string }> | undefined;
  private readonly lastMatch = new Map<string, number>();
  private watch: { readonly prefix: string; seen: boolean } | undefined;

  private constructor(
    readonly sim: Simulator,
    readonly ids: readonly string[],
    private readonly invariants: RaftInvariants,
  ) {}

  static async create(count: number, settings: Settings): Promise<World> {
    if (settings.seed === undefined) throw new UsageError('the header must declare `# seed: N`');
    const ids = Array.from({ length: count }, (_, i) => `r${i + 1}`);
    const overrides = {
      tickMs: TICK_MS,
      heartbeatTicks: HEARTBEAT_TICKS,
      electionTicksMin: ELECTION_TICKS_MIN,
      electionTicksMax: settings.electionTicksMax ?? ELECTION_TICKS_MAX,
      preVote: settings.preVote,
      checkQuorum: settings.checkQuorum,
      maxEntriesPerAppend: settings.maxEntriesPerAppend,
    } satisfies Partial<RaftConfig>;
    const sim = await Simulator.create({
      seed: settings.seed,
      replicas: ids.map((id) => ({
        id,
        actors: raftReplicaActors({
          raft: raftConfig(GROUP, id, ids, overrides),
          clockDriftBoundMs: 10,
          stateMachine: { ...DEFAULT_STATE_MACHINE_ACTOR, waitTimeoutMs: STATE_MACHINE_WAIT_MS },
        }),
      })),
      network: {
        dropProbability: 0,
        duplicateProbability: 0,
        delayMs: { min: NETWORK_DELAY_MS, max: NETWORK_DELAY_MS },
      },
      disk: { fsyncLatencyMs: { min: 1, max: 1 }, slowFsyncProbability: 0 },
      restartPolicy: { maxRestarts: 10, windowMs: 1_000, backoffBaseMs: 10, backoffMaxMs: 100 },
      processRebootMs: { min: 20, max: 20 },
    });
    const invariants = new RaftInvariants(ids);
    const world = new World(sim, ids, invariants);
    world.observeNetwork();
    sim.onStep(() => {
      invariants.check(sim);
      world.trackLeaders();
    });
    return world;
  }

  /** Runs until every actor of every replica has started; the changes so far are not reported. */
  async boot(): Promise<boolean> {
    const up = () => this.ids.every((id) => ACTORS.every((a) => this.sim.actorState(id, a) === 'running'));
    const booted = await this.runUntil(up, BOOT_MS_MAX);
    this.report();
    return booted;
  }

  /**
   * Peer frames are observed where the simulated network hands them to a replica's
   * transport: the transports are opened lazily by the election actors' `start`, which has
   * not run yet when `create` returns, so wrapping `open` sees every one of them.
   */
  private observeNetwork(): void {
    const network = this.sim.network;
    const open = network.open.bind(network);
    network.open = (replica: string, channel: string, owner?: NetworkOwner): PeerTransport => {
      const transport = open(replica, channel, owner);
      if (channel !== 'raft') return transport;
      return {
        self: transport.self,
        send: (peer, bytes) => transport.send(peer, bytes),
        close: () => transport.close(),
        onFrame: (handler) =>
          transport.onFrame((from, bytes) => {
            this.observe(bytes);
            handler(from, bytes);
          }),
      };
    };
  }

  private observe(bytes: Uint8Array): void {
    const decoded = decodeRaftMessage(bytes);
    if (!decoded.ok) return;
    const m = decoded.message;
    let routine = false;
    if (m.type === 'append-entries-response' && m.success) {
      // Tracked even when not printing, so a printed acknowledgement always advanced a match.
      const key = `${m.from}>${m.to}@${m.term}`;
      routine = (this.lastMatch.get(key) ?? -1) >= m.matchIndex;
      if (!routine) this.lastMatch.set(key, m.matchIndex);
    }
    if (this.recording === undefined && this.watch === undefined) return;
    const line = printMessage(m);
    if (this.watch !== undefined && line.startsWith(this.watch.prefix)) this.watch.seen = true;
    if (this.recording === undefined || routine) return;
    if (m.type === 'append-entries' && m.entries.length === 0 && this.routineHeartbeat(m)) return;
    this.recording.push({ atMs: this.sim.nowMs(), line });
  }

  /** A heartbeat that changes nothing at its receiver: same term and leader, matching log, no new commit. */
  private routineHeartbeat(m: AppendEntries): boolean {
    const election = this.sim.inspect(m.to, ELECTION) as ElectionStatus | undefined;
    const log = this.sim.inspect(m.to, LOG) as LogInspection | undefined;
    if (election === undefined || log === undefined) return true;
    return (
      election.term === m.term &&
      election.leaderId === m.from &&
      inspectedTermAt(log.log, m.prevLogIndex) === m.prevLogTerm &&
      Math.min(m.leaderCommit, m.prevLogIndex) <= log.commitIndex
    );
  }

  private trackLeaders(): void {
    for (const id of this.ids) {
      const status = this.sim.inspect(id, ELECTION) as ElectionStatus | undefined;
      if (status?.role !== 'leader') continue;
      const known = this.leaderOfTerm.get(status.term);
      if (known === undefined) this.leaderOfTerm.set(status.term, id);
      else if (known !== id)
        throw new Error(`Election Safety: ${known} and ${id} both won term ${status.term}`);
    }
  }

  // ---- reading state

  view(id: string): ReplicaView {
    if (this.sim.replicaState(id) === 'down') return DOWN;
    const election = this.sim.inspect(id, ELECTION) as ElectionStatus | undefined;
    const log = this.sim.inspect(id, LOG) as LogInspection | undefined;
    const machine = this.sim.inspect(id, STATE_MACHINE) as StateMachineInspect | undefined;
    const terms: number[] = [];
    const first = log?.firstIndex ?? 1;
    if (log !== undefined) for (const entry of log.log.entries) terms.push(entry.term);
    return {
      up: true,
      role: election?.role ?? '?',
      term: election?.term ?? -1,
      vote: election === undefined ? '?' : (election.votedFor ?? 'none'),
      leader: election === undefined ? '?' : (election.leaderId ?? 'none'),
      commit: log?.commitIndex ?? -1,
      applied: machine?.appliedIndex ?? -1,
      first,
      terms,
    };
  }

  private fingerprint(): string {
    const settled = this.requests.filter((r) => r.answer !== undefined).length;
    return JSON.stringify([this.ids.map((id) => this.view(id)), settled, this.sim.crashes.length]);
  }

  /** Whatever happened since the last report: answers, crashes, state changes. */
  report(): string[] {
    const lines: string[] = [];
    for (const request of this.requests) {
      if (request.answer === undefined || request.reported) continue;
      request.reported = true;
      lines.push(`#${request.id} ${request.label}: ${request.answer}`);
    }
    for (let k = this.crashesReported; k < this.sim.crashes.length; k++) {
      const crash = this.sim.crashes[k];
      if (crash === undefined || this.scriptedCrashes.has(k)) continue;
      lines.push(`crash ${crash.replica}${crash.actor === '' ? '' : `/${crash.actor}`}: ${crash.reason}`);
    }
    this.crashesReported = this.sim.crashes.length;
    const next = new Map<string, ReplicaView>();
    for (const id of this.ids) {
      const after = this.view(id);
      next.set(id, after);
      const change = describeChange(id, this.baseline.get(id) ?? DOWN, after);
      if (change !== undefined) lines.push(change);
    }
    this.baseline = next;
    return lines;
  }

  // ---- running

  private noteFailure(result: RunResult): void {
    if (result.ok || this.failure !== undefined) return;
    this.failure = result.failure?.message ?? 'the simulation failed';
  }

  /** Runs for `ms` of virtual time, or until `until` holds. */
  async advance(ms: number, until?: () => boolean): Promise<'until' | 'time' | 'failed'> {
    const targetMs = this.sim.nowMs() + ms;
    const result = await this.sim.run({
      maxSteps: STEPS_PER_RUN_MAX,
      maxVirtualMs: Math.max(0, targetMs - this.sim.nowMs()),
      ...(until === undefined ? {} : { until }),
    });
    if (!result.ok) {
      this.noteFailure(result);
      return 'failed';
    }
    if (result.stop === 'until') return 'until';
    if (result.stop === 'maxSteps') throw new Error(`no quiet within ${STEPS_PER_RUN_MAX} steps`);
    // Nothing else is due before the target: time passes to it.
    if (this.sim.nowMs() < targetMs) this.sim.clock.advanceTo(targetMs);
    return 'time';
  }

  /** Runs until the observable state has not changed for `QUIET_MS`. */
  async stabilize(): Promise<string[]> {
    const startMs = this.sim.nowMs();
    let last = this.fingerprint();
    let changedAtMs = startMs;
    while (this.sim.nowMs() - startMs < STABILIZE_MS_MAX) {
      if ((await this.advance(TICK_MS)) === 'failed') return [];
      const now = this.fingerprint();
      if (now !== last) {
        last = now;
        changedAtMs = this.sim.nowMs();
      } else if (this.sim.nowMs() - changedAtMs >= QUIET_MS) {
        return [];
      }
    }
    return [`not stable after ${STABILIZE_MS_MAX} ms`];
  }

  /**
   * Runs until `condition` holds, then to the end of that virtual millisecond: what else
   * happens in it does not depend on the order the scheduler picked within it.
   */
  async runUntil(condition: () => boolean, limitMs: number): Promise<boolean> {
    const reached = (await this.advance(limitMs, condition)) === 'until';
    if (reached) await this.advance(0);
    return reached;
  }

  async withMessages(print: boolean, body: () => Promise<string[]>): Promise<string[]> {
    if (!print) return body();
    this.recording = [];
    try {
      const lines = await body();
      // Frames delivered in the same millisecond cannot have caused one another (every
      // frame takes 2 ms): sorting them keeps the scheduler's arbitrary order out of the file.
      const messages = [...this.recording]
        .sort((a, b) => a.atMs - b.atMs || (a.line < b.line ? -1 : a.line > b.line ? 1 : 0))
        .map((m) => m.line);
      return [...messages, ...lines];
    } finally {
      this.recording = undefined;
    }
  }

  watchMessage(prefix: string): () => boolean {
    const watch = { prefix, seen: false };
    this.watch = watch;
    return () => watch.seen;
  }

  stopWatching(): void {
    this.watch = undefined;
  }

  // ---- requests

  private track(label: string, promise: Promise<string>): PendingRequest {
    const request: PendingRequest = { id: this.nextRequestId++, label, answer: undefined, reported: false };
    this.requests.push(request);
    promise.then(
      (answer) => {
        request.answer = answer;
      },
      (error: unknown) => {
        request.answer = printError(error);
      },
    );
    return request;
  }

  propose(replica: string, key: string, value: string): PendingRequest {
    const clientId = `p${this.nextClient++}`;
    const promise = this.sim
      .request<Submit>(
        replica,
        STATE_MACHINE,
        {
          type: 'submit',
          command: { clientId, seq: 1, ackedSeq: 0, command: { kind: 'kv-put', key, value } },
        },
        { timeoutMs: REQUEST_TIMEOUT_MS },
      )
      .then(printSubmit);
    return this.track(`propose ${replica} ${key}=${value}`, promise);
  }

  /** Thesis §3.10: asks `replica`'s log actor to hand leadership to `to`. */
  transfer(replica: string, to: string): PendingRequest {
    const promise = this.sim
      .request<MessageOf<LogMessage, 'transfer-leadership'>>(
        replica,
        LOG,
        { type: 'transfer-leadership', to },
        { timeoutMs: REQUEST_TIMEOUT_MS },
      )
      .then((result: TransferResult) => {
        if (result.ok) return 'transfer started';
        return result.reason === 'not-leader'
          ? 'transfer refused: not-leader'
          : `transfer refused: ${result.reason} ${result.detail}`;
      });
    return this.track(`transfer ${replica} ${to}`, promise);
  }

  read(replica: string, key: string, mode: ReadMode): PendingRequest {
    const promise = this.sim
      .request<Read>(
        replica,
        STATE_MACHINE,
        { type: 'read', query: { op: 'get', key }, mode },
        { timeoutMs: REQUEST_TIMEOUT_MS },
      )
      .then((result) => printRead(key, result));
    return this.track(`read ${replica} ${key} ${mode.kind}`, promise);
  }

  /** Waits for a request's answer; prints it as the command's own output. */
  async wait(request: PendingRequest): Promise<string[]> {
    await this.runUntil(() => request.answer !== undefined, WAIT_MS_MAX);
    if (request.answer === undefined) return [`#${request.id} no answer within ${WAIT_MS_MAX} ms`];
    request.reported = true;
    return [request.answer];
  }

  // ---- faults

  crash(replica: string): void {
    const before = this.sim.crashes.length;
    this.sim.crashReplica(replica, 'power loss (scripted)');
    for (let k = before; k < this.sim.crashes.length; k++) this.scriptedCrashes.add(k);
  }

  async restart(replica: string): Promise<string[]> {
    this.sim.restartReplica(replica);
    const running = () => ACTORS.every((actor) => this.sim.actorState(replica, actor) === 'running');
    if (await this.runUntil(running, BOOT_MS_MAX)) return [];
    return [`${replica} did not start within ${BOOT_MS_MAX} ms`];
  }

  connectivity(): string {
    const reach = new Map<string, string>();
    for (const id of this.ids) {
      reach.set(
        id,
        this.ids.filter((other) => other === id || this.sim.network.canReach(id, other)).join(' '),
      );
    }
    const groups = new Map<string, string[]>();
    for (const id of this.ids) {
      const key = reach.get(id) as string;
      groups.set(key, [...(groups.get(key) ?? []), id]);
    }
    if (groups.size === 1) return 'all connected';
    const clean = [...groups].every(([key, members]) => key === members.join(' '));
    if (clean) return [...groups.values()].map((members) => members.join(' ')).join(' | ');
    return this.ids
      .map(
        (id) =>
          `${id} reaches ${this.ids.filter((o) => o !== id && this.sim.network.canReach(id, o)).join(' ')}`,
      )
      .join('\n');
  }

  // ---- printing

  status(): string[] {
    return this.ids.map((id) => {
      const v = this.view(id);
      if (!v.up) return `${id} down`;
      return `${id} ${fullState(v).replace(/^(\S+)/, (role) => role.padEnd(13))}`;
    });
  }

  logOf(replica: string): string[] {
    const log = this.sim.inspect(replica, LOG) as LogInspection | undefined;
    if (log === undefined) return [`${replica} is down`];
    const lines = [`commit=${log.commitIndex} last=${log.lastIndex}`];
    for (const entry of log.log.entries)
      lines.push(`${entry.index <= log.commitIndex ? '*' : ' '} ${printEntry(entry)}`);
    return lines;
  }

  /** The invariants now, and replicas that applied equally far agree on their state. */
  check(): { readonly violation: string | undefined; readonly line: string } {
    try {
      this.invariants.check(this.sim);
    } catch (error) {
      const violation = error instanceof Error ? error.message : String(error);
      return { violation, line: `violation: ${violation}` };
    }
    const digestAt = new Map<number, { readonly replica: string; readonly digest: string }>();
    for (const id of this.ids) {
      const machine = this.sim.inspect(id, STATE_MACHINE) as StateMachineInspect | undefined;
      if (machine === undefined) continue;
      const known = digestAt.get(machine.appliedIndex);
      if (known === undefined) digestAt.set(machine.appliedIndex, { replica: id, digest: machine.digest });
      else if (known.digest !== machine.digest) {
        const violation = `${known.replica} and ${id} applied ${machine.appliedIndex} entries to different state`;
        return { violation, line: `violation: ${violation}` };
      }
    }
    const leaders = [...this.leaderOfTerm]
      .sort(([a], [b]) => a - b)
      .map(([term, id]) => `${term}=${id}`)
      .join(' ');
    const maxCommit = Math.max(0, ...this.ids.map((id) => this.view(id).commit));
    return {
      violation: undefined,
      line: `ok: leaders by term ${leaders === '' ? '(none)' : leaders}; highest commit ${maxCommit}`,
    };
  }
}
