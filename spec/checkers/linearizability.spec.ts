import { expect } from 'chai';
import fc from 'fast-check';
import type { CommandResult, GroupCommand, GroupQuery, QueryResult } from '../../protocol/group/commands.js';
import { seededRandom, simulateKvHistory } from './generate.js';
import { HistoryRecorder, type Operation } from './history.js';
import { type KvInput, type KvOutput, KvSpecStore, kvModel } from './kv-model.js';
import { type CheckResult, checkLinearizable } from './linearizability.js';
import { type Model, type RegisterInput, type RegisterOutput, registerModel } from './model.js';

/**
 * Randomized tests run from this fixed seed, shown in the suite title. To explore others, run
 * with CHECKER_SEED=<n>; fast-check reports the seed and path of any failing case.
 */
const SEED = Number(process.env.CHECKER_SEED ?? 20_260_611);

type RegOp = Operation<RegisterInput<number>, RegisterOutput<number>>;
type KvOp = Operation<KvInput, KvOutput>;

const register = registerModel<number>(0);
const kv = kvModel();

function w(clientId: string, value: number, call: number, ret: number | undefined): RegOp {
  return {
    clientId,
    input: { kind: 'write', value },
    call,
    return: ret,
    output: undefined,
    status: ret === undefined ? 'unknown' : 'ok',
  };
}

function r(clientId: string, value: number, call: number, ret: number): RegOp {
  return { clientId, input: { kind: 'read' }, call, return: ret, output: value, status: 'ok' };
}

function write(
  clientId: string,
  command: GroupCommand,
  call: number,
  ret: number | undefined,
  output?: CommandResult,
  status: KvOp['status'] = output === undefined ? 'unknown' : 'ok',
): KvOp {
  return { clientId, input: { kind: 'write', command }, call, return: ret, output, status };
}

function read(clientId: string, query: GroupQuery, call: number, ret: number, output: QueryResult): KvOp {
  return { clientId, input: { kind: 'read', query }, call, return: ret, output, status: 'ok' };
}

/**
 * Independently checks a witness: every completed operation appears once, failed ones never,
 * real-time order is respected, and the model accepts the sequence.
 */
function expectValidWitness<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  check: CheckResult = checkLinearizable(model, history),
): void {
  expect(check.result, check.counterexample).to.equal('linearizable');
  const order = new Set(check.partitions.flatMap((p) => p.linearization ?? []));
  expect(order.size).to.equal(check.partitions.reduce((n, p) => n + (p.linearization?.length ?? 0), 0));
  history.forEach((op, i) => {
    if (op.status === 'ok') expect(order.has(i), `op #${i} is placed`).to.equal(true);
    if (op.status === 'fail') expect(order.has(i), `op #${i} is not placed`).to.equal(false);
  });
  for (const p of check.partitions) {
    const seq = p.linearization ?? [];
    let state = model.init();
    let latestCall = Number.NEGATIVE_INFINITY;
    for (const [k, i] of seq.entries()) {
      const op = history[i]!;
      const step = model.step(state, op.input, op.status === 'ok' ? op.output : undefined);
      expect(step.ok, `step ${k}: op #${i}`).to.equal(true);
      state = step.state;
      // Real time: nothing placed earlier may have been called after this one returned.
      if (op.status === 'ok') expect(latestCall, `op #${i} placed too late`).to.be.at.most(op.return!);
      latestCall = Math.max(latestCall, op.call);
    }
  }
}

const entry = (key: string, value: string, revision: number) => ({ key, value, revision });
const put = (key: string, value: string): GroupCommand => ({ kind: 'kv-put', key, value });
const cas = (key: string, expectedRevision: number, value: string): GroupCommand => ({
  kind: 'kv-cas',
  key,
  expectedRevision,
  value,
});
const okAt = (revision: number, previous: ReturnType<typeof entry> | null = null): CommandResult => ({
  kind: 'kv-written',
  revision,
  previous,
});
const get = (key: string): GroupQuery => ({ op: 'get', key });
const got = (e: ReturnType<typeof entry> | null): QueryResult => ({ op: 'get', entry: e });

describe('linearizability checker (Wing-Gong-Lowe)', () => {
  describe('a register (textbook cases)', () => {
    it('accepts a sequential history, in its real-time order', () => {
      const history = [w('a', 1, 0, 1), r('b', 1, 2, 3), w('b', 2, 4, 5), r('a', 2, 6, 7)];
      const check = checkLinearizable(register, history);
      expect(check.result).to.equal('linearizable');
      expect(check.partitions[0]?.linearization).to.deep.equal([0, 1, 2, 3]);
    });

    it('accepts a read overlapping a write returning either the old or the new value', () => {
      for (const seen of [1, 2]) {
        const history = [w('a', 1, 0, 1), w('a', 2, 2, 6), r('b', seen, 3, 5)];
        expect(checkLinearizable(register, history).result, `read ${seen}`).to.equal('linearizable');
      }
    });

    it('rejects a read of a value never written', () => {
      const history = [w('a', 1, 0, 1), w('b', 2, 0, 4), r('c', 3, 2, 5)];
      expect(checkLinearizable(register, history).result).to.equal('not-linearizable');
    });

    it('rejects a stale read after a completed write', () => {
      const history = [w('a', 1, 0, 1), w('a', 2, 2, 3), r('b', 1, 4, 5)];
      expect(checkLinearizable(register, history).result).to.equal('not-linearizable');
    });

    it('rejects "read new, then another client reads old" during one write, and explains why', () => {
      const history = [w('a', 1, 0, 1), w('a', 2, 2, 10), r('b', 2, 3, 4), r('c', 1, 5, 6)];
      const check = checkLinearizable(register, history);
      expect(check.result).to.equal('not-linearizable');
      expect(check.counterexample).to.include('Longest linearizable prefix found: 3 of 4');
      expect(check.counterexample).to.include('must be, having returned at 6');
      expect(check.counterexample).to.include('#3 c [5, 6] read() → 1: impossible in this state');
      // The same reads overlapping each other are fine: c's read may come first.
      const overlapping = [w('a', 1, 0, 1), w('a', 2, 2, 10), r('b', 2, 3, 5), r('c', 1, 4, 6)];
      expect(checkLinearizable(register, overlapping).result).to.equal('linearizable');
    });

    it('treats equal timestamps as concurrent', () => {
      const history = [w('a', 1, 0, 1), w('a', 2, 2, 5), r('b', 1, 5, 6)];
      expect(checkLinearizable(register, history).result).to.equal('linearizable');
      const after = [w('a', 1, 0, 1), w('a', 2, 2, 5), r('b', 1, 6, 7)];
      expect(checkLinearizable(register, after).result).to.equal('not-linearizable');
    });

    it('checks deep histories iteratively (5,000 sequential operations)', () => {
      const history: RegOp[] = [];
      for (let i = 0; i < 2500; i++)
        history.push(w('a', i, 4 * i, 4 * i + 1), r('b', i, 4 * i + 2, 4 * i + 3));
      const check = checkLinearizable(register, history);
      expect(check.result).to.equal('linearizable');
      expect(check.partitions[0]?.linearization).to.have.length(5000);
    });

    it('answers unknown when the step budget runs out', () => {
      // Ten concurrent writes and then a read: many orders to try before the stale read fails.
      const history: RegOp[] = [];
      for (let i = 1; i <= 10; i++) history.push(w(`c${i}`, i, 0, 100));
      history.push(r('z', 11, 101, 102));
      expect(checkLinearizable(register, history, { maxSteps: 20 }).result).to.equal('unknown');
      expect(checkLinearizable(register, history).result).to.equal('not-linearizable');
    });
  });

  describe('the store model: cas', () => {
    it('rejects two concurrent cas with the same expected revision both succeeding', () => {
      const history = [
        write('a', put('k', 'x'), 0, 1, okAt(1)),
        write('b', cas('k', 1, 'y'), 2, 6, okAt(2, entry('k', 'x', 1))),
        write('c', cas('k', 1, 'z'), 3, 7, okAt(3, entry('k', 'x', 1))),
      ];
      expect(checkLinearizable(kv, history).result).to.equal('not-linearizable');
    });

    it('accepts one of them succeeding and the other seeing the mismatch', () => {
      const history = [
        write('a', put('k', 'x'), 0, 1, okAt(1)),
        write('b', cas('k', 1, 'y'), 2, 6, okAt(2, entry('k', 'x', 1))),
        write('c', cas('k', 1, 'z'), 3, 7, { kind: 'kv-cas-mismatch', current: entry('k', 'y', 2) }),
        read('d', get('k'), 8, 9, got(entry('k', 'y', 2))),
      ];
      expect(checkLinearizable(kv, history).result).to.equal('linearizable');
    });

    it('pins a revision left unknown by a timed-out write consistently', () => {
      const timedOut = write('a', put('k', 'x'), 0, undefined);
      const casAt7 = write('b', cas('k', 7, 'y'), 10, 11, okAt(9, entry('k', 'x', 7)));
      expect(checkLinearizable(kv, [timedOut, casAt7]).result).to.equal('linearizable');
      const readAt5 = read('c', get('k'), 5, 6, got(entry('k', 'x', 5)));
      expect(checkLinearizable(kv, [timedOut, readAt5, casAt7]).result).to.equal('not-linearizable');
    });

    it('rejects a write whose revision does not exceed the previous one', () => {
      const first = write('a', put('k', 'x'), 0, 1, okAt(5));
      const later = (revision: number) => write('a', put('k', 'y'), 2, 3, okAt(revision, entry('k', 'x', 5)));
      expect(checkLinearizable(kv, [first, later(6)]).result).to.equal('linearizable');
      expect(checkLinearizable(kv, [first, later(5)]).result).to.equal('not-linearizable');
    });

    it('rejects a read returning another revision than the write it observed', () => {
      const history = (revision: number) => [
        write('a', put('k', 'x'), 0, 1, okAt(3)),
        read('b', get('k'), 2, 3, got(entry('k', 'x', revision))),
      ];
      expect(checkLinearizable(kv, history(3)).result).to.equal('linearizable');
      expect(checkLinearizable(kv, history(4)).result).to.equal('not-linearizable');
    });
  });

  describe('operations of unknown and failed outcome', () => {
    it('accepts a timed-out write whose value is read later', () => {
      const history = [
        write('a', put('k', 'x'), 0, undefined),
        read('b', get('k'), 50, 51, got(entry('k', 'x', 3))),
      ];
      expect(checkLinearizable(kv, history).result).to.equal('linearizable');
    });

    it('accepts a timed-out write never observed, even after its client moved on', () => {
      const history = [
        write('a', put('k', 'x'), 0, 1, okAt(1)),
        write('a', put('k', 'y'), 2, undefined),
        write('a', put('k', 'z'), 20, 21, okAt(9, entry('k', 'x', 1))),
        read('b', get('k'), 30, 31, got(entry('k', 'z', 9))),
      ];
      expect(checkLinearizable(kv, history).result).to.equal('linearizable');
    });

    it('lets a timed-out write take effect late, but only once', () => {
      const timedOut = write('a', put('k', 'x'), 0, undefined);
      const absent = read('b', get('k'), 5, 6, got(null));
      const present = read('b', get('k'), 7, 8, got(entry('k', 'x', 3)));
      expect(checkLinearizable(kv, [timedOut, absent, present]).result).to.equal('linearizable');
      const absentAgain = read('b', get('k'), 9, 10, got(null));
      expect(checkLinearizable(kv, [timedOut, present, absentAgain]).result).to.equal('not-linearizable');
    });

    it("rejects a read of a failed write's value", () => {
      const history = [
        write('a', put('k', 'x'), 0, 1, undefined, 'fail'),
        read('b', get('k'), 2, 3, got(entry('k', 'x', 1))),
      ];
      expect(checkLinearizable(kv, history).result).to.equal('not-linearizable');
    });
  });

  describe('partitioning', () => {
    it('checks single-key operations per key, and histories with ranges whole', () => {
      const history = simulateKvHistory({ seed: SEED, clients: 4, keys: 5, operations: 100 });
      const check = checkLinearizable(kv, history);
      expectValidWitness(kv, history, check);
      expect(check.partitions).to.have.length(5);
      const withRange = [
        ...history,
        read('z', { op: 'range', prefix: 'zz', limit: 3 }, 1000, 1001, {
          op: 'range',
          entries: [],
          more: false,
        }),
      ];
      const whole = checkLinearizable(kv, withRange);
      expect(whole.partitions).to.have.length(1);
      expect(whole.result).to.equal('linearizable');
    });

    it('gives each partition its own step budget, so a hard one cannot hide a violation', () => {
      const hard: KvOp[] = [];
      for (let i = 1; i <= 10; i++) hard.push(write(`c${i}`, put('a', `v${i}`), 0, 100, okAt(i)));
      hard.push(read('z', get('a'), 101, 102, got(entry('a', 'v0', 1))));
      const easy = [write('y', put('b', 'x'), 0, 1, okAt(20)), read('y', get('b'), 2, 3, got(null))];
      const check = checkLinearizable(kv, [...hard, ...easy], { maxSteps: 50 });
      expect(check.partitions.map((p) => p.result)).to.deep.equal(['unknown', 'not-linearizable']);
      expect(check.result).to.equal('not-linearizable');
      expect(checkLinearizable(kv, hard, { maxSteps: 50 }).result).to.equal('unknown');
    });

    it('checks ranges exactly: order, limit, more, values', () => {
      const setup = [
        write('a', put('p/b', '2'), 0, 1, okAt(1)),
        write('a', put('p/a', '1'), 2, 3, okAt(2)),
        write('a', put('q', '3'), 4, 5, okAt(3)),
      ];
      const range = (entries: ReturnType<typeof entry>[], more: boolean) =>
        read('b', { op: 'range', prefix: 'p/', limit: 1 }, 6, 7, { op: 'range', entries, more });
      expect(checkLinearizable(kv, [...setup, range([entry('p/a', '1', 2)], true)]).result).to.equal(
        'linearizable',
      );
      for (const wrong of [
        range([entry('p/b', '2', 1)], true),
        range([entry('p/a', '1', 2)], false),
        range([entry('p/a', '9', 2)], true),
        range([], true),
      ]) {
        expect(checkLinearizable(kv, [...setup, wrong]).result).to.equal('not-linearizable');
      }
    });
  });

  describe(`randomized (seed ${SEED}; set CHECKER_SEED to change)`, () => {
    const commandArb: fc.Arbitrary<KvInput> = fc.oneof(
      fc.record({
        kind: fc.constant('write' as const),
        command: fc.oneof(
          fc.record({
            kind: fc.constant('kv-put' as const),
            key: fc.constantFrom('a', 'b', 'c'),
            value: fc.string(),
          }),
          fc.record({ kind: fc.constant('kv-delete' as const), key: fc.constantFrom('a', 'b', 'c') }),
          fc.record({
            kind: fc.constant('kv-cas' as const),
            key: fc.constantFrom('a', 'b', 'c'),
            expectedRevision: fc.nat(12),
            value: fc.string(),
          }),
        ),
      }),
      fc.record({
        kind: fc.constant('read' as const),
        query: fc.oneof(
          fc.record({ op: fc.constant('get' as const), key: fc.constantFrom('a', 'b', 'c') }),
          fc.record({
            op: fc.constant('range' as const),
            prefix: fc.constantFrom('', 'a', 'b'),
            limit: fc.nat(3),
          }),
        ),
      }),
    );

    it('accepts every sequential history produced by the reference store', () => {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(commandArb, fc.nat(3), fc.nat(2), fc.nat(2)), { maxLength: 60 }),
          (steps) => {
            const store = new KvSpecStore();
            let now = 0;
            const history: KvOp[] = steps.map(([input, client, gap, duration]) => {
              const call = now + gap;
              now = call + duration + 1;
              const output: KvOutput =
                input.kind === 'write'
                  ? store.apply(input.command, store.lastIndex + 1 + gap)
                  : store.query(input.query);
              return { clientId: `c${client}`, input, call, return: call + duration, output, status: 'ok' };
            });
            expectValidWitness(kv, history);
          },
        ),
        { seed: SEED, numRuns: 200 },
      );
    });

    it('accepts concurrent histories of a simulated atomic store, with timeouts, failures and ranges', () => {
      fc.assert(
        fc.property(
          fc.integer(),
          fc.integer({ min: 1, max: 5 }),
          fc.constantFrom(0, 0.2),
          (seed, clients, rangeRate) => {
            const history = simulateKvHistory({
              seed,
              clients,
              keys: 3,
              operations: 60,
              rangeRate,
              unknownRate: 0.1,
              failRate: 0.1,
            });
            expectValidWitness(kv, history);
          },
        ),
        { seed: SEED, numRuns: 150 },
      );
    });

    it('rejects them once one read is corrupted into a value never written', () => {
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 1, max: 4 }), fc.nat(), (seed, clients, pick) => {
          const history = simulateKvHistory({
            seed,
            clients,
            keys: 3,
            operations: 40,
            readRate: 0.5,
            unknownRate: 0.1,
            failRate: 0.1,
          });
          const reads = history.flatMap((op, i) =>
            op.status === 'ok' && op.input.kind === 'read' ? [i] : [],
          );
          fc.pre(reads.length > 0);
          const victim = reads[pick % reads.length]!;
          const op = history[victim]!;
          const key = op.input.kind === 'read' && op.input.query.op === 'get' ? op.input.query.key : 'k00';
          const previous = op.output !== undefined && 'entry' in op.output ? op.output.entry : null;
          history[victim] = { ...op, output: got(entry(key, 'never-written', previous?.revision ?? 1)) };
          const check = checkLinearizable(kv, history);
          expect(check.result).to.equal('not-linearizable');
          expect(check.counterexample).to.include('never-written');
        }),
        { seed: SEED, numRuns: 150 },
      );
    });
  });

  describe('performance', () => {
    it('checks 2,000 operations of 10 clients on 20 keys in a few seconds', () => {
      const history = simulateKvHistory({
        seed: SEED,
        clients: 10,
        keys: 20,
        operations: 2000,
        unknownRate: 0.05,
        failRate: 0.02,
        maxLatency: 30,
      });
      const started = performance.now();
      const check = checkLinearizable(kv, history);
      const elapsed = performance.now() - started;
      console.log(
        `      2,000 ops, 10 clients, 20 keys: ${check.result} in ${elapsed.toFixed(0)} ms, ` +
          `${check.steps} steps, ${check.partitions.length} partitions`,
      );
      expectValidWitness(kv, history, check);
      expect(elapsed).to.be.below(5000);
    });

    it('checks 2,000 operations of 10 clients on a register, unpartitioned, in a few seconds', () => {
      // An atomic register run by 10 clients: each operation takes effect at a point inside its interval.
      const random = seededRandom(SEED);
      const points: { client: number; call: number; at: number; ret: number; write: boolean }[] = [];
      for (let c = 0; c < 10; c++) {
        let now = 0;
        for (let k = 0; k < 200; k++) {
          const call = now + Math.floor(random() * 3);
          const at = call + Math.floor(random() * 10);
          const ret = at + Math.floor(random() * 10);
          points.push({ client: c, call, at, ret, write: random() < 0.5 });
          now = ret + 1;
        }
      }
      const order = points.map((_, i) => i).sort((a, b) => points[a]!.at - points[b]!.at || a - b);
      const history: RegOp[] = new Array(points.length);
      let value = 0;
      for (const i of order) {
        const p = points[i]!;
        if (p.write) value = i + 1;
        history[i] = p.write
          ? w(`c${p.client}`, i + 1, p.call, p.ret)
          : r(`c${p.client}`, value, p.call, p.ret);
      }
      const started = performance.now();
      const check = checkLinearizable(register, history);
      const elapsed = performance.now() - started;
      console.log(`      2,000 ops, 10 clients, 1 register: ${check.result} in ${elapsed.toFixed(0)} ms`);
      expectValidWitness(register, history, check);
      expect(elapsed).to.be.below(5000);
    });
  });

  describe('HistoryRecorder', () => {
    it('records intervals and outcomes, and allows one outstanding operation per client', () => {
      const recorder = new HistoryRecorder<string, number>();
      const a = recorder.invoke('a', 'x', 1);
      expect(() => recorder.invoke('a', 'y', 2)).to.throw(/outstanding/);
      const b = recorder.invoke('b', 'y', 2);
      recorder.complete(a, 7, 3);
      expect(() => recorder.complete(a, 8, 4)).to.throw(/already settled/);
      recorder.unknown(b);
      const c = recorder.invoke('b', 'z', 5);
      expect(() => recorder.fail(c, 4)).to.throw(/before its call/);
      recorder.fail(c, 6);
      recorder.invoke('a', 'w', 7);
      expect(recorder.history()).to.deep.equal([
        { clientId: 'a', input: 'x', call: 1, return: 3, output: 7, status: 'ok' },
        { clientId: 'b', input: 'y', call: 2, return: undefined, output: undefined, status: 'unknown' },
        { clientId: 'b', input: 'z', call: 5, return: 6, output: undefined, status: 'fail' },
        { clientId: 'a', input: 'w', call: 7, return: undefined, output: undefined, status: 'unknown' },
      ]);
    });
  });
});
