import type { ActorSpec } from './actor.js';
import type { ReplicaConfig } from './config.js';
import type { Logger } from './log.js';
import { EXIT_ESCALATED, EXIT_OK, installShutdownHandlers } from './process-lifecycle.js';
import { Replica } from './replica.js';

/** Deadline of each control-plane call to an actor worker. */
export const CONTROL_TIMEOUT_MS = 5_000;

/**
 * Runs one replica as the whole process: starts its actors under supervision, installs
 * the signal handlers, and tells a parent process (if any, over IPC) that it is ready.
 */
export async function runReplicaProcess(config: ReplicaConfig, specs: readonly ActorSpec[], log: Logger) {
  let beginShutdown: (reason: string, exitCode: number) => void = () => undefined;
  const replica = await Replica.start(
    {
      replicaId: config.instanceId,
      dataDir: config.dataDir,
      logLevel: config.log.level,
      logFields: { replica: config.instanceId, region: config.region, cluster: config.cluster },
      log,
      restartPolicy: config.supervision,
      controlTimeoutMs: CONTROL_TIMEOUT_MS,
      onEscalate: (reason) => beginShutdown(`escalation: ${reason}`, EXIT_ESCALATED),
    },
    specs,
  );
  // Timers are unref'd, so while every actor is between a crash and its restart nothing
  // else would keep the process alive: hold it open until shutdown.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  beginShutdown = installShutdownHandlers({
    log,
    // A backstop: each actor's stop is already bounded by drain + one control timeout.
    deadlineMs: config.shutdown.drainTimeoutMs + 2 * CONTROL_TIMEOUT_MS,
    shutdown: async () => {
      try {
        await replica.stop(config.shutdown.drainTimeoutMs);
      } finally {
        clearInterval(keepAlive);
      }
    },
  });
  if (replica.supervisor.escalated !== undefined) beginShutdown('escalation during start', EXIT_ESCALATED);
  log.info({ actors: specs.map((s) => s.name) }, 'replica ready');
  process.send?.({ type: 'ready', pid: process.pid });
  return { replica, exitOk: EXIT_OK };
}
