import type { ActorEnvironment, ActorSpec } from './actor.js';
import { monotonicClock, realTimers } from './clock.js';
import { ExternalEndpoint } from './external-endpoint.js';
import type { Logger } from './log.js';
import { osSeededRandom } from './random.js';
import type { RestartPolicyConfig } from './supervisor/restart-policy.js';
import { Supervisor } from './supervisor/supervisor.js';
import type { PeerTransportConfig } from './worker/control-api.js';
import type { ThreadPlan } from './worker/thread-plan.js';
import { WorkerPlacement } from './worker/worker-placement.js';

export interface ReplicaOptions {
  readonly replicaId: string;
  readonly dataDir: string;
  readonly logLevel: string;
  readonly logFields: Readonly<Record<string, string>>;
  readonly log: Logger;
  readonly restartPolicy: RestartPolicyConfig;
  readonly controlTimeoutMs: number;
  /** Called once when an actor exhausts its restart budget. */
  readonly onEscalate: (reason: string) => void;
  /** How actors reach the group's other replicas (NATS); absent: they have no peers. */
  readonly peerTransport?: PeerTransportConfig;
  /** Which actors share a worker thread; absent: each actor on a thread of its own. */
  readonly threads?: ThreadPlan;
}

/**
 * One replica in this process: its actors on worker threads under a supervisor, and an
 * external endpoint through which the process's own code (listeners, tests) reaches them.
 */
export class Replica {
  private constructor(
    readonly external: ExternalEndpoint,
    readonly placement: WorkerPlacement,
    readonly supervisor: Supervisor,
  ) {}

  static async start(options: ReplicaOptions, specs: readonly ActorSpec[]): Promise<Replica> {
    const random = osSeededRandom();
    const env: ActorEnvironment = {
      replicaId: options.replicaId,
      clock: monotonicClock,
      timers: realTimers,
      random: random.fork(),
      log: options.log,
      openStore: async () => {
        throw new Error('the external endpoint has no storage');
      },
      openTransport: async () => {
        throw new Error('the external endpoint has no transport');
      },
      defer: queueMicrotask,
      onCrash: () => undefined,
    };
    const external = new ExternalEndpoint(env);
    const placement = new WorkerPlacement({
      replicaId: options.replicaId,
      dataDir: options.dataDir,
      logLevel: options.logLevel,
      logFields: options.logFields,
      controlTimeoutMs: options.controlTimeoutMs,
      log: options.log,
      external,
      ...(options.peerTransport === undefined ? {} : { peerTransport: options.peerTransport }),
      ...(options.threads === undefined ? {} : { threads: options.threads }),
    });
    const supervisor = new Supervisor(
      placement,
      options.restartPolicy,
      { clock: monotonicClock, timers: realTimers, random, log: options.log },
      options.onEscalate,
    );
    await supervisor.start(specs);
    return new Replica(external, placement, supervisor);
  }

  /** Stops every actor, each draining for at most `drainDeadlineMs`. */
  stop(drainDeadlineMs: number): Promise<void> {
    return this.supervisor.stop(drainDeadlineMs);
  }
}
