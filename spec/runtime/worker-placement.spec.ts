import { expect } from 'chai';
import type { ActorSpec } from '../../runtime/actor.js';
import { ControlTimeoutError, MailboxFullError, RequestTimeoutError } from '../../runtime/errors.js';
import type { CounterMessage } from '../fixtures/actors/durable-counter.js';
import type { FifoReport, RecorderMessage } from '../fixtures/actors/fifo-recorder.js';
import type { ProducerMessage } from '../fixtures/actors/producer.js';
import type { SlowBootMessage } from '../fixtures/actors/slow-boot.js';
import type { SlowStartMessage } from '../fixtures/actors/slow-start.js';
import {
  brokenModuleSpec,
  counterSpec,
  producerSpec,
  recorderSpec,
  slowBootSpec,
  slowStartSpec,
  stubbornSpec,
} from '../fixtures/actors/specs.js';
import type { StubbornMessage } from '../fixtures/actors/stubborn.js';
import { pollUntil } from '../fixtures/poll-until.js';
import {
  nextEvent,
  startTestReplica as startOnThreads,
  type TestReplica,
  type TestReplicaOptions,
} from '../fixtures/test-replica.js';

/**
 * Every test runs under both placements: each actor on a thread of its own, and every
 * actor of the test on one shared thread (in-thread links between them). A test that is
 * about separate threads says so and runs under the first only.
 */
const PLACEMENTS = [
  { label: 'one actor per thread', shared: false },
  { label: 'all actors on one shared thread', shared: true },
] as const;

for (const { label, shared } of PLACEMENTS)
  describe(`worker placement and supervision (${label})`, function () {
    this.timeout(60_000);
    let running: TestReplica | undefined;
    const startTestReplica = (specs: readonly ActorSpec[], options: TestReplicaOptions = {}) =>
      startOnThreads(
        specs,
        shared ? { ...options, threads: { groups: [specs.map((spec) => spec.name)] } } : options,
      );

    afterEach(async () => {
      await running?.stop();
      running = undefined;
    });

    it('restarts an actor that throws on a poison message, and it continues from its durable state', async () => {
      running = await startTestReplica([counterSpec()]);
      const { external, supervisor } = running.replica;
      for (let i = 1; i <= 3; i++) {
        expect(
          await external.request('counter', { type: 'increment' } as CounterMessage, { timeoutMs: 5_000 }),
        ).to.equal(i);
      }
      const restarted = nextEvent<[string, number]>(supervisor, 'restarted', 10_000);
      expect(external.send('counter', { type: 'poison' }).status).to.equal('sent');
      const [name, attempt] = await restarted;
      expect([name, attempt]).to.deep.equal(['counter', 1]);
      const state = await external.request('counter', { type: 'get' } as CounterMessage, {
        timeoutMs: 5_000,
      });
      expect(state).to.deep.equal({ count: 3, starts: 2 });
      expect(
        await external.request('counter', { type: 'increment' } as CounterMessage, { timeoutMs: 5_000 }),
      ).to.equal(4);
      expect(running.escalations).to.deep.equal([]);
    });

    it('escalates when an actor crashes more often than its restart budget allows', async () => {
      running = await startTestReplica([counterSpec()], {
        restartPolicy: { maxRestarts: 2, windowMs: 60_000 },
      });
      const { external, supervisor } = running.replica;
      const escalated = nextEvent<[string]>(supervisor, 'escalated', 20_000);
      supervisor.on('restarted', () => external.send('counter', { type: 'poison' }));
      external.send('counter', { type: 'poison' });
      const [reason] = await escalated;
      expect(reason).to.match(/actor counter: 3 crashes within 60000 ms exceed the budget of 2/);
      expect(running.escalations).to.have.length(1);
    });

    it('keeps FIFO order per sender under load, with backpressure', async () => {
      const producers = ['p1', 'p2', 'p3'];
      const perProducer = 20_000;
      running = await startTestReplica([
        recorderSpec('recorder', { capacityPerSender: 64, policy: 'reject' }),
        ...producers.map(producerSpec),
      ]);
      const { external } = running.replica;
      const results = await Promise.all(
        producers.map((p) =>
          external.request(p, { type: 'produce', to: 'recorder', count: perProducer } as ProducerMessage, {
            timeoutMs: 50_000,
          }),
        ),
      );
      const report = await pollUntil('every message recorded', 20_000, async () => {
        const r = await external.request('recorder', { type: 'report' } as RecorderMessage, {
          timeoutMs: 5_000,
        });
        return Object.values(r.received).every((n) => n === perProducer) &&
          Object.keys(r.received).length === 3
          ? r
          : undefined;
      });
      expect(report.violations, report.firstViolation).to.equal(0);
      expect(report.received).to.deep.equal({ p1: perProducer, p2: perProducer, p3: perProducer });
      const rejections = results.reduce((sum, r) => sum + r.rejections, 0);
      expect(rejections, 'producers outran a 64-message mailbox at least once').to.be.greaterThan(0);
    });

    it('rejects with a typed error when a reject-policy mailbox is full, and accepts again once it drains', async () => {
      running = await startTestReplica([
        recorderSpec('recorder', { capacityPerSender: 4, policy: 'reject' }),
      ]);
      const { external } = running.replica;
      expect(external.canSend('recorder')).to.equal(true);
      expect(external.canSend('nobody')).to.equal(false);
      const results = Array.from({ length: 10 }, (_, n) =>
        external.send('recorder', { type: 'seq', producer: 'x', n }),
      );
      expect(results.filter((r) => r.status === 'sent')).to.have.length(4);
      expect(external.canSend('recorder'), 'no credit left').to.equal(false);
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected).to.have.length(6);
      for (const r of rejected) expect(r.status === 'rejected' && r.error).to.be.instanceOf(MailboxFullError);
      const ask = () =>
        external.request('recorder', { type: 'report' } as RecorderMessage, { timeoutMs: 5_000 });
      await pollUntil('the first four consumed', 5_000, async () =>
        (await ask()).received.x === 4 ? true : undefined,
      );
      expect(external.canSend('recorder'), 'credit back once consumed').to.equal(true);
      expect(external.send('recorder', { type: 'seq', producer: 'x', n: 4 }).status).to.equal('sent');
      const report: FifoReport = await pollUntil('the fifth consumed', 5_000, async () => {
        const r = await ask();
        return r.received.x === 5 ? r : undefined;
      });
      expect(report.violations).to.equal(0);
    });

    it('drops and counts when a drop-policy mailbox is full', async () => {
      running = await startTestReplica([recorderSpec('recorder', { capacityPerSender: 4, policy: 'drop' })]);
      const { external } = running.replica;
      const before = external.metrics.sendsDropped;
      const statuses = Array.from(
        { length: 10 },
        (_, n) => external.send('recorder', { type: 'seq', producer: 'x', n }).status,
      );
      expect(statuses).to.deep.equal(['sent', 'sent', 'sent', 'sent', ...Array(6).fill('dropped')]);
      expect(external.metrics.sendsDropped - before).to.equal(6);
    });

    it('fails a request that gets no answer at its deadline', async () => {
      running = await startTestReplica([stubbornSpec('stubborn')]);
      const { external } = running.replica;
      const started = Date.now();
      let error: unknown;
      try {
        await external.request('stubborn', { type: 'never-answer' } as StubbornMessage, { timeoutMs: 200 });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(RequestTimeoutError);
      expect(Date.now() - started).to.be.within(150, 5_000);
    });

    it('transfers ArrayBuffers instead of copying them', async () => {
      running = await startTestReplica([stubbornSpec('stubborn')]);
      const { external } = running.replica;
      const bytes = new ArrayBuffer(1 << 20);
      const length = external.request('stubborn', { type: 'measure', bytes } as StubbornMessage, {
        timeoutMs: 5_000,
        transfer: [bytes],
      });
      expect(await length).to.equal(1 << 20);
      expect(bytes.byteLength, 'detached in the sender').to.equal(0);
    });

    it('bounds control-plane calls to a worker whose thread is stuck', async () => {
      running = await startTestReplica([stubbornSpec('stubborn')], { controlTimeoutMs: 300 });
      const { external, placement } = running.replica;
      expect(
        await external.request('stubborn', { type: 'echo', value: 'hi' } as StubbornMessage, {
          timeoutMs: 5_000,
        }),
      ).to.equal('hi');
      external.send('stubborn', { type: 'spin', ms: 3_000 });
      const error = await pollUntil('a control call to time out', 2_500, async () => {
        try {
          await placement.inspect('stubborn');
          return undefined;
        } catch (e) {
          return e;
        }
      });
      expect(error).to.be.instanceOf(ControlTimeoutError);
    });
    it('reports each answering worker’s mailbox and credits, and leaves out one whose thread is stuck', async function () {
      // Two actors on separate threads: one stuck, one answering (grouped-placement.spec.ts has the shared case).
      if (shared) this.skip();
      running = await startTestReplica([stubbornSpec('stubborn'), producerSpec('p')], {
        controlTimeoutMs: 300,
      });
      const { external, placement } = running.replica;
      const healthOf = async (name: string) => (await placement.health()).find((h) => h.name === name);
      const idle = await healthOf('p');
      expect(idle).to.include({ queued: 0, creditsInUse: 0 });
      expect(idle?.creditsAvailable).to.be.greaterThan(0);
      // 5 s of spinning: long enough that the produce request and the health asks below end
      // before the stuck actor consumes anything, even on a loaded machine.
      external.send('stubborn', { type: 'spin', ms: 5_000 });
      // The stuck actor consumes nothing: the producer's ten messages hold ten credits.
      await external.request('p', { type: 'produce', to: 'stubborn', count: 10 } as ProducerMessage, {
        timeoutMs: 5_000,
      });
      const stuck = await placement.health();
      expect(stuck.map((h) => h.name)).to.deep.equal(['p']);
      expect(stuck[0]).to.include({ creditsInUse: 10, creditsAvailable: (idle?.creditsAvailable ?? 0) - 10 });
      const drained = await pollUntil('the stubborn actor consumed them', 15_000, async () => {
        const health = await placement.health();
        return health.length === 2 && health.every((h) => h.creditsInUse === 0 && h.queued === 0)
          ? health
          : undefined;
      });
      expect(drained.find((h) => h.name === 'p')?.creditsAvailable).to.equal(idle?.creditsAvailable);
    });

    it('waits for a worker whose modules load slower than a control call may take', async () => {
      // 3 s of module loading against a 1 s control deadline: the boot is awaited on its own
      // bound, so the first control call finds the worker ready.
      running = await startTestReplica([slowBootSpec('slow')], { controlTimeoutMs: 1_000 });
      const answer = await running.replica.external.request(
        'slow',
        { type: 'echo', value: 'booted' } as SlowBootMessage,
        { timeoutMs: 5_000 },
      );
      expect(answer).to.equal('booted');
    });

    it('waits for an actor whose start takes longer than a control call may take', async () => {
      // 3 s of recovery against a 1 s control deadline: the start-up is bounded as a whole
      // (60 s by default), not by the control deadline, so the replica starts.
      running = await startTestReplica([slowStartSpec('slow', { startSpinMs: 3_000 })], {
        controlTimeoutMs: 1_000,
      });
      const answer = await running.replica.external.request(
        'slow',
        { type: 'echo', value: 'started' } as SlowStartMessage,
        { timeoutMs: 5_000 },
      );
      expect(answer).to.equal('started');
    });

    it('fails the start at once when a worker exits during its start', async () => {
      const started = Date.now();
      const error = await startTestReplica([slowStartSpec('dying', { exitInStart: true })], {
        controlTimeoutMs: 300,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.match(/exited with code 7/);
      expect(Date.now() - started, 'no waiting for the start-up bound').to.be.lessThan(10_000);
    });

    it("fails the start at once, with the module's own error, when a worker dies while booting", async () => {
      const started = Date.now();
      const error = await startTestReplica([brokenModuleSpec('broken')], { controlTimeoutMs: 300 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.match(/broken-module: cannot load/);
      expect(Date.now() - started, 'no waiting for the boot bound').to.be.lessThan(10_000);
    });
  });
