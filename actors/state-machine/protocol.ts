import type { Ask } from '../../runtime/message.js';
import type { ApplyMessage } from '../log/protocol.js';
import type { ReplicaId } from '../raft/types.js';
import type { CommandResult, KvQuery, QueryResult, SessionCommand } from './commands.js';

/** How a read is served (thesis §6.4; DESIGN.md §4 "Reads"). */
export type ReadMode =
  | { readonly kind: 'linearizable' }
  | { readonly kind: 'lease' }
  | { readonly kind: 'bounded'; readonly maxStaleMs: number };

export type SubmitResult =
  /** Applied at `index` (or a retry of a command applied earlier: its first result). */
  | { readonly status: 'applied'; readonly index: number; readonly result: CommandResult }
  | {
      readonly status: 'rejected';
      readonly reason: 'invalid' | 'session-expired' | 'stale-sequence' | 'too-many-pending';
      readonly detail: string;
    }
  | { readonly status: 'not-leader'; readonly leaderId: ReplicaId | null }
  /** Outcome unknown or not reached (overload, leadership change, no answer in time): retry with the same seq. */
  | { readonly status: 'retry'; readonly reason: 'overloaded' | 'leadership-changed' | 'timeout' };

export type ReadResult =
  /** Served from state that includes every write committed before the read (per its mode). */
  | { readonly status: 'ok'; readonly index: number; readonly result: QueryResult }
  | { readonly status: 'not-leader'; readonly leaderId: ReplicaId | null }
  /** Bounded mode: this replica cannot show leader contact within the bound. */
  | { readonly status: 'stale' }
  | { readonly status: 'retry'; readonly reason: 'overloaded' | 'timeout' };

/** The state machine actor's inbox. */
export type StateMachineMessage =
  | ({ readonly type: 'submit'; readonly command: SessionCommand } & Ask<SubmitResult>)
  | ({ readonly type: 'read'; readonly query: KvQuery; readonly mode: ReadMode } & Ask<ReadResult>)
  | ApplyMessage
  | { readonly type: 'tick' }
  /** Continuations of its own requests to the log actor. */
  | {
      readonly type: 'proposed';
      readonly key: string;
      readonly index: number | null;
      readonly failure: SubmitResult | null;
    }
  | {
      readonly type: 'read-position';
      readonly readId: number;
      readonly index: number | null;
      readonly failure: ReadResult | null;
    };
