import { expect } from 'chai';
import { DEFAULT_DNS_ACTOR } from '../../../actors/dns/dns-actor-options.js';
import type { DnsServerStatus } from '../../../actors/dns/protocol.js';
import { DNS, STATE_MACHINE } from '../../../actors/raft/actor-names.js';
import type { ActorSpec } from '../../../runtime/actor.js';
import { Simulator } from '../../../runtime/sim/simulator.js';
import { dnsActorSpec } from '../../fixtures/dns-actor-spec.js';
import type {
  SlowZoneSourceOptions,
  SlowZoneSourceView,
} from '../../fixtures/sim-actors/slow-zone-source.js';
import { simActorSpec } from '../../fixtures/sim-actors/specs.js';

function dnsActor(): ActorSpec {
  return dnsActorSpec({ ...DEFAULT_DNS_ACTOR, listeners: [], identity: 'r1' }, 64);
}

/** One replica: the DNS actor, and `source` in the state machine's place. */
async function start(seed: number, source: SlowZoneSourceOptions) {
  const sim = await Simulator.create({
    seed,
    replicas: [
      {
        id: 'r1',
        actors: [simActorSpec(STATE_MACHINE, 'slow-zone-source', 'createSlowZoneSource', source), dnsActor()],
      },
    ],
  });
  return {
    sim,
    status: () => sim.inspect('r1', DNS) as DnsServerStatus | undefined,
    asks: () => (sim.inspect('r1', STATE_MACHINE) as SlowZoneSourceView).asks,
  };
}

describe('DNS actor: the copy of the zones from a slow state machine', () => {
  // A dump of 100,000 records takes the state machine seconds to build (ARCHITECTURE §7):
  // an ask that gave up sooner dropped every answer and asked again, and the copy never came.
  for (const delayMs of [500, 5_000, 20_000]) {
    it(`takes a dump that is ${delayMs} ms in the making, asking once`, async () => {
      const source: SlowZoneSourceOptions = { delayMs, zone: 'example.org.', index: 7 };
      const { sim, status, asks } = await start(1, source);
      const result = await sim.run({
        maxSteps: 1_000_000,
        maxVirtualMs: delayMs + 10_000,
        until: () => status()?.appliedIndex === source.index,
      });
      expect(result.stop, `stopped at ${result.virtualMs} ms`).to.equal('until');
      expect(status()?.zones).to.equal(2);
      expect(asks()).to.equal(1);
    });
  }

  it('drops a dump that stops decoding part-way (its first zone applied) and asks again', async () => {
    const source: SlowZoneSourceOptions = {
      delayMs: 300,
      zone: 'example.org.',
      index: 9,
      truncateFirst: true,
    };
    const { sim, status, asks } = await start(2, source);
    // After the cut dump: no copy (index 0, no zone) until the second ask's dump.
    const cut = await sim.run({ maxSteps: 100_000, maxVirtualMs: 10_000, until: () => asks() === 2 });
    expect(cut.stop).to.equal('until');
    expect(status()?.appliedIndex).to.equal(0);
    expect(status()?.zones).to.equal(0);
    const whole = await sim.run({
      maxSteps: 100_000,
      maxVirtualMs: 10_000,
      until: () => status()?.appliedIndex === source.index,
    });
    expect(whole.stop).to.equal('until');
    expect(status()?.zones).to.equal(2);
    expect(asks()).to.equal(2);
  });

  it('takes a dump whose first zones come ahead in parts, whatever order its messages are taken in', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const source: SlowZoneSourceOptions = { delayMs: 100, zone: 'example.org.', index: 11, partsAhead: 3 };
      const { sim, status, asks } = await start(seed, source);
      const result = await sim.run({
        maxSteps: 100_000,
        maxVirtualMs: 10_000,
        until: () => status()?.appliedIndex === source.index,
      });
      expect(result.stop, `seed ${seed}`).to.equal('until');
      expect(status()?.zones, `seed ${seed}`).to.equal(5);
      expect(asks(), `seed ${seed}`).to.equal(1);
    }
  });

  it('asks again when a part of a dump never came, and answers nothing from the incomplete copy', async () => {
    for (let seed = 1; seed <= 8; seed++) {
      const source: SlowZoneSourceOptions = {
        delayMs: 300,
        zone: 'example.org.',
        index: 13,
        partsAhead: 3,
        losePartOfFirst: 1,
      };
      const { sim, status, asks } = await start(seed, source);
      const missing = await sim.run({ maxSteps: 100_000, maxVirtualMs: 10_000, until: () => asks() === 2 });
      expect(missing.stop, `seed ${seed}`).to.equal('until');
      expect(status()?.appliedIndex, `seed ${seed}`).to.equal(0);
      expect(status()?.zones, `seed ${seed}`).to.equal(0);
      const whole = await sim.run({
        maxSteps: 100_000,
        maxVirtualMs: 10_000,
        until: () => status()?.appliedIndex === source.index,
      });
      expect(whole.stop, `seed ${seed}`).to.equal('until');
      expect(status()?.zones, `seed ${seed}`).to.equal(5);
      expect(asks(), `seed ${seed}`).to.equal(2);
    }
  });
});
