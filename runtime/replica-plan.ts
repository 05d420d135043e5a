import type { IdentityOptions } from '../actors/identity/identity-actor.js';
import type { ActorSpec } from './actor.js';
import type { ReplicaConfig } from './config.js';

/**
 * The actors one replica runs, in start order. Raft's election, log, storage and state
 * machine actors join here as they are built; for now the replica guards its data dir.
 */
export function replicaActorSpecs(config: ReplicaConfig): ActorSpec[] {
  const identity: IdentityOptions = {
    instanceId: config.instanceId,
    cluster: config.cluster,
    region: config.region,
  };
  return [
    {
      name: 'identity',
      module: new URL('../actors/identity/identity-actor.js', import.meta.url).href,
      exportName: 'createIdentityActor',
      options: identity,
      mailbox: { capacityPerSender: 64, policy: 'reject' },
    },
  ];
}
