import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { REGRESSION_SEEDS } from './regression-seeds.js';
import type { Scenario } from './scenario.js';

/**
 * Seed sweeps for the simulation specs and the soak script. Every run replays the fixed
 * regression seeds of a scenario, then explores fresh seeds from a random start for as
 * long as its wall-clock budget allows: a run that only re-confirms seeds 1..N finds
 * nothing new, while a random start searches new ground every time and the printed start
 * (`RAFTNS_SIM_START`) makes any run repeatable.
 *
 * Environment:
 * - `RAFTNS_SIM_SEEDS`: fresh seeds per scenario at most (default 300; CI sets 2,000).
 * - `RAFTNS_SIM_BUDGET_S`: wall-clock seconds of fresh seeds per scenario at most
 *   (default: 0.05 s per seed of RAFTNS_SIM_SEEDS, 15 s for npm test; CI sets 100 s: twelve sweeps, about 20 minutes).
 * - `RAFTNS_SIM_START`: the first fresh seed (default: random, printed).
 */

/** Seeds are unsigned 32-bit: the fresh range wraps around past the largest. */
export const SEED_MAX = 0xffff_ffff;
const SEEDS_DEFAULT = 300;
const BUDGET_S_PER_SEED_DEFAULT = 0.05;
/** A sweep stops exploring after this many failures: each is a complete bug report already. */
const FAILURES_MAX = 3;

export interface SweepSettings {
  /** Fresh seeds per scenario at most, before any scaling by the caller. */
  readonly seedsMax: number;
  /** Wall-clock milliseconds of fresh seeds per scenario at most. */
  readonly budgetMs: number;
  /** The first fresh seed. */
  readonly start: number;
}

function positiveNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new RangeError(`${name} must be a positive number, got ${text}`);
  return value;
}

let chosenStart: number | undefined;

/** The sweep settings of this process, from the environment; the random start is drawn (and printed) once. */
export function sweepSettings(env: NodeJS.ProcessEnv = process.env): SweepSettings {
  const seedsMax = Math.floor(positiveNumber('RAFTNS_SIM_SEEDS', env.RAFTNS_SIM_SEEDS, SEEDS_DEFAULT));
  const budgetS = positiveNumber(
    'RAFTNS_SIM_BUDGET_S',
    env.RAFTNS_SIM_BUDGET_S,
    seedsMax * BUDGET_S_PER_SEED_DEFAULT,
  );
  if (chosenStart === undefined) {
    const given = env.RAFTNS_SIM_START;
    if (given !== undefined && given !== '') {
      const start = Number(given);
      if (!Number.isInteger(start) || start < 0 || start > SEED_MAX)
        throw new RangeError(`RAFTNS_SIM_START must be an integer in [0, ${SEED_MAX}], got ${given}`);
      chosenStart = start;
    } else {
      chosenStart = randomInt(0, SEED_MAX);
    }
    console.log(`sim: fresh seeds from ${chosenStart} (RAFTNS_SIM_START to replay)`);
  }
  return { seedsMax, budgetMs: budgetS * 1000, start: chosenStart };
}

export function replayCommand(scenario: string, seed: number): string {
  return `npm run sim -- --scenario ${scenario} --seed ${seed}`;
}

/** The `k`-th fresh seed after `start`, wrapping within [0, SEED_MAX]. */
export function freshSeed(start: number, k: number): number {
  return (start + k) % (SEED_MAX + 1);
}

export interface SweepFailure {
  readonly scenario: string;
  readonly seed: number;
  /** A fixed regression seed, or a fresh one. */
  readonly fixed: boolean;
  readonly message: string;
}

export interface SweepResult {
  readonly scenario: string;
  readonly fixedRun: number;
  readonly freshRun: number;
  readonly freshStart: number;
  readonly failures: readonly SweepFailure[];
  readonly wallMs: number;
  /** What ended the fresh seeds: the seed limit, the budget, or enough failures. */
  readonly stop: 'seeds' | 'budget' | 'failures';
}

export interface SweepOptions {
  readonly fixedSeeds?: readonly number[];
  readonly start: number;
  readonly seedsMax: number;
  readonly budgetMs: number;
}

async function runSeed(scenario: Scenario, seed: number, fixed: boolean): Promise<SweepFailure | undefined> {
  const outcome = await scenario.run(seed);
  if (outcome.result.ok) return undefined;
  const message = outcome.result.failure?.message ?? `seed=${seed}: stopped (${outcome.result.stop})`;
  return { scenario: scenario.name, seed, fixed, message };
}

/** The fixed seeds (all of them), then fresh ones until the seed limit, the budget or FAILURES_MAX failures. */
export async function sweepScenario(scenario: Scenario, options: SweepOptions): Promise<SweepResult> {
  const started = performance.now();
  const fixedSeeds = options.fixedSeeds ?? REGRESSION_SEEDS[scenario.name] ?? [];
  const failures: SweepFailure[] = [];
  for (const seed of fixedSeeds) {
    const failure = await runSeed(scenario, seed, true);
    if (failure !== undefined) failures.push(failure);
  }
  const freshStarted = performance.now();
  let freshRun = 0;
  let stop: SweepResult['stop'] = 'seeds';
  while (freshRun < options.seedsMax) {
    if (failures.length >= FAILURES_MAX) {
      stop = 'failures';
      break;
    }
    // At least one fresh seed, however slow the machine.
    if (freshRun > 0 && performance.now() - freshStarted >= options.budgetMs) {
      stop = 'budget';
      break;
    }
    const failure = await runSeed(scenario, freshSeed(options.start, freshRun), false);
    freshRun++;
    if (failure !== undefined) failures.push(failure);
  }
  return {
    scenario: scenario.name,
    fixedRun: fixedSeeds.length,
    freshRun,
    freshStart: options.start,
    failures,
    wallMs: performance.now() - started,
    stop,
  };
}

/** One line: how many seeds ran, from where, how long, what stopped it. */
export function describeSweep(result: SweepResult): string {
  const last = result.freshRun > 0 ? freshSeed(result.freshStart, result.freshRun - 1) : result.freshStart;
  return (
    `sim: ${result.scenario}: ${result.fixedRun} fixed + ${result.freshRun} fresh seeds ` +
    `(${result.freshStart}..${last}) in ${(result.wallMs / 1000).toFixed(1)} s, ` +
    `stopped by ${result.stop}, ${result.failures.length} failed`
  );
}

/** A failure as the report prints it: the message and the command that replays it. */
export function describeFailure(failure: SweepFailure): string {
  return `${failure.fixed ? 'regression' : 'fresh'} seed ${failure.seed}: ${failure.message}\n  replay: ${replayCommand(failure.scenario, failure.seed)}`;
}
