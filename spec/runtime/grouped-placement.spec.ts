import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { monotonicClock, realTimers } from '../../runtime/clock.js';
import { ControlTimeoutError } from '../../runtime/errors.js';
import { ExternalEndpoint } from '../../runtime/external-endpoint.js';
import type { Frame } from '../../runtime/frames.js';
import { silentLogger } from '../../runtime/log.js';
import { osSeededRandom } from '../../runtime/random.js';
import { InThreadDelivery, InThreadLink } from '../../runtime/worker/in-thread-link.js';
import { parseThreadPlan, threadOf } from '../../runtime/worker/thread-plan.js';
import { WorkerPlacement } from '../../runtime/worker/worker-placement.js';
import type { CounterMessage } from '../fixtures/actors/durable-counter.js';
import type { RecorderMessage } from '../fixtures/actors/fifo-recorder.js';
import type { ProducerMessage } from '../fixtures/actors/producer.js';
import { counterSpec, producerSpec, recorderSpec, stubbornSpec } from '../fixtures/actors/specs.js';
import type { StubbornMessage } from '../fixtures/actors/stubborn.js';
import { pollUntil } from '../fixtures/poll-until.js';
import { nextEvent, startTestReplica, type TestReplica } from '../fixtures/test-replica.js';

describe('thread plan', () => {
  it('reads groups, puts unnamed actors alone, and refuses duplicates, empty names and junk', () => {
    const parsed = parseThreadPlan(' election+log+state-machine | storage | aws-lease,aws-serving ');
    expect(parsed.ok).to.equal(true);
    if (!parsed.ok) return;
    expect(parsed.plan.groups).to.deep.equal([
      ['election', 'log', 'state-machine'],
      ['storage'],
      ['aws-lease', 'aws-serving'],
    ]);
    expect(threadOf(parsed.plan, 'log')).to.equal('election+log+state-machine');
    expect(threadOf(parsed.plan, 'dns')).to.equal('dns');
    expect(parseThreadPlan('one-per-thread')).to.deep.equal({ ok: true, plan: { groups: [] } });
    expect(parseThreadPlan('log+storage | log')).to.include({
      ok: false,
      error: 'actor log is placed twice',
    });
    expect(parseThreadPlan('log++storage').ok).to.equal(false);
    expect(parseThreadPlan('').ok).to.equal(false);
    expect(parseThreadPlan('Log; rm -rf').ok).to.equal(false);
    expect(parseThreadPlan('a'.repeat(2_000)).ok).to.equal(false);
  });
});

describe('in-thread link', () => {
  const tell = (n: number, extra: Record<string, unknown> = {}): Frame => ({
    k: 'tell',
    body: { type: 'seq', n, ...extra } as never,
  });
  const bodies = (got: Array<readonly Frame[]>) =>
    got.flat().map((frame) => (frame.k === 'tell' ? frame.body : undefined));

  it('delivers later, not inside the post, in order across links, copied as postMessage copies', async () => {
    const delivery = new InThreadDelivery();
    const got: Array<readonly Frame[]> = [];
    const a = new InThreadLink(delivery, (frames) => got.push(frames));
    const b = new InThreadLink(delivery, (frames) => got.push(frames));
    const list = [1, 2];
    a.post([tell(1, { list })], []);
    b.post([tell(2)], []);
    a.post([tell(3)], []);
    list.push(99); // the sender reuses what it sent
    expect(got, 'nothing delivered synchronously').to.deep.equal([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(bodies(got)).to.deep.equal([
      { type: 'seq', n: 1, list: [1, 2] },
      { type: 'seq', n: 2 },
      { type: 'seq', n: 3 },
    ]);
  });

  it('moves transferred buffers (detached in the sender) and drops what is pending once closed', async () => {
    const delivery = new InThreadDelivery();
    const got: Array<readonly Frame[]> = [];
    const link = new InThreadLink(delivery, (frames) => got.push(frames));
    const bytes = new ArrayBuffer(1024);
    link.post([tell(1, { bytes })], [bytes]);
    expect(bytes.byteLength, 'detached in the sender').to.equal(0);
    link.post([tell(2)], []);
    link.close();
    link.post([tell(3)], []);
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).to.deep.equal([]);
  });
});

describe('grouped worker placement: several actors on one thread', function () {
  this.timeout(60_000);
  let running: TestReplica | undefined;

  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('runs the actors of a group on one thread, and the others alone', async () => {
    running = await startTestReplica(
      [
        counterSpec(),
        recorderSpec('recorder', { capacityPerSender: 8, policy: 'reject' }),
        producerSpec('p'),
      ],
      {
        threads: { groups: [['counter', 'recorder']] },
      },
    );
    const { placement } = running.replica;
    expect(placement.threadOf('recorder')).to.equal('counter+recorder');
    expect(placement.threadOf('p')).to.equal('p');
    expect(placement.threadCount).to.equal(2);
    expect((await placement.health()).map((h) => h.name)).to.have.members(['counter', 'recorder', 'p']);
  });

  it('keeps FIFO per sender with backpressure, for senders on the same thread and on another', async () => {
    // p1 and p2 share the recorder's thread (in-thread links), p3 runs alone (a MessagePort).
    const perProducer = 20_000;
    running = await startTestReplica(
      [
        recorderSpec('recorder', { capacityPerSender: 64, policy: 'reject' }),
        ...['p1', 'p2', 'p3'].map(producerSpec),
      ],
      { threads: { groups: [['recorder', 'p1', 'p2']] } },
    );
    const { external, placement } = running.replica;
    expect(placement.threadCount).to.equal(2);
    const results = await Promise.all(
      ['p1', 'p2', 'p3'].map((p) =>
        external.request(p, { type: 'produce', to: 'recorder', count: perProducer } as ProducerMessage, {
          timeoutMs: 50_000,
        }),
      ),
    );
    const report = await pollUntil('every message recorded', 20_000, async () => {
      const r = await external.request('recorder', { type: 'report' } as RecorderMessage, {
        timeoutMs: 5_000,
      });
      return Object.values(r.received).every((n) => n === perProducer) && Object.keys(r.received).length === 3
        ? r
        : undefined;
    });
    expect(report.violations, report.firstViolation).to.equal(0);
    expect(report.received).to.deep.equal({ p1: perProducer, p2: perProducer, p3: perProducer });
    // Backpressure held on the in-thread links too: the senders there were refused at 64 unconsumed.
    expect(results[0]?.rejections, 'p1 (in-thread) outran the 64-message mailbox').to.be.greaterThan(0);
    expect(results[1]?.rejections, 'p2 (in-thread) outran the 64-message mailbox').to.be.greaterThan(0);
    const health = await placement.health();
    for (const h of health) expect(h.creditsInUse, `${h.name} holds no credits once drained`).to.equal(0);
  });

  it('restarts every actor of a thread when one crashes; each recovers from its durable state', async () => {
    running = await startTestReplica(
      [
        counterSpec(),
        recorderSpec('recorder', { capacityPerSender: 64, policy: 'reject' }),
        producerSpec('p'),
      ],
      { threads: { groups: [['counter', 'recorder']] } },
    );
    const { external, supervisor, placement } = running.replica;
    for (let i = 1; i <= 3; i++)
      expect(
        await external.request('counter', { type: 'increment' } as CounterMessage, { timeoutMs: 5_000 }),
      ).to.equal(i);
    await external.request('p', { type: 'produce', to: 'recorder', count: 5 } as ProducerMessage, {
      timeoutMs: 5_000,
    });
    const restarted = new Set<string>();
    const bothRestarted = new Promise<void>((resolve) =>
      supervisor.on('restarted', (name: string) => {
        restarted.add(name);
        if (restarted.has('counter') && restarted.has('recorder')) resolve();
      }),
    );
    const crashed = nextEvent<[string, Error]>(supervisor, 'crashed', 10_000);
    expect(external.send('counter', { type: 'poison' }).status).to.equal('sent');
    await crashed;
    await Promise.race([
      bothRestarted,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`restarted only ${[...restarted]}`)), 20_000),
      ),
    ]);
    expect(restarted.has('p'), 'the actor on another thread kept running').to.equal(false);
    expect(placement.threadCount).to.equal(2);
    // The counter's state was durable; the recorder's was not (it starts over, empty).
    expect(
      await external.request('counter', { type: 'get' } as CounterMessage, { timeoutMs: 5_000 }),
    ).to.deep.equal({
      count: 3,
      starts: 2,
    });
    const fresh = await external.request('recorder', { type: 'report' } as RecorderMessage, {
      timeoutMs: 5_000,
    });
    expect(fresh.received).to.deep.equal({});
    // The actor on the other thread is linked to the new incarnation.
    await external.request('p', { type: 'produce', to: 'recorder', count: 5 } as ProducerMessage, {
      timeoutMs: 5_000,
    });
    const after = await pollUntil('the producer reaches the restarted recorder', 10_000, async () => {
      const r = await external.request('recorder', { type: 'report' } as RecorderMessage, {
        timeoutMs: 5_000,
      });
      return r.received.p === 5 ? r : undefined;
    });
    expect(after.violations).to.equal(0);
    expect(running.escalations).to.deep.equal([]);
  });

  it('bounds control calls to actors whose shared thread is stuck, and answers again once it is free', async () => {
    running = await startTestReplica([stubbornSpec('stubborn'), producerSpec('p')], {
      controlTimeoutMs: 300,
      threads: { groups: [['stubborn', 'p']] },
    });
    const { external, placement } = running.replica;
    expect((await placement.health()).map((h) => h.name)).to.have.members(['stubborn', 'p']);
    external.send('stubborn', { type: 'spin', ms: 2_000 });
    // The spin holds the thread: its neighbour cannot answer either, and no call waits past its bound.
    const error = await pollUntil('a control call to time out', 1_500, async () => {
      try {
        await placement.inspect('p');
        return undefined;
      } catch (e) {
        return e;
      }
    });
    expect(error).to.be.instanceOf(ControlTimeoutError);
    const started = Date.now();
    expect(await placement.health()).to.deep.equal([]);
    expect(Date.now() - started, 'health waits at most one control deadline').to.be.lessThan(1_500);
    await pollUntil('both answer again', 10_000, async () =>
      (await placement.health()).length === 2 ? true : undefined,
    );
    expect(
      await external.request('stubborn', { type: 'echo', value: 'back' } as StubbornMessage, {
        timeoutMs: 5_000,
      }),
    ).to.equal('back');
  });
});

describe('worker placement: threads booted ahead of the start', function () {
  this.timeout(60_000);

  function placementFor(dataDir: string): WorkerPlacement {
    const external = new ExternalEndpoint({
      replicaId: 'prepare-test',
      clock: monotonicClock,
      timers: realTimers,
      random: osSeededRandom(),
      log: silentLogger,
      openStore: async () => {
        throw new Error('no storage');
      },
      openTransport: async () => {
        throw new Error('no transport');
      },
      defer: queueMicrotask,
      onCrash: () => undefined,
    });
    return new WorkerPlacement({
      replicaId: 'prepare-test',
      dataDir,
      logLevel: 'silent',
      logFields: {},
      controlTimeoutMs: 5_000,
      log: silentLogger,
      external,
    });
  }

  it('boots every thread at once, starts no actor, and the actors then start on those threads', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'raftns-prepare-'));
    const placement = placementFor(dataDir);
    const specs = [counterSpec(), producerSpec('p')];
    placement.prepare(specs);
    expect(placement.threadCount, 'both threads boot before the first actor starts').to.equal(2);
    expect(await placement.health()).to.deep.equal([]);
    for (const spec of specs) await placement.spawn(spec);
    expect(placement.threadCount, 'the actors run on the threads booted for them').to.equal(2);
    expect((await placement.health()).map((h) => h.name)).to.have.members(['counter', 'p']);
    await placement.stopAll(1_000);
    expect(placement.threadCount).to.equal(0);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('ends a thread booted for an actor that never started (a start that failed before it)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'raftns-prepare-'));
    const placement = placementFor(dataDir);
    placement.prepare([counterSpec(), producerSpec('p')]);
    await placement.spawn(counterSpec());
    await placement.stopAll(1_000);
    expect(placement.threadCount, 'no thread left to keep the process alive').to.equal(0);
    await rm(dataDir, { recursive: true, force: true });
  });
});
