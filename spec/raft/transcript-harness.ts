import type { ElectionStatus } from '../../actors/election/protocol.js';
import type { RaftLog } from '../../actors/log/raft-log.js';
import { ELECTION, LOG, STATE_MACHINE, STORAGE } from '../../actors/raft/actor-names.js';
import { decodeRaftMessage } from '../../actors/raft/codec.js';
import type { AppendEntries, RaftMessage } from '../../actors/raft/peer-messages.js';
import { type RaftConfig, raftConfig } from '../../actors/raft/raft-config.js';
import { DEFAULT_STATE_MACHINE_ACTOR, raftReplicaActors } from '../../actors/raft/replica-actors.js';
import type { LogEntry } from '../../actors/raft/types.js';
import { decodeSessionCommand } from '../../actors/state-machine/command-codec.js';
import type { KvCommand } from '../../actors/state-machine/commands.js';
import type {
  ReadMode,
  ReadResult,
  StateMachineMessage,
  SubmitResult,
} from '../../actors/state-machine/protocol.js';
import type { MessageOf } from '../../runtime/message.js';
import type { NetworkOwner } from '../../runtime/sim/sim-network.js';
import { type RunResult, Simulator } from '../../runtime/sim/simulator.js';
import type { PeerTransport } from '../../runtime/transport.js';
import { RaftInvariants } from '../sim/raft-invariants.js';

/**
 * Transcript tests for the Raft actors, in the style of etcd-io/raft's datadriven
 * interaction tests: a text file scripts a scenario and records the exact output of every
 * command; `RAFTNS_REWRITE=1` regenerates the outputs, and the diff is reviewed like code.
 *
 * File format: `#` lines and blank lines are kept as they are. A command is one line,
 * followed by `----` and its output, which ends at the next blank line:
 *
 *     campaign r1
 *     ----
 *     ok
 *
 * Header directives (comment lines before the first command): `# seed: N` (required),
 * `# preVote: on|off` (default on), `# checkQuorum: on|off` (default off),
 * `# maxEntriesPerAppend: N` (default 512).
 *
 * The world is the simulator with the real storage, election, log and state machine
 * actors, a quiet network (no loss, no duplication, a fixed 2 ms delay) and 1 ms fsyncs.
 * Elections happen only when scripted: the randomized election timeout is drawn from
 * [50, 2^40] ticks, so it never fires within a transcript, while the minimum (50 ticks,
 * 500 ms) still sets the leader-stickiness window (thesis §4.2.3) and the CheckQuorum
 * period; `tick 50` lets a follower stop believing in a silent leader. Raft's safety
 * properties (paper Figure 3, `spec/sim/raft-invariants.ts`) are checked after every step.
 *
 * Commands:
 *
 * - `add-replicas N`: the group r1..rN (first command).
 * - `campaign rX`: tells rX's election actor to start an election now.
 * - `stabilize [--msgs]`: runs until nothing has changed for two heartbeat intervals.
 * - `tick N [--msgs]`: advances N ticks (N × 10 ms) of virtual time.
 * - `run-until leader rX [--msgs]` / `run-until msg TEXT [--msgs]`: runs until rX leads,
 *   or until a peer message whose printed form starts with TEXT is delivered.
 * - `propose rX KEY=VALUE [--no-wait]`: a put submitted at rX's state machine; waits for
 *   the answer unless `--no-wait` (then the answer is printed when it comes, as `#N ...`).
 * - `read rX KEY [linearizable|lease] [--no-wait]`: a read at rX's state machine.
 * - `partition rA,rB / rC,rD,rE`, `isolate rX`, `heal`: network cuts (they add up until `heal`).
 * - `crash rX` (power loss of the whole replica), `restart rX` (boot from its disk).
 * - `status`, `log rX`, `check`.
 *
 * Every command that lets time pass prints what changed since the previous command, one
 * line per replica (`log +[i:t ...]` appended, `log -[i:t ...]` truncated), answers that
 * arrived for `--no-wait` requests, and unexpected actor crashes. With `--msgs` it also
 * prints the peer messages delivered, leaving out routine traffic: heartbeats that change
 * nothing at their receiver and acknowledgements that do not advance a match index.
 */

export interface TranscriptResult {
  /** The file as it should be, with the actual outputs. */
  readonly actual: string;
  /** Invariant violations, malformed commands and the like: the test fails on any. */
  readonly failures: readonly string[];
}

// ------------------------------------------------------------------ file format

type Item =
  | { readonly kind: 'text'; readonly line: string }
  | { readonly kind: 'command'; readonly line: string; readonly expected: readonly string[] | undefined };

const SEPARATOR = '----';

export function parseTranscript(text: string): Item[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const items: Item[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '' || line.startsWith('#')) {
      items.push({ kind: 'text', line });
      continue;
    }
    if (lines[i + 1] !== SEPARATOR) {
      items.push({ kind: 'command', line, expected: undefined });
      continue;
    }
    const expected: string[] = [];
    i += 2;
    while (i < lines.length && (lines[i] as string).trim() !== '') expected.push(lines[i++] as string);
    // The blank line that ended the output belongs to the block.
    items.push({ kind: 'command', line, expected });
  }
  return items;
}

/** Canonical form: each command block ends with one blank line; the file ends with one newline. */
export function renderTranscript(items: readonly Item[], outputs: ReadonlyMap<number, string[]>): string {
  const out: string[] = [];
  items.forEach((item, index) => {
    if (item.kind === 'text') {
      out.push(item.line);
      return;
    }
    out.push(item.line, SEPARATOR, ...(outputs.get(index) ?? item.expected ?? []));
    const next = items[index + 1];
    if (!(next?.kind === 'text' && next.line.trim() === '')) out.push('');
  });
  while (out.length > 0 && (out[out.length - 1] as string).trim() === '') out.pop();
  return `${out.join('\n')}\n`;
}

/** A line diff (LCS) of expected and actual, with a little context: enough to review a change. */
export function diffLines(expected: string, actual: string, context = 2): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = lcs[i] as number[];
      row[j] =
        a[i] === b[j]
          ? ((lcs[i + 1] as number[])[j + 1] as number) + 1
          : Math.max((lcs[i + 1] as number[])[j] as number, row[j + 1] as number);
    }
  }
  const ops: Array<{ readonly op: ' ' | '-' | '+'; readonly line: string; readonly at: number }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i] as string, at: i + 1 });
      i++;
      j++;
    } else if (
      i < a.length &&
      (j >= b.length || ((lcs[i + 1] as number[])[j] as number) >= ((lcs[i] as number[])[j + 1] as number))
    ) {
      ops.push({ op: '-', line: a[i] as string, at: i + 1 });
      i++;
    } else {
      ops.push({ op: '+', line: b[j] as string, at: i + 1 });
      j++;
    }
  }
  const shown = new Set<number>();
  ops.forEach((o, k) => {
    if (o.op === ' ') return;
    for (let c = Math.max(0, k - context); c <= Math.min(ops.length - 1, k + context); c++) shown.add(c);
  });
  const out: string[] = [];
  let last = -2;
  ops.forEach((o, k) => {
    if (!shown.has(k)) return;
    if (k !== last + 1) out.push(`@@ expected line ${o.at} @@`);
    out.push(`${o.op} ${o.line}`);
    last = k;
  });
  return out.join('\n');
}

// ------------------------------------------------------------------ world constants

const GROUP = 'g1';
const TICK_MS = 10;
const HEARTBEAT_TICKS = 5;
/** The minimum election timeout: leader stickiness and CheckQuorum's period; never a timer here. */
const ELECTION_TICKS_MIN = 50;
/** Randomized timeouts are drawn from [min, max]: with this max, one below 10^6 ticks has odds ~10^-6. */
const ELECTION_TICKS_MAX = 2 ** 40;
const NETWORK_DELAY_MS = 2;
/** `stabilize` stops once nothing changed for this long: two heartbeat rounds. */
const QUIET_MS = 2 * HEARTBEAT_TICKS * TICK_MS;
const STABILIZE_MS_MAX = 10_000;
const WAIT_MS_MAX = 5_000;
const BOOT_MS_MAX = 2_000;
const STEPS_PER_RUN_MAX = 2_000_000;
const REQUEST_TIMEOUT_MS = 30_000;
const STATE_MACHINE_WAIT_MS = 1_000;
const ACTORS = [STORAGE, ELECTION, LOG, STATE_MACHINE] as const;

interface Settings {
  seed: number | undefined;
  preVote: boolean;
  checkQuorum: boolean;
  maxEntriesPerAppend: number;
}

// ------------------------------------------------------------------ views of a replica

interface LogInspect {
  readonly commitIndex: number;
  readonly log: RaftLog;
}

interface StateMachineInspect {
  readonly appliedIndex: number;
  readonly digest: string;
}

interface ReplicaView {
  readonly up: boolean;
  readonly role: string;
  readonly term: number;
  readonly vote: string;
  readonly leader: string;
  readonly commit: number;
  readonly applied: number;
  /** Terms of entries firstIndex.. (no compaction in transcripts: index = position + 1). */
  readonly terms: readonly number[];
}

const DOWN: ReplicaView = {
  up: false,
  role: 'down',
  term: 0,
  vote: 'none',
  leader: 'none',
  commit: 0,
  applied: 0,
  terms: [],
};

function logText(terms: readonly number[], from = 1): string {
  return `[${terms.map((t, k) => `${k + from}:${t}`).join(' ')}]`;
}

function fullState(v: ReplicaView): string {
  return (
    `${v.role} term=${v.term} vote=${v.vote} leader=${v.leader} commit=${v.commit} ` +
    `applied=${v.applied} last=${v.terms.length} log=${logText(v.terms)}`
  );
}

function describeChange(id: string, before: ReplicaView, after: ReplicaView): string | undefined {
  if (!after.up) return before.up ? `${id}: down` : undefined;
  if (!before.up) return `${id}: up ${fullState(after)}`;
  const parts: string[] = [];
  const field = (name: string, a: string | number, b: string | number) => {
    if (a !== b) parts.push(`${name} ${a}→${b}`);
  };
  field('role', before.role, after.role);
  field('term', before.term, after.term);
  field('vote', before.vote, after.vote);
  field('leader', before.leader, after.leader);
  field('commit', before.commit, after.commit);
  field('applied', before.applied, after.applied);
  let common = 0;
  while (
    common < before.terms.length &&
    common < after.terms.length &&
    before.terms[common] === after.terms[common]
  )
    common++;
  const removed = before.terms.slice(common);
  const added = after.terms.slice(common);
  if (removed.length > 0 || added.length > 0) {
    const log: string[] = [];
    if (removed.length > 0) log.push(`-${logText(removed, common + 1)}`);
    if (added.length > 0) log.push(`+${logText(added, common + 1)}`);
    parts.push(`log ${log.join(' ')}`);
  }
  return parts.length === 0 ? undefined : `${id}: ${parts.join(', ')}`;
}

// ------------------------------------------------------------------ printing messages

function printMessage(m: RaftMessage): string {
  const head = `${m.from}->${m.to}`;
  switch (m.type) {
    case 'pre-vote':
      return `${head} PreVote term=${m.term} last=${m.lastLogIndex}:${m.lastLogTerm}`;
    case 'pre-vote-response':
      return `${head} PreVoteResp term=${m.term} ${m.granted ? 'granted' : 'denied'}`;
    case 'request-vote':
      return `${head} Vote term=${m.term} last=${m.lastLogIndex}:${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`;
    case 'request-vote-response':
      return `${head} VoteResp term=${m.term} ${m.granted ? 'granted' : 'denied'}`;
    case 'append-entries':
      return (
        `${head} App term=${m.term} prev=${m.prevLogIndex}:${m.prevLogTerm} commit=${m.leaderCommit} ` +
        `entries=[${m.entries.map((e) => `${e.index}:${e.term}`).join(' ')}]`
      );
    case 'append-entries-response':
      return m.success
        ? `${head} AppResp term=${m.term} ok match=${m.matchIndex}`
        : `${head} AppResp term=${m.term} reject conflictTerm=${m.conflictTerm} conflictIndex=${m.conflictIndex}`;
    case 'install-snapshot':
      return `${head} Snapshot term=${m.term} last=${m.meta.lastIndex}:${m.meta.lastTerm} offset=${m.offset}`;
    case 'install-snapshot-response':
      return `${head} SnapshotResp term=${m.term} installed=${m.installed} last=${m.lastIndex}`;
    case 'timeout-now':
      return `${head} TimeoutNow term=${m.term}`;
    case 'read-index':
      return `${head} ReadIndex term=${m.term} id=${m.requestId}`;
    case 'read-index-response':
      return `${head} ReadIndexResp term=${m.term} id=${m.requestId} ${m.ok ? `ok index=${m.readIndex}` : 'refused'}`;
  }
}

function printEntry(entry: LogEntry): string {
  const head = `${entry.index}:${entry.term}`;
  if (entry.kind !== 'command') return `${head} ${entry.kind}`;
  const decoded = decodeSessionCommand(entry.data);
  if (!decoded.ok) return `${head} command <undecodable: ${decoded.error.message}>`;
  return `${head} ${printCommand(decoded.value.command)}`;
}

function printCommand(c: KvCommand): string {
  switch (c.op) {
    case 'put':
      return `put ${c.key}=${c.value}`;
    case 'delete':
      return `delete ${c.key}`;
    case 'cas':
      return `cas ${c.key}@${c.expectedRevision}=${c.value}`;
  }
}

function printSubmit(r: SubmitResult): string {
  switch (r.status) {
    case 'applied':
      return r.result.ok ? `applied index=${r.index}` : `applied index=${r.index} (${r.result.error})`;
    case 'rejected':
      return `rejected ${r.reason}`;
    case 'not-leader':
      return `not-leader leader=${r.leaderId ?? 'none'}`;
    case 'retry':
      return `retry ${r.reason}`;
  }
}

function printRead(r: ReadResult): string {
  switch (r.status) {
    case 'ok': {
      const q = r.result;
      if (q.op !== 'get') return `ok applied=${r.index} range(${q.entries.length})`;
      const value = q.entry === null ? '<none>' : `${q.entry.value} (rev ${q.entry.revision})`;
      return `ok applied=${r.index} ${value}`;
    }
    case 'not-leader':
      return `not-leader leader=${r.leaderId ?? 'none'}`;
    case 'stale':
      return 'stale';
    case 'retry':
      return `retry ${r.reason}`;
  }
}

function printError(error: unknown): string {
  return error instanceof Error ? `error ${error.name}: ${error.message}` : `error ${String(error)}`;
}

// ------------------------------------------------------------------ the running world

interface PendingRequest {
  readonly id: number;
  readonly label: string;
  answer: string | undefined;
  /** Answers of `--no-wait` requests are printed by whichever command sees them arrive. */
  reported: boolean;
}

type Submit = MessageOf<StateMachineMessage, 'submit'>;
type Read = MessageOf<StateMachineMessage, 'read'>;

class UsageError extends Error {
  override name = 'UsageError';
}

class World {
  private baseline = new Map<string, ReplicaView>();
  private readonly requests: PendingRequest[] = [];
  private nextRequestId = 1;
  private nextClient = 1;
  private crashesReported = 0;
  private readonly scriptedCrashes = new Set<number>();
  private readonly leaderOfTerm = new Map<number, string>();
  failure: string | undefined;
  /** Messages printed by the current command (`--msgs`), or undefined when not recording. */
  private recording: string[] | undefined;
  private readonly lastMatch = new Map<string, number>();
  private watch: { readonly prefix: string; seen: boolean } | undefined;

  private constructor(
    readonly sim: Simulator,
    readonly ids: readonly string[],
    readonly config: RaftConfig,
    private readonly invariants: RaftInvariants,
  ) {}

  static async create(count: number, settings: Settings): Promise<World> {
    if (settings.seed === undefined) throw new UsageError('the header must declare `# seed: N`');
    const ids = Array.from({ length: count }, (_, i) => `r${i + 1}`);
    const overrides = {
      tickMs: TICK_MS,
      heartbeatTicks: HEARTBEAT_TICKS,
      electionTicksMin: ELECTION_TICKS_MIN,
      electionTicksMax: ELECTION_TICKS_MAX,
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
    const world = new World(sim, ids, raftConfig(GROUP, 'r1', ids, overrides), invariants);
    world.observeNetwork();
    sim.onStep(() => {
      invariants.check(sim);
      world.trackLeaders();
    });
    return world;
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
    if (this.recording === undefined && this.watch === undefined) return;
    const decoded = decodeRaftMessage(bytes);
    if (!decoded.ok) return;
    const m = decoded.message;
    const line = printMessage(m);
    if (this.watch !== undefined && line.startsWith(this.watch.prefix)) this.watch.seen = true;
    if (this.recording === undefined) return;
    if (m.type === 'append-entries' && m.entries.length === 0 && this.routineHeartbeat(m)) return;
    if (m.type === 'append-entries-response' && m.success) {
      const key = `${m.from}>${m.to}@${m.term}`;
      if ((this.lastMatch.get(key) ?? -1) >= m.matchIndex) return;
      this.lastMatch.set(key, m.matchIndex);
    }
    this.recording.push(line);
  }

  /** A heartbeat that changes nothing at its receiver: same term and leader, matching log, no new commit. */
  private routineHeartbeat(m: AppendEntries): boolean {
    const election = this.sim.inspect(m.to, ELECTION) as ElectionStatus | undefined;
    const log = this.sim.inspect(m.to, LOG) as LogInspect | undefined;
    if (election === undefined || log === undefined) return true;
    return (
      election.term === m.term &&
      election.leaderId === m.from &&
      log.log.termAt(m.prevLogIndex) === m.prevLogTerm &&
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
    const log = this.sim.inspect(id, LOG) as LogInspect | undefined;
    const machine = this.sim.inspect(id, STATE_MACHINE) as StateMachineInspect | undefined;
    const terms: number[] = [];
    if (log !== undefined) {
      for (let index = log.log.firstIndex; index <= log.log.lastIndex; index++)
        terms.push(log.log.termAt(index) as number);
    }
    return {
      up: true,
      role: election?.role ?? '?',
      term: election?.term ?? -1,
      vote: election === undefined ? '?' : (election.votedFor ?? 'none'),
      leader: election === undefined ? '?' : (election.leaderId ?? 'none'),
      commit: log?.commitIndex ?? -1,
      applied: machine?.appliedIndex ?? -1,
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

  /** Forgets changes so far without printing them (after booting the group). */
  resetBaseline(): void {
    this.report();
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

  async runUntil(condition: () => boolean, limitMs: number): Promise<boolean> {
    return (await this.advance(limitMs, condition)) === 'until';
  }

  async withMessages(print: boolean, body: () => Promise<string[]>): Promise<string[]> {
    if (!print) return body();
    this.recording = [];
    try {
      const lines = await body();
      return [...this.recording, ...lines];
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
        { type: 'submit', command: { clientId, seq: 1, ackedSeq: 0, command: { op: 'put', key, value } } },
        { timeoutMs: REQUEST_TIMEOUT_MS },
      )
      .then(printSubmit);
    return this.track(`propose ${replica} ${key}=${value}`, promise);
  }

  read(replica: string, key: string, mode: ReadMode): PendingRequest {
    const promise = this.sim
      .request<Read>(
        replica,
        STATE_MACHINE,
        { type: 'read', query: { op: 'get', key }, mode },
        { timeoutMs: REQUEST_TIMEOUT_MS },
      )
      .then(printRead);
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
    return this.ids.map((id) => `${id} reaches ${reach.get(id)}`).join('\n');
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
    const log = this.sim.inspect(replica, LOG) as LogInspect | undefined;
    if (log === undefined) return [`${replica} is down`];
    const lines = [`commit=${log.commitIndex} last=${log.log.lastIndex}`];
    for (let index = log.log.firstIndex; index <= log.log.lastIndex; index++) {
      const entry = log.log.entryAt(index);
      if (entry !== undefined) lines.push(`${index <= log.commitIndex ? '*' : ' '} ${printEntry(entry)}`);
    }
    return lines;
  }

  check(): string[] {
    try {
      this.invariants.check(this.sim);
    } catch (error) {
      return [`violation: ${error instanceof Error ? error.message : String(error)}`];
    }
    // Replicas that applied the same number of entries must hold byte-identical state.
    const digestAt = new Map<number, { readonly replica: string; readonly digest: string }>();
    for (const id of this.ids) {
      const machine = this.sim.inspect(id, STATE_MACHINE) as StateMachineInspect | undefined;
      if (machine === undefined) continue;
      const known = digestAt.get(machine.appliedIndex);
      if (known === undefined) digestAt.set(machine.appliedIndex, { replica: id, digest: machine.digest });
      else if (known.digest !== machine.digest)
        return [
          `violation: ${known.replica} and ${id} applied ${machine.appliedIndex} entries to different state`,
        ];
    }
    const leaders = [...this.leaderOfTerm]
      .sort(([a], [b]) => a - b)
      .map(([term, id]) => `${term}=${id}`)
      .join(' ');
    const maxCommit = Math.max(0, ...this.ids.map((id) => this.view(id).commit));
    return [`ok: leaders by term ${leaders === '' ? '(none)' : leaders}; highest commit ${maxCommit}`];
  }
}

// ------------------------------------------------------------------ running a file

function parseDirectives(items: readonly Item[]): Settings {
  const settings: Settings = { seed: undefined, preVote: true, checkQuorum: false, maxEntriesPerAppend: 512 };
  for (const item of items) {
    if (item.kind === 'command') break;
    const match = /^#\s*(seed|preVote|checkQuorum|maxEntriesPerAppend):\s*(\S+)\s*$/.exec(item.line);
    if (match === null) continue;
    const [, key, value] = match as unknown as [string, string, string];
    const flag = () => {
      if (value !== 'on' && value !== 'off') throw new UsageError(`${key} must be on or off, got ${value}`);
      return value === 'on';
    };
    switch (key) {
      case 'seed':
        settings.seed = Number.parseInt(value, 10);
        break;
      case 'preVote':
        settings.preVote = flag();
        break;
      case 'checkQuorum':
        settings.checkQuorum = flag();
        break;
      case 'maxEntriesPerAppend':
        settings.maxEntriesPerAppend = Number.parseInt(value, 10);
        break;
    }
  }
  return settings;
}

function takeFlag(args: string[], flag: string): boolean {
  const at = args.indexOf(flag);
  if (at < 0) return false;
  args.splice(at, 1);
  return true;
}

/** Runs every command of a transcript against a fresh simulated group and renders the result. */
export async function runTranscript(text: string): Promise<TranscriptResult> {
  const items = parseTranscript(text);
  const settings = parseDirectives(items);
  const outputs = new Map<number, string[]>();
  const failures: string[] = [];
  let world: World | undefined;

  const replicaArg = (w: World, arg: string | undefined): string => {
    if (arg === undefined || !w.ids.includes(arg)) throw new UsageError(`unknown replica ${arg ?? '(none)'}`);
    return arg;
  };

  const execute = async (line: string): Promise<string[]> => {
    const [name, ...args] = line.trim().split(/\s+/) as [string, ...string[]];
    if (name === 'add-replicas') {
      if (world !== undefined) throw new UsageError('add-replicas may appear once');
      const count = Number.parseInt(args[0] ?? '', 10);
      if (!(count >= 1 && count <= 9)) throw new UsageError('add-replicas N wants 1 <= N <= 9');
      world = await World.create(count, settings);
      const booted = await world.runUntil(
        () =>
          world?.ids.every((id) => ACTORS.every((a) => world?.sim.actorState(id, a) === 'running')) ?? false,
        BOOT_MS_MAX,
      );
      world.resetBaseline();
      const flags = `preVote=${settings.preVote ? 'on' : 'off'} checkQuorum=${settings.checkQuorum ? 'on' : 'off'}`;
      return [`${world.ids.join(' ')} ${booted ? 'up' : 'NOT all up'} (${flags})`];
    }
    const w = world;
    if (w === undefined) throw new UsageError('add-replicas must come first');
    if (w.failure !== undefined) return ['(the simulation has stopped)'];
    const msgs = takeFlag(args, '--msgs');
    const noWait = takeFlag(args, '--no-wait');
    const own = await w.withMessages(msgs, async (): Promise<string[]> => {
      switch (name) {
        case 'campaign': {
          const replica = replicaArg(w, args[0]);
          const sent = w.sim.send(replica, ELECTION, { type: 'campaign' });
          await w.sim.settle();
          return sent.status === 'sent' ? [] : [`campaign not delivered: ${sent.status}`];
        }
        case 'stabilize':
          return w.stabilize();
        case 'tick': {
          const ticks = Number.parseInt(args[0] ?? '', 10);
          if (!(ticks >= 1)) throw new UsageError('tick N wants N >= 1');
          await w.advance(ticks * TICK_MS);
          return [];
        }
        case 'run-until': {
          const [what, ...rest] = args;
          let condition: () => boolean;
          let label: string;
          if (what === 'leader') {
            const replica = replicaArg(w, rest[0]);
            condition = () =>
              (w.sim.inspect(replica, ELECTION) as ElectionStatus | undefined)?.role === 'leader';
            label = `${replica} leads`;
          } else if (what === 'msg' && rest.length > 0) {
            label = rest.join(' ');
            condition = w.watchMessage(label);
          } else {
            throw new UsageError('run-until leader rX | run-until msg TEXT');
          }
          try {
            const reached = await w.runUntil(condition, WAIT_MS_MAX);
            return [reached ? `reached: ${label}` : `NOT reached within ${WAIT_MS_MAX} ms: ${label}`];
          } finally {
            w.stopWatching();
          }
        }
        case 'propose': {
          const replica = replicaArg(w, args[0]);
          const assignment = /^([^=\s]+)=(\S*)$/.exec(args[1] ?? '');
          if (assignment === null) throw new UsageError('propose rX KEY=VALUE [--no-wait]');
          const request = w.propose(replica, assignment[1] as string, assignment[2] as string);
          return noWait ? [`#${request.id} submitted`] : w.wait(request);
        }
        case 'read': {
          const replica = replicaArg(w, args[0]);
          const key = args[1];
          if (key === undefined) throw new UsageError('read rX KEY [linearizable|lease] [--no-wait]');
          const kind = args[2] ?? 'linearizable';
          if (kind !== 'linearizable' && kind !== 'lease') throw new UsageError(`unknown read mode ${kind}`);
          const request = w.read(replica, key, { kind });
          return noWait ? [`#${request.id} submitted`] : w.wait(request);
        }
        case 'partition': {
          const groups = args
            .join(' ')
            .split('/')
            .map((g) => g.split(',').map((r) => replicaArg(w, r.trim())));
          if (groups.length < 2) throw new UsageError('partition rA,rB / rC,rD');
          for (let a = 0; a < groups.length; a++)
            for (let b = a + 1; b < groups.length; b++) w.sim.partition(groups[a] ?? [], groups[b] ?? []);
          return [w.connectivity()];
        }
        case 'isolate':
          w.sim.isolate(replicaArg(w, args[0]));
          return [w.connectivity()];
        case 'heal':
          w.sim.heal();
          return [w.connectivity()];
        case 'crash':
          w.crash(replicaArg(w, args[0]));
          await w.sim.settle();
          return [];
        case 'restart':
          return w.restart(replicaArg(w, args[0]));
        case 'status':
          return w.status();
        case 'log':
          return w.logOf(replicaArg(w, args[0]));
        case 'check':
          return w.check();
        default:
          throw new UsageError(`unknown command ${name}`);
      }
    });
    const lines = [...own, ...w.report()];
    if (w.failure !== undefined) {
      lines.push(`VIOLATION: ${w.failure}`);
      failures.push(`${line}: ${w.failure}`);
    }
    return lines;
  };

  for (let index = 0; index < items.length; index++) {
    const item = items[index] as Item;
    if (item.kind !== 'command') continue;
    let lines: string[];
    try {
      lines = await execute(item.line);
    } catch (error) {
      const message = printError(error);
      failures.push(`${item.line}: ${message}`);
      lines = [message];
    }
    const printed = lines.flatMap((l) => l.split('\n')).filter((l) => l.trim() !== '');
    outputs.set(index, printed.length === 0 ? ['ok'] : printed);
  }
  return { actual: renderTranscript(items, outputs), failures };
}
