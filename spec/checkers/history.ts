/**
 * A history of operations recorded by concurrent clients, the input of the linearizability
 * checker (`linearizability.ts`).
 *
 * Each operation is an interval [call, return] on one clock shared by all clients (virtual
 * time in the simulator). Its `status` says what the client learned:
 *
 * - `ok`: the operation took effect exactly once, somewhere between `call` and `return`, and
 *   `output` is what it returned.
 * - `fail`: the operation definitely did not take effect (e.g. a typed rejection before it
 *   was proposed). The checker drops it: it constrains nothing.
 * - `unknown`: it may or may not have taken effect (timeout, crash, lost connection). The
 *   checker treats its return as +infinity and its output as unknown, and may also omit it
 *   entirely, as Knossos and Porcupine do for `:info` operations.
 *
 * Timestamps that tie are treated as concurrent (a return at t and a call at t overlap), which
 * can only make the checker more permissive, never report a false violation.
 */

export type OperationStatus = 'ok' | 'fail' | 'unknown';

export interface Operation<I, O> {
  readonly clientId: string;
  readonly input: I;
  /** When the client invoked the operation. */
  readonly call: number;
  /** When the client learned the outcome; `undefined` for `unknown` operations (and pending ones). */
  readonly return: number | undefined;
  /** The output when `status` is `ok`; otherwise `undefined`. */
  readonly output: O | undefined;
  readonly status: OperationStatus;
}

/** The recorder's receipt for an invoked operation. */
export interface OperationHandle {
  readonly index: number;
  readonly clientId: string;
}

interface MutableOperation<I, O> {
  clientId: string;
  input: I;
  call: number;
  return: number | undefined;
  output: O | undefined;
  status: OperationStatus;
  /** Still waiting for complete/fail/unknown. */
  pending: boolean;
}

/**
 * Records operations as clients invoke and complete them. A client has at most one
 * outstanding operation; after `unknown` it may invoke the next one (the unknown operation
 * stays concurrent with everything after its call).
 */
export class HistoryRecorder<I, O> {
  private readonly ops: MutableOperation<I, O>[] = [];
  private readonly outstanding = new Map<string, number>();

  invoke(clientId: string, input: I, now: number): OperationHandle {
    assertTime(now);
    const open = this.outstanding.get(clientId);
    if (open !== undefined) {
      throw new Error(`client ${clientId} invoked an operation while operation #${open} is outstanding`);
    }
    const index = this.ops.length;
    this.ops.push({
      clientId,
      input,
      call: now,
      return: undefined,
      output: undefined,
      status: 'unknown',
      pending: true,
    });
    this.outstanding.set(clientId, index);
    return { index, clientId };
  }

  /** The operation took effect and returned `output`. */
  complete(handle: OperationHandle, output: O, now: number): void {
    const op = this.settle(handle, now);
    op.status = 'ok';
    op.return = now;
    op.output = output;
  }

  /** The operation definitely did not take effect. */
  fail(handle: OperationHandle, now: number): void {
    const op = this.settle(handle, now);
    op.status = 'fail';
    op.return = now;
  }

  /** The client gave up without learning whether the operation took effect. */
  unknown(handle: OperationHandle): void {
    const op = this.settle(handle, undefined);
    op.status = 'unknown';
  }

  /** Operations invoked so far, in invocation order. Still-outstanding ones appear as `unknown`. */
  history(): Operation<I, O>[] {
    return this.ops.map((op) => ({
      clientId: op.clientId,
      input: op.input,
      call: op.call,
      return: op.status === 'unknown' ? undefined : op.return,
      output: op.status === 'ok' ? op.output : undefined,
      status: op.status,
    }));
  }

  get size(): number {
    return this.ops.length;
  }

  private settle(handle: OperationHandle, now: number | undefined): MutableOperation<I, O> {
    const op = this.ops[handle.index];
    if (op === undefined || op.clientId !== handle.clientId) {
      throw new Error(`unknown operation handle #${handle.index} of client ${handle.clientId}`);
    }
    if (!op.pending) throw new Error(`operation #${handle.index} of client ${op.clientId} already settled`);
    if (now !== undefined) {
      assertTime(now);
      if (now < op.call) {
        throw new Error(`operation #${handle.index} returned at ${now}, before its call at ${op.call}`);
      }
    }
    op.pending = false;
    this.outstanding.delete(op.clientId);
    return op;
  }
}

function assertTime(now: number): void {
  if (!Number.isFinite(now)) throw new RangeError(`time must be a finite number, got ${now}`);
}
