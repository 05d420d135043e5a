import fc from 'fast-check';
import type { EntryKind, LogEntry } from '../../../actors/raft/types.js';
import type { ApplyOutcome, GroupStateMachine } from '../../../actors/state-machine/group-state-machine.js';
import { encodeSessionCommand } from '../../../protocol/group/command-codec.js';
import type { GroupCommand, SessionCommand } from '../../../protocol/group/commands.js';

/** Encodes a command the test knows to be valid (a test bug if not). */
export function encode(command: SessionCommand): Uint8Array {
  const encoded = encodeSessionCommand(command);
  if (!encoded.ok) throw new Error(`test bug: invalid command: ${encoded.error.message}`);
  return encoded.value;
}

/** Builds a gap-free log: each call makes the next entry, at the given (or last) time and term. */
export class LogFeed {
  index = 0;
  term = 1;
  timeMs = 1_000_000;

  next(kind: EntryKind, data: Uint8Array, at: { timeMs?: number; term?: number } = {}): LogEntry {
    if (at.timeMs !== undefined) this.timeMs = at.timeMs;
    if (at.term !== undefined) this.term = at.term;
    this.index++;
    return { index: this.index, term: this.term, kind, timeMs: this.timeMs, data };
  }

  noop(at: { timeMs?: number; term?: number } = {}): LogEntry {
    return this.next('noop', new Uint8Array(0), at);
  }

  command(
    clientId: string,
    seq: number,
    ackedSeq: number,
    command: GroupCommand,
    at: { timeMs?: number; term?: number } = {},
  ): LogEntry {
    return this.next('command', encode({ clientId, seq, ackedSeq, command }), at);
  }
}

/** Applies and returns the outcome, failing the test on anything but an executed or duplicate command. */
export function resultOf(outcome: ApplyOutcome) {
  if (outcome.kind !== 'applied' && outcome.kind !== 'duplicate') {
    throw new Error(`expected a command result, got ${JSON.stringify(outcome)}`);
  }
  return outcome.result;
}

export function applyAll(machine: GroupStateMachine, entries: readonly LogEntry[]): ApplyOutcome[] {
  return entries.map((e) => machine.apply(e));
}

/**
 * One step of a random workload. The steps are turned into log entries without looking at
 * any state machine, so the same steps always give the same entries.
 */
export type Step =
  | { readonly t: 'noop'; readonly dtMs: number }
  | { readonly t: 'malformed'; readonly dtMs: number; readonly bytes: Uint8Array }
  | { readonly t: 'new-session'; readonly client: number; readonly dtMs: number }
  | {
      readonly t: 'cmd';
      readonly client: number;
      /** Retry an earlier seq of this client instead of sending the next one. */
      readonly retryBack: number;
      /** How far to move the ack towards seq - 1 (0: not at all, 1: all the way). */
      readonly ackFraction: number;
      readonly op: 'put' | 'delete' | 'cas';
      readonly key: number;
      readonly value: string;
      /** For cas: the expected revision, as an offset below the entry's own index (-1: 0). */
      readonly casBack: number;
      readonly dtMs: number;
    };

export const KEY_POOL = ['a', 'ab', 'abc', 'b', 'ba', 'b\u00e9', 'z', '\u{1F600}', '\uFFFF', 'a/1', 'a/2'];
export const PREFIX_POOL = ['', 'a', 'ab', 'b', 'a/', 'x', '\u{1F600}', '\uFFFF'];

export function stepArb(clients: number, maxDtMs: number): fc.Arbitrary<Step> {
  const dtMs = fc.oneof(
    { weight: 4, arbitrary: fc.constant(0) },
    { weight: 4, arbitrary: fc.integer({ min: 0, max: maxDtMs }) },
  );
  const client = fc.integer({ min: 0, max: clients - 1 });
  return fc.oneof(
    { weight: 1, arbitrary: fc.record({ t: fc.constant('noop' as const), dtMs }) },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('malformed' as const),
        dtMs,
        bytes: fc.uint8Array({ maxLength: 24 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('new-session' as const), client, dtMs }) },
    {
      weight: 14,
      arbitrary: fc.record({
        t: fc.constant('cmd' as const),
        client,
        retryBack: fc.oneof(
          { weight: 5, arbitrary: fc.constant(0) },
          { weight: 2, arbitrary: fc.integer({ min: 1, max: 6 }) },
        ),
        ackFraction: fc.oneof(fc.constant(0), fc.constant(1), fc.double({ min: 0, max: 1, noNaN: true })),
        op: fc.constantFrom('put' as const, 'delete' as const, 'cas' as const),
        key: fc.integer({ min: 0, max: KEY_POOL.length - 1 }),
        value: fc.string({ maxLength: 6 }),
        casBack: fc.integer({ min: -1, max: 8 }),
        dtMs,
      }),
    },
  );
}

interface ClientState {
  id: string;
  generation: number;
  nextSeq: number;
  acked: number;
  sent: Map<number, SessionCommand>;
}

/**
 * Turns steps into log entries, one at a time. Deterministic in the steps alone, unless a
 * `currentRevision` oracle is given: then a cas with `casBack` 0 expects the key's current
 * revision as the oracle reports it (so that cas succeeds often in model tests).
 */
export class WorkloadEncoder {
  private readonly clients = new Map<number, ClientState>();

  constructor(readonly feed = new LogFeed()) {}

  private client(n: number): ClientState {
    let c = this.clients.get(n);
    if (c === undefined) {
      c = { id: `c${n}.0`, generation: 0, nextSeq: 1, acked: 0, sent: new Map() };
      this.clients.set(n, c);
    }
    return c;
  }

  /** The next entry for `step`, or null when the step makes none (a client starting a new session). */
  entry(step: Step, currentRevision?: (key: string) => number): LogEntry | null {
    const feed = this.feed;
    const at = { timeMs: feed.timeMs + step.dtMs };
    if (step.t === 'noop') return feed.noop(at);
    if (step.t === 'malformed') return feed.next('command', step.bytes, at);
    const c = this.client(step.client);
    if (step.t === 'new-session') {
      c.generation++;
      c.id = `c${step.client}.${c.generation}`;
      c.nextSeq = 1;
      c.acked = 0;
      c.sent.clear();
      return null;
    }
    const earlier = step.retryBack > 0 ? c.sent.get(c.nextSeq - step.retryBack) : undefined;
    if (earlier !== undefined) return feed.next('command', encode(earlier), at);
    const seq = c.nextSeq++;
    c.acked = Math.max(c.acked, Math.floor(c.acked + (seq - 1 - c.acked) * step.ackFraction));
    const key = KEY_POOL[step.key]!;
    const nextIndex = feed.index + 1;
    let command: GroupCommand;
    if (step.op === 'put') command = { kind: 'kv-put', key, value: step.value };
    else if (step.op === 'delete') command = { kind: 'kv-delete', key };
    else {
      const expectedRevision =
        step.casBack < 0
          ? 0
          : step.casBack === 0 && currentRevision
            ? currentRevision(key)
            : Math.max(0, nextIndex - 1 - step.casBack);
      command = { kind: 'kv-cas', key, expectedRevision, value: step.value };
    }
    const sc: SessionCommand = { clientId: c.id, seq, ackedSeq: c.acked, command };
    c.sent.set(seq, sc);
    return feed.next('command', encode(sc), at);
  }
}

/** Turns steps into log entries (deterministic in the steps alone). */
export function entriesFromSteps(steps: readonly Step[]): LogEntry[] {
  const encoder = new WorkloadEncoder();
  const entries: LogEntry[] = [];
  for (const step of steps) {
    const entry = encoder.entry(step);
    if (entry !== null) entries.push(entry);
  }
  return entries;
}
