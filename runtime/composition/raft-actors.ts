import type { ElectionActorOptions } from '../../actors/election/election-actor.js';
import type { LogActorOptions } from '../../actors/log/log-actor.js';
import { ELECTION, LOG, STATE_MACHINE, STORAGE } from '../../actors/raft/actor-names.js';
import type { RaftConfig } from '../../actors/raft/raft-config.js';
import type { StateMachineActorOptions } from '../../actors/state-machine/state-machine-actor.js';
import type { ActorSpec } from '../actor.js';

export interface RaftReplicaOptions {
  readonly raft: RaftConfig;
  readonly clockDriftBoundMs: number;
  readonly stateMachine: StateMachineActorOptions;
}

export const DEFAULT_STATE_MACHINE_ACTOR: StateMachineActorOptions = {
  waitTimeoutMs: 10_000,
  maxWaiting: 8_192,
  tickMs: 100,
};

const here = (path: string) => new URL(path, import.meta.url).href;

/**
 * The Raft actors of one replica, in start order: storage first (everyone recovers
 * through it), then log and state machine, and the election actor last: it opens the peer
 * transport, so votes, appends and snapshots arrive only once the actors they feed exist.
 * Mailboxes are sized for the hot path: the log actor hears from the election actor for
 * every peer message.
 */
export function raftReplicaActors(options: RaftReplicaOptions): ActorSpec[] {
  const election: ElectionActorOptions = { raft: options.raft };
  const log: LogActorOptions = { raft: options.raft, clockDriftBoundMs: options.clockDriftBoundMs };
  return [
    {
      name: STORAGE,
      module: here('../../actors/storage/storage-actor.js'),
      exportName: 'createStorageActor',
      options: {},
      mailbox: { capacityPerSender: 8_192, policy: 'reject' },
    },
    {
      name: LOG,
      module: here('../../actors/log/log-actor.js'),
      exportName: 'createLogActor',
      options: log,
      mailbox: { capacityPerSender: 8_192, policy: 'reject' },
    },
    {
      name: STATE_MACHINE,
      module: here('../../actors/state-machine/state-machine-actor.js'),
      exportName: 'createStateMachineActor',
      options: options.stateMachine,
      mailbox: { capacityPerSender: 8_192, policy: 'reject' },
    },
    {
      name: ELECTION,
      module: here('../../actors/election/election-actor.js'),
      exportName: 'createElectionActor',
      options: election,
      // Peer frames beyond this are dropped (Raft tolerates loss); the log's sends likewise.
      mailbox: { capacityPerSender: 4_096, policy: 'drop' },
    },
  ];
}
