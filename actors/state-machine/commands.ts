/**
 * What clients ask of a group's replicated store. The DNS issue adds record commands on
 * the same mechanism (sessions, one command per entry).
 */

/** A write. `cas` succeeds only if the key's revision equals `expectedRevision` (0: the key must not exist). */
export type KvCommand =
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'delete'; readonly key: string }
  | { readonly op: 'cas'; readonly key: string; readonly expectedRevision: number; readonly value: string };

/**
 * A read. `range` returns keys starting with `prefix`, in key order, at most `limit`
 * (capped by the state machine's `rangeLimitMax`). `startAfter` continues a range whose
 * previous page said `more`: pass the last key of that page.
 */
export type KvQuery =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'range'; readonly prefix: string; readonly limit: number; readonly startAfter?: string };

/**
 * A write as it travels through the log: the client's session id and sequence number make
 * retries exactly-once (thesis §6.3). `seq` starts at 1 and grows by one per command;
 * `ackedSeq` tells the state machine which results the client no longer needs.
 */
export interface SessionCommand {
  readonly clientId: string;
  readonly seq: number;
  readonly ackedSeq: number;
  readonly command: KvCommand;
}

export interface KvEntryView {
  readonly key: string;
  readonly value: string;
  /** The log index of the write that produced this value: a per-key revision. */
  readonly revision: number;
}

export type CommandResult =
  | { readonly ok: true; readonly revision: number; readonly previous: KvEntryView | null }
  | { readonly ok: false; readonly error: 'cas-mismatch'; readonly current: KvEntryView | null };

export type QueryResult =
  | { readonly op: 'get'; readonly entry: KvEntryView | null }
  | { readonly op: 'range'; readonly entries: readonly KvEntryView[]; readonly more: boolean };

/** Why a session command was not applied. */
export type SessionRejection =
  /** The session expired (or never existed and `seq` > 1); the client must open a new session. */
  | { readonly rejected: 'session-expired' }
  /** `seq` is at or below what the client acknowledged: the result was discarded. */
  | { readonly rejected: 'stale-sequence' }
  /**
   * The session already holds its maximum of unacknowledged results: the command was NOT
   * executed and its `seq` is not consumed. The client acknowledges results (a higher
   * `ackedSeq`, which is applied even on this rejection) and retries the same `seq`.
   */
  | { readonly rejected: 'too-many-pending' };
