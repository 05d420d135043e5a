/**
 * The replica process: `node dist/runtime/main.js --instance-id ID --data-dir DIR ...`.
 * Operators start it once per instance (systemd, Kubernetes); see docs/OPERATIONS.md.
 */
import type { DnsActorMessage } from '../actors/dns/protocol.js';
import { DNS } from '../actors/raft/actor-names.js';
import { awsAssignment } from './composition/aws-assignment.js';
import { type BootstrapOutcome, bootstrapReplica } from './composition/bootstrap-process.js';
import { loadConfig, type ReplicaConfig } from './composition/config.js';
import { startGroupMaintenance } from './composition/group-maintenance.js';
import { replicaActorSpecs } from './composition/replica-plan.js';
import { CONTROL_TIMEOUT_MS, runReplicaProcess } from './composition/replica-process.js';
import { markRetired, retiredMark } from './composition/retired-marker.js';
import { SLOT_RETIREMENT_POLL_MS, SlotRetirement } from './composition/slot-retirement.js';
import type { MessageOf } from './message.js';
import { createLogger } from './pino-logger.js';
import { EXIT_CONFIG, EXIT_START_FAILED } from './process-lifecycle.js';
import type { Replica } from './replica.js';

/** How long a removed slot's holder waits for its group's leader to answer, per poll. */
const LEADER_VIEW_DEADLINE_MS = 2_000;

const loaded = loadConfig({ argv: process.argv.slice(2), env: process.env });
if (!loaded.ok) {
  process.stderr.write(
    `raftns: invalid configuration:\n${loaded.errors.map((e: string) => `  - ${e}`).join('\n')}\n`,
  );
  process.exit(EXIT_CONFIG);
}
const config = loaded.config;
const log = createLogger({
  level: config.log.level,
  fields: { replica: config.instanceId, region: config.region, cluster: config.cluster },
});
// Bootstrap mode: the plan in NATS KV decides the group and its peers (a slot claim).
let bootstrap: BootstrapOutcome | undefined;
if (config.bootstrap) {
  // A data dir left by a replica removed from its group holds a state no group counts.
  const retired = await retiredMark(config.dataDir).catch(() => undefined);
  if (retired !== undefined) {
    log.fatal(
      { dataDir: config.dataDir, retired },
      'this data dir belongs to a replica that left its group (raftns plan apply); start with an empty data dir',
    );
    process.exit(EXIT_CONFIG);
  }
  try {
    bootstrap = await bootstrapReplica(config, log);
  } catch (error) {
    log.fatal({ err: error }, 'bootstrap failed');
    process.exit(EXIT_START_FAILED);
  }
}
let replicaConfig: ReplicaConfig =
  bootstrap === undefined ? config : { ...config, group: bootstrap.claim.group, peers: bootstrap.peers };
if (bootstrap !== undefined) {
  // On AWS (`raftns aws provision` stored a record beside the plan): register while leading.
  const aws = await awsAssignment(replicaConfig, bootstrap.claim.group, bootstrap.store, log).catch(
    (error: unknown) => {
      log.warn({ err: error }, 'could not read the AWS record; running without the AWS-lease actor');
      return undefined;
    },
  );
  if (aws !== undefined) replicaConfig = { ...replicaConfig, aws };
}
try {
  const { replica, leadership, stop } = await runReplicaProcess(
    replicaConfig,
    replicaActorSpecs(replicaConfig),
    log,
    {
      raft: true,
    },
  );
  if (bootstrap !== undefined && leadership !== undefined) {
    await advertiseBoundPort(bootstrap, replica);
    // The group's leader keeps its voters equal to the slots, its zone and its parent's
    // delegation to it current.
    await startGroupMaintenance({
      nc: bootstrap.nc,
      store: bootstrap.store,
      plan: bootstrap.plan,
      region: config.region,
      groupId: bootstrap.claim.group,
      instanceId: config.instanceId,
      leadership,
      external: replica.external,
      log,
    });
    // A slot the plan removed (fewer replicas per group): leave once the leader removed us.
    await startSlotRetirement(bootstrap, stop);
  }
} catch (error) {
  log.fatal({ err: error }, 'replica failed to start');
  process.exit(EXIT_START_FAILED);
}

async function startSlotRetirement(outcome: BootstrapOutcome, stop: (reason: string) => void): Promise<void> {
  const { RaftClient } = await import('../clients/raft-client.js');
  const client = await RaftClient.connect({
    nc: outcome.nc,
    cluster: config.cluster,
    region: config.region,
    group: outcome.claim.group,
    deadlineMs: LEADER_VIEW_DEADLINE_MS,
  });
  // The parent's delegation to the group's zone, for a retired group (its zone and parent
  // are those of the plan it started with: a group keeps them).
  const group = outcome.plan.groups.find((g) => g.id === outcome.claim.group);
  const parent = outcome.plan.groups.find((g) => g.id === group?.parent);
  const parentClient =
    group === undefined || parent === undefined
      ? undefined
      : await RaftClient.connect({
          nc: outcome.nc,
          cluster: config.cluster,
          region: config.region,
          group: parent.id,
          deadlineMs: LEADER_VIEW_DEADLINE_MS,
        });
  const retirement = new SlotRetirement({
    store: outcome.store,
    plan: outcome.plan,
    claim: outcome.claim,
    registration: outcome.registration,
    leaderView: async () => {
      try {
        const status = await client.status(undefined, { deadlineMs: LEADER_VIEW_DEADLINE_MS });
        return status.role === 'leader'
          ? { leaderId: status.replica, voters: status.voters, committed: status.votersCommitted === true }
          : undefined;
      } catch {
        return undefined;
      }
    },
    parentDelegates: async () => {
      if (parentClient === undefined || group === undefined || parent === undefined) return false;
      try {
        const cut = await parentClient.dnsRrsets(parent.zone, group.zone, 'linearizable', {
          deadlineMs: LEADER_VIEW_DEADLINE_MS,
        });
        return cut?.rrsets.some((r) => r.type === 'NS') ?? false;
      } catch {
        return true;
      }
    },
    markRetired: (reason) =>
      markRetired(config.dataDir, {
        group: outcome.claim.group,
        slot: outcome.claim.key,
        reason,
        at: new Date().toISOString(),
      }),
    retire: (reason) => stop(`removed from group ${outcome.claim.group}: ${reason}`),
    log: log.child({ component: 'slot-retirement' }),
    pollMs: SLOT_RETIREMENT_POLL_MS,
  });
  await retirement.start();
}

/** With `--dns host:0` the port is known only once bound: the registration carries the real one. */
async function advertiseBoundPort(outcome: BootstrapOutcome, replica: Replica): Promise<void> {
  try {
    const status = await replica.external.request<MessageOf<DnsActorMessage, 'status'>>(
      DNS,
      { type: 'status' },
      { timeoutMs: CONTROL_TIMEOUT_MS },
    );
    const port = status.listeners[0]?.port;
    if (port !== undefined && port !== outcome.registration.registration.dnsPort)
      await outcome.registration.update({ dnsPort: port });
  } catch (error) {
    log.warn({ err: error }, 'could not advertise the bound DNS port; the configured one stays registered');
  }
}
