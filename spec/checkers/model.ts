import type { Operation } from './history.js';

/** The outcome of applying one operation to a model state. */
export interface StepResult<S> {
  /** Whether the operation, with this output, is legal in `state`. */
  readonly ok: boolean;
  /** The state after the operation (ignored when `ok` is false). */
  readonly state: S;
}

/**
 * A sequential specification: the object the history should look like an atomic version of.
 * Deterministic: `step` returns one successor state. States must be treated as immutable
 * (the checker keeps old states to backtrack to).
 */
export interface Model<S, I, O> {
  init(): S;
  /**
   * Applies `input` to `state` and checks `output`. `output` is `undefined` when the outcome
   * is unknown (status `unknown`): the model must then accept, applying whatever effect the
   * input would have. An effect that is only *possibly* taken may be modelled as taken: the
   * checker also explores omitting the operation, which covers "took no effect".
   */
  step(state: S, input: I, output: O | undefined): StepResult<S>;
  /** A canonical string of the state: two states are equal iff their hashes are equal. */
  hash(state: S): string;
  /**
   * Splits a history into independent sub-histories (P-compositionality, Herlihy & Wing): the
   * whole is linearizable iff each part is. Omitted: the history is checked as one part.
   */
  partition?(ops: readonly Operation<I, O>[]): Operation<I, O>[][];
  /** A human-readable operation, for counterexamples. */
  describe(input: I, output: O | undefined): string;
  /** A human-readable state, for counterexamples. */
  describeState?(state: S): string;
}

/** The textbook example: a single read/write register holding a value (initially `initial`). */
export type RegisterInput<V> = { readonly kind: 'write'; readonly value: V } | { readonly kind: 'read' };

/** For writes the output is irrelevant; for reads it is the value read. */
export type RegisterOutput<V> = V | undefined;

export function registerModel<V extends string | number | null>(
  initial: V,
): Model<V, RegisterInput<V>, RegisterOutput<V>> {
  return {
    init: () => initial,
    step(state, input, output) {
      if (input.kind === 'write') return { ok: true, state: input.value };
      // A read whose output is unknown has no effect and constrains nothing.
      return { ok: output === undefined || output === state, state };
    },
    hash: (state) => JSON.stringify(state),
    describe(input, output) {
      return input.kind === 'write'
        ? `write(${JSON.stringify(input.value)})`
        : `read() → ${output === undefined ? '?' : JSON.stringify(output)}`;
    },
    describeState: (state) => JSON.stringify(state),
  };
}
