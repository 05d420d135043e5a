import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import { LeaseBoard } from '../../../actors/log/lease-board.js';

describe('actors/log/lease-board', () => {
  it('reads what was published, and "no lease" as untilMs 0', () => {
    const board = LeaseBoard.create();
    expect(board.read()).to.deep.equal({ term: 0, readIndex: 0, untilMs: 0 });
    board.publish(3, 42, 1_000.5);
    expect(board.read()).to.deep.equal({ term: 3, readIndex: 42, untilMs: 1_000.5 });
    const other = new LeaseBoard(board.buffer);
    expect(other.read()).to.deep.equal({ term: 3, readIndex: 42, untilMs: 1_000.5 });
    board.publish(4, 0, 0);
    expect(other.read()).to.deep.equal({ term: 4, readIndex: 0, untilMs: 0 });
  });

  it('never shows a torn snapshot while another thread publishes', async () => {
    const board = LeaseBoard.create();
    // The writer keeps term = readIndex = untilMs, so any torn read shows unequal fields.
    const url = new URL('../../../actors/log/lease-board.js', import.meta.url).href;
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       import(${JSON.stringify(url)}).then(({ LeaseBoard }) => {
         const board = new LeaseBoard(workerData);
         for (let i = 1; i <= 200000; i++) board.publish(i, i, i);
         parentPort.postMessage('done');
       });`,
      { eval: true, workerData: board.buffer },
    );
    let reads = 0;
    let done = false;
    worker.once('message', () => {
      done = true;
    });
    while (!done) {
      const lease = board.read();
      if (lease !== null) {
        reads++;
        expect(lease.readIndex).to.equal(lease.term);
        expect(lease.untilMs).to.equal(lease.term);
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await worker.terminate();
    expect(reads).to.be.greaterThan(0);
    expect(board.read()).to.deep.equal({ term: 200000, readIndex: 200000, untilMs: 200000 });
  });
});
