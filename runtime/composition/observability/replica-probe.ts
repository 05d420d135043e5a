/**
 * One look at a replica's actors: each one's status ask (election, state machine, DNS,
 * AWS lease) and the log actor's `contact`, asked at once with a deadline, from the main
 * thread through the replica's external endpoint. The actors run on worker threads; this
 * is where what they report meets in one process-wide view for `/metrics` and `/readyz`.
 *
 * Looks are shared: a look younger than `maxAgeMs`, or one in flight, is reused, so a
 * scraper and a probe polling together cost the actors one round of asks.
 */
import type { AwsLeaseMessage, AwsLeaseStatus } from '../../../actors/aws-lease/protocol.js';
import type { DnsActorMessage, DnsServerStatus } from '../../../actors/dns/protocol.js';
import type { ElectionMessage, ElectionStatus } from '../../../actors/election/protocol.js';
import type { ContactResult, LogMessage } from '../../../actors/log/protocol.js';
import { DNS, ELECTION, LOG, STATE_MACHINE } from '../../../actors/raft/actor-names.js';
import type { StateMachineMessage, StateMachineStatus } from '../../../actors/state-machine/protocol.js';
import type { Clock } from '../../clock.js';
import type { ExternalEndpoint } from '../../external-endpoint.js';
import type { Message, MessageOf } from '../../message.js';

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
  /** Absent when the replica runs no DNS actor. */
  readonly dns?: Answer<DnsServerStatus>;
  /** Absent when the replica runs no AWS-lease actor. */
  readonly awsLease?: Answer<AwsLeaseStatus>;
}

export interface ReplicaProbeOptions {
  readonly external: ExternalEndpoint;
  readonly clock: Clock;
  /** Deadline of each ask; an actor that misses it counts as not answering. */
  readonly askTimeoutMs: number;
  /** How long a look is reused. */
  readonly maxAgeMs: number;
  readonly hasDns: boolean;
  /** The AWS-lease actor's name when the replica runs one. */
  readonly awsLeaseActor?: string;
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
    const { hasDns, awsLeaseActor } = this.options;
    const [election, contact, machine, dns, awsLease] = await Promise.all([
      this.ask<MessageOf<ElectionMessage, 'status'>>(ELECTION, { type: 'status' }),
      this.ask<MessageOf<LogMessage, 'contact'>>(LOG, { type: 'contact' }),
      this.ask<MessageOf<StateMachineMessage, 'status'>>(STATE_MACHINE, { type: 'status' }),
      hasDns ? this.ask<MessageOf<DnsActorMessage, 'status'>>(DNS, { type: 'status' }) : undefined,
      awsLeaseActor === undefined
        ? undefined
        : this.ask<MessageOf<AwsLeaseMessage, 'status'>>(awsLeaseActor, { type: 'status' }),
    ]);
    const look: ReplicaLook = {
      atMs: this.options.clock.nowMs(),
      election: election as Answer<ElectionStatus>,
      contact: contact as Answer<ContactResult>,
      machine: machine as Answer<StateMachineStatus>,
      ...(dns === undefined ? {} : { dns: dns as Answer<DnsServerStatus> }),
      ...(awsLease === undefined ? {} : { awsLease: awsLease as Answer<AwsLeaseStatus> }),
    };
    this.latest = look;
    return look;
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
