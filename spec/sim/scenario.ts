import type { RunResult } from '../../runtime/sim/simulator.js';

/**
 * A scenario builds a simulated cluster from a seed, runs it under faults with its
 * invariants checked after every step, and reports. The same seed must give the same
 * trace hash and the same outcome, so a failing seed is a complete bug report.
 */
export interface ScenarioRunOptions {
  /** Overrides the scenario's own step budget. */
  readonly maxSteps?: number;
  /** Overrides the scenario's own virtual-time budget. */
  readonly maxVirtualMs?: number;
  /** Trace records kept readable for the failure report. */
  readonly traceLinesKept?: number;
}

export interface ScenarioOutcome {
  readonly scenario: string;
  readonly seed: number;
  readonly result: RunResult;
  /** One line of scenario-specific numbers (operations acknowledged, faults, ...). */
  readonly summary: string;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  run(seed: number, options?: ScenarioRunOptions): Promise<ScenarioOutcome>;
}
