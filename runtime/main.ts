/**
 * The replica process: `node dist/runtime/main.js --instance-id ID --data-dir DIR ...`.
 * Operators start it once per instance (systemd, Kubernetes); see docs/OPERATIONS.md.
 */
import { loadConfig } from './config.js';
import { createLogger } from './pino-logger.js';
import { EXIT_CONFIG, EXIT_START_FAILED } from './process-lifecycle.js';
import { replicaActorSpecs } from './replica-plan.js';
import { runReplicaProcess } from './replica-process.js';

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
try {
  await runReplicaProcess(config, replicaActorSpecs(config), log, { raft: true });
} catch (error) {
  log.fatal({ err: error }, 'replica failed to start');
  process.exit(EXIT_START_FAILED);
}
