import { expect } from 'chai';
import type { ActorSpec } from '../../../runtime/actor.js';
import { Simulator } from '../../../runtime/sim/simulator.js';
import type { RestartPolicyConfig } from '../../../runtime/supervisor/restart-policy.js';
import type { AskerMessage } from '../../fixtures/sim-actors/asker.js';
import type { BoxView } from '../../fixtures/sim-actors/durable-box.js';
import { simActorSpec } from '../../fixtures/sim-actors/specs.js';

const POLICY: RestartPolicyConfig = {
  maxRestarts: 3,
  windowMs: 10_000,
  backoffBaseMs: 100,
  backoffMaxMs: 1000,
};

function boxReplica(): { id: string; actors: ActorSpec[] } {
  return {
    id: 'r1',
    actors: [
      simActorSpec('box', 'durable-box', 'createDurableBox', {}, { capacityPerSender: 64, policy: 'reject' }),
      simActorSpec('ledger', 'ledger', 'createLedger'),
    ],
  };
}

async function settleRequest<T>(sim: Simulator, promise: Promise<T>): Promise<T> {
  let outcome: { value: T } | { error: unknown } | undefined;
  promise.then(
    (value) => {
      outcome = { value };
    },
    (error: unknown) => {
      outcome = { error };
    },
  );
  await sim.run({ maxSteps: 10_000, maxVirtualMs: 10_000, until: () => outcome !== undefined });
  if (outcome === undefined) throw new Error('request never settled');
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

const view = (sim: Simulator) => sim.inspect('r1', 'box') as BoxView | undefined;

describe('Simulator actor crash and restart', () => {
  it('kills one actor: its mailbox is lost, its durable state survives, the supervisor restarts it after backoff', async () => {
    const sim = await Simulator.create({ seed: 5, replicas: [boxReplica()], restartPolicy: POLICY });
    expect(
      await settleRequest(
        sim,
        sim.request('r1', 'box', { type: 'put', value: 7, sync: true }, { timeoutMs: 1000 }),
      ),
    ).to.equal(7);
    // An unsynced write that resolved: an actor crash (not a power loss) keeps it.
    expect(
      await settleRequest(
        sim,
        sim.request('r1', 'box', { type: 'put', value: 8, sync: false }, { timeoutMs: 1000 }),
      ),
    ).to.equal(8);

    for (let i = 0; i < 10; i++) expect(sim.send('r1', 'box', { type: 'bump' }).status).to.equal('sent');
    await sim.settle();
    expect((sim.inspectHost('r1', 'box') as { queued: number }).queued).to.equal(10);

    const before = sim.actorIncarnation('r1', 'box');
    const crashedAt = sim.nowMs();
    expect(sim.crashActor('r1', 'box', 'test')).to.equal(true);
    expect(sim.actorState('r1', 'box')).to.equal('absent');
    expect(sim.crashActor('r1', 'box', 'again')).to.equal(false);
    // Its peer stays up; the replica stays up.
    expect(sim.actorState('r1', 'ledger')).to.equal('running');
    expect(sim.replicaState('r1')).to.equal('up');

    const result = await sim.run({
      maxSteps: 10_000,
      maxVirtualMs: 10_000,
      until: () => sim.actorState('r1', 'box') === 'running',
    });
    expect(result.stop).to.equal('until');
    // Backoff of the first restart: jittered in [base/2, base].
    expect(sim.nowMs() - crashedAt).to.be.within(POLICY.backoffBaseMs / 2, POLICY.backoffBaseMs);
    expect(sim.actorIncarnation('r1', 'box')).to.not.equal(before);
    expect(view(sim)).to.deep.equal({ value: 8, bumps: 0 });
    await sim.run({ maxSteps: 10_000, maxVirtualMs: 1000 });
    expect(view(sim)?.bumps).to.equal(0);
    expect(sim.crashes).to.have.length(1);
    expect(sim.crashes[0]).to.include({ replica: 'r1', actor: 'box' });
    expect(sim.crashes[0]?.reason).to.match(/killed: test/);
  });

  it('restarts an actor that throws, and fails requests to it meanwhile', async () => {
    const sim = await Simulator.create({ seed: 6, replicas: [boxReplica()], restartPolicy: POLICY });
    await settleRequest(
      sim,
      sim.request('r1', 'box', { type: 'put', value: 1, sync: true }, { timeoutMs: 1000 }),
    );
    sim.send('r1', 'box', { type: 'boom' });
    await sim.run({
      maxSteps: 10_000,
      maxVirtualMs: 1000,
      until: () => sim.actorState('r1', 'box') === 'absent',
    });
    expect(sim.crashes.map((c) => c.reason)).to.deep.equal(['boom']);
    let error: unknown;
    try {
      await settleRequest(
        sim,
        sim.request('r1', 'box', { type: 'put', value: 2, sync: true }, { timeoutMs: 1000 }),
      );
    } catch (e) {
      error = e;
    }
    expect((error as { code?: string } | undefined)?.code).to.equal('PEER_UNAVAILABLE');
    await sim.run({
      maxSteps: 10_000,
      maxVirtualMs: 1000,
      until: () => sim.actorState('r1', 'box') === 'running',
    });
    expect(view(sim)?.value).to.equal(1);
  });

  it('reboots the replica when an actor exhausts its restart budget (the supervisor escalates)', async () => {
    const sim = await Simulator.create({
      seed: 7,
      replicas: [boxReplica()],
      restartPolicy: { ...POLICY, maxRestarts: 1 },
      processRebootMs: { min: 100, max: 100 },
    });
    for (let round = 0; round < 2; round++) {
      await sim.run({
        maxSteps: 10_000,
        maxVirtualMs: 1000,
        until: () => sim.actorState('r1', 'box') === 'running',
      });
      sim.send('r1', 'box', { type: 'boom' });
      await sim.run({
        maxSteps: 10_000,
        maxVirtualMs: 1000,
        until: () => sim.actorState('r1', 'box') === 'absent',
      });
    }
    await sim.run({ maxSteps: 10_000, maxVirtualMs: 10, until: () => sim.replicaState('r1') === 'down' });
    expect(sim.replicaState('r1')).to.equal('down');
    expect(sim.crashes.some((c) => c.actor === '' && /escalated/.test(c.reason))).to.equal(true);
    await sim.run({
      maxSteps: 10_000,
      maxVirtualMs: 1000,
      until: () => sim.actorState('r1', 'box') === 'running',
    });
    expect(sim.replicaBoots('r1')).to.equal(2);
  });

  it('reboots the replica when an actor fails its first start, as systemd restarts an exited process', async () => {
    const sim = await Simulator.create({
      seed: 8,
      replicas: [
        {
          id: 'r1',
          actors: [
            simActorSpec('ledger', 'ledger', 'createLedger'),
            simActorSpec('flaky', 'flaky-start', 'createFlakyStart', { failStarts: 2 }),
          ],
        },
      ],
      restartPolicy: POLICY,
      processRebootMs: { min: 100, max: 100 },
    });
    const result = await sim.run({
      maxSteps: 10_000,
      maxVirtualMs: 10_000,
      until: () => sim.actorState('r1', 'flaky') === 'running',
    });
    expect(result.stop).to.equal('until');
    expect(sim.replicaBoots('r1')).to.equal(3);
    expect(sim.inspect('r1', 'flaky')).to.deep.equal({ starts: 3 });
    expect(sim.crashes.filter((c) => c.actor === '').map((c) => c.reason)).to.deep.equal([
      'start failed: start 1 fails on purpose',
      'start failed: start 2 fails on purpose',
    ]);
  });

  it('on power loss keeps synced writes and loses or keeps (as a whole) the unsynced one', async () => {
    const outcomes = new Set<number>();
    for (let seed = 1; seed <= 16; seed++) {
      const sim = await Simulator.create({ seed, replicas: [boxReplica()], restartPolicy: POLICY });
      await settleRequest(
        sim,
        sim.request('r1', 'box', { type: 'put', value: 5, sync: true }, { timeoutMs: 1000 }),
      );
      await settleRequest(
        sim,
        sim.request('r1', 'box', { type: 'put', value: 9, sync: false }, { timeoutMs: 1000 }),
      );
      sim.crashReplica('r1');
      expect(sim.replicaState('r1')).to.equal('down');
      expect(sim.actorState('r1', 'box')).to.equal('absent');
      expect(sim.send('r1', 'box', { type: 'bump' }).status).to.equal('rejected');
      sim.restartReplica('r1');
      await sim.run({
        maxSteps: 10_000,
        maxVirtualMs: 1000,
        until: () => sim.actorState('r1', 'box') === 'running',
      });
      const value = view(sim)?.value ?? -1;
      expect([5, 9]).to.include(value);
      outcomes.add(value);
    }
    expect([...outcomes].sort()).to.deep.equal([5, 9]);
  });

  it('never hands an answer meant for a dead incarnation to its successor', async () => {
    const replica = boxReplica();
    replica.actors.push(simActorSpec('asker', 'asker', 'createAsker'));
    const sim = await Simulator.create({
      seed: 11,
      replicas: [replica],
      restartPolicy: POLICY,
      disk: { fsyncLatencyMs: { min: 300, max: 300 } },
    });
    await sim.run({
      maxSteps: 10_000,
      maxVirtualMs: 1_000,
      until: () => sim.actorState('r1', 'asker') === 'running',
    });
    // The first ask reaches the box, which is still waiting for its fsync when the asker dies.
    void sim
      .request('r1', 'asker', { type: 'ask-put', value: 1 } as AskerMessage, { timeoutMs: 10_000 })
      .catch(() => 0);
    await sim.run({ maxSteps: 10_000, maxVirtualMs: 10 });
    expect(
      (sim.inspectHost('r1', 'box') as { queued: number }).queued,
      'the ask is in the box, not queued',
    ).to.equal(0);
    expect(sim.crashActor('r1', 'asker', 'test')).to.equal(true);
    await sim.run({
      maxSteps: 10_000,
      maxVirtualMs: 5_000,
      until: () => sim.actorState('r1', 'asker') === 'running',
    });
    const answer = await settleRequest(
      sim,
      sim.request('r1', 'asker', { type: 'ask-put', value: 2 } as AskerMessage, { timeoutMs: 10_000 }),
    );
    expect(answer).to.deep.equal({ asked: 2, got: 2 });
  });
});
