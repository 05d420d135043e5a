/**
 * One look at a replica's actors: each one's status ask (election, storage, state machine,
 * DNS, AWS lease), the log actor's `contact` and every actor's health from the worker
 * control plane (mailbox, credits), asked at once with a deadline, from the main thread
 * through the replica's external endpoint. The actors run on worker threads; this
 * is where what they report meets in one process-wide view for `/metrics` and `/readyz`.
 *
 * Looks are shared: a look younger than `maxAgeMs`, or one in flight, is reused, so a
 * scraper and a probe polling together cost the actors one round of asks.
 */
import type { AwsLeaseMessage, AwsLeaseStatus } from '../../../actors/aws-lease/protocol.js';
import type { AwsServingMessage, AwsServingStatus } from '../../../actors/aws-serving/protocol.js';
import type { DnsActorMessage, DnsServerStatus } from '../../../actors/dns/protocol.js';
import type { ElectionMessage, ElectionStatus } from '../../../actors/election/protocol.js';
import type { ContactResult, LogMessage } from '../../../actors/log/protocol.js';
import { DNS, ELECTION, LOG, STATE_MACHINE, STORAGE } from '../../../actors/raft/actor-names.js';
import type { StateMachineMessage, StateMachineStatus } from '../../../actors/state-machine/protocol.js';
import type { StorageMessage, StorageStatus } from '../../../actors/storage/protocol.js';
import type { Clock } from '../../clock.js';
import { withTimeout } from '../../control-timeout.js';
import type { ExternalEndpoint } from '../../external-endpoint.js';
import type { Message, MessageOf } from '../../message.js';
import type { ActorHealth } from '../../worker/control-api.js';

/** An actor's answer, or why there is none (it is restarting, its mailbox is full, the deadline passed). */
export type Answer<T> =
  | { readonly answered: true; readonly value: T }
  | { readonly answered: false; readonly error: string };

export interface ReplicaLook {
  /** When the look was taken, by the process's monotonic clock. */
  readonly atMs: number;
  readonly election: Answer<ElectionStatus>;
  readonly contact: Answer<ContactResult>;
  readonly machine: Answer<StateMachineStatus>;
  readonly storage: Answer<StorageStatus>;
  /** The actors whose worker answered the health call in time. */
  readonly actors: readonly ActorHealth[];
  /** Absent when the replica runs no DNS actor. */
  readonly dns?: Answer<DnsServerStatus>;
  /** Absent when the replica runs no AWS-lease actor. */
  readonly awsLease?: Answer<AwsLeaseStatus>;
  readonly awsServing?: Answer<AwsServingStatus>;
}

export interface ReplicaProbeOptions {
  readonly external: ExternalEndpoint;
  /** Every placed actor's health (the worker placement's); absent: `actors` stays empty. */
  readonly health?: () => Promise<readonly ActorHealth[]>;
  readonly clock: Clock;
  /** Deadline of each ask; an actor that misses it counts as not answering. */
  readonly askTimeoutMs: number;
  /** How long a look is reused. */
  readonly maxAgeMs: number;
  readonly hasDns: boolean;
  /** The AWS-lease actor's name when the replica runs one. */
  readonly awsLeaseActor?: string;
  readonly awsServingActor?: string;
}

export class ReplicaProbe {
  private latest: ReplicaLook | undefined;
  private inFlight: Promise<ReplicaLook> | undefined;

  constructor(private readonly options: ReplicaProbeOptions) {}

  /** A look no older than `maxAgeMs`. */
  look(): Promise<ReplicaLook> {
    const latest = this.latest;
    if (latest !== undefined && this.options.clock.nowMs() - latest.atMs < this.options.maxAgeMs)
      return Promise.resolve(latest);
    if (this.inFlight === undefined) {
      this.inFlight = this.take().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  private async take(): Promise<ReplicaLook> {
    const { hasDns, awsLeaseActor, awsServingActor } = this.options;
    const [election, contact, machine, storage, actors, dns, awsLease, awsServing] = await Promise.all([
      this.ask<MessageOf<ElectionMessage, 'status'>>(ELECTION, { type: 'status' }),
      this.ask<MessageOf<LogMessage, 'contact'>>(LOG, { type: 'contact' }),
      this.ask<MessageOf<StateMachineMessage, 'status'>>(STATE_MACHINE, { type: 'status' }),
      this.ask<MessageOf<StorageMessage, 'status'>>(STORAGE, { type: 'status' }),
      this.actorHealth(),
      hasDns ? this.ask<MessageOf<DnsActorMessage, 'status'>>(DNS, { type: 'status' }) : undefined,
      awsLeaseActor === undefined
        ? undefined
        : this.ask<MessageOf<AwsLeaseMessage, 'status'>>(awsLeaseActor, { type: 'status' }),
      awsServingActor === undefined
        ? undefined
        : this.ask<MessageOf<AwsServingMessage, 'status'>>(awsServingActor, { type: 'status' }),
    ]);
    const look: ReplicaLook = {
      atMs: this.options.clock.nowMs(),
      election: election as Answer<ElectionStatus>,
      contact: contact as Answer<ContactResult>,
      machine: machine as Answer<StateMachineStatus>,
      storage: storage as Answer<StorageStatus>,
      actors,
      ...(dns === undefined ? {} : { dns: dns as Answer<DnsServerStatus> }),
      ...(awsLease === undefined ? {} : { awsLease: awsLease as Answer<AwsLeaseStatus> }),
      ...(awsServing === undefined ? {} : { awsServing: awsServing as Answer<AwsServingStatus> }),
    };
    this.latest = look;
    return look;
  }

  private actorHealth(): Promise<readonly ActorHealth[]> {
    const health = this.options.health;
    if (health === undefined) return Promise.resolve([]);
    return withTimeout('actor health', this.options.askTimeoutMs, health()).catch(() => []);
  }

  private ask<Q extends Message>(actor: string, message: Q): Promise<Answer<unknown>> {
    return this.options.external.request<Q>(actor, message, { timeoutMs: this.options.askTimeoutMs }).then(
      (value): Answer<unknown> => ({ answered: true, value }),
      (error: unknown): Answer<unknown> => ({
        answered: false,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }
}
