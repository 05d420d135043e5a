import { expect } from 'chai';
import { SeededRandom } from '../../../runtime/random.js';
import { EventQueue } from '../../../runtime/sim/event-queue.js';
import { SimNetwork, type SimNetworkConfig } from '../../../runtime/sim/sim-network.js';
import { VirtualClock } from '../../../runtime/sim/virtual-clock.js';

interface Arrival {
  readonly from: string;
  readonly to: string;
  readonly n: number;
  readonly atMs: number;
}

function world(seed: number, config: Partial<SimNetworkConfig>, replicas = ['a', 'b', 'c']) {
  const clock = new VirtualClock();
  const queue = new EventQueue();
  const network = new SimNetwork({ clock, queue, random: new SeededRandom(seed) }, config);
  for (const r of replicas) network.addReplica(r);
  const arrivals: Arrival[] = [];
  const transports = new Map(
    replicas.map((r) => {
      const transport = network.open(r, 'raft');
      transport.onFrame((from, bytes) =>
        arrivals.push({ from, to: r, n: bytes[0] ?? -1, atMs: clock.nowMs() }),
      );
      return [r, transport] as const;
    }),
  );
  const runEvents = (untilMs = Number.POSITIVE_INFINITY) => {
    for (let next = queue.peek(); next !== undefined && next.atMs <= untilMs; next = queue.peek()) {
      queue.pop();
      clock.advanceTo(next.atMs);
      next.event.fire();
    }
  };
  const transport = (r: string) => {
    const t = transports.get(r);
    if (t === undefined) throw new Error(`no transport for ${r}`);
    return t;
  };
  return { clock, network, arrivals, transport, runEvents };
}

/** Sends `count` one-byte frames numbered 0..count-1 (mod 256) from `from` to `to`. */
function sendNumbered(send: (peer: string, bytes: Uint8Array) => boolean, to: string, count: number) {
  for (let n = 0; n < count; n++) send(to, new Uint8Array([n % 256]));
}

describe('SimNetwork', () => {
  it('loses, duplicates and reorders frames at the configured rates', () => {
    const { network, arrivals, transport, runEvents } = world(11, {
      dropProbability: 0.1,
      duplicateProbability: 0.05,
      delayMs: { min: 1, max: 20 },
      maxInFlightPerLink: 4096,
    });
    const a = transport('a');
    sendNumbered((peer, bytes) => a.send(peer, bytes), 'b', 2000);
    runEvents();
    const { stats } = network;
    expect(stats.overflowDropped).to.equal(0);
    expect(stats.dropped + stats.sent).to.equal(2000);
    expect(stats.dropped).to.be.within(150, 250);
    expect(stats.duplicated).to.be.within(50, 130);
    expect(stats.delivered).to.equal(stats.sent + stats.duplicated);
    expect(arrivals).to.have.length(stats.delivered);
    // Independent delays reorder: some frame arrives before one sent earlier.
    let inversions = 0;
    const first = arrivals.filter((x) => x.atMs < 1000).slice(0, 200);
    for (let i = 1; i < first.length; i++)
      if ((first[i] as Arrival).n < (first[i - 1] as Arrival).n) inversions++;
    expect(inversions).to.be.greaterThan(10);
    for (const x of arrivals) expect(x.atMs).to.be.within(1, 20);
  });

  it('is exactly reproducible for a seed and differs across seeds', () => {
    const run = (seed: number) => {
      const { arrivals, transport, runEvents, network } = world(seed, {
        dropProbability: 0.2,
        duplicateProbability: 0.1,
        delayMs: { min: 0, max: 9 },
      });
      for (const from of ['a', 'b', 'c']) {
        const t = transport(from);
        for (const to of ['a', 'b', 'c']) if (to !== from) sendNumbered((p, b) => t.send(p, b), to, 100);
      }
      runEvents();
      return { arrivals, stats: { ...network.stats } };
    };
    expect(run(5)).to.deep.equal(run(5));
    expect(run(5).arrivals).to.not.deep.equal(run(6).arrivals);
  });

  it('cuts both directions of a partition until healed, and isolates a replica', () => {
    const { network, arrivals, transport, runEvents } = world(12, { delayMs: { min: 1, max: 1 } });
    network.partition(['a'], ['b']);
    transport('a').send('b', new Uint8Array([1]));
    transport('b').send('a', new Uint8Array([2]));
    transport('a').send('c', new Uint8Array([3]));
    runEvents();
    expect(arrivals.map((x) => x.n)).to.deep.equal([3]);
    expect(network.stats.partitionDropped).to.equal(2);
    network.heal();
    transport('a').send('b', new Uint8Array([4]));
    runEvents();
    expect(arrivals.map((x) => x.n)).to.deep.equal([3, 4]);
    network.isolate('c');
    transport('c').send('a', new Uint8Array([5]));
    transport('b').send('c', new Uint8Array([6]));
    transport('a').send('b', new Uint8Array([7]));
    runEvents();
    expect(arrivals.map((x) => x.n)).to.deep.equal([3, 4, 7]);
  });

  it('drops frames in flight when a partition starts before they arrive', () => {
    const { network, arrivals, transport, runEvents } = world(13, { delayMs: { min: 10, max: 10 } });
    transport('a').send('b', new Uint8Array([1]));
    runEvents(5);
    network.partition(['a'], ['b']);
    runEvents();
    expect(arrivals).to.deep.equal([]);
    expect(network.stats.partitionDropped).to.equal(1);
  });

  it('delivers nothing to a down replica, and nothing from it', () => {
    const { network, arrivals, transport, runEvents } = world(14, { delayMs: { min: 1, max: 1 } });
    network.setUp('b', false);
    transport('a').send('b', new Uint8Array([1]));
    transport('b').send('a', new Uint8Array([2]));
    runEvents();
    expect(arrivals).to.deep.equal([]);
    expect(network.stats.downDropped).to.equal(2);
    network.setUp('b', true);
    transport('a').send('b', new Uint8Array([3]));
    runEvents();
    expect(arrivals.map((x) => x.n)).to.deep.equal([3]);
  });

  it('bounds frames in flight per link, dropping and counting the excess', () => {
    const { network, arrivals, transport, runEvents } = world(15, {
      delayMs: { min: 5, max: 5 },
      maxInFlightPerLink: 8,
    });
    sendNumbered((p, b) => transport('a').send(p, b), 'b', 20);
    sendNumbered((p, b) => transport('c').send(p, b), 'b', 3);
    expect(network.framesInFlight('a', 'b', 'raft')).to.equal(8);
    runEvents();
    expect(network.stats.overflowDropped).to.equal(12);
    expect(arrivals).to.have.length(11);
    expect(network.framesInFlight('a', 'b', 'raft')).to.equal(0);
    sendNumbered((p, b) => transport('a').send(p, b), 'b', 8);
    runEvents();
    expect(arrivals).to.have.length(19);
  });

  it('copies frames on send, and refuses unknown peers, oversized frames and closed transports', async () => {
    const { network, transport, runEvents } = world(16, { delayMs: { min: 1, max: 1 }, frameBytesMax: 4 });
    const received: Uint8Array[] = [];
    const b = network.open('b', 'other');
    b.onFrame((_from, bytes) => received.push(bytes));
    const a = network.open('a', 'other');
    const frame = new Uint8Array([1, 2, 3]);
    expect(a.send('b', frame)).to.equal(true);
    frame[0] = 99;
    runEvents();
    expect([...(received[0] ?? [])]).to.deep.equal([1, 2, 3]);
    expect(a.send('nobody', new Uint8Array([1]))).to.equal(false);
    expect(a.send('a', new Uint8Array([1]))).to.equal(false);
    expect(a.send('b', new Uint8Array(5))).to.equal(false);
    await a.close();
    expect(a.send('b', new Uint8Array([1]))).to.equal(false);
    expect(network.stats.refused).to.equal(4);
    // One listener per channel: a second open transport may not take over a live one.
    expect(() => network.open('b', 'other').onFrame(() => undefined)).to.throw(/already listens/);
    expect(transport('c').self).to.equal('c');
  });
});
