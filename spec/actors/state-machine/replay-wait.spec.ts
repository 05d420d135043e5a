import { expect } from 'chai';
import { DNS, LOG, STATE_MACHINE, STORAGE } from '../../../actors/raft/actor-names.js';
import type { StateMachineActorOptions } from '../../../actors/state-machine/state-machine-actor.js';
import type { ActorSpec } from '../../../runtime/actor.js';
import { Simulator } from '../../../runtime/sim/simulator.js';
import type { ReplayingLogOptions } from '../../fixtures/sim-actors/replaying-log.js';
import { simActorSpec } from '../../fixtures/sim-actors/specs.js';
import type { ZoneCopyRecorderView } from '../../fixtures/sim-actors/zone-copy-recorder.js';

const stateMachine: ActorSpec = {
  name: STATE_MACHINE,
  module: new URL('../../../actors/state-machine/state-machine-actor.js', import.meta.url).href,
  exportName: 'createStateMachineActor',
  options: {
    waitTimeoutMs: 10_000,
    maxWaiting: 1_024,
    tickMs: 100,
    zoneSink: DNS,
  } satisfies StateMachineActorOptions,
  mailbox: { capacityPerSender: 1_024, policy: 'reject' },
};

/** The real state machine between a replaying log and a zone sink that asks for its copy at once. */
async function start(seed: number, log: ReplayingLogOptions) {
  const sim = await Simulator.create({
    seed,
    replicas: [
      {
        id: 'r1',
        actors: [
          simActorSpec(STORAGE, 'empty-storage', 'createEmptyStorage'),
          simActorSpec(LOG, 'replaying-log', 'createReplayingLog', log),
          stateMachine,
          simActorSpec(DNS, 'zone-copy-recorder', 'createZoneCopyRecorder'),
        ],
      },
    ],
  });
  const copies = () => (sim.inspect('r1', DNS) as ZoneCopyRecorderView | undefined)?.copies ?? [];
  return { sim, copies };
}

/** Fixed seeds: each orders the sink's ask, the log's tail and the applies its own way, and replays exactly. */
const SEEDS = 12;

async function firstCopy(seed: number, log: ReplayingLogOptions) {
  const { sim, copies } = await start(seed, log);
  const result = await sim.run({
    maxSteps: 100_000,
    maxVirtualMs: 20_000,
    until: () => copies().length > 0,
  });
  expect(result.stop, `seed ${seed}: stopped at ${result.virtualMs} ms`).to.equal('until');
  return copies()[0];
}

describe('state machine: the zone sink’s first copy after a replay', () => {
  it('waits for the end of the replay: one dump at the log’s tail, not a dump and then the replay', async () => {
    const log: ReplayingLogOptions = { lastIndex: 40, committedIndex: 40, perStep: 4, stepMs: 50 };
    for (let seed = 1; seed <= SEEDS; seed++)
      expect(await firstCopy(seed, log), `seed ${seed}`).to.include({ reset: true, index: 40 });
  });

  it('gives up waiting on a tail that does not commit: the copy comes after a second without progress', async () => {
    const log: ReplayingLogOptions = { lastIndex: 40, committedIndex: 12, perStep: 4, stepMs: 50 };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const first = await firstCopy(seed, log);
      expect(first, `seed ${seed}`).to.include({ reset: true, index: 12 });
      // The last entry applied at about 150 ms; the wait ends a second later, at a tick.
      expect(first?.atMs, `seed ${seed}`).to.be.within(1_100, 1_400);
    }
  });

  it('gives up after ten seconds when the log’s tail never arrives and entries keep coming', async () => {
    const log: ReplayingLogOptions = {
      lastIndex: 1_000,
      committedIndex: 1_000,
      perStep: 1,
      stepMs: 50,
      tailLost: true,
    };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const first = await firstCopy(seed, log);
      expect(first?.atMs, `seed ${seed}`).to.be.within(10_000, 10_300);
    }
  });
});
