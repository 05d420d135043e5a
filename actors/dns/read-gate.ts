/**
 * Decides when a DNS query may be answered from this replica's copy of the zones, per the
 * listener's read mode (thesis §6.4; DESIGN §4 "Reads"). Pure: no I/O, no clock of its
 * own; the DNS actor feeds it positions, contacts, applied indexes and the time.
 *
 * - `linearizable` / `lease`: queries are batched into rounds. A round asks the log actor
 *   for one read index (ReadIndex, or the leader's lease; a follower's log actor asks the
 *   leader) and holds the queries that arrived BEFORE the request left; each is answered
 *   once the replica has applied up to that index (thesis §6.4 step 4). A query never
 *   joins a round already in flight: that round's index may predate a write acknowledged
 *   just before the query arrived, so sharing it would break linearizability. Instead it
 *   starts a round of its own at once while fewer than `maxRoundsInFlight[mode]` rounds
 *   of its mode are in flight, and otherwise waits with the others that arrive meanwhile for the
 *   next free slot. At light load a query thus waits one round trip, not the rest of the
 *   round before it as well (a follower's round crosses NATS twice); at heavy load the
 *   rounds fill up and the log actor sees one request per batch, whatever the query
 *   rate. Rounds may be answered in any order: each carries its own queries. A round answered `not-leader` (no leader
 *   known: an election, a leadership hand-off) is not failed: its queries are held for a
 *   retry the host schedules shortly after (`retryLater`), within their hold time, so a
 *   leadership change shorter than the hold time costs latency, not SERVFAIL.
 * - `bounded:<ms>`: the replica answers on its own while it can show leader contact
 *   within the bound: a contact says "`ageMs` ago I knew the leader's commit index was
 *   C"; queries are answered once applied >= C and while now - (contact time) <= bound.
 *   The contact is refreshed in the background once it is half the bound old, so a steady
 *   query stream rarely waits; without a fresh contact a query waits for one, and fails
 *   (`stale`) if the leader cannot be shown to be reachable.
 * - Every held query fails after `waitTimeoutMs`; at most `maxWaiting` are held.
 */
import type { ReadMode } from '../../protocol/read-mode.js';

export type PositionMode = 'linearizable' | 'lease';

/** Why a held query will not be answered from data. */
export type GateFailure = 'stale' | 'not-leader' | 'overloaded' | 'timeout';

export type Admission = 'now' | 'held' | 'overloaded';

export interface ReadGateOptions {
  readonly maxWaiting: number;
  readonly waitTimeoutMs: number;
  /** Rounds of each mode whose read index is being asked for at once (at least 1). */
  readonly maxRoundsInFlight: Readonly<Record<PositionMode, number>>;
}

export interface ReadGateHooks<T> {
  /** Ask for a read index for `round`; answer through `onPosition`. */
  requestPosition(mode: PositionMode, round: number): void;
  /** Call `retryRound(mode)` a little later (a round found no leader). */
  retryLater(mode: PositionMode): void;
  /** Ask for the latest leader contact; answer through `onContact`. */
  requestContact(): void;
  /** A held query may now be answered. */
  release(token: T): void;
  /** A held query cannot be answered from data. */
  fail(token: T, why: GateFailure): void;
}

interface Held<T> {
  readonly token: T;
  readonly sinceMs: number;
}

interface Positioned<T> extends Held<T> {
  readonly position: number;
}

interface BoundedHeld<T> extends Held<T> {
  readonly maxStaleMs: number;
}

interface Rounds<T> {
  /** The queries of each round whose read index is being asked for, by round number. */
  readonly inFlight: Map<number, Held<T>[]>;
  /** A retry is scheduled: no round starts before it. */
  retryPending: boolean;
  /** Queries waiting for a round to start. */
  next: Held<T>[];
}

export type ContactAnswer =
  | { readonly ok: true; readonly ageMs: number; readonly commitIndex: number }
  | { readonly ok: false; readonly why: GateFailure };

export type PositionAnswer =
  | { readonly ok: true; readonly index: number }
  | { readonly ok: false; readonly why: GateFailure };

export class ReadGate<T> {
  private applied = 0;
  private nextRound = 1;
  private readonly rounds: Record<PositionMode, Rounds<T>> = {
    linearizable: { inFlight: new Map(), retryPending: false, next: [] },
    lease: { inFlight: new Map(), retryPending: false, next: [] },
  };
  /** Queries with a known position, waiting for the replica to apply up to it. */
  private positioned: Positioned<T>[] = [];
  private contactWaiters: BoundedHeld<T>[] = [];
  private contactInFlight = false;
  private contact: { readonly atMs: number; readonly commitIndex: number } | null = null;
  private heldCount = 0;

  constructor(
    private readonly options: ReadGateOptions,
    private readonly hooks: ReadGateHooks<T>,
  ) {
    for (const [mode, limit] of Object.entries(options.maxRoundsInFlight))
      if (!Number.isSafeInteger(limit) || limit < 1)
        throw new RangeError(`maxRoundsInFlight.${mode} must be a positive integer, got ${limit}`);
  }

  get appliedIndex(): number {
    return this.applied;
  }

  /** Queries held right now (waiting for a position, a contact or the apply). */
  get held(): number {
    return this.heldCount;
  }

  /**
   * A query under `mode` arrived at `nowMs`. `now`: answer it at once (bounded mode with
   * a fresh contact and the data applied); `held`: it will be released or failed through
   * the hooks; `overloaded`: too many are held, answer it with an error now.
   */
  admit(mode: ReadMode, token: T, nowMs: number): Admission {
    if (mode.kind === 'bounded') {
      const contact = this.contact;
      if (contact !== null && nowMs - contact.atMs <= mode.maxStaleMs) {
        if (nowMs - contact.atMs > mode.maxStaleMs / 2) this.refreshContact();
        if (this.applied >= contact.commitIndex) return 'now';
        if (this.heldCount >= this.options.maxWaiting) return 'overloaded';
        this.hold();
        this.positioned.push({ token, sinceMs: nowMs, position: contact.commitIndex });
        return 'held';
      }
      if (this.heldCount >= this.options.maxWaiting) return 'overloaded';
      this.hold();
      this.contactWaiters.push({ token, sinceMs: nowMs, maxStaleMs: mode.maxStaleMs });
      this.refreshContact();
      return 'held';
    }
    if (this.heldCount >= this.options.maxWaiting) return 'overloaded';
    this.hold();
    const round = this.rounds[mode.kind];
    round.next.push({ token, sinceMs: nowMs });
    this.startRound(mode.kind);
    return 'held';
  }

  /**
   * A query whose read index is already known (the leader's published lease): answered
   * once the copy reaches `position`, or now if it has.
   */
  admitAt(position: number, token: T, nowMs: number): Admission {
    if (this.applied >= position) return 'now';
    if (this.heldCount >= this.options.maxWaiting) return 'overloaded';
    this.hold();
    this.positioned.push({ token, sinceMs: nowMs, position });
    return 'held';
  }

  /** The read index for `round`, or why there is none. */
  onPosition(mode: PositionMode, round: number, answer: PositionAnswer): void {
    const state = this.rounds[mode];
    const batch = state.inFlight.get(round);
    if (batch === undefined) return;
    state.inFlight.delete(round);
    if (!answer.ok && answer.why === 'not-leader') {
      // No leader known right now: ask again soon; `expire` still bounds how long they wait.
      // Rounds still in flight keep their own queries: their answers may yet come.
      state.next = batch.concat(state.next);
      if (!state.retryPending) {
        state.retryPending = true;
        this.hooks.retryLater(mode);
      }
      return;
    }
    for (const held of batch) {
      // Not `{ ...held, position }`: a property added after a spread costs microseconds (ARCHITECTURE §7).
      if (answer.ok)
        this.positioned.push({ token: held.token, sinceMs: held.sinceMs, position: answer.index });
      else this.failOne(held, answer.why);
    }
    this.releaseApplied();
    this.startRound(mode);
  }

  /** The retry `retryLater` asked for: start the held round again. */
  retryRound(mode: PositionMode): void {
    this.rounds[mode].retryPending = false;
    this.startRound(mode);
  }

  /** The answer to `requestContact`, received at `nowMs`. */
  onContact(answer: ContactAnswer, nowMs: number): void {
    this.contactInFlight = false;
    if (answer.ok) {
      const atMs = nowMs - answer.ageMs;
      if (this.contact === null || atMs >= this.contact.atMs)
        this.contact = { atMs, commitIndex: answer.commitIndex };
    }
    const waiters = this.contactWaiters;
    this.contactWaiters = [];
    const contact = this.contact;
    for (const held of waiters) {
      if (contact !== null && nowMs - contact.atMs <= held.maxStaleMs) {
        this.positioned.push({ token: held.token, sinceMs: held.sinceMs, position: contact.commitIndex });
      } else {
        this.failOne(held, answer.ok ? 'stale' : answer.why);
      }
    }
    this.releaseApplied();
  }

  /** The replica's copy of the zones now includes everything up to `index`. */
  onApplied(index: number): void {
    if (index > this.applied) this.applied = index;
    this.releaseApplied();
  }

  /**
   * The copy was replaced by another whose index may be lower (a restore, a restart of the
   * state machine). Positions already obtained still hold; they wait for the new copy.
   */
  onReset(index: number): void {
    this.applied = index;
    this.releaseApplied();
  }

  /** Fails every query held since before `nowMs - waitTimeoutMs`. */
  expire(nowMs: number): void {
    this.failHeldBefore(nowMs - this.options.waitTimeoutMs, 'timeout');
  }

  /** Fails every held query (the actor is stopping). */
  failAll(why: GateFailure): void {
    this.failHeldBefore(Number.POSITIVE_INFINITY, why);
  }

  private failHeldBefore(cutoff: number, why: GateFailure): void {
    const keep = <H extends Held<T>>(list: H[]): H[] =>
      list.filter((held) => {
        if (held.sinceMs >= cutoff) return true;
        this.failOne(held, why);
        return false;
      });
    this.positioned = keep(this.positioned);
    this.contactWaiters = keep(this.contactWaiters);
    for (const state of Object.values(this.rounds)) {
      for (const [round, batch] of state.inFlight) state.inFlight.set(round, keep(batch));
      state.next = keep(state.next);
    }
  }

  private hold(): void {
    this.heldCount++;
  }

  private startRound(mode: PositionMode): void {
    const state = this.rounds[mode];
    if (state.retryPending || state.next.length === 0) return;
    if (state.inFlight.size >= this.options.maxRoundsInFlight[mode]) return;
    const round = this.nextRound++;
    state.inFlight.set(round, state.next);
    state.next = [];
    this.hooks.requestPosition(mode, round);
  }

  private refreshContact(): void {
    if (this.contactInFlight) return;
    this.contactInFlight = true;
    this.hooks.requestContact();
  }

  private releaseApplied(): void {
    if (this.positioned.length === 0) return;
    const waiting: Positioned<T>[] = [];
    for (const held of this.positioned) {
      if (held.position <= this.applied) {
        this.heldCount--;
        this.hooks.release(held.token);
      } else waiting.push(held);
    }
    this.positioned = waiting;
  }

  private failOne(held: Held<T>, why: GateFailure): void {
    this.heldCount--;
    this.hooks.fail(held.token, why);
  }
}
