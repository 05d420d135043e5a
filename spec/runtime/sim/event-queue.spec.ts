import { expect } from 'chai';
import { EventQueue, type SimEvent } from '../../../runtime/sim/event-queue.js';
import { DriftingClock, VirtualClock, VirtualTimers } from '../../../runtime/sim/virtual-clock.js';

function event(detail: string, fired: string[]): SimEvent {
  return { kind: 'scenario', replica: '', actor: '', detail, settles: false, fire: () => fired.push(detail) };
}

function drain(queue: EventQueue, clock?: VirtualClock): void {
  for (let next = queue.pop(); next !== undefined; next = queue.pop()) {
    clock?.advanceTo(next.atMs);
    next.event.fire();
  }
}

describe('EventQueue', () => {
  it('orders by time, then by scheduling order for ties', () => {
    const queue = new EventQueue();
    const fired: string[] = [];
    queue.schedule(5, event('c', fired));
    queue.schedule(1, event('a', fired));
    queue.schedule(5, event('d', fired));
    queue.schedule(3, event('b', fired));
    queue.schedule(5, event('e', fired));
    queue.schedule(0, event('first', fired));
    drain(queue);
    expect(fired).to.deep.equal(['first', 'a', 'b', 'c', 'd', 'e']);
  });

  it('stays ordered under many random insertions (heap property)', () => {
    const queue = new EventQueue();
    const fired: string[] = [];
    const times: Array<[number, number]> = [];
    let x = 17;
    for (let i = 0; i < 2000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      const at = x % 100;
      times.push([at, i]);
      queue.schedule(at, event(`${at}:${i}`, fired));
    }
    drain(queue);
    times.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    expect(fired).to.deep.equal(times.map(([at, i]) => `${at}:${i}`));
  });

  it('skips cancelled events and counts only live ones', () => {
    const queue = new EventQueue();
    const fired: string[] = [];
    const a = queue.schedule(1, event('a', fired));
    queue.schedule(2, event('b', fired));
    const c = queue.schedule(3, event('c', fired));
    expect(queue.size).to.equal(3);
    a.cancel();
    a.cancel();
    c.cancel();
    expect(queue.size).to.equal(1);
    expect(queue.peek()?.event.detail).to.equal('b');
    drain(queue);
    expect(fired).to.deep.equal(['b']);
    expect(queue.size).to.equal(0);
  });

  it('ignores a cancel after the event fired', () => {
    const queue = new EventQueue();
    const fired: string[] = [];
    const a = queue.schedule(1, event('a', fired));
    queue.schedule(2, event('b', fired));
    queue.pop()?.event.fire();
    a.cancel();
    expect(queue.size).to.equal(1);
  });

  it('rejects a non-finite time', () => {
    const queue = new EventQueue();
    expect(() => queue.schedule(Number.NaN, event('x', []))).to.throw(RangeError);
  });
});

describe('VirtualTimers', () => {
  it('fires after the delay of virtual time, in order, and not once cancelled or once the owner died', () => {
    const clock = new VirtualClock();
    const queue = new EventQueue();
    const owner = { replica: 'r', actor: 'a', alive: true };
    const timers = new VirtualTimers(clock, queue, owner);
    const fired: Array<[string, number]> = [];
    timers.after(10, () => fired.push(['ten', clock.nowMs()]));
    timers.after(5, () => fired.push(['five', clock.nowMs()]));
    const cancel = timers.after(7, () => fired.push(['seven', clock.nowMs()]));
    timers.after(-3, () => fired.push(['now', clock.nowMs()]));
    cancel();
    drain(queue, clock);
    expect(fired).to.deep.equal([
      ['now', 0],
      ['five', 5],
      ['ten', 10],
    ]);
    timers.after(1, () => fired.push(['late', clock.nowMs()]));
    owner.alive = false;
    drain(queue, clock);
    expect(fired).to.have.length(3);
  });

  it("a drifting replica's clock and timers run at its rate: a fast clock's timer fires early in virtual time", () => {
    const clock = new VirtualClock();
    const queue = new EventQueue();
    const fast = new DriftingClock(clock, 1.25);
    const slow = new DriftingClock(clock, 0.8);
    const fired: Array<[string, number, number]> = [];
    new VirtualTimers(clock, queue, { replica: 'f', actor: 'a', alive: true }, fast.rate).after(100, () =>
      fired.push(['fast', clock.nowMs(), fast.nowMs()]),
    );
    new VirtualTimers(clock, queue, { replica: 's', actor: 'a', alive: true }, slow.rate).after(100, () =>
      fired.push(['slow', clock.nowMs(), slow.nowMs()]),
    );
    drain(queue, clock);
    // Each waited 100 of its own milliseconds: 80 and 125 virtual ones.
    expect(fired).to.deep.equal([
      ['fast', 80, 100],
      ['slow', 125, 100],
    ]);
    expect(() => new DriftingClock(clock, 3)).to.throw(RangeError);
  });

  it('never lets time go backwards', () => {
    const clock = new VirtualClock();
    clock.advanceTo(5);
    expect(() => clock.advanceTo(4)).to.throw(RangeError);
  });
});
