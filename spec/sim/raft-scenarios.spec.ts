import { expect } from 'chai';
import { findScenario } from './scenarios/index.js';
import { describeFailure, describeSweep, sweepScenario, sweepSettings } from './sweep.js';

/**
 * Raft under deterministic simulation: the real election, log, storage and state machine
 * actors of 3 and 5 replicas, with faults, Figure 3's invariants after every step and a
 * linearizability check of every run's client history. Each scenario replays its fixed
 * regression seeds, then fresh seeds from a random start within a wall-clock budget
 * (`sweep.ts`: RAFTNS_SIM_SEEDS, RAFTNS_SIM_BUDGET_S, RAFTNS_SIM_START). A failure names
 * its seed and how to replay it.
 */
const settings = sweepSettings();
/** Besides the budget: the fixed seeds, one slow seed past the budget, a loaded machine. */
const SLACK_MS = 120_000;

function sweep(name: string, seedsMax: number) {
  return async () => {
    const scenario = findScenario(name);
    if (scenario === undefined) throw new Error(`scenario ${name} is not registered`);
    const result = await sweepScenario(scenario, { ...settings, seedsMax });
    console.log(`      ${describeSweep(result)}`);
    expect(
      result.failures.map(describeFailure),
      result.failures.map(describeFailure).join('\n'),
    ).to.deep.equal([]);
  };
}

describe('Raft under deterministic simulation', function () {
  this.timeout(settings.budgetMs + SLACK_MS);
  const half = Math.ceil(settings.seedsMax / 2);

  it(
    `3 replicas with faults: safe and linearizable (up to ${settings.seedsMax} fresh seeds)`,
    sweep('raft3', settings.seedsMax),
  );
  it(`5 replicas with faults: safe and linearizable (up to ${half} fresh seeds)`, sweep('raft5', half));
  it(
    `membership changes and leadership transfer under faults (up to ${half} fresh seeds)`,
    sweep('raft-reconfig', half),
  );
  it(
    `5 replicas, reconfiguration and frequent long partitions (up to ${half} fresh seeds)`,
    sweep('raft-reconfig-partitions', half),
  );
  it(
    `a leader kept in a minority by a long partition serves no stale lease or bounded reads (up to ${half} fresh seeds)`,
    sweep('raft-minority-leader', half),
  );
  it(
    `5 replicas whose clocks drift at the lease's bound, with faults (up to ${half} fresh seeds)`,
    sweep('raft5-drift', half),
  );
  it(
    `a leader kept in a minority while clocks drift at the lease's bound (up to ${half} fresh seeds)`,
    sweep('raft-minority-leader-drift', half),
  );
  it('3 replicas without faults make steady progress (20 fresh seeds)', sweep('raft3-calm', 20));
  // About 600 ms a seed: the DNS actors answer in every read mode next to the Raft actors.
  it(
    `DNS answers under faults: linearizable and lease linearizable, bounded within its bound (up to ${Math.ceil(settings.seedsMax / 4)} fresh seeds)`,
    sweep('dns3', Math.ceil(settings.seedsMax / 4)),
  );
  it('DNS answers without faults: every read mode serves (5 fresh seeds)', sweep('dns3-calm', 5));
});
