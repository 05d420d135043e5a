/**
 * An in-memory `TargetRegistry` for tests: a target group whose deregistered targets drain
 * (listed as `draining`, as in ELBv2), scripted failures per operation, and calls that can
 * be held open until released. Every call is recorded with the test clock's time.
 */
import {
  type RegistryCallOptions,
  RegistryError,
  type RegistryErrorKind,
  sameTarget,
  type Target,
  type TargetDescription,
  type TargetRegistry,
} from '../../../actors/aws-lease/target-registry.js';

export type Operation = 'register' | 'deregister' | 'describe';

export interface RecordedCall {
  readonly op: Operation;
  readonly targets: readonly Target[];
  readonly atMs: number;
  outcome: 'pending' | 'ok' | RegistryErrorKind | 'aborted';
}

export class FakeRegistry implements TargetRegistry {
  readonly calls: RecordedCall[] = [];
  private readonly group: TargetDescription[] = [];
  private readonly failures: Array<{ op: Operation; kind: RegistryErrorKind }> = [];
  private held: Array<() => void> | undefined;
  inFlight = 0;
  maxInFlight = 0;
  closed = false;

  constructor(private readonly nowMs: () => number) {}

  /** Targets as the group lists them. */
  list(): TargetDescription[] {
    return this.group.map((t) => ({ ...t }));
  }

  /** Active (not draining) targets, as `id:port` strings, sorted. */
  active(): string[] {
    return this.group
      .filter((t) => t.state !== 'draining')
      .map((t) => `${t.id}:${t.port}`)
      .sort();
  }

  /** Changes the group behind the actor's back (drift). */
  put(target: Target, state = 'healthy'): void {
    this.remove(target);
    this.group.push({ ...target, state });
  }

  remove(target: Target): void {
    const index = this.group.findIndex((t) => sameTarget(t, target));
    if (index >= 0) this.group.splice(index, 1);
  }

  /** The next `count` calls of `op` fail with `kind`. */
  failNext(op: Operation, count: number, kind: RegistryErrorKind): void {
    for (let i = 0; i < count; i++) this.failures.push({ op, kind });
  }

  /** Drops failures not yet used. */
  clearFailures(): void {
    this.failures.length = 0;
  }

  /** Calls from now on stay pending until `release()` (or their abort signal fires). */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const go of held) go();
  }

  register(targets: readonly Target[], options?: RegistryCallOptions): Promise<void> {
    return this.call('register', targets, options, () => {
      for (const target of targets) this.put(target, 'initial');
    });
  }

  deregister(targets: readonly Target[], options?: RegistryCallOptions): Promise<void> {
    return this.call('deregister', targets, options, () => {
      for (const target of targets) {
        const found = this.group.find((t) => sameTarget(t, target));
        if (found !== undefined) this.put(target, 'draining');
      }
    });
  }

  describe(options?: RegistryCallOptions): Promise<TargetDescription[]> {
    return this.call('describe', [], options, () => this.list());
  }

  close(): void {
    this.closed = true;
  }

  private async call<T>(
    op: Operation,
    targets: readonly Target[],
    options: RegistryCallOptions | undefined,
    apply: () => T,
  ): Promise<T> {
    const record: RecordedCall = {
      op,
      targets: targets.map((t) => ({ ...t })),
      atMs: this.nowMs(),
      outcome: 'pending',
    };
    this.calls.push(record);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.held !== undefined) {
        const held = this.held;
        await new Promise<void>((resolve, reject) => {
          held.push(resolve);
          options?.signal?.addEventListener('abort', () => {
            record.outcome = 'aborted';
            reject(new RegistryError('network', 'AbortError', 'aborted'));
          });
        });
      }
      const failureIndex = this.failures.findIndex((f) => f.op === op);
      const failure = failureIndex >= 0 ? this.failures.splice(failureIndex, 1)[0] : undefined;
      if (failure !== undefined) {
        record.outcome = failure.kind;
        throw new RegistryError(failure.kind, failure.kind, `injected ${failure.kind}`);
      }
      const result = apply();
      record.outcome = 'ok';
      return result;
    } finally {
      this.inFlight--;
    }
  }
}
