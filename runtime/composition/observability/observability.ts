/**
 * The replica's HTTP listener with its observability routes: `/metrics` (Prometheus),
 * `/livez` and `/readyz` (JSON, 200 or 503 with the reasons). Started by the replica
 * process when `--http host:port` is set; the route table is the listener's, so later APIs
 * share the port.
 */

import type { NatsConnection } from '@nats-io/transport-node';
import { monotonicClock } from '../../clock.js';
import type { Logger } from '../../log.js';
import { trackConnection } from '../../nats/nats-connection.js';
import type { Replica } from '../../replica.js';
import type { ClientIntake, ClientIntakeStats, WriteObserver } from '../client-intake.js';
import { HttpListener, type HttpReply, jsonReply } from '../http/http-listener.js';
import type { LeadershipSource } from '../leadership-feed.js';
import { type HealthBounds, LivenessTracker, readiness } from './health.js';
import { type ReplicaLabels, ReplicaMetrics } from './replica-metrics.js';
import { ReplicaProbe } from './replica-probe.js';

/** Each status ask of a scrape or probe; below Prometheus's default 10 s scrape timeout. */
const ASK_TIMEOUT_MS = 1_000;
/** A look at the actors serves every scrape and probe for this long. */
const LOOK_MAX_AGE_MS = 250;

export const HEALTH_BOUNDS_DEFAULT: HealthBounds = {
  silenceMsMax: 30_000,
  // Several election timeouts (15–30 ticks of 10 ms by default): a follower that heard
  // nothing for this long is cut off, and a partitioned leader has stepped down.
  leaderContactMsMax: 2_000,
  appliedLagMax: 1_000,
};

export interface ObservabilityOptions {
  readonly listen: { readonly host: string; readonly port: number };
  readonly labels: ReplicaLabels;
  readonly replica: Replica;
  readonly log: Logger;
  readonly dnsListenersExpected: number;
  readonly awsLeaseActor?: string;
  readonly awsServingActor?: string;
  readonly leadership?: LeadershipSource;
  readonly nats?: NatsConnection;
  readonly bounds?: HealthBounds;
  /** Adds further routes (the HTTP API) before the listener binds. */
  readonly moreRoutes?: (listener: HttpListener) => Promise<void>;
}

export class Observability {
  private intake: ClientIntake | undefined;
  private readonly stopFeeds: Array<() => void> = [];

  private constructor(
    readonly listener: HttpListener,
    readonly metrics: ReplicaMetrics,
  ) {}

  /** Binds the listener (fails if it cannot) and starts counting what the main thread sees. */
  static async start(options: ObservabilityOptions): Promise<Observability> {
    const listener = HttpListener.create(options.log);
    const bounds = options.bounds ?? HEALTH_BOUNDS_DEFAULT;
    const self: Observability = new Observability(
      listener,
      new ReplicaMetrics(options.labels, {
        ...(options.nats === undefined ? {} : { nats: trackConnection(options.nats) }),
        intake: (): ClientIntakeStats | undefined => self.intake?.stats(),
      }),
    );
    const probe = new ReplicaProbe({
      external: options.replica.external,
      health: () => options.replica.placement.health(),
      clock: monotonicClock,
      askTimeoutMs: ASK_TIMEOUT_MS,
      maxAgeMs: LOOK_MAX_AGE_MS,
      hasDns: options.dnsListenersExpected > 0,
      ...(options.awsLeaseActor === undefined ? {} : { awsLeaseActor: options.awsLeaseActor }),
      ...(options.awsServingActor === undefined ? {} : { awsServingActor: options.awsServingActor }),
    });
    const liveness = new LivenessTracker(monotonicClock.nowMs(), bounds);
    const supervisor = options.replica.supervisor;
    const onRestart = (actor: string) => self.metrics.actorRestarted(actor);
    const onEscalate = () => self.metrics.escalated();
    supervisor.on('restarted', onRestart);
    supervisor.on('escalated', onEscalate);
    self.stopFeeds.push(() => {
      supervisor.off('restarted', onRestart);
      supervisor.off('escalated', onEscalate);
    });
    if (options.leadership !== undefined) {
      let last: { term: number; leaderId: string | null } | undefined;
      self.stopFeeds.push(
        options.leadership.onChange((leadership) => {
          if (last !== undefined && (last.term !== leadership.term || last.leaderId !== leadership.leaderId))
            self.metrics.leaderChanged();
          last = { term: leadership.term, leaderId: leadership.leaderId };
        }),
      );
    }

    listener.route('GET', '/metrics', async (): Promise<HttpReply> => {
      const look = await probe.look();
      return {
        status: 200,
        contentType: self.metrics.contentType,
        body: await self.metrics.exposition(look),
      };
    });
    listener.route('GET', '/livez', async () => {
      const verdict = liveness.judge(await probe.look(), supervisor.escalated);
      return jsonReply(verdict.ok ? 200 : 503, { status: verdict.ok ? 'ok' : 'failing', ...verdict });
    });
    listener.route('GET', '/readyz', async () => {
      const verdict = readiness(
        await probe.look(),
        { self: options.labels.replica, dnsListenersExpected: options.dnsListenersExpected },
        bounds,
      );
      return jsonReply(verdict.ok ? 200 : 503, { status: verdict.ok ? 'ok' : 'failing', ...verdict });
    });
    await options.moreRoutes?.(listener);
    await listener.listen(options.listen.host, options.listen.port);
    options.log.info({ http: listener.address }, 'HTTP listener serving /metrics, /livez, /readyz');
    return self;
  }

  /** What the client intake should call with each write (the latency histogram). */
  readonly observeWrite: WriteObserver = (outcome, seconds) => this.metrics.writeFinished(outcome, seconds);

  /** The client intake, once it runs: its counters join the metrics. */
  attachIntake(intake: ClientIntake): void {
    this.intake = intake;
  }

  async stop(): Promise<void> {
    for (const stop of this.stopFeeds) stop();
    await this.listener.stop();
  }
}
