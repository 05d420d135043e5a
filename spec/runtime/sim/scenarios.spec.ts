import { expect } from 'chai';
import type { ScenarioOutcome } from '../../sim/scenario.js';
import { findScenario } from '../../sim/scenarios/index.js';

/** How many seeds the sweeps below run; raise it locally (RAFTNS_SIM_SEEDS=1000) to search harder. */
const SEEDS = Number(process.env.RAFTNS_SIM_SEEDS ?? 300);
/** The unsafe variant must be caught within this many seeds. */
const UNSAFE_SEEDS_MAX = Math.max(200, SEEDS);

function scenario(name: string) {
  const found = findScenario(name);
  if (found === undefined) throw new Error(`scenario ${name} is not registered`);
  return found;
}

describe('simulation scenarios', function () {
  // A seed takes ~15 ms on a loaded 2-core machine; CI runs 2,000 of them.
  this.timeout(60_000 + SEEDS * 100);
  it(`counter (fsync before ack) loses no acknowledged increment over ${SEEDS} seeds`, async () => {
    const counter = scenario('counter');
    const failures: string[] = [];
    for (let seed = 1; seed <= SEEDS; seed++) {
      const { result, summary } = await counter.run(seed);
      if (!result.ok) failures.push(`${result.failure?.message ?? 'failed'} (${summary})`);
    }
    expect(failures).to.deep.equal([]);
  });

  it('counter-unsafe (ack before fsync) is caught, and its failing seed replays identically', async () => {
    const unsafe = scenario('counter-unsafe');
    let failing: ScenarioOutcome | undefined;
    for (let seed = 1; seed <= UNSAFE_SEEDS_MAX && failing === undefined; seed++) {
      const outcome = await unsafe.run(seed);
      if (!outcome.result.ok) failing = outcome;
    }
    if (failing === undefined) throw new Error(`no seed in 1..${UNSAFE_SEEDS_MAX} caught the unsafe counter`);
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
