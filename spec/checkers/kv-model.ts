import type {
  CommandResult,
  GroupCommand,
  GroupQuery,
  KvEntryView,
  QueryResult,
} from '../../protocol/group/commands.js';
import type { Operation } from './history.js';
import type { Model, StepResult } from './model.js';

/**
 * The sequential specification of the replicated store (actors/state-machine/commands.ts) for
 * the linearizability checker: a map of per-key registers with revisions.
 *
 * Values and existence are checked exactly. Revisions are log indexes, which the model cannot
 * predict, so it checks only what any linearization must satisfy:
 *
 * - per key, the revisions of successive writes strictly increase (every successful write,
 *   `delete` included, returns the log index of its entry as `revision`);
 * - a read (and a write's `previous`, a cas mismatch's `current`) returns the revision of the
 *   write it observed, when that write's output is known.
 *
 * A write whose output is unknown (status `unknown`) leaves the key's revision unknown, known
 * only to exceed the key's `floor` (the highest revision known for the key). The first
 * observation of that value (a read, a later write's `previous`, a cas mismatch's `current`)
 * pins it, after checking it exceeds the floor; later observations must agree. A `cas` on an
 * unknown revision is accepted either way, consistently: a success or a mismatch with output
 * is checked against the floor and pins the revision; a cas with unknown output that might
 * match is applied as a success, the checker covering the "did not match" case by omitting
 * the operation (a failed cas has no effect, which is the same as never happening).
 *
 * Partitioning (P-compositionality, Herlihy & Wing 1990): get/put/delete/cas each touch one
 * key, and a map of independent registers is linearizable iff each register's sub-history is,
 * so such histories are checked per key. A `range` reads many keys at once, so a history
 * containing any `range` is checked unpartitioned: exact and simple, fine for the small
 * histories that mix ranges in (the search cost grows with the concurrency, not the length,
 * but hashing the whole map costs more per step).
 */

export type KvInput =
  | { readonly kind: 'write'; readonly command: GroupCommand }
  | { readonly kind: 'read'; readonly query: GroupQuery };

/** `CommandResult` for writes, `QueryResult` for reads. */
export type KvOutput = CommandResult | QueryResult;

/** What the model knows about one key. An absent key with floor 0 is simply not in the map. */
export interface KvKeyState {
  /** `null`: the key does not exist. */
  readonly value: string | null;
  /** Revision of the current value: 0 when absent, `null` when unknown (then > `floor`). */
  readonly revision: number | null;
  /** The highest revision known to have been assigned on this key; the next write's is greater. */
  readonly floor: number;
}

/** Keys the model knows something about, in key order (`compareKeys`). */
export type KvState = ReadonlyMap<string, KvKeyState>;

const ABSENT: KvKeyState = { value: null, revision: 0, floor: 0 };

export function kvModel(): Model<KvState, KvInput, KvOutput> {
  return {
    init: () => new Map(),
    step: kvStep,
    hash: hashKvState,
    partition: partitionKv,
    describe: describeKv,
    describeState: describeKvState,
  };
}

/** The key a get/put/delete/cas touches; `undefined` for a range. */
export function kvKeyOf(input: KvInput): string | undefined {
  if (input.kind === 'write')
    return input.command.kind === 'dns-batch' ||
      input.command.kind === 'dns-import' ||
      input.command.kind === 'dns-collect-tombstones'
      ? undefined
      : input.command.key;
  return input.query.op === 'get' ? input.query.key : undefined;
}

/**
 * Per key, unless some range is present (then one part). Reads of unknown outcome are dropped
 * first: they constrain nothing, and each would otherwise stay pending forever, doubling the
 * search space.
 */
function partitionKv(ops: readonly Operation<KvInput, KvOutput>[]): Operation<KvInput, KvOutput>[][] {
  const relevant = ops.filter((op) => op.input.kind === 'write' || op.status === 'ok');
  if (relevant.some((op) => kvKeyOf(op.input) === undefined)) return [relevant];
  const byKey = new Map<string, Operation<KvInput, KvOutput>[]>();
  for (const op of relevant) {
    const key = kvKeyOf(op.input)!;
    let part = byKey.get(key);
    if (part === undefined) {
      part = [];
      byKey.set(key, part);
    }
    part.push(op);
  }
  return [...byKey.values()];
}

function kvStep(state: KvState, input: KvInput, output: KvOutput | undefined): StepResult<KvState> {
  if (input.kind === 'read') {
    if (output === undefined) return { ok: true, state };
    if (!('op' in output)) throw new TypeError(`read ${input.query.op} has a command result as output`);
    if (input.query.op === 'get') return stepGet(state, input.query.key, output);
    if (input.query.op === 'range') return stepRange(state, input.query, output);
    throw new TypeError(`read ${input.query.op} is not modelled (DNS)`);
  }
  if (output !== undefined && 'op' in output) {
    throw new TypeError(`write ${input.command.kind} has a query result as output`);
  }
  const command = input.command;
  if (
    command.kind === 'dns-batch' ||
    command.kind === 'dns-import' ||
    command.kind === 'dns-collect-tombstones'
  )
    throw new TypeError('DNS batches are not modelled');
  const key = command.key;
  const current = state.get(key) ?? ABSENT;
  switch (command.kind) {
    case 'kv-put':
    case 'kv-delete': {
      const value = command.kind === 'kv-put' ? command.value : null;
      if (output === undefined) {
        return accept(state, key, { value, revision: value === null ? 0 : null, floor: current.floor });
      }
      if (output.kind !== 'kv-written') return reject(state);
      const before = observe(current, key, output.previous);
      if (before === undefined || !(output.revision > before.floor)) return reject(state);
      return accept(state, key, {
        value,
        revision: value === null ? 0 : output.revision,
        floor: output.revision,
      });
    }
    case 'kv-cas': {
      const expected = command.expectedRevision;
      if (output === undefined) {
        const match = casMatches(current, expected);
        if (match === 'no') return { ok: true, state };
        return accept(state, key, {
          value: command.value,
          revision: null,
          floor: match === 'maybe' ? expected : current.floor,
        });
      }
      if (output.kind === 'kv-written') {
        if (casMatches(current, expected) === 'no') return reject(state);
        const before = observe(current, key, output.previous);
        if (before === undefined || before.revision !== expected) return reject(state);
        if (!(output.revision > before.floor)) return reject(state);
        return accept(state, key, {
          value: command.value,
          revision: output.revision,
          floor: output.revision,
        });
      }
      if (output.kind !== 'kv-cas-mismatch') return reject(state);
      const seen = observe(current, key, output.current);
      if (seen === undefined || casMatches(seen, expected) !== 'no') return reject(state);
      return accept(state, key, seen);
    }
  }
}

function stepGet(state: KvState, key: string, output: QueryResult): StepResult<KvState> {
  if (output.op !== 'get') return reject(state);
  const current = state.get(key) ?? ABSENT;
  const seen = observe(current, key, output.entry);
  return seen === undefined ? { ok: false, state } : accept(state, key, seen);
}

function stepRange(
  state: KvState,
  query: Extract<GroupQuery, { op: 'range' }>,
  output: QueryResult,
): StepResult<KvState> {
  if (output.op !== 'range') return reject(state);
  // The map is in key order.
  const matching = [...state].filter(([key, s]) => s.value !== null && key.startsWith(query.prefix));
  const limit = Math.max(0, query.limit);
  const returned = matching.slice(0, limit);
  if (output.entries.length !== returned.length || output.more !== matching.length > limit)
    return reject(state);
  let next: KvState = state;
  for (let i = 0; i < returned.length; i++) {
    const [key, s] = returned[i]!;
    const entry = output.entries[i]!;
    if (entry.key !== key) return reject(state);
    const seen = observe(s, key, entry);
    if (seen === undefined) return reject(state);
    if (seen !== s) next = accept(next, key, seen).state;
  }
  return { ok: true, state: next };
}

function reject(state: KvState): StepResult<KvState> {
  return { ok: false, state };
}

/**
 * Checks that `view` (what an operation saw of `key`) is consistent with `s`, returning the
 * state refined by the observation (an unknown revision pinned), or `undefined` if inconsistent.
 */
function observe(s: KvKeyState, key: string, view: KvEntryView | null): KvKeyState | undefined {
  if (s.value === null) return view === null ? s : undefined;
  if (view === null || view.key !== key || view.value !== s.value) return undefined;
  if (s.revision !== null) return view.revision === s.revision ? s : undefined;
  if (!Number.isInteger(view.revision) || !(view.revision > s.floor)) return undefined;
  return { value: s.value, revision: view.revision, floor: view.revision };
}

/** Whether a cas expecting `expected` matches: 0 means "absent"; an existing key's revision is >= 1. */
function casMatches(s: KvKeyState, expected: number): 'yes' | 'no' | 'maybe' {
  if (expected === 0) return s.value === null ? 'yes' : 'no';
  if (s.value === null) return 'no';
  if (s.revision !== null) return s.revision === expected ? 'yes' : 'no';
  return expected > s.floor ? 'maybe' : 'no';
}

/** Applies a key's new state. The maps are kept in key order, which ranges and hashes rely on. */
function accept(state: KvState, key: string, s: KvKeyState): StepResult<KvState> {
  if (state.get(key) === s) return { ok: true, state };
  const known = state.has(key);
  if (s.value === null && s.floor === 0) {
    if (!known) return { ok: true, state };
    const next = new Map(state);
    next.delete(key);
    return { ok: true, state: next };
  }
  if (known) return { ok: true, state: new Map(state).set(key, s) };
  const entries = [...state, [key, s] as const].sort(([a], [b]) => compareKeys(a, b));
  return { ok: true, state: new Map(entries) };
}

/** Encodings of key states, computed once: key states are immutable and shared between maps. */
const encodings = new WeakMap<KvKeyState, { readonly key: string; readonly text: string }>();

/** A canonical string of the state (its map is in key order). */
export function hashKvState(state: KvState): string {
  let out = '';
  for (const [key, s] of state) {
    let encoding = encodings.get(s);
    if (encoding === undefined || encoding.key !== key) {
      encoding = { key, text: JSON.stringify([key, s.value, s.revision, s.floor]) };
      encodings.set(s, encoding);
    }
    out += encoding.text;
  }
  return out;
}

/** Key order of the store: byte order of UTF-8, which is code point order. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

function showEntry(view: KvEntryView | null): string {
  return view === null ? 'absent' : `${JSON.stringify(view.value)}@${view.revision}`;
}

export function describeKv(input: KvInput, output: KvOutput | undefined): string {
  let call: string;
  if (input.kind === 'write') {
    const c = input.command;
    call =
      c.kind === 'kv-put'
        ? `put(${JSON.stringify(c.key)}, ${JSON.stringify(c.value)})`
        : c.kind === 'kv-delete'
          ? `delete(${JSON.stringify(c.key)})`
          : c.kind === 'dns-batch' || c.kind === 'dns-import' || c.kind === 'dns-collect-tombstones'
            ? 'dns(...)'
            : `cas(${JSON.stringify(c.key)}, expect @${c.expectedRevision}, ${JSON.stringify(c.value)})`;
  } else {
    const q = input.query;
    call =
      q.op === 'get'
        ? `get(${JSON.stringify(q.key)})`
        : q.op === 'range'
          ? `range(${JSON.stringify(q.prefix)}, limit ${q.limit})`
          : q.op;
  }
  if (output === undefined) return `${call} → ?`;
  if ('op' in output) {
    if (output.op === 'get') return `${call} → ${showEntry(output.entry)}`;
    if (output.op !== 'range') return `${call} → ${output.op}`;
    const items = output.entries.map((e) => `${JSON.stringify(e.key)}=${showEntry(e)}`).join(', ');
    return `${call} → [${items}]${output.more ? ' +more' : ''}`;
  }
  switch (output.kind) {
    case 'kv-written':
      return `${call} → ok @${output.revision} (previous ${showEntry(output.previous)})`;
    case 'kv-cas-mismatch':
      return `${call} → cas-mismatch (current ${showEntry(output.current)})`;
    case 'dns-batch':
      return `${call} → dns @${output.revision}`;
  }
}

export function describeKvState(state: KvState): string {
  const keys = [...state.keys()].sort(compareKeys);
  const parts = keys.map((key) => {
    const s = state.get(key)!;
    const value =
      s.value === null
        ? 'absent'
        : `${JSON.stringify(s.value)}@${s.revision === null ? `? (> ${s.floor})` : s.revision}`;
    return `${JSON.stringify(key)}: ${value}, floor ${s.floor}`;
  });
  return parts.length === 0 ? '{} (every key absent)' : `{ ${parts.join('; ')} }`;
}

/**
 * A sequential reference implementation of the store's semantics: the oracle generators use to
 * produce outputs (e.g. a simulated atomic store applying operations at linearization points).
 * Each write takes the next log index (or an explicit, strictly greater one) as its revision.
 */
export class KvSpecStore {
  private readonly entries = new Map<string, KvEntryView>();
  private index = 0;

  get lastIndex(): number {
    return this.index;
  }

  apply(command: GroupCommand, index: number = this.index + 1): CommandResult {
    if (!(Number.isInteger(index) && index > this.index)) {
      throw new RangeError(`log index ${index} must exceed ${this.index}`);
    }
    if (
      command.kind === 'dns-batch' ||
      command.kind === 'dns-import' ||
      command.kind === 'dns-collect-tombstones'
    )
      throw new TypeError('DNS batches are not modelled');
    this.index = index;
    const current = this.entries.get(command.key) ?? null;
    if (command.kind === 'kv-cas' && (current?.revision ?? 0) !== command.expectedRevision) {
      return { kind: 'kv-cas-mismatch', current };
    }
    if (command.kind === 'kv-delete') this.entries.delete(command.key);
    else this.entries.set(command.key, { key: command.key, value: command.value, revision: index });
    return { kind: 'kv-written', revision: index, previous: current };
  }

  query(query: GroupQuery): QueryResult {
    if (query.op === 'get') return { op: 'get', entry: this.entries.get(query.key) ?? null };
    if (query.op !== 'range') throw new TypeError(`${query.op} is not modelled`);
    const matching = [...this.entries.values()]
      .filter((e) => e.key.startsWith(query.prefix))
      .sort((a, b) => compareKeys(a.key, b.key));
    const limit = Math.max(0, query.limit);
    return { op: 'range', entries: matching.slice(0, limit), more: matching.length > limit };
  }
}
