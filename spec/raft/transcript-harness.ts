import type { ElectionStatus } from '../../actors/election/protocol.js';
import { ELECTION } from '../../actors/raft/actor-names.js';
import { type Item, parseTranscript, renderTranscript } from './transcript-file.js';
import { printError } from './transcript-print.js';
import { type Settings, TICK_MS, UsageError, WAIT_MS_MAX, World } from './transcript-world.js';

/**
 * Transcript tests for the Raft actors, in the style of etcd-io/raft's datadriven
 * interaction tests: a text file (`spec/raft/transcripts/*.txt`, format in
 * `transcript-file.ts`) scripts a scenario and records the exact output of every command;
 * `RAFTNS_REWRITE=1` regenerates the outputs, and the diff is reviewed like code. Each file
 * names the paper section it checks. The world (the real actors in the simulator, a quiet
 * network, elections only when scripted) is described in `transcript-world.ts`.
 *
 * Header directives (comment lines before the first command): `# seed: N` (required),
 * `# preVote: on|off` (default on), `# checkQuorum: on|off` (default off),
 * `# maxEntriesPerAppend: N` (default 512), `# electionTicksMax: N` (default 2^40: no
 * election timer ever fires; a small one lets leases hold, see `transcript-world.ts`).
 *
 * Commands (replicas are r1..rN):
 *
 * - `add-replicas N`: the group r1..rN, booted; must be the first command.
 * - `campaign rX`: rX's election actor starts an election now (PreVote first if on).
 * - `stabilize`: runs until nothing observable has changed for two heartbeat intervals.
 * - `tick N`: lets N ticks (N × 10 ms) of virtual time pass.
 * - `run-until leader rX` | `run-until msg TEXT`: runs until rX has won an election, or
 *   until a peer message whose printed form starts with TEXT is delivered; then to the
 *   end of that virtual millisecond.
 * - `propose rX KEY=VALUE [--no-wait]`: a put submitted at rX's state machine.
 * - `read rX KEY [linearizable|lease|bounded:MS] [--no-wait]`: a get at rX's state machine
 *   (`bounded:MS`: bounded staleness, at most MS old).
 * - `transfer rX rY [--no-wait]`: rX (the leader) hands leadership to rY (thesis §3.10).
 * - `partition rA,rB / rC,rD,rE`, `isolate rX`, `heal`: network cuts, which add up until
 *   `heal`; each prints who can reach whom.
 * - `crash rX`: power loss of the whole replica (unsynced writes may be lost).
 * - `restart rX`: boots it from its disk; prints what it recovered.
 * - `status`: one line per replica: role, term, vote, leader, commit and applied index,
 *   last index, and the log as `index:term`.
 * - `log rX`: its entries (`*` marks committed ones) with their kind and command.
 * - `check`: Raft's invariants and state-machine agreement now, and the leader of each term.
 *
 * Any command that lets virtual time pass (`stabilize`, `tick`, `run-until`, a waiting
 * `propose` or `read`, `restart`) also prints what changed since the previous command:
 * answers to `--no-wait` requests (`#N ...`), unexpected actor crashes, and one line per
 * replica that changed (`log +[i:t ...]` appended, `log -[i:t ...]` deleted). With
 * `--msgs` it first prints the peer messages delivered, in delivery order, without routine
 * traffic (heartbeats that change nothing at the receiver, acknowledgements that do not
 * advance a match index). A command with nothing to say prints `ok`.
 *
 * Raft's safety properties (paper Figure 3, `spec/sim/raft-invariants.ts`) are checked
 * after every simulation step; a violation is printed as `VIOLATION: ...` where it
 * happens, stops the simulation and fails the test.
 */

export interface TranscriptResult {
  /** The file as it should be, with the actual outputs. */
  readonly actual: string;
  /** Invariant violations and malformed commands: the test fails on any. */
  readonly failures: readonly string[];
}

type Command = (world: World, args: string[], flags: { readonly noWait: boolean }) => Promise<string[]>;

function replicaArg(world: World, arg: string | undefined): string {
  if (arg === undefined || !world.ids.includes(arg))
    throw new UsageError(`unknown replica ${arg ?? '(none)'}`);
  return arg;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  async campaign(w, args) {
    const sent = w.sim.send(replicaArg(w, args[0]), ELECTION, { type: 'campaign' });
    await w.sim.settle();
    return sent.status === 'sent' ? [] : [`campaign not delivered: ${sent.status}`];
  },

  stabilize: (w) => w.stabilize(),

  async tick(w, args) {
    const ticks = Number.parseInt(args[0] ?? '', 10);
    if (!(ticks >= 1)) throw new UsageError('tick N wants N >= 1');
    await w.advance(ticks * TICK_MS);
    return [];
  },

  async 'run-until'(w, args) {
    const [what, ...rest] = args;
    let condition: () => boolean;
    let label: string;
    if (what === 'leader') {
      const replica = replicaArg(w, rest[0]);
      condition = () => (w.sim.inspect(replica, ELECTION) as ElectionStatus | undefined)?.role === 'leader';
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
  },

  async propose(w, args, { noWait }) {
    const replica = replicaArg(w, args[0]);
    const assignment = /^([^=\s]+)=(\S*)$/.exec(args[1] ?? '');
    if (assignment === null) throw new UsageError('propose rX KEY=VALUE [--no-wait]');
    const request = w.propose(replica, assignment[1] as string, assignment[2] as string);
    return noWait ? [`#${request.id} submitted`] : w.wait(request);
  },

  async read(w, args, { noWait }) {
    const replica = replicaArg(w, args[0]);
    const key = args[1];
    if (key === undefined) throw new UsageError('read rX KEY [linearizable|lease|bounded:MS] [--no-wait]');
    const kind = args[2] ?? 'linearizable';
    const bounded = /^bounded:(\d+)$/.exec(kind);
    if (kind !== 'linearizable' && kind !== 'lease' && bounded === null)
      throw new UsageError(`unknown read mode ${kind}`);
    const request = w.read(
      replica,
      key,
      bounded === null
        ? { kind: kind as 'linearizable' | 'lease' }
        : { kind: 'bounded', maxStaleMs: Number(bounded[1]) },
    );
    return noWait ? [`#${request.id} submitted`] : w.wait(request);
  },

  async transfer(w, args, { noWait }) {
    const request = w.transfer(replicaArg(w, args[0]), replicaArg(w, args[1]));
    return noWait ? [`#${request.id} submitted`] : w.wait(request);
  },

  async partition(w, args) {
    const groups = args
      .join(' ')
      .split('/')
      .map((group) => group.split(',').map((r) => replicaArg(w, r.trim())));
    if (groups.length < 2) throw new UsageError('partition rA,rB / rC,rD');
    for (let a = 0; a < groups.length; a++)
      for (let b = a + 1; b < groups.length; b++) w.sim.partition(groups[a] ?? [], groups[b] ?? []);
    return [w.connectivity()];
  },

  async isolate(w, args) {
    w.sim.isolate(replicaArg(w, args[0]));
    return [w.connectivity()];
  },

  async heal(w) {
    w.sim.heal();
    return [w.connectivity()];
  },

  async crash(w, args) {
    w.crash(replicaArg(w, args[0]));
    await w.sim.settle();
    return [];
  },

  restart: (w, args) => w.restart(replicaArg(w, args[0])),

  status: async (w) => w.status(),

  log: async (w, args) => w.logOf(replicaArg(w, args[0])),

  async check(w) {
    const { violation, line } = w.check();
    if (violation !== undefined) throw new InvariantViolation(violation);
    return [line];
  },
};

class InvariantViolation extends Error {
  override name = 'InvariantViolation';
}

function parseDirectives(items: readonly Item[]): Settings {
  const settings: Settings = {
    seed: undefined,
    preVote: true,
    checkQuorum: false,
    maxEntriesPerAppend: 512,
    electionTicksMax: undefined,
  };
  for (const item of items) {
    if (item.kind === 'command') break;
    const match = /^#\s*(seed|preVote|checkQuorum|maxEntriesPerAppend|electionTicksMax):\s*(\S+)\s*$/.exec(
      item.line,
    );
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
      case 'electionTicksMax':
        settings.electionTicksMax = Number.parseInt(value, 10);
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

  const execute = async (line: string): Promise<string[]> => {
    const [name, ...args] = line.trim().split(/\s+/) as [string, ...string[]];
    if (name === 'add-replicas') {
      if (world !== undefined) throw new UsageError('add-replicas may appear once');
      const count = Number.parseInt(args[0] ?? '', 10);
      if (!(count >= 1 && count <= 9)) throw new UsageError('add-replicas N wants 1 <= N <= 9');
      world = await World.create(count, settings);
      const booted = await world.boot();
      const flags = `preVote=${settings.preVote ? 'on' : 'off'} checkQuorum=${settings.checkQuorum ? 'on' : 'off'}`;
      return [`${world.ids.join(' ')} ${booted ? 'up' : 'NOT all up'} (${flags})`];
    }
    const w = world;
    if (w === undefined) throw new UsageError('add-replicas must come first');
    if (w.failure !== undefined) return ['(the simulation has stopped)'];
    const command = COMMANDS[name];
    if (command === undefined) throw new UsageError(`unknown command ${name}`);
    const msgs = takeFlag(args, '--msgs');
    const noWait = takeFlag(args, '--no-wait');
    const own = await w.withMessages(msgs, () => command(w, args, { noWait }));
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
