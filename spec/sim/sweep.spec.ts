import { expect } from 'chai';
import { findScenario } from './scenarios/index.js';
import { describeFailure, describeSweep, freshSeed, SEED_MAX, sweepScenario } from './sweep.js';

function scenario(name: string) {
  const found = findScenario(name);
  if (found === undefined) throw new Error(`scenario ${name} is not registered`);
  return found;
}

describe('simulation sweeps (fixed seeds, then fresh ones within a budget)', function () {
  this.timeout(60_000);

  it('walks fresh seeds from the start and wraps past the largest seed', () => {
    expect(freshSeed(7, 0)).to.equal(7);
    expect(freshSeed(7, 3)).to.equal(10);
    expect(freshSeed(SEED_MAX, 1)).to.equal(0);
  });

  it('runs every fixed seed first, then stops after three failures and names how to replay each', async () => {
    const result = await sweepScenario(scenario('counter-unsafe'), {
      fixedSeeds: [5],
      start: 1_000,
      seedsMax: 500,
      budgetMs: 60_000,
    });
    expect(result.fixedRun).to.equal(1);
    expect(result.stop).to.equal('failures');
    expect(result.failures).to.have.length(3);
    for (const failure of result.failures) {
      expect(describeFailure(failure)).to.include(
        `replay: npm run sim -- --scenario counter-unsafe --seed ${failure.seed}`,
      );
      expect(failure.message).to.include(`seed=${failure.seed}`);
    }
    expect(describeSweep(result)).to.match(
      /^sim: counter-unsafe: 1 fixed \+ \d+ fresh seeds \(1000\.\.\d+\) in .* s, stopped by failures, 3 failed$/,
    );
  });

  it('stops fresh seeds when the budget is spent, after at least one', async () => {
    const result = await sweepScenario(scenario('counter'), { start: 42, seedsMax: 100_000, budgetMs: 1 });
    expect(result.stop).to.equal('budget');
    expect(result.freshRun).to.be.at.least(1);
    expect(result.failures).to.deep.equal([]);
  });
});
