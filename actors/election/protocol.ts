import type { ElectionRole } from '../../protocol/election-role.js';
import type { Ask } from '../../runtime/message.js';
import type { RaftMessage } from '../raft/peer-messages.js';
import type { Membership, ReplicaId } from '../raft/types.js';

export interface ElectionStatus {
  readonly term: number;
  readonly votedFor: ReplicaId | null;
  readonly role: ElectionRole;
  readonly leaderId: ReplicaId | null;
  readonly voters: readonly ReplicaId[];
  readonly framesDropped: number;
  /** Peer messages dropped, by why. */
  readonly messagesDropped: Readonly<Record<RaftMessageDropReason, number>>;
  readonly elections: number;
  readonly preVotes: number;
}

/**
 * Why a peer message was dropped:
 * - `non-member`: its sender was never in any configuration this replica saw (counted here
 *   and by the transport, which drops frames from senders that are not its peers);
 * - `non-voter`: a vote request from a replica that is not a voter (thesis §4.2.3);
 * - `forged-sender`: the message names another sender than its envelope;
 * - `misaddressed`: it is for another replica;
 * - `unencodable`: an outgoing message that could not be encoded.
 */
export type RaftMessageDropReason =
  | 'non-member'
  | 'non-voter'
  | 'forged-sender'
  | 'misaddressed'
  | 'unencodable';

export const RAFT_MESSAGE_DROP_REASONS: readonly RaftMessageDropReason[] = [
  'non-member',
  'non-voter',
  'forged-sender',
  'misaddressed',
  'unencodable',
];

/** The election actor's inbox. */
export type ElectionMessage =
  /** A frame from a peer, as the transport delivered it, stamped with the time it arrived. */
  | {
      readonly type: 'peer-frame';
      readonly from: ReplicaId;
      readonly bytes: Uint8Array;
      readonly receivedAtMs: number;
    }
  /** From the log actor: send this to `message.to` if we are still in its term. */
  | { readonly type: 'send'; readonly message: RaftMessage }
  /**
   * From the log actor leading `term`, once `to` holds its whole log (thesis §3.10): vote for
   * `to` in the next term, step down into it, and send `to` TimeoutNow carrying that vote.
   */
  | { readonly type: 'hand-over'; readonly term: number; readonly to: ReplicaId }
  /** The log actor (re)started and needs to learn the term. */
  | { readonly type: 'log-started' }
  /** The newest configuration in the log changed (thesis §4.1: it applies at once). */
  | { readonly type: 'membership'; readonly membership: Membership }
  /** The log committed a configuration without us while we led (thesis §4.2.2): stop leading. */
  | { readonly type: 'resign'; readonly term: number }
  | { readonly type: 'tick' }
  /** The peer transport's connection is back after a loss (sends were refused meanwhile). */
  | { readonly type: 'transport-reconnected' }
  /** Start an election now, as if the election timeout had fired (tests, operators). */
  | { readonly type: 'campaign' }
  | ({ readonly type: 'status' } & Ask<ElectionStatus>);
