import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { CpuPool } from '../../runtime/cpu-pool.js';

describe('CpuPool (piscina)', function () {
  this.timeout(20_000);

  it('runs a task on a pool thread with its input transferred', async () => {
    const pool = new CpuPool({ maxThreads: 1, maxQueue: 8 });
    try {
      const data = new Uint8Array(1 << 16).map((_, i) => i % 251);
      const expected = createHash('sha256').update(data).digest('hex');
      const bytes = data.buffer;
      const digest = await pool.run({ kind: 'sha256', bytes }, { timeoutMs: 10_000, transfer: [bytes] });
      expect(bytes.byteLength).to.equal(0);
      expect(digest).to.equal(expected);
    } finally {
      await pool.close();
    }
  });

  it('refuses work beyond its queue bound', async () => {
    const pool = new CpuPool({ maxThreads: 1, maxQueue: 1 });
    try {
      const runs = Array.from({ length: 6 }, () =>
        pool.run({ kind: 'sha256', bytes: new ArrayBuffer(1 << 22) }, { timeoutMs: 10_000 }).then(
          () => 'done',
          (error: Error) => error.message,
        ),
      );
      const outcomes = await Promise.all(runs);
      expect(outcomes.slice(0, 2)).to.deep.equal(['done', 'done']);
      for (const refused of outcomes.slice(2)) expect(refused).to.match(/refusing more/);
      expect(pool.tasksInFlight).to.equal(0);
    } finally {
      await pool.close();
    }
  });
});
