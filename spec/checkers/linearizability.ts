import type { Operation } from './history.js';
import type { Model } from './model.js';

/**
 * A linearizability checker: the Wing & Gong (1993) search with Lowe's (2017) memoization, the
 * algorithm of Knossos and Porcupine ("WGL").
 *
 * The history becomes a doubly linked list of call and return events in time order (ties: calls
 * first, so operations whose timestamps touch count as concurrent). The search walks the list
 * from its head: at a call it tries to linearize that operation now (the model accepts the
 * output in the current state); if the pair (set of linearized operations, model state) was
 * never reached before, it pushes (operation, previous state) on a stack, lifts the call and
 * its return out of the list (dancing links) and restarts from the head. Reaching a return
 * means the operation returning there was not linearized before it returned: the search pops
 * the stack, unlifts that operation and tries the next candidate after its call. The history
 * is linearizable iff every `ok` operation gets linearized; it is not iff the stack empties.
 *
 * `unknown` operations have no return event (return = +infinity): they may be linearized at
 * any point after their call, or never. `fail` operations are dropped. At each point the
 * search tries completed operations first and unknown ones only after them, so an unknown
 * operation gets placed lazily, just before the first operation that needs its effect (the
 * order of the search changes, not what it explores).
 *
 * Memoization (Lowe): a configuration is the set of linearized operations plus the model
 * state. The set is a bitset over the operations in call order, hashed incrementally (Zobrist,
 * O(1) per lift/unlift) and stored as its window only (the words between the run of full words
 * and the trailing empty ones), so each configuration costs O(concurrency) memory rather than
 * O(n). A cache hit is confirmed by comparing sets, so a hash collision cannot prune the search.
 * It also prunes configurations subsumed by one seen before: the same state and completed
 * operations, and a superset of unknown ones (leaving an unknown operation out keeps every
 * option open). The search is iterative (an explicit stack), so histories of thousands of
 * operations do not overflow the call stack.
 *
 * Complexity: NP-complete in general (Gibbons & Korach 1997). Each configuration is expanded
 * at most once, with O(c) model steps (c: operations pending at that point); the reachable
 * linearized sets are closed under real-time order, about n·2^c for n operations with at most
 * c concurrent, times the distinct model states: in practice linear in n and exponential only
 * in the concurrency. An `unknown` operation stays concurrent with everything after its call,
 * so each one still pending can double the space: histories with many of them and no
 * partitioning (e.g. the store's with ranges) can exhaust the budget (verdict `unknown`).
 *
 * Partitioning: when the model has `partition`, each part is checked on its own
 * (P-compositionality): `maxSteps` bounds each part, `timeoutMs` the whole check.
 */

export type Verdict = 'linearizable' | 'not-linearizable' | 'unknown';

export interface CheckOptions {
  /**
   * Deterministic budget: search steps per partition (default 10,000,000), so one hard part
   * cannot hide a violation in another. About a microsecond or a few per step.
   */
  readonly maxSteps?: number;
  /** Wall-clock budget in milliseconds for the whole check (not deterministic: prefer `maxSteps`). */
  readonly timeoutMs?: number;
}

export interface PartitionReport {
  /**
   * Indexes into the checked history of this part's operations, in call order. Failed
   * operations are excluded, and any the model's `partition` dropped as constraining nothing.
   */
  readonly operations: readonly number[];
  readonly result: Verdict;
  /** Search steps spent on this part. */
  readonly steps: number;
  /** When linearizable: history indexes in linearization order (omitted `unknown` ops absent). */
  readonly linearization?: readonly number[];
  /** When not linearizable: the explanation. */
  readonly counterexample?: string;
}

export interface CheckResult {
  /** `unknown`: the budget ran out before a verdict (and no part was found not linearizable). */
  readonly result: Verdict;
  readonly partitions: readonly PartitionReport[];
  readonly steps: number;
  /** When not linearizable: the longest linearizable prefix found and the operations that could not be placed. */
  readonly counterexample?: string;
}

const DEFAULT_MAX_STEPS = 10_000_000;
/** How many steps between wall-clock checks. */
const CLOCK_EVERY = 1024;

interface Budget {
  readonly maxSteps: number;
  readonly deadline: number;
}

export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult {
  const indexOf = new Map<Operation<I, O>, number>();
  const live: Operation<I, O>[] = [];
  history.forEach((op, i) => {
    validate(op, i);
    if (!indexOf.has(op)) indexOf.set(op, i);
    if (op.status !== 'fail') live.push(op);
  });
  const parts = model.partition ? model.partition(live) : [live];
  const budget: Budget = {
    maxSteps: options.maxSteps ?? DEFAULT_MAX_STEPS,
    deadline:
      options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + options.timeoutMs,
  };

  const partitions: PartitionReport[] = [];
  let steps = 0;
  for (const part of parts) {
    const indexes = part.map((op) => {
      const i = indexOf.get(op);
      if (i === undefined) throw new Error('model.partition returned an operation not in the history');
      return i;
    });
    const report = checkPart(model, history, indexes, budget);
    steps += report.steps;
    partitions.push(report);
  }

  const failed = partitions.filter((p) => p.result === 'not-linearizable');
  const result: Verdict =
    failed.length > 0
      ? 'not-linearizable'
      : partitions.some((p) => p.result === 'unknown')
        ? 'unknown'
        : 'linearizable';
  const first = failed[0];
  if (first === undefined) return { result, partitions, steps };
  const where =
    partitions.length === 1
      ? ''
      : `${failed.length} of ${partitions.length} partitions are not linearizable; the first, ` +
        `partition ${partitions.indexOf(first)} (${first.operations.length} operations):\n`;
  return { result, partitions, steps, counterexample: where + first.counterexample };
}

function validate<I, O>(op: Operation<I, O>, i: number): void {
  if (!Number.isFinite(op.call)) throw new RangeError(`operation #${i}: call time ${op.call} is not finite`);
  if (op.status === 'ok') {
    if (op.return === undefined || !Number.isFinite(op.return)) {
      throw new RangeError(`operation #${i}: an ok operation needs a finite return time`);
    }
    if (op.return < op.call) {
      throw new RangeError(`operation #${i}: returned at ${op.return}, before its call at ${op.call}`);
    }
  }
}

/** Checks the operations `indexes` of `history` (none failed). */
function checkPart<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  partIndexes: readonly number[],
  budget: Budget,
): PartitionReport {
  // Operations in call order (ties: history order), which keeps the linearized set compact.
  const indexes = [...partIndexes].sort((a, b) => history[a]!.call - history[b]!.call || a - b);
  const n = indexes.length;
  const ops = indexes.map((i) => history[i]!);
  const inputs = ops.map((op) => op.input);
  const outputs = ops.map((op) => (op.status === 'ok' ? op.output : undefined));
  const mustPlace = ops.map((op) => op.status === 'ok');

  // Events in time order; at equal times calls come first (concurrent), then by operation.
  type Event = { readonly time: number; readonly isCall: boolean; readonly op: number };
  const events: Event[] = [];
  for (let j = 0; j < n; j++) {
    const op = ops[j]!;
    events.push({ time: op.call, isCall: true, op: j });
    if (op.status === 'ok') events.push({ time: op.return!, isCall: false, op: j });
  }
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1) || a.op - b.op);

  // Linked list: node 0 is the head sentinel, node e + 1 the tail sentinel.
  const e = events.length;
  const tail = e + 1;
  const next = new Int32Array(e + 2);
  const prev = new Int32Array(e + 2);
  const nodeOp = new Int32Array(e + 2).fill(-1);
  const isCall = new Uint8Array(e + 2);
  const callNode = new Int32Array(n);
  const returnNode = new Int32Array(n).fill(-1);
  for (let k = 0; k < e; k++) {
    const ev = events[k]!;
    const node = k + 1;
    nodeOp[node] = ev.op;
    isCall[node] = ev.isCall ? 1 : 0;
    if (ev.isCall) callNode[ev.op] = node;
    else returnNode[ev.op] = node;
  }
  for (let node = 0; node <= tail; node++) {
    next[node] = node + 1;
    prev[node] = node - 1;
  }

  const lift = (op: number): void => {
    const c = callNode[op]!;
    next[prev[c]!] = next[c]!;
    prev[next[c]!] = prev[c]!;
    const r = returnNode[op]!;
    if (r >= 0) {
      next[prev[r]!] = next[r]!;
      prev[next[r]!] = prev[r]!;
    }
  };
  const unlift = (op: number): void => {
    const r = returnNode[op]!;
    if (r >= 0) {
      next[prev[r]!] = r;
      prev[next[r]!] = r;
    }
    const c = callNode[op]!;
    next[prev[c]!] = c;
    prev[next[c]!] = c;
  };

  // The linearized set: a bitset over the operations in call order, so it is mostly a run of
  // full words (what was called long ago is linearized), a window, then zeros. It carries an
  // incremental Zobrist hash of its completed operations, and the bounds of the window:
  // `low`, the first word not full, and `high`, the last word not empty.
  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(words);
  const okMask = new Uint32Array(words);
  const zobrist = new Int32Array(n);
  let seed = 0x2545f491;
  for (let j = 0; j < n; j++) {
    seed = (seed + 0x9e3779b9) | 0;
    if (!mustPlace[j]) continue;
    okMask[j >>> 5]! |= 1 << (j & 31);
    zobrist[j] = mix32(seed);
  }
  let hash = 0;
  let low = 0;
  let high = -1;
  const toggle = (op: number): void => {
    const w = op >>> 5;
    bits[w] = bits[w]! ^ (1 << (op & 31));
    const word = bits[w]!;
    hash ^= zobrist[op]!;
    if (word === FULL_WORD) {
      if (w === low) while (low < words && bits[low] === FULL_WORD) low++;
    } else if (w < low) low = w;
    if (word !== 0) {
      if (w > high) high = w;
    } else if (w === high) while (high >= 0 && bits[high] === 0) high--;
  };

  // Configurations seen: (linearized set, state), the set stored as its window only, so a
  // configuration costs O(concurrency) memory, not O(n). Beyond exact repeats, a configuration
  // subsumes another with the same state, the same completed operations linearized and a
  // subset of the unknown ones (leaving an unknown operation out keeps every option open);
  // each bucket keeps only configurations no other one subsumes.
  const stateIds = new Map<string, number>();
  const cache = new Map<number, Snapshot[]>();
  /** Adds the current configuration; false if it, or one subsuming it, was seen before. */
  const remember = (stateHash: string): boolean => {
    let stateId = stateIds.get(stateHash);
    if (stateId === undefined) {
      stateId = stateIds.size;
      stateIds.set(stateHash, stateId);
    }
    const key = mix32(hash ^ Math.imul(stateId + 1, 0x27d4eb2d));
    const current: Snapshot = { stateId, low, window: bits.slice(low, high + 1) };
    const bucket = cache.get(key);
    if (bucket === undefined) {
      cache.set(key, [current]);
      return true;
    }
    let kept = 0;
    for (const other of bucket) {
      if (other.stateId === stateId) {
        if (subsumes(other, current, okMask)) return false;
        if (subsumes(current, other, okMask)) continue;
      }
      bucket[kept++] = other;
    }
    bucket.length = kept;
    bucket.push(current);
    return true;
  };

  const stackOps = new Int32Array(n);
  const stackStates: S[] = [];
  let depth = 0;
  let state = model.init();
  let remaining = mustPlace.filter(Boolean).length;
  let node = next[0]!;
  let steps = 0;
  let bestDepth = 0;
  let bestPrefix: number[] = [];
  let bestStale = false;
  let verdict: Verdict | undefined;

  // Candidates are tried completed operations first, then unknown ones (phase 1): an unknown
  // operation is linearized lazily, just before the first operation that needs its effect,
  // rather than eagerly at its call, which would commit to it long before a contradiction
  // shows. Only the order of the search changes, not what it explores.
  const hasUnknown = mustPlace.some((m) => !m);
  let phase: 0 | 1 = 0;
  while (remaining > 0) {
    if (steps >= budget.maxSteps || (steps % CLOCK_EVERY === 0 && performance.now() > budget.deadline)) {
      verdict = 'unknown';
      break;
    }
    steps++;
    // The next candidate of this phase, up to the first return.
    while (node !== tail && isCall[node] === 1 && mustPlace[nodeOp[node]!] === (phase === 1))
      node = next[node]!;
    if (node !== tail && isCall[node] === 1) {
      const op = nodeOp[node]!;
      const result = model.step(state, inputs[op]!, outputs[op]);
      if (result.ok) {
        toggle(op);
        if (remember(model.hash(result.state))) {
          stackOps[depth] = op;
          stackStates[depth] = state;
          depth++;
          if (depth > bestDepth) {
            bestDepth = depth;
            bestStale = true;
          }
          state = result.state;
          lift(op);
          if (mustPlace[op]) remaining--;
          node = next[0]!;
          phase = 0;
          continue;
        }
        toggle(op);
      }
      node = next[node]!;
      continue;
    }
    if (phase === 0 && hasUnknown) {
      phase = 1;
      node = next[0]!;
      continue;
    }
    // A return: the operation returning here was not linearized in time. Backtrack.
    if (depth === 0) {
      verdict = 'not-linearizable';
      break;
    }
    if (bestStale) {
      bestPrefix = Array.from(stackOps.subarray(0, depth));
      bestStale = false;
    }
    depth--;
    const op = stackOps[depth]!;
    state = stackStates[depth]!;
    stackStates.length = depth;
    toggle(op);
    unlift(op);
    if (mustPlace[op]) remaining++;
    phase = mustPlace[op] ? 0 : 1;
    node = next[callNode[op]!]!;
  }

  const operations = indexes;
  if (verdict === undefined) {
    const linearization = Array.from(stackOps.subarray(0, depth), (j) => indexes[j]!);
    return { operations, result: 'linearizable', steps, linearization };
  }
  if (verdict === 'unknown') return { operations, result: 'unknown', steps };
  if (bestStale) bestPrefix = Array.from(stackOps.subarray(0, depth));
  const counterexample = explain(model, history, indexes, bestPrefix);
  return { operations, result: 'not-linearizable', steps, counterexample };
}

const FULL_WORD = 0xffffffff;

/** A linearized set: words below `low` are full, `window` holds words from `low` on, the rest are empty. */
interface Snapshot {
  readonly stateId: number;
  readonly low: number;
  readonly window: Uint32Array;
}

function wordAt(s: Snapshot, i: number): number {
  if (i < s.low) return FULL_WORD;
  return s.window[i - s.low] ?? 0;
}

/**
 * Whether linearized set `a` subsumes `b`: the same completed operations, and the unknown
 * ones of `a` a subset of those of `b` (equal sets subsume each other).
 */
function subsumes(a: Snapshot, b: Snapshot, okMask: Uint32Array): boolean {
  const from = Math.min(a.low, b.low);
  const to = Math.max(a.low + a.window.length, b.low + b.window.length);
  for (let i = from; i < to; i++) {
    const x = wordAt(a, i);
    const y = wordAt(b, i);
    if ((x & ~y) !== 0 || (y & ~x & okMask[i]!) !== 0) return false;
  }
  return true;
}

/** murmur3's 32-bit finalizer. */
function mix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/**
 * The explanation of a violation: the longest linearizable prefix the search reached, the
 * state it leads to, and the operations that could have come next and why none fits.
 */
function explain<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  indexes: readonly number[],
  prefix: readonly number[],
): string {
  const outputOf = (op: Operation<I, O>) => (op.status === 'ok' ? op.output : undefined);
  const show = (j: number): string => {
    const i = indexes[j]!;
    const op = history[i]!;
    const end = op.return === undefined || op.status !== 'ok' ? '∞' : String(op.return);
    const status = op.status === 'ok' ? '' : ` (${op.status})`;
    return `#${i} ${op.clientId} [${op.call}, ${end}] ${model.describe(op.input, outputOf(op))}${status}`;
  };
  let state = model.init();
  for (const j of prefix) {
    const op = history[indexes[j]!]!;
    state = model.step(state, op.input, outputOf(op)).state;
  }
  const placed = new Set(prefix);
  const mustPlace = indexes.filter((i) => history[i]!.status === 'ok').length;
  const placedOk = prefix.filter((j) => history[indexes[j]!]!.status === 'ok').length;

  const lines: string[] = [];
  lines.push(
    `Not linearizable. Longest linearizable prefix found: ${placedOk} of ${mustPlace} completed operations` +
      (prefix.length > placedOk ? ` (and ${prefix.length - placedOk} of unknown outcome)` : '') +
      (prefix.length === 0 ? ' (none).' : ':'),
  );
  for (const [k, j] of prefix.entries()) lines.push(`  ${k + 1}. ${show(j)}`);
  if (model.describeState) lines.push(`State after it: ${model.describeState(state)}`);

  // The unplaced completed operation that returned first had to be linearized before its return.
  let deadlineOp = -1;
  for (let j = 0; j < indexes.length; j++) {
    const op = history[indexes[j]!]!;
    if (placed.has(j) || op.status !== 'ok') continue;
    if (deadlineOp < 0 || op.return! < history[indexes[deadlineOp]!]!.return!) deadlineOp = j;
  }
  if (deadlineOp < 0) return lines.join('\n');
  const deadline = history[indexes[deadlineOp]!]!.return!;
  lines.push(
    `No operation can be placed next, yet ${show(deadlineOp)} must be, having returned at ${deadline}. ` +
      'The candidates (called by then, not placed):',
  );
  for (let j = 0; j < indexes.length; j++) {
    const op = history[indexes[j]!]!;
    if (placed.has(j) || op.call > deadline) continue;
    const fits = model.step(state, op.input, outputOf(op)).ok;
    lines.push(
      `  - ${show(j)}: ${fits ? 'fits here, but no continuation after it works' : 'impossible in this state'}`,
    );
  }
  return lines.join('\n');
}
