import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { BootstrapError } from '../../bootstrap/errors.js';
import { PlanStore, waitForPlan } from '../../bootstrap/plan-store.js';
import { liveInstances, Registration } from '../../bootstrap/registry.js';
import { type ClusterPlan, examplePlan, PLAN_KEY } from '../../protocol/plan.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';

async function rejection(promise: Promise<unknown>): Promise<BootstrapError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BootstrapError) return error;
    throw error;
  }
  expect.fail('expected a BootstrapError');
}

describe('bootstrap/plan-store and registry (real nats-server with JetStream)', function () {
  this.timeout(60_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let clusters = 0;
  /** A fresh cluster name per test: its own buckets. */
  const fresh = () => `c${++clusters}`;

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'plan-store-spec', log: silentLogger });
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
  });

  describe('initPlan', () => {
    it('creates the plan once; the same plan again is unchanged', async () => {
      const cluster = fresh();
      const store = await PlanStore.create(nc, cluster);
      expect(await store.readPlan()).to.equal(undefined);
      const plan = examplePlan(cluster, ['eu', 'us']);
      const first = await store.initPlan(plan);
      expect(first.outcome).to.equal('created');
      const again = await (await PlanStore.create(nc, cluster)).initPlan(JSON.parse(JSON.stringify(plan)));
      expect(again.outcome).to.equal('unchanged');
      expect(await store.readPlan()).to.deep.equal(first.plan);
      expect((await store.plan.history({ key: PLAN_KEY })) !== undefined).to.equal(true);
      let revisions = 0;
      for await (const _ of await store.plan.history({ key: PLAN_KEY })) revisions++;
      expect(revisions).to.equal(1);
    });

    it('refuses a different plan, naming every difference, and keeps the stored one', async () => {
      const cluster = fresh();
      const store = await PlanStore.create(nc, cluster);
      const plan = examplePlan(cluster, ['eu']);
      await store.initPlan(plan);
      const other: ClusterPlan = { ...plan, regions: ['eu', 'us'], replicasPerGroup: 5 };
      const error = await rejection(store.initPlan(other));
      expect(error.code).to.equal('plan-different');
      expect(error.details).to.deep.equal([
        'regions: stored ["eu"], given ["eu","us"]',
        'replicasPerGroup: stored 3, given 5',
      ]);
      expect(error.message).to.contain('replicasPerGroup: stored 3, given 5');
      expect((await store.readPlan())?.regions).to.deep.equal(['eu']);
    });

    it('refuses an invalid plan with every problem, and a plan for another cluster', async () => {
      const cluster = fresh();
      const store = await PlanStore.create(nc, cluster);
      const invalid = { ...examplePlan(cluster, ['eu', 'eu']), replicasPerGroup: 2 };
      const error = await rejection(store.initPlan(invalid));
      expect(error.code).to.equal('plan-invalid');
      expect(error.details).to.have.length(2);
      expect((await rejection(store.initPlan(examplePlan('elsewhere', ['eu'])))).code).to.equal(
        'cluster-mismatch',
      );
      expect(await store.readPlan()).to.equal(undefined);
    });

    it('lets exactly one of several concurrent inits create the plan', async () => {
      const cluster = fresh();
      const plan = examplePlan(cluster, ['eu']);
      const connections = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          connectNats({ urls: [nats.url], name: `init-${i}`, log: silentLogger }),
        ),
      );
      try {
        const outcomes = await Promise.all(
          connections.map(async (c) => (await PlanStore.create(c, cluster)).initPlan(plan)),
        );
        expect(outcomes.filter((o) => o.outcome === 'created')).to.have.length(1);
        expect(outcomes.filter((o) => o.outcome === 'unchanged')).to.have.length(5);
      } finally {
        await Promise.all(connections.map((c) => c.close()));
      }
    });

    it('fails readPlan loudly on a stored plan that is invalid', async () => {
      const cluster = fresh();
      const store = await PlanStore.create(nc, cluster);
      await store.plan.put(
        PLAN_KEY,
        JSON.stringify({ ...examplePlan(cluster, ['eu']), replicasPerGroup: 2 }),
      );
      expect((await rejection(store.readPlan())).code).to.equal('plan-invalid');
    });
  });

  describe('waitForPlan', () => {
    it('waits (reporting) while there are no buckets or no plan, and returns the plan once written', async () => {
      const cluster = fresh();
      let reports = 0;
      let resolved = false;
      const waiting = waitForPlan(nc, cluster, {
        pollMs: 20,
        reportEveryMs: 50,
        onWaiting: () => reports++,
      }).then((result) => {
        resolved = true;
        return result;
      });
      await pollUntil('two reports of waiting', 10_000, async () => (reports >= 2 ? true : undefined));
      expect(resolved).to.equal(false);
      const plan = examplePlan(cluster, ['eu']);
      await (await PlanStore.create(nc, cluster)).initPlan(plan);
      const { plan: read } = await waiting;
      expect(read.cluster).to.equal(cluster);
      expect(read.groups.map((g) => g.id)).to.deep.equal(['root', 'org', 'wikipedia-org']);
    });

    it('waits while the stored plan is not yet accepted (a region not added yet), saying why, and returns the plan that is', async () => {
      const cluster = fresh();
      const store = await PlanStore.create(nc, cluster);
      await store.initPlan(examplePlan(cluster, ['eu']));
      const said: string[] = [];
      let resolved = false;
      const waiting = waitForPlan(nc, cluster, {
        pollMs: 20,
        reportEveryMs: 50,
        notYet: (plan) => (plan.regions.includes('us') ? undefined : 'region us is not in the plan yet'),
        onWaiting: (_, waitingFor) => said.push(waitingFor),
      }).then((result) => {
        resolved = true;
        return result;
      });
      await pollUntil('two reports of waiting', 10_000, async () => (said.length >= 2 ? true : undefined));
      expect(resolved).to.equal(false);
      expect(said[0]).to.equal('region us is not in the plan yet');
      await store.plan.put(PLAN_KEY, JSON.stringify(examplePlan(cluster, ['eu', 'us'])));
      const { plan } = await waiting;
      expect(plan.regions).to.deep.equal(['eu', 'us']);
    });

    it('gives up at its deadline with plan-timeout', async () => {
      const error = await rejection(waitForPlan(nc, fresh(), { pollMs: 20, deadlineMs: Date.now() + 200 }));
      expect(error.code).to.equal('plan-timeout');
    });
  });

  describe('registry', () => {
    it('registers idempotently, heartbeats (seq grows) and lists live instances', async () => {
      const cluster = fresh();
      const store = await PlanStore.create(nc, cluster, { registrationTtlMs: 3_000 });
      const a = await Registration.register(
        store.instances,
        { instanceId: 'i-a', region: 'eu', dnsAddresses: ['192.0.2.1'], dnsPort: 53 },
        { log: silentLogger, heartbeatMs: 50 },
      );
      const b = await Registration.register(
        store.instances,
        { instanceId: 'i-b', region: 'us', dnsAddresses: ['192.0.2.2', '2001:db8::2'], dnsPort: 5353 },
        { log: silentLogger },
      );
      try {
        expect(b.heartbeatMs).to.equal(1_000); // a third of the bucket's TTL
        const seen = await pollUntil('a heartbeat of i-a', 10_000, async () => {
          const live = await liveInstances(store);
          const mine = live.find((r) => r.instanceId === 'i-a');
          return mine !== undefined && mine.heartbeatSeq >= 2 ? live : undefined;
        });
        expect(seen.map((r) => r.instanceId)).to.deep.equal(['i-a', 'i-b']);
        expect(seen[1]).to.include({ region: 'us', dnsPort: 5353 });
        expect(seen[1]?.dnsAddresses).to.deep.equal(['192.0.2.2', '2001:db8::2']);
        await a.update({ dnsPort: 5300 });
        const updated = (await liveInstances(store)).find((r) => r.instanceId === 'i-a');
        expect(updated?.dnsPort).to.equal(5300);
        // A restart registers again under the same id: one entry, a new startedAt.
        await a.stop();
        const again = await Registration.register(
          store.instances,
          { instanceId: 'i-a', region: 'eu', dnsAddresses: ['192.0.2.1'], dnsPort: 53, startedAt: 'later' },
          { log: silentLogger },
        );
        await again.stop();
        const live = await liveInstances(store);
        expect(
          live.filter((r) => r.instanceId === 'i-a').map((r) => [r.startedAt, r.heartbeatSeq]),
        ).to.deep.equal([['later', 0]]);
      } finally {
        await a.stop();
        await b.stop();
      }
    });

    it('refuses a live registration of the same id in another region', async () => {
      const store = await PlanStore.create(nc, fresh());
      const a = await Registration.register(
        store.instances,
        { instanceId: 'i-a', region: 'eu', dnsAddresses: [], dnsPort: 53 },
        { log: silentLogger },
      );
      await a.stop();
      const error = await rejection(
        Registration.register(
          store.instances,
          { instanceId: 'i-a', region: 'us', dnsAddresses: [], dnsPort: 53 },
          { log: silentLogger },
        ),
      );
      expect(error.code).to.equal('instance-conflict');
    });

    it('forgets an instance one TTL after its last heartbeat, keeps one that heartbeats', async () => {
      const store = await PlanStore.create(nc, fresh(), { registrationTtlMs: 1_000 });
      const stays = await Registration.register(
        store.instances,
        { instanceId: 'stays', region: 'eu', dnsAddresses: [], dnsPort: 53 },
        { log: silentLogger },
      );
      const goes = await Registration.register(
        store.instances,
        { instanceId: 'goes', region: 'eu', dnsAddresses: [], dnsPort: 53 },
        { log: silentLogger },
      );
      try {
        await goes.stop();
        const stoppedAt = Date.now();
        const live = await pollUntil('the stopped instance to expire', 15_000, async () => {
          const ids = (await liveInstances(store)).map((r) => r.instanceId);
          return ids.includes('goes') ? undefined : ids;
        });
        expect(Date.now() - stoppedAt).to.be.greaterThan(500);
        expect(live).to.deep.equal(['stays']);
      } finally {
        await stays.stop();
      }
    });
  });
});
