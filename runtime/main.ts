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
import type { MessageOf } from './message.js';
import { createLogger } from './pino-logger.js';
import { EXIT_CONFIG, EXIT_START_FAILED } from './process-lifecycle.js';
import type { Replica } from './replica.js';

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
  const { replica, leadership } = await runReplicaProcess(
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
  }
} catch (error) {
  log.fatal({ err: error }, 'replica failed to start');
  process.exit(EXIT_START_FAILED);
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
