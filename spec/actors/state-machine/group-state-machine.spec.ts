import { expect } from 'chai';
import type { LogEntry } from '../../../actors/raft/types.js';
import {
  type ApplyOutcome,
  DEFAULT_STATE_MACHINE_OPTIONS,
  GroupStateMachine,
  type GroupStateMachineOptions,
  StateMachineInvariantError,
} from '../../../actors/state-machine/group-state-machine.js';
import type { CommandResult, GroupCommand } from '../../../protocol/group/commands.js';
import { applyAll, LogFeed, resultOf } from './helpers.js';

/** A machine, a log feeding it, and a client with its own seq counter. */
function harness(options: Partial<GroupStateMachineOptions> = {}) {
  const machine = new GroupStateMachine(options);
  const feed = new LogFeed();
  const seqs = new Map<string, number>();
  /** Sends `command` as `clientId`'s next seq (acknowledging everything before it). */
  const send = (command: GroupCommand, clientId = 'client', at: { timeMs?: number } = {}): ApplyOutcome => {
    const seq = (seqs.get(clientId) ?? 0) + 1;
    seqs.set(clientId, seq);
    return machine.apply(feed.command(clientId, seq, seq - 1, command, at));
  };
  const run = (command: GroupCommand, clientId = 'client'): CommandResult =>
    resultOf(send(command, clientId));
  return { machine, feed, send, run };
}

function get(machine: GroupStateMachine, key: string) {
  const result = machine.query({ op: 'get', key });
  if (result.op !== 'get') expect.fail('get answered as range');
  return result.entry;
}

describe('state-machine/group-state-machine', () => {
  describe('commands: put, delete, cas and revisions', () => {
    it('put stores at revision = entry index and returns the previous entry', () => {
      const { machine, feed, run } = harness();
      machine.apply(feed.noop());
      expect(run({ kind: 'kv-put', key: 'k', value: 'one' })).to.deep.equal({
        kind: 'kv-written',
        revision: 2,
        previous: null,
      });
      expect(get(machine, 'k')).to.deep.equal({ key: 'k', value: 'one', revision: 2 });
      expect(run({ kind: 'kv-put', key: 'k', value: 'two' })).to.deep.equal({
        kind: 'kv-written',
        revision: 3,
        previous: { key: 'k', value: 'one', revision: 2 },
      });
      expect(get(machine, 'k')).to.deep.equal({ key: 'k', value: 'two', revision: 3 });
      expect(get(machine, 'other')).to.equal(null);
    });

    it('delete removes the key; deleting a missing key succeeds with previous null', () => {
      const { machine, run } = harness();
      run({ kind: 'kv-put', key: 'k', value: 'v' });
      expect(run({ kind: 'kv-delete', key: 'k' })).to.deep.equal({
        kind: 'kv-written',
        revision: 2,
        previous: { key: 'k', value: 'v', revision: 1 },
      });
      expect(get(machine, 'k')).to.equal(null);
      expect(run({ kind: 'kv-delete', key: 'k' })).to.deep.equal({
        kind: 'kv-written',
        revision: 3,
        previous: null,
      });
      expect(machine.keyCount).to.equal(0);
    });

    it('cas with expectedRevision 0 creates only an absent key', () => {
      const { machine, run } = harness();
      expect(run({ kind: 'kv-cas', key: 'k', expectedRevision: 0, value: 'first' })).to.deep.equal({
        kind: 'kv-written',
        revision: 1,
        previous: null,
      });
      expect(run({ kind: 'kv-cas', key: 'k', expectedRevision: 0, value: 'second' })).to.deep.equal({
        kind: 'kv-cas-mismatch',
        current: { key: 'k', value: 'first', revision: 1 },
      });
      expect(get(machine, 'k')?.value).to.equal('first');
    });

    it('cas succeeds on the current revision, fails on any other, and a mismatch changes nothing', () => {
      const { machine, run } = harness();
      run({ kind: 'kv-put', key: 'k', value: 'a' }); // revision 1
      expect(run({ kind: 'kv-cas', key: 'k', expectedRevision: 1, value: 'b' })).to.deep.equal({
        kind: 'kv-written',
        revision: 2,
        previous: { key: 'k', value: 'a', revision: 1 },
      });
      const before = machine.digest();
      const mismatch = run({ kind: 'kv-cas', key: 'k', expectedRevision: 1, value: 'c' });
      expect(mismatch).to.deep.equal({
        kind: 'kv-cas-mismatch',
        current: { key: 'k', value: 'b', revision: 2 },
      });
      expect(get(machine, 'k')).to.deep.equal({ key: 'k', value: 'b', revision: 2 });
      expect(machine.digest()).to.not.equal(before); // only the applied index and the session moved
      expect(run({ kind: 'kv-cas', key: 'missing', expectedRevision: 5, value: 'x' })).to.deep.equal({
        kind: 'kv-cas-mismatch',
        current: null,
      });
    });

    it('a cas mismatch consumes its seq: retrying it returns the cached mismatch even after the key changes', () => {
      const { machine, feed } = harness();
      machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: 'a' }));
      const casEntry = feed.command('c', 2, 1, { kind: 'kv-cas', key: 'k', expectedRevision: 0, value: 'b' });
      const first = machine.apply(casEntry);
      machine.apply(feed.command('other', 1, 0, { kind: 'kv-put', key: 'k', value: 'z' }));
      const retry = machine.apply(feed.next('command', casEntry.data));
      expect(retry.kind).to.equal('duplicate');
      expect(resultOf(retry)).to.deep.equal(resultOf(first));
      expect(resultOf(first)).to.include({ kind: 'kv-cas-mismatch' });
    });

    it('results and stored entries are frozen: a caller cannot change the store through them', () => {
      const { machine, run } = harness();
      run({ kind: 'kv-put', key: 'k', value: 'a' });
      const result = run({ kind: 'kv-put', key: 'k', value: 'b' });
      expect(Object.isFrozen(result)).to.equal(true);
      expect(Object.isFrozen(get(machine, 'k'))).to.equal(true);
    });
  });

  describe('range queries', () => {
    it('returns keys with the prefix in key order, capped by limit and rangeLimitMax, with more and startAfter', () => {
      const { machine, run } = harness({ rangeLimitMax: 3 });
      for (const key of ['b/2', 'a/1', 'b/1', 'b/3', 'c', 'b/4', 'b/0', 'b'])
        run({ kind: 'kv-put', key, value: key });
      const range = (prefix: string, limit: number, startAfter?: string) => {
        const result = machine.query(
          startAfter === undefined
            ? { op: 'range', prefix, limit }
            : { op: 'range', prefix, limit, startAfter },
        );
        if (result.op !== 'range') expect.fail('range answered as get');
        return { keys: result.entries.map((e) => e.key), more: result.more };
      };
      expect(range('b/', 2)).to.deep.equal({ keys: ['b/0', 'b/1'], more: true });
      expect(range('b/', 100)).to.deep.equal({ keys: ['b/0', 'b/1', 'b/2'], more: true }); // rangeLimitMax
      expect(range('b/', 3, 'b/2')).to.deep.equal({ keys: ['b/3', 'b/4'], more: false });
      expect(range('b/', 3, 'a')).to.deep.equal({ keys: ['b/0', 'b/1', 'b/2'], more: true });
      expect(range('b/', 3, 'b/4')).to.deep.equal({ keys: [], more: false });
      expect(range('', 3)).to.deep.equal({ keys: ['a/1', 'b', 'b/0'], more: true });
      expect(range('c', 3)).to.deep.equal({ keys: ['c'], more: false });
      expect(range('d', 3)).to.deep.equal({ keys: [], more: false });
      expect(range('b/', 0)).to.deep.equal({ keys: [], more: true });
      expect(range('b/', -5)).to.deep.equal({ keys: [], more: true });
      expect(range('b/', Number.NaN)).to.deep.equal({ keys: [], more: true });
    });
  });

  describe('log order: gaps and repeats', () => {
    it('applies index 1 first, then only index + 1; replays at or below appliedIndex are already-applied', () => {
      const machine = new GroupStateMachine();
      const feed = new LogFeed();
      const e1 = feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: 'v' });
      const e2 = feed.noop();
      expect(machine.apply(e1).kind).to.equal('applied');
      expect(machine.apply(e2)).to.deep.equal({ kind: 'advanced', index: 2, entryKind: 'noop' });
      const digest = machine.digest();
      expect(machine.apply(e1)).to.deep.equal({ kind: 'already-applied', index: 1 });
      expect(machine.apply(e2)).to.deep.equal({ kind: 'already-applied', index: 2 });
      expect(machine.digest()).to.equal(digest);
      expect(machine.appliedIndex).to.equal(2);
    });

    it('throws an error naming both indexes on a gap, and leaves the state untouched', () => {
      const machine = new GroupStateMachine();
      const feed = new LogFeed();
      machine.apply(feed.noop());
      feed.noop(); // index 2 is skipped
      const e3 = feed.noop();
      const digest = machine.digest();
      expect(() => machine.apply(e3))
        .to.throw(StateMachineInvariantError)
        .with.property('message')
        .that.matches(/\b3\b/)
        .and.matches(/\b2\b/);
      expect(machine.digest()).to.equal(digest);
      const fresh = new GroupStateMachine();
      expect(() => fresh.apply({ ...e3, index: 5 })).to.throw(StateMachineInvariantError, /5.*1|1.*5/);
    });

    it('throws when the last applied index comes again with another term (a committed entry changed)', () => {
      const machine = new GroupStateMachine();
      const feed = new LogFeed();
      const e1 = feed.noop({ term: 2 });
      machine.apply(e1);
      expect(() => machine.apply({ ...e1, term: 3 })).to.throw(
        StateMachineInvariantError,
        /entry 1.*term 3.*term 2/,
      );
    });

    it('throws on a term going down, an unknown kind, or a malformed header', () => {
      const machine = new GroupStateMachine();
      const feed = new LogFeed();
      machine.apply(feed.noop({ term: 3 }));
      const next: LogEntry = { index: 2, term: 3, kind: 'noop', timeMs: 5, data: new Uint8Array(0) };
      expect(() => machine.apply({ ...next, term: 2 })).to.throw(
        StateMachineInvariantError,
        /term 2.*term 3/,
      );
      expect(() => machine.apply({ ...next, kind: 'bogus' as never })).to.throw(StateMachineInvariantError);
      expect(() => machine.apply({ ...next, index: 2.5 })).to.throw(StateMachineInvariantError);
      expect(() => machine.apply({ ...next, timeMs: Number.NaN })).to.throw(StateMachineInvariantError);
      expect(() => machine.apply({ ...next, term: 0 })).to.throw(StateMachineInvariantError);
      expect(machine.appliedIndex).to.equal(1);
      expect(machine.apply(next).kind).to.equal('advanced');
    });

    it('config entries advance the index and the log time like noops', () => {
      const machine = new GroupStateMachine();
      const feed = new LogFeed();
      expect(
        machine.apply(feed.next('config', Uint8Array.of(1, 2, 3), { timeMs: 42, term: 4 })),
      ).to.deep.equal({
        kind: 'advanced',
        index: 1,
        entryKind: 'config',
      });
      expect([machine.appliedIndex, machine.appliedTerm, machine.logTimeMs]).to.deep.equal([1, 4, 42]);
    });
  });

  describe('malformed payloads', () => {
    it('are rejected deterministically, never thrown, and change nothing but the applied index', () => {
      const a = new GroupStateMachine();
      const b = new GroupStateMachine();
      const feed = new LogFeed();
      const entries = [
        feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: 'v' }),
        feed.next('command', Uint8Array.of(9, 9, 9)),
        feed.next('command', new Uint8Array(0)),
        feed.next('command', Uint8Array.of(1, 1, 2, 1, 1, 0x63, 1, 0x6b, 1, 0xff)),
      ];
      const outcomes = applyAll(a, entries);
      expect(applyAll(b, entries)).to.deep.equal(outcomes);
      for (const outcome of outcomes.slice(1))
        expect(outcome).to.include({ kind: 'rejected', reason: 'malformed' });
      expect(outcomes[1]).to.have.nested.property('error.code', 'unsupported-version');
      expect(outcomes[3]).to.have.nested.property('error.code', 'invalid-utf8');
      expect(a.digest()).to.equal(b.digest());
      expect(get(a, 'k')?.value).to.equal('v');
      expect(a.session('c')?.cachedSeqs).to.deep.equal([1]);
      expect(a.appliedIndex).to.equal(4);
    });
  });

  describe('sessions: exactly-once (thesis §6.3)', () => {
    it('the same (clientId, seq) in a later entry returns the first result and changes nothing', () => {
      const { machine, feed } = harness();
      const first = feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: 'v1' });
      const original = machine.apply(first);
      machine.apply(feed.command('other', 1, 0, { kind: 'kv-put', key: 'k', value: 'v2' }));
      const data = machine.query({ op: 'range', prefix: '', limit: 100 });
      const again = machine.apply(feed.next('command', first.data));
      expect(again).to.deep.equal({ ...original, kind: 'duplicate', index: 3 });
      expect(resultOf(again)).to.deep.equal({ kind: 'kv-written', revision: 1, previous: null });
      expect(machine.query({ op: 'range', prefix: '', limit: 100 })).to.deep.equal(data);
      expect(get(machine, 'k')).to.deep.equal({ key: 'k', value: 'v2', revision: 2 });
    });

    it('a retry with a different body under the same seq still returns the first result (seq identifies the command)', () => {
      const { machine, feed } = harness();
      machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: 'v1' }));
      const retry = machine.apply(feed.command('c', 1, 0, { kind: 'kv-delete', key: 'k' }));
      expect(retry.kind).to.equal('duplicate');
      expect(get(machine, 'k')?.value).to.equal('v1');
    });

    it('pipelined commands that commit out of seq order each execute exactly once', () => {
      const { machine, feed } = harness();
      machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'a', value: '1' }));
      expect(machine.apply(feed.command('c', 3, 1, { kind: 'kv-put', key: 'c', value: '3' })).kind).to.equal(
        'applied',
      );
      expect(machine.apply(feed.command('c', 2, 1, { kind: 'kv-put', key: 'b', value: '2' })).kind).to.equal(
        'applied',
      );
      expect(machine.apply(feed.command('c', 2, 1, { kind: 'kv-put', key: 'b', value: 'X' })).kind).to.equal(
        'duplicate',
      );
      expect(machine.apply(feed.command('c', 3, 1, { kind: 'kv-put', key: 'c', value: 'X' })).kind).to.equal(
        'duplicate',
      );
      expect(get(machine, 'b')?.value).to.equal('2');
      expect(get(machine, 'c')?.value).to.equal('3');
    });

    it('ackedSeq discards cached results, after which a retry of them is stale-sequence', () => {
      const { machine, feed } = harness();
      const e1 = feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: '1' });
      const e2 = feed.command('c', 2, 0, { kind: 'kv-put', key: 'k', value: '2' });
      machine.apply(e1);
      machine.apply(e2);
      expect(machine.session('c')?.cachedSeqs).to.deep.equal([1, 2]);
      expect(machine.apply(feed.next('command', e1.data)).kind).to.equal('duplicate');
      machine.apply(feed.command('c', 3, 2, { kind: 'kv-put', key: 'k', value: '3' }));
      expect(machine.session('c')).to.deep.include({ ackedSeq: 2, cachedSeqs: [3] });
      const before = machine.digest();
      expect(machine.apply(feed.next('command', e1.data))).to.deep.include({
        kind: 'rejected',
        reason: 'stale-sequence',
      });
      expect(machine.apply(feed.next('command', e2.data))).to.deep.include({
        kind: 'rejected',
        reason: 'stale-sequence',
        clientId: 'c',
        seq: 2,
      });
      expect(get(machine, 'k')?.value).to.equal('3');
      expect(machine.digest()).to.not.equal(before); // index advanced; data unchanged (checked above)
    });

    it('an ack never moves back: an old retry carrying a lower ackedSeq does not revive results', () => {
      const { machine, feed } = harness();
      machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: '1' }));
      machine.apply(feed.command('c', 2, 1, { kind: 'kv-put', key: 'k', value: '2' }));
      expect(machine.session('c')?.ackedSeq).to.equal(1);
      machine.apply(feed.command('c', 2, 0, { kind: 'kv-put', key: 'k', value: '2' }));
      expect(machine.session('c')?.ackedSeq).to.equal(1);
    });

    it('an unknown clientId with seq > 1 is session-expired and creates nothing; seq 1 opens a session', () => {
      const { machine, feed } = harness();
      expect(machine.apply(feed.command('c', 2, 1, { kind: 'kv-put', key: 'k', value: 'v' }))).to.deep.equal({
        kind: 'rejected',
        index: 1,
        reason: 'session-expired',
        clientId: 'c',
        seq: 2,
      });
      expect(machine.sessionCount).to.equal(0);
      expect(get(machine, 'k')).to.equal(null);
      expect(machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: 'v' })).kind).to.equal(
        'applied',
      );
      expect(machine.sessionCount).to.equal(1);
    });
  });

  describe('sessions: bounds', () => {
    it('caches at most maxCachedResultsPerSession results: beyond it commands are too-many-pending, not executed', () => {
      const { machine, feed } = harness({ maxCachedResultsPerSession: 2 });
      machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: '1' }));
      machine.apply(feed.command('c', 2, 0, { kind: 'kv-put', key: 'k', value: '2' }));
      const blocked = feed.command('c', 3, 0, { kind: 'kv-put', key: 'k', value: '3' });
      expect(machine.apply(blocked)).to.deep.equal({
        kind: 'rejected',
        index: 3,
        reason: 'too-many-pending',
        clientId: 'c',
        seq: 3,
      });
      expect(get(machine, 'k')?.value).to.equal('2');
      expect(machine.session('c')?.cachedSeqs).to.deep.equal([1, 2]);
      // Cached results are still served while blocked.
      expect(machine.apply(feed.command('c', 2, 0, { kind: 'kv-put', key: 'k', value: '2' })).kind).to.equal(
        'duplicate',
      );
      // The same seq, now acknowledging 1: the ack is applied first, so it executes.
      const unblocked = machine.apply(feed.command('c', 3, 1, { kind: 'kv-put', key: 'k', value: '3' }));
      expect(unblocked.kind).to.equal('applied');
      expect(machine.session('c')?.cachedSeqs).to.deep.equal([2, 3]);
      expect(get(machine, 'k')?.value).to.equal('3');
    });

    it('a too-many-pending rejection still records its ack', () => {
      const { machine, feed } = harness({ maxCachedResultsPerSession: 2 });
      machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: '1' }));
      machine.apply(feed.command('c', 3, 1, { kind: 'kv-put', key: 'k', value: '3' })); // seq 2 is still in flight
      machine.apply(feed.command('c', 4, 1, { kind: 'kv-put', key: 'k', value: '4' }));
      expect(machine.session('c')).to.deep.include({ ackedSeq: 1, cachedSeqs: [3, 4] });
      // Acking 2 (given up on, never executed) frees nothing: rejected, but the ack stands.
      expect(machine.apply(feed.command('c', 5, 2, { kind: 'kv-put', key: 'k', value: '5' }))).to.include({
        kind: 'rejected',
        reason: 'too-many-pending',
      });
      expect(machine.session('c')).to.deep.include({ ackedSeq: 2, cachedSeqs: [3, 4] });
      expect(machine.apply(feed.command('c', 2, 1, { kind: 'kv-put', key: 'k', value: '2' }))).to.include({
        kind: 'rejected',
        reason: 'stale-sequence',
      });
      expect(get(machine, 'k')?.value).to.equal('4');
    });

    it('keeps at most maxSessions sessions, evicting the least recently used', () => {
      const { machine, feed } = harness({ maxSessions: 3 });
      for (const id of ['a', 'b', 'c'])
        machine.apply(feed.command(id, 1, 0, { kind: 'kv-put', key: id, value: id }));
      machine.apply(feed.command('a', 2, 1, { kind: 'kv-put', key: 'a', value: 'a2' })); // a is now most recent
      expect(machine.sessionIds()).to.deep.equal(['b', 'c', 'a']);
      machine.apply(feed.command('d', 1, 0, { kind: 'kv-put', key: 'd', value: 'd' }));
      expect(machine.sessionIds()).to.deep.equal(['c', 'a', 'd']);
      expect(machine.sessionCount).to.equal(3);
      expect(machine.session('b')).to.equal(null);
      // b's next command finds its session gone.
      expect(machine.apply(feed.command('b', 2, 1, { kind: 'kv-put', key: 'b', value: 'b2' }))).to.include({
        kind: 'rejected',
        reason: 'session-expired',
      });
      // Any command, even a duplicate, counts as use.
      machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'c', value: 'c' }));
      expect(machine.sessionIds()).to.deep.equal(['a', 'd', 'c']);
    });

    it('rejects nonsensical options', () => {
      expect(() => new GroupStateMachine({ maxSessions: 0 })).to.throw(RangeError, /maxSessions/);
      expect(() => new GroupStateMachine({ sessionTimeoutMs: 1.5 })).to.throw(RangeError, /sessionTimeoutMs/);
      expect(new GroupStateMachine().options).to.deep.equal(DEFAULT_STATE_MACHINE_OPTIONS);
    });
  });

  describe('sessions: expiry by log time', () => {
    const timeoutMs = 10_000;

    it('logTimeMs is the max entry time: monotonic when a new leader stamps an earlier time', () => {
      const { machine, feed } = harness();
      machine.apply(feed.noop({ timeMs: 5_000 }));
      machine.apply(feed.noop({ timeMs: 3_000, term: 2 }));
      expect(machine.logTimeMs).to.equal(5_000);
      machine.apply(feed.noop({ timeMs: 7_000 }));
      expect(machine.logTimeMs).to.equal(7_000);
    });

    it('a session unused for sessionTimeoutMs of log time expires, at whatever entry crosses the line', () => {
      const { machine, feed } = harness({ sessionTimeoutMs: timeoutMs });
      machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: '1' }, { timeMs: 100_000 }));
      machine.apply(
        feed.command('live', 1, 0, { kind: 'kv-put', key: 'l', value: '1' }, { timeMs: 105_000 }),
      );
      machine.apply(feed.noop({ timeMs: 100_000 + timeoutMs - 1 }));
      expect(machine.session('c')).to.not.equal(null);
      machine.apply(feed.noop({ timeMs: 100_000 + timeoutMs }));
      expect(machine.session('c')).to.equal(null);
      expect(machine.session('live')).to.not.equal(null);
      expect(machine.apply(feed.command('c', 2, 1, { kind: 'kv-put', key: 'k', value: '2' }))).to.include({
        kind: 'rejected',
        reason: 'session-expired',
      });
      expect(get(machine, 'k')?.value).to.equal('1');
    });

    it('use renews a session: only time since the LAST command counts', () => {
      const { machine, feed } = harness({ sessionTimeoutMs: timeoutMs });
      machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: '1' }, { timeMs: 0 }));
      machine.apply(feed.command('c', 2, 1, { kind: 'kv-put', key: 'k', value: '2' }, { timeMs: 9_000 }));
      machine.apply(feed.noop({ timeMs: 18_999 }));
      expect(machine.session('c')?.lastUsedMs).to.equal(9_000);
      expect(machine.apply(feed.command('c', 3, 2, { kind: 'kv-put', key: 'k', value: '3' })).kind).to.equal(
        'applied',
      );
    });

    it('expiry is evaluated before the entry’s own command: a late command finds its session gone', () => {
      const { machine, feed } = harness({ sessionTimeoutMs: timeoutMs });
      machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: '1' }, { timeMs: 0 }));
      expect(
        machine.apply(
          feed.command('c', 2, 1, { kind: 'kv-put', key: 'k', value: '2' }, { timeMs: timeoutMs }),
        ),
      ).to.include({ kind: 'rejected', reason: 'session-expired' });
    });

    it('does not expire by entry count: thousands of entries at one log time keep every session', () => {
      const { machine, feed } = harness({ sessionTimeoutMs: timeoutMs });
      machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: '1' }, { timeMs: 50_000 }));
      for (let i = 0; i < 5_000; i++)
        machine.apply(feed.noop({ timeMs: 50_000 + (i % 2) * (timeoutMs - 1) }));
      expect(machine.session('c')).to.not.equal(null);
      expect(machine.apply(feed.command('c', 2, 1, { kind: 'kv-put', key: 'k', value: '2' })).kind).to.equal(
        'applied',
      );
    });

    it('a leader clock behind does not un-expire or delay expiry: log time never goes back', () => {
      const { machine, feed } = harness({ sessionTimeoutMs: timeoutMs });
      machine.apply(feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: '1' }, { timeMs: 20_000 }));
      machine.apply(feed.noop({ timeMs: 30_000 })); // expires c
      machine.apply(feed.noop({ timeMs: 1_000, term: 2 })); // a new leader whose clock is behind
      expect(machine.session('c')).to.equal(null);
      expect(machine.logTimeMs).to.equal(30_000);
    });

    it('two instances fed the same entries expire the same sessions at the same index', () => {
      const feed = new LogFeed();
      const entries: LogEntry[] = [];
      for (let i = 0; i < 200; i++) {
        const t = 1_000 * i + ((i * 7919) % 3_000);
        if (i % 3 === 0) entries.push(feed.noop({ timeMs: t }));
        else
          entries.push(
            feed.command(
              `c${i % 11}.${i}`,
              1,
              0,
              { kind: 'kv-put', key: `k${i % 5}`, value: `${i}` },
              { timeMs: t },
            ),
          );
      }
      const a = new GroupStateMachine({ sessionTimeoutMs: 7_000, maxSessions: 5 });
      const b = new GroupStateMachine({ sessionTimeoutMs: 7_000, maxSessions: 5 });
      const trace = (m: GroupStateMachine) => entries.map((e) => [m.apply(e), m.sessionIds().join(',')]);
      const traceA = trace(a);
      expect(trace(b)).to.deep.equal(traceA);
      expect(a.digest()).to.equal(b.digest());
      expect(new Set(traceA.map(([, ids]) => ids)).size).to.be.greaterThan(10);
    });
  });
});
