import type { CommandResult } from '../../protocol/group/commands.js';

/**
 * One client session (thesis §6.3): which results the client may still ask for again.
 *
 * `results` holds the result of every executed `seq` above `ackedSeq`, and nothing else.
 * So for a `seq` above `ackedSeq`, "not in `results`" means "never executed", which is what
 * lets pipelined commands commit out of order without losing exactly-once.
 */
export interface Session {
  readonly clientId: string;
  /** Log time of the last command that named this session. */
  lastUsedMs: number;
  /** The highest `ackedSeq` the client has sent: results at or below it are gone. */
  ackedSeq: number;
  readonly results: Map<number, CommandResult>;
}

/**
 * The sessions of one state machine, in least-recently-used order.
 *
 * A Map iterates in insertion order; a session is re-inserted each time it is used, at the
 * current log time, and log time never goes back. So iteration order is ascending
 * `lastUsedMs` (ties broken by use order), which makes both LRU eviction and expiry a walk
 * from the front that stops at the first survivor: O(1) amortised per apply.
 */
export class SessionTable {
  private readonly sessions = new Map<string, Session>();

  get size(): number {
    return this.sessions.size;
  }

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  /** Marks `session` most recently used, at `nowMs` (the current log time). */
  touch(session: Session, nowMs: number): void {
    this.sessions.delete(session.clientId);
    session.lastUsedMs = nowMs;
    this.sessions.set(session.clientId, session);
  }

  /**
   * Opens a session for `clientId` (which must be absent), first evicting least recently
   * used sessions until there is room under `maxSessions`. Returns the session.
   */
  open(clientId: string, nowMs: number, maxSessions: number): Session {
    while (this.sessions.size >= maxSessions) this.evictOldest();
    const session: Session = { clientId, lastUsedMs: nowMs, ackedSeq: 0, results: new Map() };
    this.sessions.set(clientId, session);
    return session;
  }

  /** Appends a session read from a snapshot (the caller has checked the order). */
  restore(session: Session): void {
    this.sessions.set(session.clientId, session);
  }

  /** Drops every session unused for at least `timeoutMs` of log time as of `nowMs`; returns how many. */
  expire(nowMs: number, timeoutMs: number): number {
    let expired = 0;
    for (const session of this.sessions.values()) {
      if (nowMs - session.lastUsedMs < timeoutMs) break;
      this.sessions.delete(session.clientId);
      expired++;
    }
    return expired;
  }

  private evictOldest(): void {
    for (const clientId of this.sessions.keys()) {
      this.sessions.delete(clientId);
      return;
    }
  }

  /** Least recently used first. */
  inOrder(): IterableIterator<Session> {
    return this.sessions.values();
  }
}

/** Records that the client acknowledged up to `ackedSeq`: forgets those results. */
export function acknowledge(session: Session, ackedSeq: number): void {
  if (ackedSeq <= session.ackedSeq) return;
  session.ackedSeq = ackedSeq;
  for (const seq of session.results.keys()) {
    if (seq <= ackedSeq) session.results.delete(seq);
  }
}
