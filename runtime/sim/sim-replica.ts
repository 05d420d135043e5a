import type { ActorEnvironment, ActorSpec } from '../actor.js';
import { ExternalEndpoint } from '../external-endpoint.js';
import type { RestartPolicyConfig } from '../supervisor/restart-policy.js';
import { Supervisor } from '../supervisor/supervisor.js';
import type { SimDisk } from './sim-disk.js';
import { type ProcessOwner, SimPlacement, type SimWorld } from './sim-placement.js';
import { VirtualTimers } from './virtual-clock.js';

export type ReplicaState = 'up' | 'down';

/** One running process of a replica: dies as a whole, replaced as a whole on restart. */
interface ReplicaProcess {
  readonly owner: ProcessOwner;
  readonly external: ExternalEndpoint;
  readonly placement: SimPlacement;
  readonly supervisor: Supervisor;
}

/**
 * A replica of the simulated cluster: a disk that outlives its processes, and at most one
 * running process built like `Replica` in production (supervisor, placement, external
 * endpoint), with the simulator's clock, timers, randomness and I/O.
 */
export class SimReplica {
  private process: ReplicaProcess | undefined;
  private boots = 0;

  constructor(
    readonly id: string,
    readonly specs: readonly ActorSpec[],
    readonly disk: SimDisk,
    private readonly world: SimWorld,
    private readonly restartPolicy: RestartPolicyConfig,
    /**
     * The process would exit: its supervisor escalated (restart budget exhausted) or an
     * actor failed its first start. Production ends the process and systemd starts it again.
     */
    private readonly onProcessExit: (replica: string, reason: string) => void,
  ) {}

  get state(): ReplicaState {
    return this.process === undefined ? 'down' : 'up';
  }

  /** Processes started so far (1 after the first boot). */
  get bootCount(): number {
    return this.boots;
  }

  get placement(): SimPlacement | undefined {
    return this.process?.placement;
  }

  get external(): ExternalEndpoint | undefined {
    return this.process?.external;
  }

  /** Boots a process: a fresh supervisor starts every actor in order, each recovering from disk. */
  boot(): void {
    if (this.process !== undefined) throw new Error(`replica ${this.id} is already up`);
    const world = this.world;
    this.boots++;
    const owner: ProcessOwner = { alive: true, pending: 0, replica: this.id, actor: '' };
    const clock = world.replicaClock(this.id);
    const timers = new VirtualTimers(world.clock, world.queue, owner, clock.rate);
    const log = world.logger({ replica: this.id });
    const env: ActorEnvironment = {
      replicaId: this.id,
      clock,
      timers,
      random: world.forkRandom(),
      log,
      openStore: () => Promise.reject(new Error('the external endpoint has no storage')),
      openTransport: () => Promise.reject(new Error('the external endpoint has no transport')),
      defer: (fn) => world.defer(fn),
      onCrash: () => undefined,
    };
    const external = new ExternalEndpoint(env);
    const placement = new SimPlacement(world, owner, this.disk, external);
    const supervisor = new Supervisor(
      placement,
      this.restartPolicy,
      { clock, timers, random: world.forkRandom(), log },
      (reason) => this.onProcessExit(this.id, `supervisor escalated: ${reason}`),
    );
    this.process = { owner, external, placement, supervisor };
    world.network.setUp(this.id, true);
    const started = supervisor.start(this.specs);
    world.track(
      owner,
      started.catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (owner.alive) this.onProcessExit(this.id, `start failed: ${message}`);
      }),
    );
  }

  /**
   * Power loss: every actor dies with its mailbox, unsynced writes are lost (but for a
   * random prefix), the replica drops off the network. Nothing runs until `boot`.
   */
  crash(): void {
    const process = this.process;
    if (process === undefined) return;
    this.process = undefined;
    process.owner.alive = false;
    this.world.untrack(process.owner);
    process.placement.killAll();
    this.disk.crash();
    this.world.network.setUp(this.id, false);
  }
}
