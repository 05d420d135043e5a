import { expect } from 'chai';
import { Simulator } from '../../../runtime/sim/simulator.js';
import type { BurstOptions } from '../../fixtures/sim-actors/burst.js';
import type { RecorderView } from '../../fixtures/sim-actors/recorder.js';
import { simActorSpec } from '../../fixtures/sim-actors/specs.js';
import { counterScenario } from '../../sim/scenarios/counter.js';

const SENDERS = ['burst-1', 'burst-2', 'burst-3'];
const PER_SENDER = 20;

async function recordArrivals(seed: number): Promise<string[]> {
  const burst = (name: string) => {
    const options: BurstOptions = { to: 'recorder', count: PER_SENDER };
    return simActorSpec(name, 'burst', 'createBurst', options);
  };
  const sim = await Simulator.create({
    seed,
    replicas: [
      { id: 'r1', actors: [simActorSpec('recorder', 'recorder', 'createRecorder'), ...SENDERS.map(burst)] },
    ],
  });
  const arrivals = () => (sim.inspect('r1', 'recorder') as RecorderView | undefined)?.arrivals ?? [];
  const result = await sim.run({
    maxSteps: 10_000,
    maxVirtualMs: 1000,
    until: () => arrivals().length === SENDERS.length * PER_SENDER,
  });
  expect(result.ok).to.equal(true);
  expect(result.stop).to.equal('until');
  return [...arrivals()];
}

/** The order the mailbox itself would serve (round robin): what an unpermuted scheduler would produce. */
function roundRobin(): string[] {
  const order: string[] = [];
  for (let n = 0; n < PER_SENDER; n++) for (const sender of SENDERS) order.push(`${sender}:${n}`);
  return order;
}

describe('Simulator scheduler', () => {
  it('keeps each sender FIFO while permuting the order between senders', async () => {
    const interleavings = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) {
      const arrivals = await recordArrivals(seed);
      expect(arrivals).to.have.length(SENDERS.length * PER_SENDER);
      for (const sender of SENDERS) {
        const own = arrivals.filter((a) => a.startsWith(`${sender}:`)).map((a) => Number(a.split(':')[1]));
        expect(own).to.deep.equal(
          Array.from({ length: PER_SENDER }, (_, n) => n),
          `seed ${seed}, ${sender}`,
        );
      }
      interleavings.add(arrivals.join(' '));
    }
    expect(interleavings.size).to.be.greaterThan(1);
    expect(interleavings.has(roundRobin().join(' '))).to.equal(false);
  });

  it('replays a seed exactly: same interleaving, same trace hash', async () => {
    expect(await recordArrivals(42)).to.deep.equal(await recordArrivals(42));
    const scenario = counterScenario('counter', true);
    const first = await scenario.run(3, { maxVirtualMs: 300 });
    const again = await scenario.run(3, { maxVirtualMs: 300 });
    expect(first.result.steps).to.be.greaterThan(100);
    expect(again.result.traceHash).to.equal(first.result.traceHash);
    expect(again.result.steps).to.equal(first.result.steps);
    expect(again.summary).to.equal(first.summary);
  });

  it('gives different seeds different trace hashes', async () => {
    const scenario = counterScenario('counter', true);
    const hashes = new Set<string>();
    for (const seed of [1, 2, 3, 4])
      hashes.add((await scenario.run(seed, { maxVirtualMs: 200 })).result.traceHash);
    expect(hashes.size).to.equal(4);
  });

  it('fails the run when a step check throws, naming the seed and the step', async () => {
    const sim = await Simulator.create({
      seed: 9,
      replicas: [
        {
          id: 'r1',
          actors: [
            simActorSpec('recorder', 'recorder', 'createRecorder'),
            ...SENDERS.map((name) =>
              simActorSpec(name, 'burst', 'createBurst', { to: 'recorder', count: 5 }),
            ),
          ],
        },
      ],
    });
    sim.onStep((s) => {
      if (s.steps === 7) throw new Error('invariant broken on purpose');
    });
    const result = await sim.run({ maxSteps: 100, maxVirtualMs: 100 });
    expect(result.ok).to.equal(false);
    expect(result.stop).to.equal('failed');
    expect(result.failure?.step).to.equal(7);
    expect(result.failure?.seed).to.equal(9);
    expect(result.failure?.message).to.match(/^seed=9 step=7 t=0ms: invariant broken on purpose/);
    expect(result.failure?.recentTrace.length).to.be.greaterThan(0);
    // The simulation stays failed.
    expect((await sim.run({ maxSteps: 10, maxVirtualMs: 10 })).failure).to.equal(result.failure);
  });

  it('stops idle when nothing is left to do, and answers external requests', async () => {
    const sim = await Simulator.create({
      seed: 1,
      replicas: [{ id: 'r1', actors: [simActorSpec('box', 'durable-box', 'createDurableBox')] }],
    });
    const reply = sim.request('r1', 'box', { type: 'put', value: 3, sync: true }, { timeoutMs: 1000 });
    let answer: unknown;
    void reply.then((value) => {
      answer = value;
    });
    const result = await sim.run({ maxSteps: 1000, maxVirtualMs: 10_000 });
    expect(result.stop).to.equal('idle');
    expect(answer).to.equal(3);
    expect(sim.nowMs()).to.be.within(1, 3);
  });
});
