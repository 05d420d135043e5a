import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { ActorSpec } from '../actor.js';
import { clockAnchorMs } from '../clock.js';
import { withTimeout } from '../control-timeout.js';
import { ControlTimeoutError } from '../errors.js';
import { EXTERNAL_ENDPOINT, EXTERNAL_MAILBOX, type ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';
import {
  type ActorControl,
  type ActorHealth,
  type ActorWorkerData,
  type PeerTransportConfig,
  type ThreadControl,
  WORKER_BOOTED,
} from './control-api.js';
import { listenForFrames, portFramePort } from './port-link.js';
import { type ThreadPlan, threadOf } from './thread-plan.js';

export interface WorkerPlacementOptions {
  readonly replicaId: string;
  readonly dataDir: string;
  readonly logLevel: string;
  readonly logFields: Readonly<Record<string, string>>;
  /** Deadline of each control-plane call once an actor runs (health, inspect, stop). */
  readonly controlTimeoutMs: number;
  /**
   * How long placing one actor may take, all of it: its thread's boot, loading its modules,
   * linking it and its `start`. Longer than `controlTimeoutMs`: on a CPU-starved machine
   * (many replicas starting at once) each step takes seconds, and waiting is right as long
   * as the thread is alive; a thread that exits fails the placement at once.
   */
  readonly startUpTimeoutMs?: number;
  readonly log: Logger;
  /** The process's own endpoint; linked to every actor. */
  readonly external: ExternalEndpoint;
  /** How actors reach their peers; without it `openTransport` fails. */
  readonly peerTransport?: PeerTransportConfig;
  /** Which actors share a thread; absent: every actor on a thread of its own. */
  readonly threads?: ThreadPlan;
}

/** A worker thread and the actors placed on it. */
interface PlacedThread {
  readonly name: string;
  readonly worker: Worker;
  readonly control: Comlink.Remote<ThreadControl>;
  readonly controlPort: MessagePort;
  /** Resolves when the thread serves its control plane; rejects if it exits first. */
  readonly booted: Promise<void>;
  /** The actors hosted on it, in the order they were placed. */
  readonly actors: Map<string, PlacedActor>;
  /** Terminated or exited: the next spawn of one of its actors starts a new thread. */
  ending: boolean;
  crashError: Error | undefined;
  readonly exited: Promise<number>;
}

interface PlacedActor {
  readonly spec: ActorSpec;
  readonly thread: PlacedThread;
  readonly control: Comlink.Remote<ActorControl>;
  readonly controlPort: MessagePort;
  /** The main thread's end of the external link. */
  externalPort: MessagePort | undefined;
  /** Links to the other actors exist; peers may talk to it. */
  linked: boolean;
  /** A stop was asked for, so its exit is expected. */
  stopping: boolean;
  crashError: Error | undefined;
}

const WORKER_URL = new URL('./actor-worker.js', import.meta.url);
/** Default bound on placing one actor (boot, load, link, start) when the options give none. */
export const ACTOR_START_UP_TIMEOUT_MS_DEFAULT = 60_000;

/**
 * Places actors on worker threads, grouped as the `threads` plan says (each alone by
 * default), and links every pair of actors: a `MessageChannel` between threads, an
 * in-thread link within one (both FIFO per sender). Reports unexpected exits to `onExit`;
 * deciding what to do about them is the supervisor's job. A thread that dies takes every
 * actor on it down: each is reported as exited, and each spawn after that starts the
 * thread again if it is gone.
 */
export class WorkerPlacement {
  private readonly placed = new Map<string, PlacedActor>();
  private readonly threads = new Map<string, PlacedThread>();
  private readonly startOrder: string[] = [];
  onExit: (name: string, error: Error) => void = () => undefined;

  constructor(private readonly options: WorkerPlacementOptions) {}

  has(name: string): boolean {
    return this.placed.has(name);
  }

  /** The thread `name` runs on (or would run on). */
  threadOf(name: string): string {
    return this.options.threads === undefined ? name : threadOf(this.options.threads, name);
  }

  /** How many worker threads run now. */
  get threadCount(): number {
    return [...this.threads.values()].filter((thread) => !thread.ending).length;
  }

  /**
   * Boots the threads of these actors now, side by side, and has each start loading its
   * actors' modules: the actors then start one after another (`spawn`), but a thread's boot
   * and its module loading no longer wait for the actors placed before it (a replica's DNS
   * thread boots beside the Raft thread, not after the Raft actors started: part of the
   * restart figures in docs/ARCHITECTURE.md, "What a replica costs at start"). A thread
   * that never gets an actor (a start that failed first) ends in `stopAll`.
   */
  prepare(specs: readonly ActorSpec[]): void {
    for (const spec of specs) {
      if (this.placed.has(spec.name)) continue;
      const thread = this.threadFor(this.threadOf(spec.name));
      // A thread that dies booting fails the actor's `spawn`, which reports it.
      thread.booted.then(() => thread.control.preload(spec.module)).catch(() => undefined);
    }
  }

  /**
   * Hosts `spec` on its thread (starting the thread if it does not run), links it to
   * every linked actor and to the external endpoint, then runs its `start`. If anything
   * fails, the thread is terminated (with any actor already on it: they are reported
   * through `onExit` like any crash), and the failure is rethrown.
   */
  async spawn(spec: ActorSpec): Promise<void> {
    if (this.placed.has(spec.name)) throw new Error(`actor ${spec.name} is already placed`);
    const thread = this.threadFor(this.threadOf(spec.name));
    const { port1: controlPort, port2: remoteControlPort } = new MessageChannel();
    const entry: PlacedActor = {
      spec,
      thread,
      control: Comlink.wrap<ActorControl>(nodeEndpoint(controlPort)),
      controlPort,
      externalPort: undefined,
      linked: false,
      stopping: false,
      crashError: undefined,
    };
    this.placed.set(spec.name, entry);
    thread.actors.set(spec.name, entry);
    if (!this.startOrder.includes(spec.name)) this.startOrder.push(spec.name);

    const startUpTimeoutMs = this.options.startUpTimeoutMs ?? ACTOR_START_UP_TIMEOUT_MS_DEFAULT;
    const progress: StartUpProgress = { step: 'boot' };
    try {
      await withTimeout(
        `${spec.name}: start-up`,
        startUpTimeoutMs,
        this.startUp(entry, remoteControlPort, progress),
      ).catch((error: unknown) => {
        // Name the step that ran out of time, as a control call's own timeout would.
        throw error instanceof ControlTimeoutError
          ? new ControlTimeoutError(`${spec.name}: ${progress.step}`, startUpTimeoutMs)
          : error;
      });
    } catch (error) {
      entry.crashError ??= error instanceof Error ? error : new Error(String(error));
      thread.crashError ??= entry.crashError;
      await this.terminate(thread);
      throw error;
    }
  }

  /**
   * The steps of placing an actor, each raced against the exit of the threads it waits on
   * (comlink never rejects a call to a dead thread); the caller bounds them all together.
   */
  private async startUp(entry: PlacedActor, remoteControlPort: MessagePort, progress: StartUpProgress) {
    const { thread, spec } = entry;
    await untilExit(thread, thread.booted);
    progress.step = 'load';
    await untilExit(
      thread,
      thread.control.host(spec, Comlink.transfer(remoteControlPort, [remoteControlPort])),
    );
    for (const peer of this.placed.values()) {
      if (peer === entry || !peer.linked) continue;
      progress.step = `link ${peer.spec.name}`;
      if (peer.thread === thread) await untilExit(thread, entry.control.linkInThread(peer.spec.name));
      else await this.linkPair(entry, peer);
    }
    progress.step = 'link external';
    await this.linkExternal(entry);
    entry.linked = true;
    progress.step = 'start';
    await untilExit(thread, entry.control.start());
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

  /**
   * Stops every actor in reverse start order, each draining for at most
   * `drainDeadlineMs`; a thread ends once its last actor has stopped.
   */
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
        await this.terminate(entry.thread);
      }
      if ([...entry.thread.actors.values()].every((actor) => actor.stopping))
        await this.terminate(entry.thread);
    }
    // Threads booted by `prepare` for actors that never started.
    for (const thread of [...this.threads.values()])
      if (!thread.ending && thread.actors.size === 0) await this.terminate(thread);
  }

  /** Ends an actor's thread abruptly, as a crash would, with every actor on it (tests, fault injection). */
  async kill(name: string): Promise<void> {
    const entry = this.placed.get(name);
    if (entry === undefined) return;
    entry.crashError = new Error(`actor ${name} was killed`);
    entry.thread.crashError ??= entry.crashError;
    await this.terminate(entry.thread);
  }

  /** The running thread of that name, or a new one. */
  private threadFor(name: string): PlacedThread {
    const running = this.threads.get(name);
    if (running !== undefined && !running.ending) return running;
    const { port1: controlPort, port2: remoteControlPort } = new MessageChannel();
    const workerData: ActorWorkerData = {
      thread: name,
      replicaId: this.options.replicaId,
      dataDir: this.options.dataDir,
      logLevel: this.options.logLevel,
      logFields: this.options.logFields,
      controlPort: remoteControlPort,
      clockAnchorMs: clockAnchorMs(),
      ...(this.options.peerTransport === undefined ? {} : { peerTransport: this.options.peerTransport }),
    };
    const worker = new Worker(WORKER_URL, { workerData, transferList: [remoteControlPort], name });
    const booted = workerBooted(worker, name, () => thread.crashError);
    // A spawn awaits the boot; one that is never awaited must not be an unhandled rejection.
    booted.catch(() => undefined);
    const thread: PlacedThread = {
      name,
      worker,
      control: Comlink.wrap<ThreadControl>(nodeEndpoint(controlPort)),
      controlPort,
      booted,
      actors: new Map(),
      ending: false,
      crashError: undefined,
      exited: new Promise((resolve) => worker.once('exit', resolve)),
    };
    worker.on('error', (error) => {
      thread.crashError = error;
    });
    void thread.exited.then((code) => this.threadExited(thread, code));
    this.threads.set(name, thread);
    return thread;
  }

  private async terminate(thread: PlacedThread): Promise<void> {
    thread.ending = true;
    await thread.worker.terminate();
    await thread.exited;
  }

  private threadExited(thread: PlacedThread, code: number): void {
    thread.ending = true;
    if (this.threads.get(thread.name) === thread) this.threads.delete(thread.name);
    thread.controlPort.close();
    for (const entry of thread.actors.values()) this.actorExited(entry, code);
  }

  private actorExited(entry: PlacedActor, code: number): void {
    const name = entry.spec.name;
    if (this.placed.get(name) !== entry) return;
    this.placed.delete(name);
    entry.controlPort.close();
    entry.externalPort?.close();
    this.options.external.detachLink(name);
    if (entry.linked) {
      // Peers on the same thread died with it; the others drop their links to it.
      for (const peer of this.placed.values()) {
        if (!peer.linked || peer.thread === entry.thread) continue;
        void this.call(peer, `unlink ${name}`, (c) => c.unlink(name)).catch((error: unknown) =>
          this.options.log.warn({ actor: peer.spec.name, err: error }, 'unlink failed'),
        );
      }
    }
    if (entry.stopping) return;
    const error =
      entry.crashError ?? entry.thread.crashError ?? new Error(`worker of ${name} exited with code ${code}`);
    this.onExit(name, error);
  }

  private async linkPair(a: PlacedActor, b: PlacedActor): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    await untilExit(a.thread, a.control.link(b.spec.name, Comlink.transfer(port1, [port1]), b.spec.mailbox));
    await untilExit(b.thread, b.control.link(a.spec.name, Comlink.transfer(port2, [port2]), a.spec.mailbox));
  }

  private async linkExternal(entry: PlacedActor): Promise<void> {
    const { port1: local, port2: remote } = new MessageChannel();
    const name = entry.spec.name;
    listenForFrames(local, (frames) => this.options.external.receiveFrames(name, frames));
    entry.externalPort = local;
    this.options.external.attachLink(name, portFramePort(local), entry.spec.mailbox);
    await untilExit(
      entry.thread,
      entry.control.link(EXTERNAL_ENDPOINT, Comlink.transfer(remote, [remote]), EXTERNAL_MAILBOX),
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

/** Which step of an actor's start-up runs, for the error that says it ran out of time. */
interface StartUpProgress {
  step: string;
}

/** `call`'s outcome, or the thread's own error (else its exit code) if the thread exits first. */
function untilExit<T>(thread: PlacedThread, call: Promise<T>): Promise<T> {
  const exited = thread.exited.then((code): never => {
    throw thread.crashError ?? new Error(`worker thread ${thread.name} exited with code ${code}`);
  });
  return Promise.race([call, exited]);
}

/**
 * Resolves when the worker says it serves its control plane; rejects if the thread exits
 * first, with the thread's own error when it had one.
 */
function workerBooted(worker: Worker, name: string, crashError: () => Error | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (message !== WORKER_BOOTED) return;
      worker.off('message', onMessage);
      worker.off('exit', onExit);
      resolve();
    };
    const onExit = (code: number) => {
      worker.off('message', onMessage);
      reject(crashError() ?? new Error(`worker thread ${name} exited with code ${code} while booting`));
    };
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}
