/**
 * The leader's read lease, published in shared memory for the DNS actor: "while the clock
 * reads below `untilMs`, every write acknowledged so far is at or below `readIndex`"
 * (thesis §6.4.1: a leader holding its lease may serve reads at its commit index). The log
 * actor writes it in the same turn as every change of its commit index, lease or role —
 * before any message of that turn leaves — so a write whose acknowledgement a client has
 * seen is always covered by what a later read of the board says. Readers on other threads
 * compare `untilMs` with the same process-wide clock (runtime/clock.ts).
 *
 * Layout: a seqlock (Int32, odd while a write is in progress) then term, readIndex and
 * untilMs (Float64). One writer; readers retry a torn read a bounded number of times.
 */
const SEQ = 0;
const TERM = 1;
const READ_INDEX = 2;
const UNTIL_MS = 3;
/** 8 bytes for the seqlock (Int32, padded), then three Float64. */
export const LEASE_BOARD_BYTES = 8 + 3 * 8;
const READ_ATTEMPTS = 8;

export interface PublishedLease {
  readonly term: number;
  readonly readIndex: number;
  readonly untilMs: number;
}

export class LeaseBoard {
  private readonly seq: Int32Array;
  private readonly values: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    if (buffer.byteLength < LEASE_BOARD_BYTES) throw new RangeError('lease board buffer too small');
    this.seq = new Int32Array(buffer, 0, 2);
    this.values = new Float64Array(buffer, 8, 3);
  }

  static create(): LeaseBoard {
    return new LeaseBoard(new SharedArrayBuffer(LEASE_BOARD_BYTES));
  }

  /** The writer side (the log actor). `untilMs` 0 says: no lease. */
  publish(term: number, readIndex: number, untilMs: number): void {
    const values = this.values;
    if (values[TERM - 1] === term && values[READ_INDEX - 1] === readIndex && values[UNTIL_MS - 1] === untilMs)
      return;
    Atomics.add(this.seq, SEQ, 1);
    values[TERM - 1] = term;
    values[READ_INDEX - 1] = readIndex;
    values[UNTIL_MS - 1] = untilMs;
    Atomics.add(this.seq, SEQ, 1);
  }

  /** The reader side: a consistent snapshot, or null when none could be read (a writer kept writing). */
  read(): PublishedLease | null {
    for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
      const before = Atomics.load(this.seq, SEQ);
      if ((before & 1) !== 0) continue;
      const term = this.values[TERM - 1] as number;
      const readIndex = this.values[READ_INDEX - 1] as number;
      const untilMs = this.values[UNTIL_MS - 1] as number;
      if (Atomics.load(this.seq, SEQ) === before) return { term, readIndex, untilMs };
    }
    return null;
  }
}
