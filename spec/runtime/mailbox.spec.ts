import { expect } from 'chai';
import fc from 'fast-check';
import { Mailbox } from '../../runtime/mailbox.js';

describe('Mailbox', () => {
  it('bounds each sender separately and reports a full queue', () => {
    const mailbox = new Mailbox<number>({ capacityPerSender: 2, policy: 'reject' });
    expect(mailbox.enqueue('a', 1)).to.equal(true);
    expect(mailbox.enqueue('a', 2)).to.equal(true);
    expect(mailbox.enqueue('a', 3)).to.equal(false);
    expect(mailbox.enqueue('b', 1)).to.equal(true);
    expect(mailbox.size).to.equal(3);
  });

  it('serves senders round robin, FIFO within each', () => {
    const mailbox = new Mailbox<string>({ capacityPerSender: 10, policy: 'reject' });
    for (const item of ['a1', 'a2', 'a3']) mailbox.enqueue('a', item);
    for (const item of ['b1', 'b2']) mailbox.enqueue('b', item);
    const order: string[] = [];
    for (let next = mailbox.dequeue(); next !== undefined; next = mailbox.dequeue()) order.push(next.item);
    expect(order).to.deep.equal(['a1', 'b1', 'a2', 'b2', 'a3']);
  });

  it('keeps per-sender FIFO under any interleaving of enqueues and picks (property)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), sender: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ kind: fc.constant('take' as const), sender: fc.integer({ min: 0, max: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const mailbox = new Mailbox<number>({ capacityPerSender: 5, policy: 'drop' });
        const sent = [0, 0, 0, 0];
        const lastSeen = [-1, -1, -1, -1];
        let accepted = 0;
        let taken = 0;
        for (const o of ops) {
          if (o.kind === 'put') {
            if (mailbox.enqueue(`s${o.sender}`, sent[o.sender] as number)) {
              sent[o.sender] = (sent[o.sender] as number) + 1;
              accepted++;
            }
          } else {
            const next = mailbox.dequeueFrom(`s${o.sender}`) ?? mailbox.dequeue();
            if (next === undefined) continue;
            taken++;
            const s = Number(next.sender.slice(1));
            expect(next.item).to.equal((lastSeen[s] as number) + 1);
            lastSeen[s] = next.item;
          }
          expect(mailbox.size).to.equal(accepted - taken);
          for (let s = 0; s < 4; s++) expect(mailbox.queuedFrom(`s${s}`)).to.be.at.most(5);
        }
      }),
      { seed: 42 },
    );
  });

  it('loses everything on clear, as a crash does', () => {
    const mailbox = new Mailbox<number>({ capacityPerSender: 4, policy: 'reject' });
    mailbox.enqueue('a', 1);
    mailbox.enqueue('b', 2);
    expect(mailbox.clear().map((d) => d.item)).to.have.members([1, 2]);
    expect(mailbox.size).to.equal(0);
    expect(mailbox.dequeue()).to.equal(undefined);
  });

  it('refuses a nonsensical configuration', () => {
    expect(() => new Mailbox({ capacityPerSender: 0, policy: 'reject' })).to.throw(
      RangeError,
      /capacityPerSender/,
    );
  });
});
