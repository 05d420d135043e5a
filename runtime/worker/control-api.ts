import type { MessagePort } from 'node:worker_threads';
import type { ActorSpec } from '../actor.js';
import type { HostState } from '../actor-host.js';
import type { MailboxConfig } from '../mailbox.js';

/**
 * The control plane of one actor in a worker thread, served over comlink on a port of its
 * own. Data-plane messages never use it: they go over the direct links set up with `link`
 * (a `MessagePort`, to an actor on another thread) or `linkInThread` (to one on this thread).
 */
export interface ActorControl {
  /** Connects a direct link to `peer`; frames from it arrive on `port`. */
  link(peer: string, port: MessagePort, peerMailbox: MailboxConfig): void;
  /** Connects a link to `peer`, hosted on this same thread, in both directions, without a port. */
  linkInThread(peer: string): void;
  /** The peer died: drop the link and fail requests waiting on it. */
  unlink(peer: string): void;
  start(): Promise<void>;
  health(): ActorHealth;
  inspect(): unknown;
  /** Drains for at most `drainDeadlineMs`, then runs the actor's stop. */
  stop(drainDeadlineMs: number): Promise<void>;
}

/**
 * The control plane of a worker thread as a whole: it hosts the actors placed on it, each
 * with its own `ActorControl` served on the port handed over with it.
 */
export interface ThreadControl {
  /**
   * Starts loading an actor's module ahead of `host` (which then finds it loaded); a module
   * that fails to load fails `host`, not this.
   */
  preload(module: string): void;
  /** Loads `spec`'s module and hosts the actor (not started) on this thread. */
  host(spec: ActorSpec, controlPort: MessagePort): Promise<void>;
}

/** Posted once on the worker's parent port when its thread control plane is served. */
export const WORKER_BOOTED = 'raftns-actor-worker-booted';

export interface ActorHealth {
  readonly name: string;
  readonly state: HostState;
  /** Messages waiting in the actor's mailbox. */
  readonly queued: number;
  readonly requestsInFlight: number;
  /** Messages the actor sent that its receivers have not consumed yet (credits held). */
  readonly creditsInUse: number;
  /** Further messages the receivers' mailboxes would take now, summed over its links. */
  readonly creditsAvailable: number;
}

/** What the main thread hands a new worker thread. Everything is structured-cloneable. */
export interface ActorWorkerData {
  /** The thread's name: its actors joined by `+` (runtime/worker/thread-plan.ts). */
  readonly thread: string;
  readonly replicaId: string;
  readonly dataDir: string;
  readonly logLevel: string;
  readonly logFields: Readonly<Record<string, string>>;
  /** Where the thread serves its `ThreadControl`. */
  readonly controlPort: MessagePort;
  /** The process's clock anchor (runtime/clock.ts): every thread reads the same clock. */
  readonly clockAnchorMs: number;
  /** Where the actor's peer channels go (`openTransport`); absent: actors have no peers. */
  readonly peerTransport?: PeerTransportConfig;
}

/**
 * The NATS side of `openTransport`: a worker whose actors open a channel connects to
 * these servers (one connection per worker, opened on first use, closed when its last
 * actor stops) and
 * talks to the group's other replicas on their peer subjects (runtime/nats/subjects.ts).
 */
export interface PeerTransportConfig {
  readonly natsUrls: readonly string[];
  readonly natsCredsFile?: string;
  readonly cluster: string;
  readonly region: string;
  readonly group: string;
  /** The group's replicas, this one included (the transport ignores `self`). */
  readonly peers: readonly string[];
}
