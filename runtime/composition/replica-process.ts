import type { NatsConnection } from '@nats-io/transport-node';
import { AWS_LEASE } from '../../actors/aws-lease/protocol.js';
import { AWS_SERVING } from '../../actors/aws-serving/protocol.js';
import type { DnsActorMessage, DnsServerStatus } from '../../actors/dns/protocol.js';
import { DNS } from '../../actors/raft/actor-names.js';
import { IdempotencyStore } from '../../bootstrap/idempotency-store.js';
import { TransferAclStore } from '../../bootstrap/transfer-acl-store.js';
import type { ActorSpec } from '../actor.js';
import { monotonicClock } from '../clock.js';
import { withTimeout } from '../control-timeout.js';
import type { Logger } from '../log.js';
import type { MessageOf } from '../message.js';
import { connectNats } from '../nats/nats-connection.js';
import { EXIT_ESCALATED, EXIT_OK, installShutdownHandlers } from '../process-lifecycle.js';
import { Replica } from '../replica.js';
import { AWS_LEAVE_TIMEOUT_MS, leaveServingTargetGroup } from './aws-serving-leave.js';
import type { StoppableFeed } from './bucket-feed.js';
import { ClientIntake } from './client-intake.js';
import { parseHostPort, type ReplicaConfig } from './config.js';
import { startTransferRuleFeed, startTsigKeyFeed } from './dns-actor-feeds.js';
import type { ApiKeyFeed } from './http/api-key-feed.js';
import type { HttpListener } from './http/http-listener.js';
import type { PdnsApi } from './http/pdns-api.js';
import type { ZoneRouter } from './http/zone-router.js';
import { LeadershipFeed } from './leadership-feed.js';
import { HAND_OFF_TIMEOUT_MS_DEFAULT, handOffLeadership } from './leadership-hand-off.js';
import type { Observability } from './observability/observability.js';
import { RegionRepair } from './region-repair.js';
import { replicaThreadPlan, STATE_MACHINE_WAIT_TIMEOUT_MS } from './replica-plan.js';
import { UpdateCommitter } from './update-committer.js';

/** Where the DNS actor listens (the bound ports, when port 0 was asked for), for the log and the parent. */
async function dnsListenersOf(replica: Replica, log: Logger): Promise<DnsServerStatus['listeners']> {
  try {
    const status = await replica.external.request<MessageOf<DnsActorMessage, 'status'>>(
      DNS,
      { type: 'status' },
      { timeoutMs: CONTROL_TIMEOUT_MS },
    );
    return status.listeners;
  } catch (error) {
    log.warn({ err: error }, 'the DNS actor did not report its listeners');
    return [];
  }
}

/** Deadline of each control-plane call to an actor worker. */
export const CONTROL_TIMEOUT_MS = 5_000;
/** Bound on closing the main thread's NATS connection at shutdown. */
const NATS_CLOSE_TIMEOUT_MS = 2_000;

export interface ReplicaProcessOptions {
  /**
   * Serve clients over NATS (runtime/client-intake.ts) and give actors peer channels: the
   * Raft replica of runtime/main. Off for processes whose actors need neither (fixtures).
   */
  readonly raft?: boolean;
}

/**
 * Runs one replica as the whole process: connects to NATS (a Raft replica), starts its
 * actors under supervision, starts the client intake, installs the signal handlers, and
 * tells a parent process (if any, over IPC) that it is ready. Shutdown runs in the reverse
 * order: intake first (no new requests), then the actors, then the NATS connection.
 */
export async function runReplicaProcess(
  config: ReplicaConfig,
  specs: readonly ActorSpec[],
  log: Logger,
  options: ReplicaProcessOptions = {},
) {
  let beginShutdown: (reason: string, exitCode: number) => void = () => undefined;
  let nc: NatsConnection | undefined;
  // The main thread connects while the actors' threads boot and the actors start: neither
  // waits for the other (the actors open their own peer connections).
  const connecting: Promise<NatsConnection | undefined> =
    options.raft === true
      ? connectNats({
          urls: config.nats.urls,
          ...(config.nats.credsFile === undefined ? {} : { credsFile: config.nats.credsFile }),
          name: `raftns/${config.instanceId}/intake`,
          log,
        })
      : Promise.resolve(undefined);
  const closeNats = async () => {
    if (nc === undefined) return;
    await withTimeout('close NATS connection', NATS_CLOSE_TIMEOUT_MS, nc.close()).catch((error: unknown) =>
      log.warn({ err: error }, 'closing the NATS connection failed'),
    );
  };
  const replicaStarting = Replica.start(
    {
      replicaId: config.instanceId,
      dataDir: config.dataDir,
      logLevel: config.log.level,
      logFields: { replica: config.instanceId, region: config.region, cluster: config.cluster },
      log,
      restartPolicy: config.supervision,
      controlTimeoutMs: CONTROL_TIMEOUT_MS,
      onEscalate: (reason) => beginShutdown(`escalation: ${reason}`, EXIT_ESCALATED),
      threads: replicaThreadPlan(config),
      ...(options.raft === true
        ? {
            peerTransport: {
              natsUrls: config.nats.urls,
              ...(config.nats.credsFile === undefined ? {} : { natsCredsFile: config.nats.credsFile }),
              cluster: config.cluster,
              region: config.region,
              group: config.group,
              peers: config.peers,
            },
          }
        : {}),
    },
    specs,
  );
  // Handled below, after the connection: not an unhandled rejection meanwhile.
  replicaStarting.catch(() => undefined);
  try {
    nc = await connecting;
  } catch (error) {
    await replicaStarting.then(
      (started) => started.stop(0),
      () => undefined,
    );
    throw error;
  }
  const replica = await replicaStarting.catch(async (error: unknown) => {
    await closeNats();
    throw error;
  });
  let intake: ClientIntake | undefined;
  let leadership: LeadershipFeed | undefined;
  let tsigKeys: StoppableFeed | undefined;
  let transferRules: StoppableFeed | undefined;
  let updates: UpdateCommitter | undefined;
  let regionRepair: RegionRepair | undefined;
  let apiKeys: ApiKeyFeed | undefined;
  let apiZones: ZoneRouter | undefined;
  const servesDns = specs.some((spec) => spec.name === DNS);
  if (nc !== undefined)
    leadership = LeadershipFeed.start(replica.external, log.child({ component: 'leadership' }));
  // The status page and the PowerDNS-compatible API share the --http listener. Both need
  // the cluster through NATS, so only a Raft replica has them, and the API (keys, writes)
  // only on a replica serving DNS. The HTTP stack (fastify, prom-client, the API's schemas)
  // loads only with --http: a replica without it neither starts later nor holds more
  // memory for it.
  let api: PdnsApi | undefined;
  const natsForRoutes = nc;
  const moreRoutes =
    natsForRoutes !== undefined
      ? async (listener: HttpListener) => {
          const [{ registerStatusPage }, { StatusFeed }, { replicaGather }, { PdnsApi }] = await Promise.all([
            import('./status-page/status-page-routes.js'),
            import('./status-page/status-feed.js'),
            import('./status-page/cluster-gather.js'),
            import('./http/pdns-api.js'),
          ]);
          registerStatusPage(
            listener,
            new StatusFeed({
              cluster: config.cluster,
              source: config.instanceId,
              gather: replicaGather(
                natsForRoutes,
                {
                  cluster: config.cluster,
                  region: config.region,
                  group: config.group,
                  self: config.instanceId,
                  peers: config.peers,
                },
                monotonicClock,
              ),
              clock: monotonicClock,
              log: log.child({ component: 'status-page' }),
            }),
          );
          if (servesDns) api = await PdnsApi.register(listener, log.child({ component: 'http-api' }));
        }
      : undefined;
  const observability = await startObservability(
    config,
    specs,
    replica,
    log,
    leadership,
    nc,
    moreRoutes,
  ).catch(async (error: unknown) => {
    leadership?.stop();
    await replica.stop(config.shutdown.drainTimeoutMs);
    await closeNats();
    throw error;
  });
  if (nc !== undefined && leadership !== undefined) {
    // Anti-entropy between regions (docs/ARCHITECTURE.md): only with a plan of several regions, while leading.
    regionRepair = RegionRepair.start({
      nc,
      cluster: config.cluster,
      region: config.region,
      group: config.group,
      leadership,
      periodMs: config.regionRepair.periodMs,
      tombstoneHorizonMs: config.regionRepair.tombstoneHorizonMs,
      log: log.child({ component: 'region-repair' }),
      nowMs: () => Date.now(),
    });
    const repair = regionRepair;
    intake = await ClientIntake.start({
      nc,
      cluster: config.cluster,
      region: config.region,
      group: config.group,
      self: config.instanceId,
      external: replica.external,
      leadership,
      log: log.child({ component: 'client-intake', group: config.group }),
      requestTimeoutMs: STATE_MACHINE_WAIT_TIMEOUT_MS + 1_000,
      ...(observability === undefined ? {} : { observeWrite: observability.observeWrite }),
      servesDns,
      regionAgreement: () => repair.agreement(),
    });
    observability?.attachIntake(intake);
    if (servesDns) {
      // RFC 2136 UPDATE signed with the cluster's TSIG keys (docs/OPERATIONS.md).
      tsigKeys = startTsigKeyFeed({
        nc,
        cluster: config.cluster,
        external: replica.external,
        log: log.child({ component: 'tsig-keys' }),
      });
      // Who may transfer which zone (AXFR/IXFR; docs/OPERATIONS.md, "Zone transfers").
      transferRules = startTransferRuleFeed({
        nc,
        cluster: config.cluster,
        external: replica.external,
        log: log.child({ component: 'transfer-acl' }),
      });
      updates = await UpdateCommitter.start({
        nc,
        cluster: config.cluster,
        region: config.region,
        group: config.group,
        instanceId: config.instanceId,
        external: replica.external,
        log: log.child({ component: 'dns-update' }),
      });
      if (api !== undefined) {
        const [{ ApiKeyFeed }, { ZoneRouter }] = await Promise.all([
          import('./http/api-key-feed.js'),
          import('./http/zone-router.js'),
        ]);
        apiKeys = ApiKeyFeed.start(nc, config.cluster, log.child({ component: 'api-keys' }));
        apiZones = await ZoneRouter.start({
          nc,
          cluster: config.cluster,
          region: config.region,
          group: config.group,
          log: log.child({ component: 'http-api' }),
        });
        let idempotency: Promise<IdempotencyStore> | undefined;
        const openIdempotency = (): Promise<IdempotencyStore> => {
          idempotency ??= IdempotencyStore.open(nc, config.cluster).catch((error: unknown) => {
            idempotency = undefined; // opened again by the next write that needs it
            throw error;
          });
          return idempotency;
        };
        let transferRuleStore: Promise<TransferAclStore> | undefined;
        const openTransferRules = (): Promise<TransferAclStore> => {
          transferRuleStore ??= TransferAclStore.open(nc, config.cluster).catch((error: unknown) => {
            transferRuleStore = undefined; // opened again by the next request that needs it
            throw error;
          });
          return transferRuleStore;
        };
        api.attach({
          keys: apiKeys,
          zones: apiZones,
          committer: updates,
          idempotency: openIdempotency,
          transferRules: openTransferRules,
        });
      }
    }
  }
  // Timers are unref'd, so while every actor is between a crash and its restart nothing
  // else would keep the process alive: hold it open until shutdown.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  beginShutdown = installShutdownHandlers({
    log,
    // A backstop: leaving the DNS target group, the hand-off, the intake's drain, each actor's stop (bounded by drain +
    // one control timeout) and the NATS close are bounded already.
    deadlineMs:
      AWS_LEAVE_TIMEOUT_MS +
      HAND_OFF_TIMEOUT_MS_DEFAULT +
      2 * config.shutdown.drainTimeoutMs +
      2 * CONTROL_TIMEOUT_MS +
      NATS_CLOSE_TIMEOUT_MS,
    shutdown: async (_reason, planned) => {
      try {
        await leaveServingTargetGroup(specs, replica.external, log.child({ component: 'aws-serving' }));
        // A planned stop of the leader: its successor is elected before anything drains.
        // An escalation skips it: the actors it needs may be the ones failing.
        if (leadership !== undefined && planned)
          await handOffLeadership({
            external: replica.external,
            leadership,
            log: log.child({ component: 'hand-off' }),
            timeoutMs: HAND_OFF_TIMEOUT_MS_DEFAULT,
          });
        await observability?.stop();
        await intake?.stop(config.shutdown.drainTimeoutMs);
        tsigKeys?.stop();
        transferRules?.stop();
        apiKeys?.stop();
        await apiZones?.close();
        await updates?.stop();
        await regionRepair?.stop();
        leadership?.stop();
        await replica.stop(config.shutdown.drainTimeoutMs);
      } finally {
        await closeNats();
        clearInterval(keepAlive);
      }
    },
  });
  if (replica.supervisor.escalated !== undefined) beginShutdown('escalation during start', EXIT_ESCALATED);
  const dns = servesDns ? await dnsListenersOf(replica, log) : [];
  const http = observability?.listener.address;
  log.info({ actors: specs.map((s) => s.name), dns, http }, 'replica ready');
  process.send?.({ type: 'ready', pid: process.pid, dns, ...(http === undefined ? {} : { http }) });
  /** A planned stop from within (a replica removed from its group: slot-retirement.ts), exit code 0. */
  const stop = (reason: string) => beginShutdown(reason, EXIT_OK);
  return { replica, intake, leadership, observability, exitOk: EXIT_OK, stop };
}

/** The HTTP listener of `--http`, if set; it fails the start when it cannot bind. */
async function startObservability(
  config: ReplicaConfig,
  specs: readonly ActorSpec[],
  replica: Replica,
  log: Logger,
  leadership: LeadershipFeed | undefined,
  nc: NatsConnection | undefined,
  moreRoutes: ((listener: HttpListener) => Promise<void>) | undefined,
): Promise<Observability | undefined> {
  if (config.http === undefined) return undefined;
  const listen = parseHostPort(config.http.listen);
  if (listen === undefined) throw new Error(`--http ${config.http.listen}: expected host:port`);
  const { Observability } = await import('./observability/observability.js');
  return Observability.start({
    listen,
    labels: {
      cluster: config.cluster,
      region: config.region,
      group: config.group,
      replica: config.instanceId,
    },
    replica,
    log: log.child({ component: 'http' }),
    dnsListenersExpected: specs.some((spec) => spec.name === DNS) ? config.dns.listen.length : 0,
    ...(specs.some((spec) => spec.name === AWS_LEASE) ? { awsLeaseActor: AWS_LEASE } : {}),
    ...(specs.some((spec) => spec.name === AWS_SERVING) ? { awsServingActor: AWS_SERVING } : {}),
    ...(leadership === undefined ? {} : { leadership }),
    ...(nc === undefined ? {} : { nats: nc }),
    ...(moreRoutes === undefined ? {} : { moreRoutes }),
  });
}
