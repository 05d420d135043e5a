/**
 * Bootstrap failures as values with a code, so the CLI, `runtime/main` and tests can tell
 * "the plan differs" from "every slot is taken" without matching message text.
 */

export type BootstrapErrorCode =
  /** A plan (given or stored) breaks a rule of `validatePlan`; `details` lists every problem. */
  | 'plan-invalid'
  /** `initPlan` with a plan other than the stored one; `details` names each difference. */
  | 'plan-different'
  /** `applyPlan` with a change it refuses; `details` gives each reason. */
  | 'plan-unsafe'
  /** `applyPlan` found another revision of the plan than the one it was based on. */
  | 'plan-conflict'
  /** The plan's cluster is not the one this process was configured with. */
  | 'cluster-mismatch'
  /** The plan did not appear before the deadline. */
  | 'plan-timeout'
  /** This instance's region is not one of the plan's regions. */
  | 'region-unknown'
  /** Every slot of the region is held by another instance (and no replacement hook took one). */
  | 'no-free-slot'
  /** The group's slots were not all claimed before the deadline. */
  | 'group-timeout'
  /** A live registration of the same instance id says another region. */
  | 'instance-conflict';

export class BootstrapError extends Error {
  override readonly name = 'BootstrapError';
  constructor(
    readonly code: BootstrapErrorCode,
    message: string,
    /** Every problem found, one per line, when there are several (validation, plan differences). */
    readonly details: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(
      details.length === 0 ? message : `${message}:\n${details.map((d) => `  - ${d}`).join('\n')}`,
      options,
    );
  }
}
