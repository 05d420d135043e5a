import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { ActorSpec } from '../actor.js';
import { clockAnchorMs } from '../clock.js';
import { withTimeout } from '../control-timeout.js';
import { EXTERNAL_ENDPOINT, EXTERNAL_MAILBOX, type ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';
import {
  type ActorControl,
  type ActorHealth,
  type ActorWorkerData,
  type PeerTransportConfig,
  WORKER_BOOTED,
} from './control-api.js';
import { listenForFrames, portFramePort } from './port-link.js';

export interface WorkerPlacementOptions {
  readonly replicaId: string;
  readonly dataDir: string;
  readonly logLevel: string;
  readonly logFields: Readonly<Record<string, string>>;
  /** Deadline of every control-plane call (link, start, health, inspect). */
  readonly controlTimeoutMs: number;
  /**
   * How long a new worker may take to load its actor's modules before the first control
   * call. Longer than `controlTimeoutMs`: on a CPU-starved machine (many replicas starting
   * at once) a boot takes seconds, and waiting is right as long as the thread is alive.
   */
  readonly bootTimeoutMs?: number;
  readonly log: Logger;
  /** The process's own endpoint; linked to every actor. */
  readonly external: ExternalEndpoint;
  /** How actors reach their peers; without it `openTransport` fails. */
  readonly peerTransport?: PeerTransportConfig;
}

interface PlacedActor {
  readonly spec: ActorSpec;
  readonly worker: Worker;
  readonly control: Comlink.Remote<ActorControl>;
  readonly controlPort: MessagePort;
  /** The main thread's end of the external link. */
  externalPort: MessagePort | undefined;
  /** Links to the other actors exist; peers may talk to it. */
  linked: boolean;
  /** A stop was asked for, so its exit is expected. */
  stopping: boolean;
  crashError: Error | undefined;
  exited: Promise<number>;
}

const WORKER_URL = new URL('./actor-worker.js', import.meta.url);
/** Default bound on a worker's boot (module loading) when the options give none. */
export const WORKER_BOOT_TIMEOUT_MS_DEFAULT = 60_000;

/**
 * Places each actor in its own worker thread and links every pair of actors with a
 * direct `MessageChannel` (FIFO per sender by construction). Reports unexpected exits
 * to `onExit`; deciding what to do about them is the supervisor's job.
 */
export class WorkerPlacement {
  private readonly placed = new Map<string, PlacedActor>();
  private readonly startOrder: string[] = [];
  onExit: (name: string, error: Error) => void = () => undefined;

  constructor(private readonly options: WorkerPlacementOptions) {}

  has(name: string): boolean {
    return this.placed.has(name);
  }

  /**
   * Starts `spec` in a new worker, links it to every linked actor and to the external
   * endpoint, then runs its `start`. If start fails, the worker is terminated and the
   * failure is reported through `onExit` like any crash, and rethrown.
   */
  async spawn(spec: ActorSpec): Promise<void> {
    if (this.placed.has(spec.name)) throw new Error(`actor ${spec.name} is already placed`);
    const { port1: controlPort, port2: remoteControlPort } = new MessageChannel();
    const workerData: ActorWorkerData = {
      spec,
      replicaId: this.options.replicaId,
      dataDir: this.options.dataDir,
      logLevel: this.options.logLevel,
      logFields: this.options.logFields,
      controlPort: remoteControlPort,
      clockAnchorMs: clockAnchorMs(),
      ...(this.options.peerTransport === undefined ? {} : { peerTransport: this.options.peerTransport }),
    };
    const worker = new Worker(WORKER_URL, { workerData, transferList: [remoteControlPort], name: spec.name });
    const entry: PlacedActor = {
      spec,
      worker,
      control: Comlink.wrap<ActorControl>(nodeEndpoint(controlPort)),
      controlPort,
      externalPort: undefined,
      linked: false,
      stopping: false,
      crashError: undefined,
      exited: new Promise((resolve) => worker.once('exit', resolve)),
    };
    worker.on('error', (error) => {
      entry.crashError = error;
    });
    const booted = workerBooted(worker, entry);
    void entry.exited.then((code) => this.exited(entry, code));
    this.placed.set(spec.name, entry);
    if (!this.startOrder.includes(spec.name)) this.startOrder.push(spec.name);

    try {
      await withTimeout(
        `${spec.name}: boot`,
        this.options.bootTimeoutMs ?? WORKER_BOOT_TIMEOUT_MS_DEFAULT,
        booted,
      );
      for (const peer of this.placed.values()) {
        if (peer !== entry && peer.linked) await this.linkPair(entry, peer);
      }
      await this.linkExternal(entry);
      entry.linked = true;
      await this.call(entry, 'start', (control) => control.start());
    } catch (error) {
      entry.crashError ??= error instanceof Error ? error : new Error(String(error));
      await entry.worker.terminate();
      throw error;
    }
  }

  /** The health of every placed actor that answered within the control deadline (a restarting one may not). */
  async health(): Promise<ActorHealth[]> {
    const answers = await Promise.allSettled(
      [...this.placed.values()].map((entry) => this.call(entry, 'health', (c) => c.health())),
    );
    return answers.flatMap((answer) => (answer.status === 'fulfilled' ? [answer.value] : []));
  }

  async inspect(name: string): Promise<unknown> {
    const entry = this.placed.get(name);
    if (entry === undefined) throw new Error(`no actor named ${name}`);
    return this.call(entry, 'inspect', (c) => c.inspect());
  }

  /** Stops every actor in reverse start order, each draining for at most `drainDeadlineMs`. */
  async stopAll(drainDeadlineMs: number): Promise<void> {
    for (const name of [...this.startOrder].reverse()) {
      const entry = this.placed.get(name);
      if (entry === undefined) continue;
      entry.stopping = true;
      try {
        await withTimeout(
          `stop ${name}`,
          drainDeadlineMs + this.options.controlTimeoutMs,
          entry.control.stop(drainDeadlineMs),
        );
      } catch (error) {
        this.options.log.warn(
          { actor: name, err: error },
          'actor did not stop in time; terminating its worker',
        );
      }
      await entry.worker.terminate();
      await entry.exited;
    }
  }

  /** Ends an actor's worker abruptly, as a crash would (tests, fault injection). */
  async kill(name: string): Promise<void> {
    const entry = this.placed.get(name);
    if (entry === undefined) return;
    entry.crashError = new Error(`actor ${name} was killed`);
    await entry.worker.terminate();
    await entry.exited;
  }

  private exited(entry: PlacedActor, code: number): void {
    const name = entry.spec.name;
    if (this.placed.get(name) !== entry) return;
    this.placed.delete(name);
    entry.controlPort.close();
    entry.externalPort?.close();
    this.options.external.detachLink(name);
    if (!entry.linked) {
      // never linked: peers know nothing of it
    } else {
      for (const peer of this.placed.values()) {
        if (!peer.linked) continue;
        void this.call(peer, `unlink ${name}`, (c) => c.unlink(name)).catch((error: unknown) =>
          this.options.log.warn({ actor: peer.spec.name, err: error }, 'unlink failed'),
        );
      }
    }
    if (entry.stopping) return;
    this.onExit(name, entry.crashError ?? new Error(`worker of ${name} exited with code ${code}`));
  }

  private async linkPair(a: PlacedActor, b: PlacedActor): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    await this.call(a, `link ${b.spec.name}`, (c) =>
      c.link(b.spec.name, Comlink.transfer(port1, [port1]), b.spec.mailbox),
    );
    await this.call(b, `link ${a.spec.name}`, (c) =>
      c.link(a.spec.name, Comlink.transfer(port2, [port2]), a.spec.mailbox),
    );
  }

  private async linkExternal(entry: PlacedActor): Promise<void> {
    const { port1: local, port2: remote } = new MessageChannel();
    const name = entry.spec.name;
    listenForFrames(local, (frames) => this.options.external.receiveFrames(name, frames));
    entry.externalPort = local;
    this.options.external.attachLink(name, portFramePort(local), entry.spec.mailbox);
    await this.call(entry, 'link external', (c) =>
      c.link(EXTERNAL_ENDPOINT, Comlink.transfer(remote, [remote]), EXTERNAL_MAILBOX),
    );
  }

  private call<T>(
    entry: PlacedActor,
    operation: string,
    invoke: (control: Comlink.Remote<ActorControl>) => Promise<T>,
  ) {
    return withTimeout(
      `${entry.spec.name}: ${operation}`,
      this.options.controlTimeoutMs,
      invoke(entry.control),
    );
  }
}

/**
 * Resolves when the worker says it has loaded its actor and serves its control plane;
 * rejects if the thread exits first.
 */
function workerBooted(worker: Worker, entry: PlacedActor): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (message !== WORKER_BOOTED) return;
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve();
    };
    const onExit = (code: number) => {
      worker.off('message', onMessage);
      reject(
        entry.crashError ?? new Error(`worker of ${entry.spec.name} exited with code ${code} while booting`),
      );
    };
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}
