/**
 * The checks every chaos run ends with, as pure functions of what the run recorded, so a
 * test can feed them a corrupted record and see each one fail:
 *
 * - the KV history is linearizable (the WGL checker, per key, within a step budget);
 * - no acknowledged write of a unique key is missing from the final state;
 * - every replica holds the same data once the faults stop;
 * - no replica process exited except the ones the schedule killed.
 */
import type { KvEntryView } from '../../protocol/group/commands.js';
import type { Operation } from '../checkers/history.js';
import { type KvInput, type KvOutput, kvModel } from '../checkers/kv-model.js';
import { checkLinearizable } from '../checkers/linearizability.js';

export type Violation =
  | { readonly kind: 'not-linearizable'; readonly detail: string }
  | {
      readonly kind: 'lost-write';
      readonly key: string;
      readonly expected: string;
      readonly found: string | null;
    }
  | { readonly kind: 'diverged'; readonly replica: string; readonly detail: string }
  | { readonly kind: 'unexpected-exit'; readonly replica: string; readonly detail: string }
  | { readonly kind: 'unavailable'; readonly detail: string };

export function describeViolation(violation: Violation): string {
  switch (violation.kind) {
    case 'not-linearizable':
      return `not linearizable: ${violation.detail}`;
    case 'lost-write':
      return `acknowledged write lost: ${violation.key}=${violation.expected}, found ${violation.found ?? 'nothing'}`;
    case 'diverged':
      return `replica ${violation.replica} diverged: ${violation.detail}`;
    case 'unexpected-exit':
      return `replica ${violation.replica} exited on its own: ${violation.detail}`;
    case 'unavailable':
      return `unavailable after the faults stopped: ${violation.detail}`;
  }
}

/** Search budget per key: far above what a healthy per-key history of a minute needs. */
export const LINEARIZABILITY_STEPS_MAX = 5_000_000;
export const LINEARIZABILITY_TIMEOUT_MS = 60_000;

export interface LinearizabilityOutcome {
  /** `unknown`: the budget ran out; reported, not counted as a violation. */
  readonly verdict: 'linearizable' | 'not-linearizable' | 'unknown';
  readonly violations: Violation[];
}

export function checkHistory(history: readonly Operation<KvInput, KvOutput>[]): LinearizabilityOutcome {
  const checked = checkLinearizable(kvModel(), history, {
    maxSteps: LINEARIZABILITY_STEPS_MAX,
    timeoutMs: LINEARIZABILITY_TIMEOUT_MS,
  });
  if (checked.result !== 'not-linearizable') return { verdict: checked.result, violations: [] };
  return {
    verdict: 'not-linearizable',
    violations: [{ kind: 'not-linearizable', detail: checked.counterexample ?? '(no counterexample)' }],
  };
}

/** Every acknowledged unique-key write is in `final` with its value (nothing overwrites those keys). */
export function checkDurableWrites(
  acknowledged: ReadonlyMap<string, string>,
  final: ReadonlyMap<string, string>,
): Violation[] {
  const violations: Violation[] = [];
  for (const [key, expected] of acknowledged) {
    const found = final.get(key) ?? null;
    if (found !== expected) violations.push({ kind: 'lost-write', key, expected, found });
  }
  return violations;
}

/** What one replica served as its whole store after the faults stopped; `undefined` if it did not answer. */
export interface ReplicaData {
  readonly replica: string;
  readonly entries: readonly KvEntryView[] | undefined;
}

/** Every replica answered, with the same keys, values and revisions as the first one. */
export function checkConvergence(data: readonly ReplicaData[]): Violation[] {
  const violations: Violation[] = [];
  const reference = data.find((d) => d.entries !== undefined);
  if (reference?.entries === undefined) {
    return data.map((d) => ({ kind: 'diverged', replica: d.replica, detail: 'did not serve its data' }));
  }
  const expected = new Map(reference.entries.map((e) => [e.key, e]));
  for (const { replica, entries } of data) {
    if (replica === reference.replica) continue;
    if (entries === undefined) {
      violations.push({ kind: 'diverged', replica, detail: 'did not serve its data' });
      continue;
    }
    const differences: string[] = [];
    const seen = new Set<string>();
    for (const entry of entries) {
      seen.add(entry.key);
      const other = expected.get(entry.key);
      if (other === undefined) differences.push(`has ${entry.key}, ${reference.replica} does not`);
      else if (other.value !== entry.value || other.revision !== entry.revision)
        differences.push(
          `${entry.key}=${entry.value}@${entry.revision}, ${reference.replica} has ${other.value}@${other.revision}`,
        );
    }
    for (const key of expected.keys()) if (!seen.has(key)) differences.push(`lacks ${key}`);
    if (differences.length > 0) {
      const shown = differences.slice(0, 5).join('; ');
      const more = differences.length > 5 ? ` and ${differences.length - 5} more` : '';
      violations.push({ kind: 'diverged', replica, detail: `${shown}${more}` });
    }
  }
  return violations;
}

/** A replica process that exited when the schedule did not kill it. */
export interface ReplicaExit {
  readonly replica: string;
  readonly detail: string;
}

export function checkExits(exits: readonly ReplicaExit[]): Violation[] {
  return exits.map((exit) => ({ kind: 'unexpected-exit', replica: exit.replica, detail: exit.detail }));
}
