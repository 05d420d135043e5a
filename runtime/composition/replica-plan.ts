import {
  type AwsLeaseActorOptions,
  DEFAULT_AWS_LEASE_ACTOR,
} from '../../actors/aws-lease/aws-lease-options.js';
import { AWS_LEASE } from '../../actors/aws-lease/protocol.js';
import {
  type AwsServingActorOptions,
  DEFAULT_AWS_SERVING_ACTOR,
} from '../../actors/aws-serving/aws-serving-options.js';
import { AWS_SERVING } from '../../actors/aws-serving/protocol.js';
import { DEFAULT_DNS_ACTOR, type DnsActorOptions } from '../../actors/dns/dns-actor-options.js';
import type { DnsListenerConfig } from '../../actors/dns/protocol.js';
import type { IdentityOptions } from '../../actors/identity/identity-actor.js';
import { DNS } from '../../actors/raft/actor-names.js';
import { raftConfig } from '../../actors/raft/raft-config.js';
import { catalogZoneName } from '../../protocol/dns/catalog-zone.js';
import { parseReadMode, ReadModeError } from '../../protocol/read-mode.js';
import type { ActorSpec } from '../actor.js';
import { parseThreadPlan, type ThreadPlan } from '../worker/thread-plan.js';
import { parseDnsListener, type ReplicaConfig } from './config.js';
import { DEFAULT_STATE_MACHINE_ACTOR, raftReplicaActors } from './raft-actors.js';

/**
 * A write or read waits at most this long inside the state machine before it is answered
 * `retry: timeout`. Clients give up on one attempt much sooner (their NATS request timeout)
 * and retry with the same session sequence number, which joins the waiting one.
 */
export const STATE_MACHINE_WAIT_TIMEOUT_MS = 5_000;

/**
 * Lease reads (thesis §6.4.1): a lease is the minimum election timeout minus this bound on
 * how far two replicas' clocks may drift apart during it, in ticks (30 ms at 10 ms ticks,
 * so a 120 ms lease out of the 150 ms minimum election timeout).
 */
export const CLOCK_DRIFT_BOUND_TICKS = 3;

/**
 * The actors one replica runs, in start order: the identity actor first (it refuses a data
 * dir that belongs to another instance, before any Raft state is touched), then Raft's
 * storage, log, state machine and election actors for the replica's group, then (when an
 * AWS target group is configured) the AWS-lease actor, which only asks the log actor, and
 * the DNS actor.
 */
export function replicaActorSpecs(config: ReplicaConfig): ActorSpec[] {
  const identity: IdentityOptions = {
    instanceId: config.instanceId,
    cluster: config.cluster,
    region: config.region,
    group: config.group,
  };
  const raft = raftConfig(config.group, config.instanceId, config.peers, {
    tickMs: config.raft.tickMs,
    snapshotThresholdEntries: config.raft.snapshotThresholdEntries,
  });
  const raftActors = raftReplicaActors({
    raft,
    clockDriftBoundMs: CLOCK_DRIFT_BOUND_TICKS * config.raft.tickMs,
    stateMachine: {
      ...DEFAULT_STATE_MACHINE_ACTOR,
      waitTimeoutMs: STATE_MACHINE_WAIT_TIMEOUT_MS,
      zoneSink: DNS,
    },
  });
  const dns: DnsActorOptions = {
    ...DEFAULT_DNS_ACTOR,
    identity: config.instanceId,
    listeners: dnsListeners(config),
    ...groupCatalog(config),
    tcpMaxConnectionsPerClient: config.dns.tcpMaxConnectionsPerClient,
    rateLimit: {
      ...DEFAULT_DNS_ACTOR.rateLimit,
      responsesPerSecond: config.dns.rrlResponsesPerSecond,
      slip: config.dns.rrlSlip,
    },
  };
  return [
    {
      name: 'identity',
      module: new URL('../../actors/identity/identity-actor.js', import.meta.url).href,
      exportName: 'createIdentityActor',
      options: identity,
      mailbox: { capacityPerSender: 64, policy: 'reject' },
    },
    ...raftActors,
    ...awsLeaseActors(config),
    {
      name: DNS,
      module: new URL('../../actors/dns/dns-actor.js', import.meta.url).href,
      exportName: 'createDnsActor',
      options: dns,
      // Zone syncs from the state machine must not be lost silently: a rejected one is resent as a dump.
      mailbox: { capacityPerSender: 4_096, policy: 'reject' },
    },
  ];
}

/** The group's catalog zone (RFC 9432), unless its ids make too long a name (then none is served). */
function groupCatalog(config: ReplicaConfig): { catalogZone?: string } {
  try {
    return { catalogZone: catalogZoneName(config.cluster, config.group).toString() };
  } catch {
    return {};
  }
}

/**
 * The AWS-lease actor, when the replica has an AWS target group to keep pointing at the
 * leader, and the AWS-serving actor, when it also has a DNS target group of every replica.
 */
export function awsLeaseActors(config: ReplicaConfig): ActorSpec[] {
  const aws = config.aws;
  if (aws === undefined) return [];
  const options: AwsLeaseActorOptions = {
    ...DEFAULT_AWS_LEASE_ACTOR,
    targetGroupArn: aws.targetGroupArn,
    awsRegion: aws.region,
    ...(aws.endpoint === undefined ? {} : { endpoint: aws.endpoint }),
    targetAddress: aws.targetAddress,
    targetPort: aws.targetPort,
    reconcileMs: aws.reconcileMs,
  };
  const lease: ActorSpec = {
    name: AWS_LEASE,
    module: new URL('../../actors/aws-lease/aws-lease-actor.js', import.meta.url).href,
    exportName: 'createAwsLeaseActor',
    options,
    mailbox: { capacityPerSender: 64, policy: 'reject' },
  };
  if (aws.servingTargetGroupArn === undefined) return [lease];
  const serving: AwsServingActorOptions = {
    ...DEFAULT_AWS_SERVING_ACTOR,
    targetGroupArn: aws.servingTargetGroupArn,
    awsRegion: aws.region,
    ...(aws.endpoint === undefined ? {} : { endpoint: aws.endpoint }),
    targetAddress: aws.targetAddress,
    targetPort: aws.targetPort,
    reconcileMs: aws.reconcileMs,
    dnsListeners: config.dns.listen.length,
  };
  return [
    lease,
    {
      name: AWS_SERVING,
      module: new URL('../../actors/aws-serving/aws-serving-actor.js', import.meta.url).href,
      exportName: 'createAwsServingActor',
      options: serving,
      mailbox: { capacityPerSender: 64, policy: 'reject' },
    },
  ];
}

/** The configured listeners, each with its own read mode or the replica's. */
export function dnsListeners(config: ReplicaConfig): DnsListenerConfig[] {
  return config.dns.listen.map((text) => {
    const listener = parseDnsListener(text);
    if (listener === undefined) throw new RangeError(`invalid DNS listener ${text}`); // config validated it
    const mode = parseReadMode(listener.mode ?? config.readMode);
    if (mode instanceof ReadModeError) throw mode; // config validated it
    return { host: listener.host, port: listener.port, mode };
  });
}

/** Which of the replica's actors share a worker thread (`--placement`; config validated it). */
export function replicaThreadPlan(config: ReplicaConfig): ThreadPlan {
  const parsed = parseThreadPlan(config.placement);
  if (!parsed.ok) throw new RangeError(`invalid placement ${config.placement}: ${parsed.error}`);
  return parsed.plan;
}
