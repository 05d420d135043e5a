import type { ActorFactory, ActorSpec, RequestOptions, SendResult } from '../actor.js';
import type { HostState } from '../actor-host.js';
import { PeerUnavailableError, UnknownActorError } from '../errors.js';
import { EXTERNAL_ENDPOINT, type ExternalListener } from '../external-endpoint.js';
import type { LogFields } from '../log.js';
import type { Message, ReplyOf } from '../message.js';
import { type Random, SeededRandom } from '../random.js';
import { DEFAULT_RESTART_POLICY, type RestartPolicyConfig } from '../supervisor/restart-policy.js';
import { EventQueue, type SimEventKind } from './event-queue.js';
import { type FaultPlan, type FaultTarget, installFaultPlan } from './fault-plan.js';
import { pick, type Range, validateRange } from './range.js';
import { SimDisk, type SimDiskConfig } from './sim-disk.js';
import { SimDnsNetwork, type SimDnsNetworkConfig } from './sim-dns-network.js';
import { type LogLevel, SimLogger } from './sim-logger.js';
import { SimNetwork, type SimNetworkConfig } from './sim-network.js';
import type { Incarnation, PromiseOwner, SimWorld } from './sim-placement.js';
import { type ReplicaState, SimReplica } from './sim-replica.js';
import { Trace } from './trace.js';
import { DriftingClock, VirtualClock } from './virtual-clock.js';

export interface ReplicaSpec {
  readonly id: string;
  /** The replica's actors in start order, exactly as a production placement gets them. */
  readonly actors: readonly ActorSpec[];
  /** Its clock's milliseconds per virtual millisecond (drift); default 1. */
  readonly clockRate?: number;
}

export interface SimulatorOptions {
  readonly seed: number;
  readonly replicas: readonly ReplicaSpec[];
  readonly network?: Partial<SimNetworkConfig>;
  /** Between DNS clients and the replicas' DNS sockets (`dnsQuery`). */
  readonly dnsNetwork?: Partial<SimDnsNetworkConfig>;
  readonly disk?: Partial<SimDiskConfig>;
  /** The supervisor's policy inside each replica; defaults to production's. */
  readonly restartPolicy?: RestartPolicyConfig;
  /** How long "systemd" takes to reboot a replica whose process exited (escalation, failed start). */
  readonly processRebootMs?: Range;
  readonly faults?: FaultPlan;
  /** Lowest log level recorded into the trace; default `info`. */
  readonly logLevel?: LogLevel;
  /** Structured-clone frames between actors as `postMessage` does; default true. */
  readonly cloneFrames?: boolean;
  /** Trace records kept readable for a failure report (all records go into the hash); default 64. */
  readonly traceLinesKept?: number;
}

export interface RunOptions {
  /** Steps to take in this call at most. */
  readonly maxSteps: number;
  /** Virtual milliseconds to advance in this call at most. */
  readonly maxVirtualMs: number;
  /** Checked before every step; the run stops once it returns true. */
  readonly until?: () => boolean;
}

export type RunStop = 'until' | 'maxSteps' | 'maxVirtualMs' | 'idle' | 'failed';

export interface RunResult {
  readonly ok: boolean;
  readonly stop: RunStop;
  readonly seed: number;
  /** Steps taken since the simulation began. */
  readonly steps: number;
  readonly virtualMs: number;
  readonly traceHash: string;
  readonly failure: SimulationFailure | undefined;
}

/** An invariant check threw, or the runtime broke one of its own invariants: the run is over. */
export class SimulationFailure extends Error {
  constructor(
    readonly seed: number,
    readonly step: number,
    readonly virtualMs: number,
    readonly traceHash: string,
    /** The last trace records before the failure, oldest first. */
    readonly recentTrace: readonly string[],
    cause: unknown,
  ) {
    super(
      `seed=${seed} step=${step} t=${virtualMs}ms: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = 'SimulationFailure';
  }
}

export type StepCheck = (sim: Simulator) => void;

export interface CrashRecord {
  readonly atMs: number;
  readonly replica: string;
  /** Empty for a whole-replica crash. */
  readonly actor: string;
  readonly reason: string;
}

export interface SimulatorStats {
  steps: number;
  deliveries: number;
  replies: number;
  events: number;
  /** Times virtual time jumped to the next event because nothing else could run. */
  timeJumps: number;
  /** Microtask drains (one `setImmediate` each). */
  drains: number;
}

type ActorView = HostState | 'absent';

/** Steps of deferred work in one step beyond which the runtime is assumed to livelock. */
const DEFER_ROUNDS_MAX = 10_000;

/**
 * The simulated world: a cluster of replicas in one thread, driven by one seed.
 *
 * Every step the scheduler lists what could happen now (each actor's senders with a
 * queued message, each actor's pending reply, the next due event) and picks one
 * uniformly with the seeded PRNG: delivery order between actors and senders is
 * permuted while each sender's messages stay FIFO. When nothing can happen, virtual time
 * jumps to the next event. Turns that await (the simulated disk, a reply) keep their
 * actor busy; microtasks are drained after each step that may have settled a promise,
 * then the step's deferred flushes run. Every step is appended to the trace hash.
 */
export class Simulator {
  readonly seed: number;
  readonly clock = new VirtualClock();
  private readonly replicaClocks = new Map<string, DriftingClock>();
  readonly queue = new EventQueue();
  readonly network: SimNetwork;
  readonly dnsNetwork: SimDnsNetwork;
  readonly cloneFrames: boolean;
  readonly crashes: CrashRecord[] = [];
  readonly stats: SimulatorStats = {
    steps: 0,
    deliveries: 0,
    replies: 0,
    events: 0,
    timeJumps: 0,
    drains: 0,
  };

  private readonly trace: Trace;
  /** What replicas and placements may use of the simulator. */
  private readonly world: SimWorld;
  private readonly schedulerRandom: Random;
  private readonly actorRandom: Random;
  private readonly faultRandom: Random;
  private readonly scenarioRandom: Random;
  private readonly replicas = new Map<string, SimReplica>();
  private readonly factories: Map<string, ActorFactory<Message, unknown>>;
  private readonly checks: StepCheck[] = [];
  private readonly logLevel: LogLevel;
  private readonly processRebootMs: Range;
  private deferred: Array<() => void> = [];
  private pendingAsync = 0;
  private mustDrain = false;
  private fatal: { error: unknown } | undefined;
  private failure: SimulationFailure | undefined;
  private running = false;
  private lastStop: RunStop = 'idle';
  private incarnations = 0;

  private constructor(options: SimulatorOptions, factories: Map<string, ActorFactory<Message, unknown>>) {
    if (!Number.isInteger(options.seed) || options.seed < 0 || options.seed > 0xffff_ffff) {
      throw new RangeError(`seed must be an integer in [0, 2^32), got ${options.seed}`);
    }
    this.seed = options.seed;
    this.trace = new Trace(options.traceLinesKept);
    this.factories = factories;
    this.cloneFrames = options.cloneFrames ?? true;
    this.logLevel = options.logLevel ?? 'info';
    this.processRebootMs = validateRange('processRebootMs', options.processRebootMs ?? { min: 50, max: 500 });
    // Independent streams, forked in a fixed order: adding draws to one leaves the others alone.
    const root = new SeededRandom(options.seed);
    this.schedulerRandom = root.fork();
    const networkRandom = root.fork();
    const diskRandom = root.fork();
    this.actorRandom = root.fork();
    this.faultRandom = root.fork();
    this.scenarioRandom = root.fork();
    const dnsRandom = root.fork();
    this.network = new SimNetwork(
      { clock: this.clock, queue: this.queue, random: networkRandom },
      options.network,
    );
    this.dnsNetwork = new SimDnsNetwork(
      { clock: this.clock, queue: this.queue, random: dnsRandom },
      options.dnsNetwork,
    );
    this.world = this.makeWorld();
    const policy = options.restartPolicy ?? DEFAULT_RESTART_POLICY;
    const ids = new Set<string>();
    for (const spec of options.replicas) {
      if (ids.has(spec.id)) throw new Error(`replica ${spec.id} is listed twice`);
      ids.add(spec.id);
      const disk = new SimDisk(
        spec.id,
        { clock: this.clock, queue: this.queue, random: diskRandom.fork() },
        options.disk,
      );
      this.network.addReplica(spec.id);
      this.replicaClocks.set(spec.id, new DriftingClock(this.clock, spec.clockRate ?? 1));
      const replica = new SimReplica(spec.id, spec.actors, disk, this.world, policy, (id, reason) =>
        // Production exits the process; "systemd" boots it again later.
        this.deferred.push(() => {
          this.crashReplica(id, reason);
          this.scheduleFault(pick(this.faultRandom, this.processRebootMs), `reboot ${id}`, () => {
            if (this.replicaState(id) === 'down') this.restartReplica(id);
          });
        }),
      );
      this.replicas.set(spec.id, replica);
    }
    if (options.faults !== undefined) installFaultPlan(options.faults, this.faultTarget(), this.faultRandom);
  }

  /** Imports every actor module (the same ones worker threads import), then boots every replica. */
  static async create(options: SimulatorOptions): Promise<Simulator> {
    const factories = new Map<string, ActorFactory<Message, unknown>>();
    for (const replica of options.replicas) {
      for (const spec of replica.actors) {
        const key = factoryKey(spec);
        if (factories.has(key)) continue;
        const module = (await import(spec.module)) as Record<string, unknown>;
        const factory = module[spec.exportName];
        if (typeof factory !== 'function') {
          throw new Error(
            `actor ${spec.name}: ${spec.module} does not export a factory named ${spec.exportName}`,
          );
        }
        factories.set(key, factory as ActorFactory<Message, unknown>);
      }
    }
    const sim = new Simulator(options, factories);
    for (const replica of sim.replicas.values()) replica.boot();
    return sim;
  }

  // ---- observing ----

  nowMs(): number {
    return this.clock.nowMs();
  }

  get steps(): number {
    return this.stats.steps;
  }

  /** The sha256 (hex) of the trace so far. Same seed and same code give the same hash. */
  traceHash(): string {
    return this.trace.hex();
  }

  recentTrace(): string[] {
    return this.trace.recentLines();
  }

  replicaIds(): string[] {
    return [...this.replicas.keys()];
  }

  replicaState(replica: string): ReplicaState {
    return this.replica(replica).state;
  }

  /** Processes booted so far on `replica` (1 + restarts). */
  replicaBoots(replica: string): number {
    return this.replica(replica).bootCount;
  }

  disk(replica: string): SimDisk {
    return this.replica(replica).disk;
  }

  actorState(replica: string, actor: string): ActorView {
    return this.incarnation(replica, actor)?.host.state ?? 'absent';
  }

  /** A unique id of the actor's current life (changes on every restart), or undefined while it is down. */
  actorIncarnation(replica: string, actor: string): number | undefined {
    return this.incarnation(replica, actor)?.id;
  }

  /** The actor's own `inspect()`, or undefined while it is down. */
  inspect(replica: string, actor: string): unknown {
    return this.incarnation(replica, actor)?.instance?.inspect?.();
  }

  /** The host's view: state, queue length, metrics, and the actor's `inspect()`. */
  inspectHost(replica: string, actor: string): unknown {
    return this.incarnation(replica, actor)?.host.inspect();
  }

  /** A PRNG for the scenario driver, independent of the scheduler's and the faults'. */
  get random(): Random {
    return this.scenarioRandom;
  }

  // ---- driving ----

  /** Registers an invariant checked after every step; a throw fails the run with seed and step. */
  onStep(check: StepCheck): void {
    this.checks.push(check);
  }

  /** One-way message to `actor` from the replica's external endpoint (leaves at the end of the step). */
  send(replica: string, actor: string, message: Message): SendResult {
    const external = this.replica(replica).external;
    if (external === undefined) return { status: 'rejected', error: new PeerUnavailableError(actor) };
    return external.send(actor, message);
  }

  /** Hands `listener` the one-way messages actors send the replica's external endpoint, until it goes down. */
  listen(replica: string, listener: ExternalListener): () => void {
    const external = this.replica(replica).external;
    if (external === undefined) throw new PeerUnavailableError(EXTERNAL_ENDPOINT);
    return external.listen(listener);
  }

  /** Asks `actor` from the replica's external endpoint; settles as the simulation runs. */
  request<Q extends Message>(
    replica: string,
    actor: string,
    message: Q,
    options: RequestOptions,
  ): Promise<ReplyOf<Q>> {
    const external = this.replica(replica).external;
    if (external === undefined) return Promise.reject(new PeerUnavailableError(actor));
    return external.request(actor, message, options);
  }

  /**
   * A DNS client's query to the socket `replica`'s DNS actor bound on `port`: the answer's
   * bytes, or null when none came back within `timeoutMs` (see `SimDnsNetwork.query`).
   */
  dnsQuery(
    replica: string,
    port: number,
    transport: 'udp' | 'tcp',
    query: Uint8Array,
    timeoutMs: number,
  ): Promise<Uint8Array | null> {
    this.replica(replica);
    return this.dnsNetwork.query(replica, port, transport, query, timeoutMs);
  }

  /** Runs `fire` as a `scenario` event `delayMs` of virtual time from now. */
  schedule(delayMs: number, detail: string, fire: () => void): () => void {
    return this.scheduleEvent('scenario', delayMs, detail, fire);
  }

  /** Kills one actor (as a killed worker); its supervisor restarts it after backoff. False if it is not running. */
  crashActor(replica: string, actor: string, reason = 'killed'): boolean {
    const placement = this.replica(replica).placement;
    if (placement === undefined || placement.get(actor) === undefined) return false;
    this.mustDrain = true;
    return placement.kill(actor, reason);
  }

  /** Power loss of a replica: all its actors die, unsynced writes are lost, it leaves the network. */
  crashReplica(replica: string, reason = 'power loss'): void {
    const target = this.replica(replica);
    if (target.state === 'down') return;
    this.trace.record(this.nowMs(), 'X', [replica], reason);
    this.crashes.push({ atMs: this.nowMs(), replica, actor: '', reason });
    this.mustDrain = true;
    target.crash();
  }

  /** Boots a crashed replica from its disk. */
  restartReplica(replica: string): void {
    const target = this.replica(replica);
    if (target.state === 'up') return;
    this.trace.record(this.nowMs(), 'B', [replica]);
    this.mustDrain = true;
    target.boot();
  }

  partition(a: readonly string[], b: readonly string[]): void {
    this.trace.record(this.nowMs(), 'P', [a.join(','), b.join(',')]);
    this.network.partition(a, b);
  }

  isolate(replica: string): void {
    this.trace.record(this.nowMs(), 'P', [replica, '*']);
    this.network.isolate(replica);
  }

  heal(): void {
    this.trace.record(this.nowMs(), 'H', []);
    this.network.heal();
  }

  /**
   * Runs `check` now, outside any step (a final check after `run`); a throw fails the
   * simulation exactly as a failing step check does.
   */
  verify(check: StepCheck): RunResult {
    if (this.failure !== undefined) return this.result('failed');
    try {
      check(this);
    } catch (error) {
      return this.failRun(error);
    }
    return this.result(this.lastStop);
  }

  /** Runs deferred work and drains microtasks without taking a step (after `send`, `crashActor`, ...). */
  async settle(): Promise<void> {
    await this.finishStep(true);
  }

  /**
   * Steps until `until` holds, a limit is reached, nothing is left to do, or a check fails.
   * Never throws for a failed check: the result carries the failure (seed, step, trace).
   */
  async run(options: RunOptions): Promise<RunResult> {
    if (!(options.maxSteps >= 0) || !(options.maxVirtualMs >= 0)) {
      throw new RangeError('run needs maxSteps >= 0 and maxVirtualMs >= 0');
    }
    if (this.running) throw new Error('run is already in progress');
    if (this.failure !== undefined) return this.result('failed');
    this.running = true;
    try {
      return await this.loop(options);
    } finally {
      this.running = false;
    }
  }

  private async loop(options: RunOptions): Promise<RunResult> {
    const stepLimit = this.stats.steps + options.maxSteps;
    const deadlineMs = this.nowMs() + options.maxVirtualMs;
    await this.finishStep(true);
    if (this.fatal !== undefined) return this.failRun(this.fatal.error);
    for (;;) {
      try {
        if (options.until?.() === true) return this.result('until');
      } catch (error) {
        return this.failRun(error);
      }
      if (this.stats.steps >= stepLimit) return this.result('maxSteps');
      let outcome: 'stepped' | 'jumped' | 'idle' | 'deadline';
      try {
        outcome = this.stepOrJump(deadlineMs);
      } catch (error) {
        return this.failRun(error);
      }
      if (outcome === 'idle') return this.result('idle');
      if (outcome === 'deadline') return this.result('maxVirtualMs');
      if (outcome === 'jumped') continue;
      try {
        if (this.mustDrain || this.pendingAsync > 0) await this.finishStep(false);
        else this.runDeferred();
        if (this.mustDrain) await this.finishStep(false);
      } catch (error) {
        this.fatal ??= { error };
      }
      if (this.fatal !== undefined) return this.failRun(this.fatal.error);
      try {
        for (const check of this.checks) check(this);
      } catch (error) {
        return this.failRun(error);
      }
    }
  }

  /** Takes one step, or moves time to the next event when nothing can happen now. */
  private stepOrJump(deadlineMs: number): 'stepped' | 'jumped' | 'idle' | 'deadline' {
    const now = this.nowMs();
    const head = this.queue.peek();
    const eventDue = head !== undefined && head.atMs <= now ? 1 : 0;
    let count = eventDue;
    for (const replica of this.replicas.values()) {
      const placement = replica.placement;
      if (placement === undefined) continue;
      for (const actor of placement.actors()) {
        count += actor.host.readySenders().length;
        if (actor.host.hasReplyReady()) count++;
      }
    }
    if (count === 0) {
      if (head === undefined) return 'idle';
      if (head.atMs > deadlineMs) return 'deadline';
      this.clock.advanceTo(head.atMs);
      this.stats.timeJumps++;
      return 'jumped';
    }
    let choice = count === 1 ? 0 : this.schedulerRandom.intBetween(0, count - 1);
    this.stats.steps++;
    if (choice < eventDue) {
      this.fireEvent();
      return 'stepped';
    }
    choice -= eventDue;
    for (const replica of this.replicas.values()) {
      const placement = replica.placement;
      if (placement === undefined) continue;
      for (const actor of placement.actors()) {
        const senders = actor.host.readySenders();
        if (choice < senders.length) {
          this.deliver(actor, senders[choice] as string);
          return 'stepped';
        }
        choice -= senders.length;
        if (actor.host.hasReplyReady()) {
          if (choice === 0) {
            this.reply(actor);
            return 'stepped';
          }
          choice--;
        }
      }
    }
    throw new Error('scheduler lost track of a candidate');
  }

  private deliver(actor: Incarnation, sender: string): void {
    this.stats.deliveries++;
    const turn = actor.host.step(sender);
    if (turn !== undefined) this.track(actor, turn);
  }

  private reply(actor: Incarnation): void {
    this.stats.replies++;
    const next = actor.replies.shift();
    if (next === undefined) throw new Error(`reply mirror of ${actor.replica}/${actor.actor} is out of step`);
    const { from, frame } = next;
    this.trace.record(
      this.nowMs(),
      'r',
      [actor.replica, actor.actor, from, String(frame.id), frame.ok ? 'ok' : 'err'],
      frame.ok ? frame.value : frame.error,
    );
    actor.host.stepReply();
    this.mustDrain = true;
  }

  private fireEvent(): void {
    this.stats.events++;
    const scheduled = this.queue.pop();
    if (scheduled === undefined) throw new Error('due event vanished');
    const { event } = scheduled;
    this.trace.record(this.nowMs(), 'e', [event.kind, event.replica, event.actor, event.detail], event.body);
    event.fire();
    if (event.settles) this.mustDrain = true;
  }

  /** Drains microtasks and runs deferred work until both are quiet. */
  private async finishStep(force: boolean): Promise<void> {
    let drain = force;
    for (let round = 0; ; round++) {
      if (round > DEFER_ROUNDS_MAX)
        throw new Error(`deferred work did not settle after ${DEFER_ROUNDS_MAX} rounds`);
      if (drain || this.mustDrain || this.pendingAsync > 0) {
        this.mustDrain = false;
        this.stats.drains++;
        await drainMicrotasks();
      }
      drain = false;
      if (this.deferred.length === 0 && !this.mustDrain) return;
      this.runDeferred();
    }
  }

  private runDeferred(): void {
    for (let round = 0; this.deferred.length > 0; round++) {
      if (round > DEFER_ROUNDS_MAX)
        throw new Error(`deferred work did not settle after ${DEFER_ROUNDS_MAX} rounds`);
      const batch = this.deferred;
      this.deferred = [];
      for (const fn of batch) fn();
    }
  }

  private result(stop: RunStop): RunResult {
    this.lastStop = stop;
    return {
      ok: stop !== 'failed',
      stop,
      seed: this.seed,
      steps: this.stats.steps,
      virtualMs: this.nowMs(),
      traceHash: this.traceHash(),
      failure: this.failure,
    };
  }

  private failRun(cause: unknown): RunResult {
    this.failure ??= new SimulationFailure(
      this.seed,
      this.stats.steps,
      this.nowMs(),
      this.traceHash(),
      this.trace.recentLines(),
      cause,
    );
    return this.result('failed');
  }

  // ---- internals ----

  private makeWorld(): SimWorld {
    return {
      clock: this.clock,
      replicaClock: (replica) => {
        const clock = this.replicaClocks.get(replica);
        if (clock === undefined) throw new Error(`replica ${replica} has no clock`);
        return clock;
      },
      queue: this.queue,
      network: this.network,
      dnsNetwork: this.dnsNetwork,
      cloneFrames: this.cloneFrames,
      factory: (spec) => {
        const factory = this.factories.get(factoryKey(spec));
        if (factory === undefined) throw new Error(`actor ${spec.name}: factory not loaded`);
        return factory;
      },
      nextIncarnationId: () => ++this.incarnations,
      forkRandom: () => this.actorRandom.fork(),
      logger: (bindings) =>
        new SimLogger(
          (level, bound, fields, message) => this.log(level, bound, fields, message),
          this.logLevel,
          bindings,
        ),
      defer: (fn) => {
        this.deferred.push(fn);
      },
      track: (owner, promise) => this.track(owner, promise),
      untrack: (owner) => {
        this.pendingAsync -= owner.pending;
      },
      markSettled: () => {
        this.mustDrain = true;
      },
      traceDeliver: (actor, from, message) => {
        this.trace.record(
          this.nowMs(),
          'd',
          [actor.replica, actor.actor, from, String(message.type)],
          message,
        );
      },
      traceCrash: (replica, actor, error) => {
        this.trace.record(this.nowMs(), 'x', [replica, actor, error.name], error.message);
        this.crashes.push({ atMs: this.nowMs(), replica, actor, reason: error.message });
      },
      fail: (error) => {
        this.fatal ??= { error };
      },
    };
  }

  private track(owner: PromiseOwner, promise: Promise<unknown>): void {
    owner.pending++;
    this.pendingAsync++;
    const done = () => {
      owner.pending--;
      if (owner.alive) this.pendingAsync--;
    };
    promise.then(done, done);
  }

  private log(level: LogLevel, bindings: LogFields, fields: LogFields, message: string): void {
    this.trace.record(this.nowMs(), 'l', [level, message], { ...bindings, ...fields });
  }

  private scheduleEvent(kind: SimEventKind, delayMs: number, detail: string, fire: () => void): () => void {
    const handle = this.queue.schedule(this.nowMs() + Math.max(0, delayMs), {
      kind,
      replica: '',
      actor: '',
      detail,
      settles: true,
      fire,
    });
    return () => handle.cancel();
  }

  private scheduleFault(delayMs: number, detail: string, fire: () => void): void {
    this.scheduleEvent('fault', delayMs, detail, fire);
  }

  private faultTarget(): FaultTarget {
    return {
      partition: (a, b) => this.partition(a, b),
      heal: () => this.heal(),
      nowMs: () => this.nowMs(),
      replicaIds: () => this.replicaIds(),
      actorNames: (replica: string) => this.replica(replica).specs.map((s) => s.name),
      isReplicaUp: (replica: string) => this.replicaState(replica) === 'up',
      crashReplica: (replica: string, reason: string) => this.crashReplica(replica, reason),
      restartReplica: (replica: string) => this.restartReplica(replica),
      crashActor: (replica: string, actor: string, reason: string) => this.crashActor(replica, actor, reason),
      scheduleFault: (delayMs: number, detail: string, fire: () => void) =>
        this.scheduleFault(delayMs, detail, fire),
    };
  }

  private replica(id: string): SimReplica {
    const replica = this.replicas.get(id);
    if (replica === undefined) throw new UnknownActorError(`replica ${id}`);
    return replica;
  }

  private incarnation(replica: string, actor: string): Incarnation | undefined {
    return this.replica(replica).placement?.get(actor);
  }
}

function factoryKey(spec: ActorSpec): string {
  return `${spec.module}#${spec.exportName}`;
}

/**
 * Lets every queued microtask (and every microtask those queue) run: `setImmediate` fires
 * only after the microtask queue is empty. Nothing else in the simulation is scheduled on
 * the real event loop, so what runs in between is fully determined by the steps so far.
 */
function drainMicrotasks(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
