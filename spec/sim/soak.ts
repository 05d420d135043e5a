/**
 * Soak: sweeps every scenario from a random start until the time is up, then prints how
 * many seeds each ran and every failing seed with the command that replays it.
 *
 *   npm run soak -- --minutes 30
 *   npm run soak -- --minutes 5 --start 3141592 --scenario raft-reconfig --scenario raft5
 *
 * The scenario that has had the least time so far runs next, so each gets an equal share
 * of the time whatever its speed; each walks its own consecutive seeds from the start. The
 * regression seeds run first. SIGINT or SIGTERM ends it early with the same summary. Exits
 * non-zero when any seed failed.
 */
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import { REGRESSION_SEEDS } from './regression-seeds.js';
import type { Scenario } from './scenario.js';
import { findScenario, SCENARIOS } from './scenarios/index.js';
import { freshSeed, replayCommand, SEED_MAX, sweepSettings } from './sweep.js';

/** Scenarios that exist to be caught failing (the checkers' own test), not to be soaked. */
const EXPECTED_TO_FAIL = new Set(['counter-unsafe']);
/** Failures kept per scenario; the rest are counted only. */
const FAILURES_KEPT_MAX = 50;

interface SoakOptions {
  readonly minutes: number;
  readonly start?: number;
  readonly scenario: string[];
}

interface Tally {
  readonly scenario: Scenario;
  next: number;
  seeds: number;
  failed: number;
  wallMs: number;
  readonly failures: Array<{ readonly seed: number; readonly message: string }>;
}

function number(min: number, max: number, integer: boolean) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value)))
      throw new InvalidArgumentError(`expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
    return value;
  };
}

async function runSeed(tally: Tally, seed: number): Promise<void> {
  const started = performance.now();
  const outcome = await tally.scenario.run(seed);
  tally.wallMs += performance.now() - started;
  tally.seeds++;
  if (outcome.result.ok) return;
  tally.failed++;
  const message = outcome.result.failure?.message ?? `stopped (${outcome.result.stop})`;
  if (tally.failures.length < FAILURES_KEPT_MAX) tally.failures.push({ seed, message });
  console.log(`FAILED ${tally.scenario.name} seed ${seed}: ${message}`);
  console.log(`  replay: ${replayCommand(tally.scenario.name, seed)}`);
}

async function main(): Promise<number> {
  const options = new Command()
    .name('soak')
    .description('sweep every simulation scenario from a random start until the time is up')
    .option('--minutes <n>', 'how long to run', number(0.01, 7 * 24 * 60, false), 10)
    .option('--start <n>', 'first fresh seed (default: random)', number(0, SEED_MAX, true))
    .option(
      '--scenario <name>',
      'only this scenario (repeatable)',
      (name: string, names: string[]) => [...names, name],
      [],
    )
    .parse()
    .opts<SoakOptions>();

  const chosen =
    options.scenario.length > 0
      ? options.scenario.map((name) => {
          const found = findScenario(name);
          if (found === undefined) throw new InvalidArgumentError(`unknown scenario ${name}`);
          return found;
        })
      : SCENARIOS.filter((s) => !EXPECTED_TO_FAIL.has(s.name));
  // sweepSettings draws (or reads RAFTNS_SIM_START) and prints the start.
  const start = options.start ?? sweepSettings().start;
  if (options.start !== undefined) console.log(`sim: fresh seeds from ${start} (--start to replay)`);
  const started = performance.now();
  let deadline = started + options.minutes * 60_000;
  // Interrupted: finish the seed under way, then print the summary as if the time were up.
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      deadline = 0;
    });
  const tallies: Tally[] = chosen.map((scenario) => ({
    scenario,
    next: 0,
    seeds: 0,
    failed: 0,
    wallMs: 0,
    failures: [],
  }));

  for (const tally of tallies)
    for (const seed of REGRESSION_SEEDS[tally.scenario.name] ?? []) await runSeed(tally, seed);
  while (performance.now() < deadline) {
    // The scenario that has had the least time so far runs next: equal time, not equal seeds.
    let behind = tallies[0] as Tally;
    for (const tally of tallies) if (tally.wallMs < behind.wallMs) behind = tally;
    await runSeed(behind, freshSeed(start, behind.next++));
  }

  console.log(`soak: ${((performance.now() - started) / 60_000).toFixed(1)} min from seed ${start}`);
  for (const t of tallies) {
    const last = t.next > 0 ? freshSeed(start, t.next - 1) : start;
    console.log(
      `  ${t.scenario.name}: ${t.seeds} seeds (fresh ${start}..${last}), ${t.failed} failed, ` +
        `${t.seeds > 0 ? Math.round(t.wallMs / t.seeds) : 0} ms/seed`,
    );
  }
  const failing = tallies.filter((t) => t.failed > 0);
  if (failing.length === 0) {
    console.log('soak: no failures');
    return 0;
  }
  console.log('soak: failing seeds');
  for (const t of failing) {
    for (const f of t.failures) {
      console.log(`  ${t.scenario.name} seed ${f.seed}: ${f.message}`);
      console.log(`    replay: ${replayCommand(t.scenario.name, f.seed)}`);
    }
    if (t.failed > t.failures.length)
      console.log(`  ${t.scenario.name}: ${t.failed - t.failures.length} more not listed`);
  }
  return 1;
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
