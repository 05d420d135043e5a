import type { ActorSpec } from '../../../runtime/actor.js';
import { Simulator } from '../../../runtime/sim/simulator.js';
import type { CounterOptions } from '../../fixtures/sim-actors/counter.js';
import type { CounterClientOptions, CounterClientView } from '../../fixtures/sim-actors/counter-client.js';
import type { CounterFrontOptions } from '../../fixtures/sim-actors/counter-front.js';
import { COUNT_KEY, decodeCount } from '../../fixtures/sim-actors/counter-protocol.js';
import { simActorSpec } from '../../fixtures/sim-actors/specs.js';
import type { Scenario, ScenarioOutcome, ScenarioRunOptions } from '../scenario.js';

/**
 * A durable counter on replica A (`front` takes increments off the network and asks
 * `counter`, which persists them), incremented by clients on replicas B and C that
 * report acknowledgements to a local `ledger`. Faults: power loss of A, single actors
 * killed anywhere, partitions, a lossy, duplicating, reordering network, slow fsyncs.
 *
 * Invariant (no acknowledged write is lost): after every step, the count replica A's
 * disk holds — what a restart recovers — is at least the highest value any client has
 * seen acknowledged. The unsafe variant answers before its fsync completes, and some
 * seeds must catch it.
 */
export const COUNTER_REPLICA = 'A';
const CLIENT_REPLICAS = ['B', 'C'];
const STORE = 'counter';
/** With fewer acknowledgements than this the run proved nothing: a liveness failure. */
const ACKED_MIN = 20;

function counterSpecs(syncBeforeReply: boolean): ActorSpec[] {
  const counter: CounterOptions = { store: STORE, syncBeforeReply };
  const front: CounterFrontOptions = { counter: 'counter', requestTimeoutMs: 200 };
  return [
    simActorSpec('counter', 'counter', 'createCounter', counter, { capacityPerSender: 32, policy: 'reject' }),
    simActorSpec('front', 'counter-front', 'createCounterFront', front),
  ];
}

function clientSpecs(): ActorSpec[] {
  const client: CounterClientOptions = {
    server: COUNTER_REPLICA,
    ledger: 'ledger',
    tickMs: 3,
    outstandingMax: 4,
    expireMs: 100,
  };
  return [
    simActorSpec('ledger', 'ledger', 'createLedger'),
    simActorSpec('client', 'counter-client', 'createCounterClient', client),
  ];
}

export function counterScenario(name: string, syncBeforeReply: boolean): Scenario {
  return {
    name,
    description: syncBeforeReply
      ? 'durable counter that fsyncs before acknowledging; no acknowledged increment may be lost'
      : 'durable counter that acknowledges before its fsync completes; some seeds must lose an acknowledged increment',
    async run(seed: number, options: ScenarioRunOptions = {}): Promise<ScenarioOutcome> {
      const sim = await Simulator.create({
        seed,
        traceLinesKept: options.traceLinesKept,
        replicas: [
          { id: COUNTER_REPLICA, actors: counterSpecs(syncBeforeReply) },
          ...CLIENT_REPLICAS.map((id) => ({ id, actors: clientSpecs() })),
        ],
        network: {
          dropProbability: 0.02,
          duplicateProbability: 0.02,
          delayMs: { min: 1, max: 8 },
          maxInFlightPerLink: 64,
        },
        disk: {
          fsyncLatencyMs: { min: 1, max: 6 },
          slowFsyncProbability: 0.05,
          slowFsyncLatencyMs: { min: 20, max: 80 },
        },
        restartPolicy: { maxRestarts: 5, windowMs: 1000, backoffBaseMs: 10, backoffMaxMs: 200 },
        faults: {
          replicaCrash: {
            everyMs: { min: 60, max: 300 },
            downMs: { min: 5, max: 60 },
            replicas: [COUNTER_REPLICA],
          },
          actorCrash: { everyMs: { min: 100, max: 400 } },
          partition: { everyMs: { min: 100, max: 500 }, durationMs: { min: 10, max: 100 } },
        },
      });

      let ackedMax = 0;
      const acknowledged = () => {
        for (const replica of CLIENT_REPLICAS) {
          const view = sim.inspect(replica, 'client') as CounterClientView | undefined;
          if (view !== undefined && view.ackedMax > ackedMax) ackedMax = view.ackedMax;
        }
        return ackedMax;
      };
      const recoverable = () => decodeCount(sim.disk(COUNTER_REPLICA).peek(STORE, COUNT_KEY));
      sim.onStep(() => {
        const acked = acknowledged();
        const count = recoverable();
        if (count < acked) {
          throw new Error(
            `lost an acknowledged increment: a client saw ${acked} acknowledged, replica A's disk holds ${count}`,
          );
        }
      });

      let result = await sim.run({
        maxSteps: options.maxSteps ?? 200_000,
        maxVirtualMs: options.maxVirtualMs ?? 1500,
      });
      if (result.ok) {
        result = sim.verify(() => {
          if (ackedMax < ACKED_MIN) {
            throw new Error(
              `no progress: only ${ackedMax} increments acknowledged (want at least ${ACKED_MIN})`,
            );
          }
        });
      }
      const crashes = sim.crashes;
      const summary =
        `acked=${ackedMax} count=${recoverable()} replicaCrashes=${crashes.filter((c) => c.actor === '').length} ` +
        `actorCrashes=${crashes.filter((c) => c.actor !== '').length} fsyncs=${sim.disk(COUNTER_REPLICA).syncCount()} ` +
        `net=${JSON.stringify(sim.network.stats)}`;
      return { scenario: name, seed, result, summary };
    },
  };
}
