/**
 * Runs simulation scenarios from seeds.
 *
 *   npm run sim -- --seed 42                 replay one seed: trace hash and result
 *   npm run sim -- --seeds 200 [--start 1000] run many seeds; list every failing one
 *   npm run sim -- --scenario counter-unsafe --seed 7
 *   npm run sim -- --list
 *
 * Exits non-zero when any run failed. A failure always prints `seed=<n>` and the command
 * that replays it.
 */
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import type { Scenario, ScenarioOutcome } from './scenario.js';
import { DEFAULT_SCENARIO, findScenario, SCENARIOS } from './scenarios/index.js';

interface CliOptions {
  readonly scenario: string;
  readonly seed?: number;
  readonly seeds?: number;
  readonly start: number;
  readonly maxSteps?: number;
  readonly maxMs?: number;
  readonly verbose: boolean;
  readonly traceLines?: number;
  readonly list: boolean;
}

function integer(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    }
    return value;
  };
}

const SEED_MAX = 0xffff_ffff;

function replayCommand(scenario: string, seed: number): string {
  return `npm run sim -- --scenario ${scenario} --seed ${seed}`;
}

function report(outcome: ScenarioOutcome, elapsedMs: number, verbose: boolean): void {
  const { result } = outcome;
  const rate = elapsedMs > 0 ? Math.round((result.steps * 1000) / elapsedMs) : 0;
  const head =
    `seed=${outcome.seed} scenario=${outcome.scenario} result=${result.ok ? 'ok' : 'FAILED'} stop=${result.stop} ` +
    `steps=${result.steps} virtualMs=${result.virtualMs} trace=${result.traceHash} ` +
    `wallMs=${Math.round(elapsedMs)} steps/s=${rate}`;
  console.log(head);
  if (verbose || !result.ok) console.log(`  ${outcome.summary}`);
  if (result.failure !== undefined) {
    console.log(`  failure: ${result.failure.message}`);
    if (verbose) for (const line of result.failure.recentTrace) console.log(`    ${line}`);
    console.log(`  replay: ${replayCommand(outcome.scenario, outcome.seed)}`);
  }
}

async function runOne(scenario: Scenario, seed: number, options: CliOptions) {
  const started = performance.now();
  const outcome = await scenario.run(seed, {
    maxSteps: options.maxSteps,
    maxVirtualMs: options.maxMs,
    traceLinesKept: options.traceLines,
  });
  return { outcome, elapsedMs: performance.now() - started };
}

async function main(): Promise<number> {
  const program = new Command()
    .name('sim')
    .description('deterministic simulation of raftns: replay one seed or sweep many')
    .option('--scenario <name>', 'scenario to run', DEFAULT_SCENARIO)
    .option('--seed <n>', 'replay one seed', integer(0, SEED_MAX))
    .option('--seeds <n>', 'run this many consecutive seeds', integer(1, 10_000_000))
    .option('--start <n>', 'first seed of --seeds', integer(0, SEED_MAX), 1)
    .option('--max-steps <n>', "override the scenario's step budget", integer(0, Number.MAX_SAFE_INTEGER))
    .option(
      '--max-ms <n>',
      "override the scenario's virtual-time budget",
      integer(0, Number.MAX_SAFE_INTEGER),
    )
    .option('-v, --verbose', 'print summaries and, on failure, the last trace records', false)
    .option(
      '--trace-lines <n>',
      'trace records kept for the failure report (with -v)',
      integer(0, 10_000_000),
    )
    .option('--list', 'list scenarios', false)
    .parse();
  const options = program.opts<CliOptions>();

  if (options.list) {
    for (const s of SCENARIOS)
      console.log(`${s.name}${s.name === DEFAULT_SCENARIO ? ' (default)' : ''}: ${s.description}`);
    return 0;
  }
  const scenario = findScenario(options.scenario);
  if (scenario === undefined) {
    console.error(`unknown scenario ${options.scenario}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  if (options.seed !== undefined && options.seeds !== undefined) {
    console.error('give either --seed or --seeds, not both');
    return 2;
  }

  if (options.seeds === undefined) {
    const seed = options.seed ?? options.start;
    const { outcome, elapsedMs } = await runOne(scenario, seed, options);
    report(outcome, elapsedMs, options.verbose);
    return outcome.result.ok ? 0 : 1;
  }

  const failed: ScenarioOutcome[] = [];
  let steps = 0;
  let wallMs = 0;
  for (let seed = options.start; seed < options.start + options.seeds; seed++) {
    const { outcome, elapsedMs } = await runOne(scenario, seed, options);
    steps += outcome.result.steps;
    wallMs += elapsedMs;
    if (options.verbose) {
      report(outcome, elapsedMs, true);
    } else if (!outcome.result.ok) {
      console.log(`FAILED ${outcome.result.failure?.message ?? `seed=${seed}`}`);
      console.log(`  replay: ${replayCommand(scenario.name, seed)}`);
    }
    if (!outcome.result.ok) failed.push(outcome);
  }
  const rate = wallMs > 0 ? Math.round((steps * 1000) / wallMs) : 0;
  console.log(
    `scenario=${scenario.name} seeds=${options.start}..${options.start + options.seeds - 1} ` +
      `passed=${options.seeds - failed.length} failed=${failed.length} steps=${steps} wallMs=${Math.round(wallMs)} steps/s=${rate}`,
  );
  if (failed.length > 0) console.log(`failing seeds: ${failed.map((o) => o.seed).join(' ')}`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
