import { expect } from 'chai';
import type { ScenarioOutcome } from '../../sim/scenario.js';
import { findScenario } from '../../sim/scenarios/index.js';
import { describeFailure, describeSweep, freshSeed, sweepScenario, sweepSettings } from '../../sim/sweep.js';

/** Fixed regression seeds, then fresh seeds from a random start within a budget (`spec/sim/sweep.ts`). */
const settings = sweepSettings();
/** The unsafe variant must be caught within this many fresh seeds. */
const UNSAFE_SEEDS_MAX = Math.max(200, settings.seedsMax);
const SLACK_MS = 60_000;

function scenario(name: string) {
  const found = findScenario(name);
  if (found === undefined) throw new Error(`scenario ${name} is not registered`);
  return found;
}

describe('simulation scenarios', function () {
  // A seed takes ~15 ms on a loaded 2-core machine.
  this.timeout(settings.budgetMs + SLACK_MS);
  it(`counter (fsync before ack) loses no acknowledged increment (up to ${settings.seedsMax} fresh seeds)`, async () => {
    const result = await sweepScenario(scenario('counter'), settings);
    console.log(`      ${describeSweep(result)}`);
    expect(result.failures.map(describeFailure)).to.deep.equal([]);
  });

  it('counter-unsafe (ack before fsync) is caught, and its failing seed replays identically', async () => {
    const unsafe = scenario('counter-unsafe');
    let failing: ScenarioOutcome | undefined;
    let tried = 0;
    for (; tried < UNSAFE_SEEDS_MAX && failing === undefined; tried++) {
      const outcome = await unsafe.run(freshSeed(settings.start, tried));
      if (!outcome.result.ok) failing = outcome;
    }
    console.log(`      sim: counter-unsafe: caught after ${tried} fresh seeds from ${settings.start}`);
    if (failing === undefined)
      throw new Error(`no seed of ${UNSAFE_SEEDS_MAX} from ${settings.start} caught the unsafe counter`);
    const failure = failing.result.failure;
    expect(failure?.message).to.match(/lost an acknowledged increment/);
    expect(failure?.message).to.include(`seed=${failing.seed}`);

    const replay = await unsafe.run(failing.seed);
    expect(replay.result.ok).to.equal(false);
    expect(replay.result.traceHash).to.equal(failing.result.traceHash);
    expect(replay.result.failure?.step).to.equal(failure?.step);
    expect(replay.result.failure?.message).to.equal(failure?.message);
  });
});
