/**
 * The port through which the AWS-lease actor changes a load balancer's target group. The
 * actor's decisions are pure (lease-policy.ts); everything that talks to AWS sits behind
 * this interface, so tests drive the actor with an in-memory fake and production with
 * ELBv2 (elbv2-target-registry.ts).
 */

/** A target: an IP address (`id`, as ELBv2 names it) and a port. */
export interface Target {
  readonly id: string;
  readonly port: number;
}

/**
 * A registered target as the target group reports it. `state` is ELBv2's target health
 * state (`initial`, `healthy`, `unhealthy`, `unused`, `draining`, `unavailable`, ...); a
 * `draining` target is on its way out, so it counts as deregistered.
 */
export interface TargetDescription extends Target {
  readonly state: string;
}

export interface RegistryCallOptions {
  /** Aborts the call (the actor's own deadline); the promise then rejects. */
  readonly signal?: AbortSignal;
}

/**
 * Contract: each method makes one attempt (no retries of its own: the actor retries with
 * backoff and re-checks its leadership before every attempt) and rejects with a
 * `RegistryError` whose `kind` says whether a retry may help. `register` and `deregister`
 * are idempotent, as in ELBv2.
 */
export interface TargetRegistry {
  register(targets: readonly Target[], options?: RegistryCallOptions): Promise<void>;
  deregister(targets: readonly Target[], options?: RegistryCallOptions): Promise<void>;
  /** Every target registered in the group, with its health state. */
  describe(options?: RegistryCallOptions): Promise<TargetDescription[]>;
  /** Releases connections. */
  close?(): void;
}

/**
 * - `throttling`: the API asked us to slow down (retried with backoff).
 * - `server`: a 5xx (retried with backoff).
 * - `network`: no answer (connection refused, timeout, aborted): retried with backoff.
 * - `client`: any other 4xx (bad ARN, invalid target, access denied): logged, tried again
 *   at the next reconcile only.
 */
export type RegistryErrorKind = 'throttling' | 'server' | 'network' | 'client';

export class RegistryError extends Error {
  override readonly name = 'RegistryError';

  constructor(
    readonly kind: RegistryErrorKind,
    /** The service's error code (`Throttling`, `InvalidTarget`, ...) or the network error's. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get retryable(): boolean {
    return this.kind !== 'client';
  }
}

/** Any rejection as a `RegistryError` (an unexpected one counts as a client error: not retried at once). */
export function asRegistryError(error: unknown): RegistryError {
  if (error instanceof RegistryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new RegistryError('client', 'Unknown', message, { cause: error });
}

export const sameTarget = (a: Target, b: Target): boolean => a.id === b.id && a.port === b.port;

export const targetText = (target: Target): string =>
  target.id.includes(':') ? `[${target.id}]:${target.port}` : `${target.id}:${target.port}`;
