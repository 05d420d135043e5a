import { crc32 } from 'node:zlib';
import { expect } from 'chai';
import fc from 'fast-check';
import type { LogEntry } from '../../../actors/raft/types.js';
import {
  GroupStateMachine,
  type GroupStateMachineOptions,
} from '../../../actors/state-machine/group-state-machine.js';
import {
  encodeSnapshot,
  SNAPSHOT_MAGIC,
  SNAPSHOT_VERSION,
  type SnapshotState,
} from '../../../actors/state-machine/snapshot-codec.js';
import type { CommandResult } from '../../../protocol/group/commands.js';
import { applyAll, entriesFromSteps, LogFeed, stepArb } from './helpers.js';

/** Small bounds, so that random workloads hit eviction, expiry and too-many-pending. */
const TIGHT: GroupStateMachineOptions = {
  maxSessions: 3,
  maxCachedResultsPerSession: 3,
  sessionTimeoutMs: 5_000,
  rangeLimitMax: 5,
};

function restored(bytes: Uint8Array, options: Partial<GroupStateMachineOptions> = TIGHT): GroupStateMachine {
  const result = GroupStateMachine.restore(bytes, options);
  if (!result.ok) expect.fail(`restore failed: ${JSON.stringify(result.error)}`);
  return result.value;
}

function restoreError(bytes: Uint8Array) {
  const result = GroupStateMachine.restore(bytes, TIGHT);
  if (result.ok) expect.fail('restore accepted bad bytes');
  return result.error;
}

/** Replaces the trailing CRC so the damage inside is what restore has to find. */
function withFixedCrc(snapshot: Uint8Array): Uint8Array {
  const out = snapshot.slice();
  const bodyLength = out.length - 4;
  new DataView(out.buffer).setUint32(bodyLength, crc32(out.subarray(0, bodyLength)), true);
  return out;
}

/** A workload touching every part of the state: data, sessions in LRU order, cached results of each kind. */
function busyLog(): LogEntry[] {
  const feed = new LogFeed();
  return [
    feed.command('a', 1, 0, { kind: 'kv-put', key: 'k1', value: 'v1' }, { timeMs: 1_000 }),
    feed.command('b', 1, 0, { kind: 'kv-put', key: 'k2', value: '\u{1F600}' }, { timeMs: 1_500 }),
    feed.noop({ term: 2 }),
    feed.command('a', 2, 1, { kind: 'kv-cas', key: 'k1', expectedRevision: 9, value: 'x' }),
    feed.command('b', 2, 0, { kind: 'kv-delete', key: 'k2' }, { timeMs: 2_000 }),
    feed.command('c', 1, 0, { kind: 'kv-cas', key: 'k3', expectedRevision: 0, value: '' }),
    feed.command('a', 3, 1, { kind: 'kv-put', key: 'k1', value: 'v3' }, { timeMs: 2_500 }),
  ];
}

const busyState: SnapshotState = {
  appliedIndex: 10,
  appliedTerm: 2,
  logTimeMs: 500,
  entries: [
    { key: 'a', value: '1', revision: 3 },
    { key: 'b', value: '2', revision: 10 },
  ],
  sessions: [
    {
      clientId: 'x',
      lastUsedMs: 100,
      ackedSeq: 1,
      results: [[2, { kind: 'kv-written', revision: 4, previous: null }]],
    },
    {
      clientId: 'y',
      lastUsedMs: 500,
      ackedSeq: 0,
      results: [[1, { kind: 'kv-cas-mismatch', current: { key: 'a', value: '1', revision: 3 } }]],
    },
  ],
};

describe('state-machine snapshots', () => {
  it('the encoder used for crafted snapshots below produces a restorable snapshot', () => {
    const bytes = encodeSnapshot(busyState);
    expect(restored(bytes).snapshot()).to.deep.equal(bytes);
  });

  it('an empty machine snapshots and restores', () => {
    const bytes = new GroupStateMachine().snapshot();
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).to.equal(SNAPSHOT_MAGIC);
    expect(bytes[4]).to.equal(SNAPSHOT_VERSION);
    const machine = restored(bytes);
    expect([
      machine.appliedIndex,
      machine.appliedTerm,
      machine.logTimeMs,
      machine.sessionCount,
    ]).to.deep.equal([0, 0, 0, 0]);
    expect(machine.digest()).to.equal(new GroupStateMachine().digest());
  });

  it('holds everything: restore gives the same bytes, digest, counters, data and sessions', () => {
    const machine = new GroupStateMachine(TIGHT);
    applyAll(machine, busyLog());
    const bytes = machine.snapshot();
    const copy = restored(bytes);
    expect(copy.snapshot()).to.deep.equal(bytes);
    expect(copy.digest()).to.equal(machine.digest());
    expect([copy.appliedIndex, copy.appliedTerm, copy.logTimeMs]).to.deep.equal([7, 2, 2_500]);
    expect(copy.sessionIds()).to.deep.equal(machine.sessionIds());
    expect(copy.sessionIds()).to.deep.equal(['b', 'c', 'a']);
    for (const id of ['a', 'b', 'c']) expect(copy.session(id)).to.deep.equal(machine.session(id));
    const all = { op: 'range', prefix: '', limit: 5 } as const;
    expect(copy.query(all)).to.deep.equal(machine.query(all));
  });

  it('is deterministic: the same state gives the same bytes, whichever instance holds it', () => {
    const a = new GroupStateMachine(TIGHT);
    const b = new GroupStateMachine(TIGHT);
    applyAll(a, busyLog());
    applyAll(b, busyLog());
    expect(a.snapshot()).to.deep.equal(b.snapshot());
    expect(a.snapshot()).to.deep.equal(a.snapshot());
    expect(a.digest()).to.match(/^[0-9a-f]{64}$/);
    // A different state, a different digest.
    b.apply({ index: 8, term: 2, kind: 'noop', timeMs: 0, data: new Uint8Array() });
    expect(b.digest()).to.not.equal(a.digest());
  });

  it('writes cached results in seq order even when pipelined commands executed out of order', () => {
    const machine = new GroupStateMachine(TIGHT);
    const feed = new LogFeed();
    applyAll(machine, [
      feed.command('c', 1, 0, { kind: 'kv-put', key: 'k', value: '1' }),
      feed.command('c', 3, 0, { kind: 'kv-put', key: 'k', value: '3' }),
      feed.command('c', 2, 0, { kind: 'kv-put', key: 'k', value: '2' }),
    ]);
    const bytes = machine.snapshot();
    const copy = restored(bytes);
    expect(copy.snapshot()).to.deep.equal(bytes);
    expect(copy.session('c')?.cachedSeqs).to.deep.equal([1, 2, 3]);
    const retry = feed.command('c', 3, 0, { kind: 'kv-put', key: 'k', value: 'x' });
    expect(copy.apply(retry)).to.deep.equal(machine.apply(retry));
  });

  it('restore discards previous state: the restored machine is exactly the snapshot, nothing newer', () => {
    const machine = new GroupStateMachine(TIGHT);
    const log = busyLog();
    applyAll(machine, log.slice(0, 3));
    const early = machine.snapshot();
    const earlyDigest = machine.digest();
    applyAll(machine, log.slice(3));
    const back = restored(early);
    expect(back.digest()).to.equal(earlyDigest);
    expect(back.appliedIndex).to.equal(3);
    expect(back.session('c')).to.equal(null);
    // And the restored machine continues exactly like the original did.
    expect(applyAll(back, log.slice(3))).to.deep.equal(applyAll(restored(early), log.slice(3)));
    expect(back.digest()).to.equal(machine.digest());
  });

  it('a restored machine keeps exactly-once: cached results, acks, LRU order and expiry carry over', () => {
    const machine = new GroupStateMachine(TIGHT);
    applyAll(machine, busyLog());
    const copy = restored(machine.snapshot());
    const feed = new LogFeed();
    feed.index = 7;
    feed.term = 2;
    feed.timeMs = 2_500;
    const more = [
      feed.command('a', 3, 1, { kind: 'kv-put', key: 'k1', value: 'ignored' }), // duplicate
      feed.command('a', 1, 0, { kind: 'kv-put', key: 'k1', value: 'ignored' }), // stale
      feed.command('d', 1, 0, { kind: 'kv-put', key: 'k4', value: 'd' }, { timeMs: 3_000 }), // evicts b, the least recently used
      feed.noop({ timeMs: 2_500 + TIGHT.sessionTimeoutMs }), // expires c and a, not d
    ];
    const expected = applyAll(machine, more);
    expect(applyAll(copy, more)).to.deep.equal(expected);
    expect(expected.map((o) => o.kind)).to.deep.equal(['duplicate', 'rejected', 'applied', 'advanced']);
    expect(copy.sessionIds()).to.deep.equal(['d']);
    expect(copy.digest()).to.equal(machine.digest());
  });

  it('property: apply all = apply a prefix, snapshot, restore, apply the rest (same outcomes, same digest)', () => {
    fc.assert(
      fc.property(
        fc.array(stepArb(4, 1_500), { maxLength: 120, size: 'max' }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (steps, cut) => {
          const entries = entriesFromSteps(steps);
          const split = Math.floor(entries.length * cut);
          const whole = new GroupStateMachine(TIGHT);
          const expected = applyAll(whole, entries);

          const first = new GroupStateMachine(TIGHT);
          const before = applyAll(first, entries.slice(0, split));
          const bytes = first.snapshot();
          const second = restored(bytes);
          expect(second.snapshot()).to.deep.equal(bytes);
          const after = applyAll(second, entries.slice(split));

          expect([...before, ...after]).to.deep.equal(expected);
          expect(second.digest()).to.equal(whole.digest());
          expect(second.sessionIds()).to.deep.equal(whole.sessionIds());
        },
      ),
      { numRuns: 300 },
    );
  });

  describe('bad bytes: restore returns a typed error and never throws', () => {
    it('recognises a wrong magic, an unknown version, a bad checksum and a short header', () => {
      const bytes = encodeSnapshot(busyState);
      expect(restoreError(new Uint8Array(0)).code).to.equal('truncated');
      expect(restoreError(bytes.subarray(0, 8)).code).to.equal('truncated');
      expect(restoreError(Uint8Array.of(0x58, ...bytes.subarray(1))).code).to.equal('bad-magic');
      const unknownVersion = bytes.slice();
      unknownVersion[4] = 99;
      expect(restoreError(withFixedCrc(unknownVersion)).code).to.equal('unsupported-version');
      const flipped = bytes.slice();
      flipped[10] = (flipped[10] ?? 0) ^ 0x01;
      expect(restoreError(flipped).code).to.equal('checksum-mismatch');
      expect(
        restoreError(withFixedCrc(Uint8Array.of(...bytes.subarray(0, -4), 0, 0, 0, 0, 0))).code,
      ).to.equal('trailing-bytes');
    });

    it('checks the contents even when the checksum is right', () => {
      const ok = busyState;
      const [x, y] = ok.sessions as [SnapshotState['sessions'][0], SnapshotState['sessions'][0]];
      const result = (r: CommandResult) => [[2, r] as const];
      const bad: ReadonlyArray<readonly [string, SnapshotState]> = [
        ['keys out of order', { ...ok, entries: [...ok.entries].reverse() }],
        ['duplicate key', { ...ok, entries: [ok.entries[0]!, ok.entries[0]!] }],
        ['empty key', { ...ok, entries: [{ key: '', value: 'v', revision: 1 }] }],
        ['key too long', { ...ok, entries: [{ key: 'k'.repeat(1025), value: 'v', revision: 1 }] }],
        ['revision 0', { ...ok, entries: [{ key: 'a', value: 'v', revision: 0 }] }],
        ['revision above appliedIndex', { ...ok, entries: [{ key: 'a', value: 'v', revision: 11 }] }],
        ['term without index', { ...ok, appliedIndex: 0, entries: [], sessions: [] }],
        ['index without term', { ...ok, appliedTerm: 0 }],
        ['sessions before any entry', { ...ok, appliedIndex: 0, appliedTerm: 0, entries: [] }],
        ['duplicate session', { ...ok, sessions: [x, { ...y, clientId: 'x' }] }],
        ['empty clientId', { ...ok, sessions: [{ ...x, clientId: '' }] }],
        ['sessions out of LRU order', { ...ok, sessions: [y, x] }],
        ['session used after logTime', { ...ok, sessions: [{ ...x, lastUsedMs: 501 }] }],
        ['cached result at or below ackedSeq', { ...ok, sessions: [{ ...x, ackedSeq: 2 }] }],
        [
          'cached results out of order',
          {
            ...ok,
            sessions: [
              {
                ...x,
                results: [
                  [3, { kind: 'kv-written', revision: 4, previous: null }],
                  [2, { kind: 'kv-written', revision: 4, previous: null }],
                ],
              },
            ],
          },
        ],
        [
          'result revision above appliedIndex',
          {
            ...ok,
            sessions: [{ ...x, results: result({ kind: 'kv-written', revision: 11, previous: null }) }],
          },
        ],
        [
          'result view revision 0',
          {
            ...ok,
            sessions: [
              {
                ...x,
                results: result({
                  kind: 'kv-cas-mismatch',
                  current: { key: 'a', value: '', revision: 0 },
                }),
              },
            ],
          },
        ],
      ];
      for (const [what, state] of bad) {
        const error = restoreError(encodeSnapshot(state));
        expect(error.code, what).to.equal('invalid-value');
        expect(error.message, what).to.be.a('string').and.not.equal('');
      }
    });

    it('rejects an unknown result tag and a presence byte other than 0 or 1', () => {
      const bytes = encodeSnapshot({
        ...busyState,
        sessions: [{ ...busyState.sessions[0]!, results: [[2, { kind: 'kv-cas-mismatch', current: null }]] }],
      });
      // The cached result ends the body: ..., seq 2, tag 1, presence 0, then the CRC.
      const tagAt = bytes.length - 4 - 2;
      expect(bytes[tagAt]).to.equal(1);
      const badTag = bytes.slice();
      badTag[tagAt] = 7;
      expect(restoreError(withFixedCrc(badTag)).message).to.match(/tag/);
      const badPresence = bytes.slice();
      badPresence[tagAt + 1] = 2;
      expect(restoreError(withFixedCrc(badPresence)).message).to.match(/presence/);
    });

    it('every truncation of a real snapshot is an error', () => {
      const machine = new GroupStateMachine(TIGHT);
      applyAll(machine, busyLog());
      const bytes = machine.snapshot();
      for (let n = 0; n < bytes.length; n++) {
        expect(GroupStateMachine.restore(bytes.subarray(0, n)).ok, `${n} bytes`).to.equal(false);
      }
      // And also when the checksum is recomputed over the truncated body.
      for (let n = 9; n < bytes.length - 4; n++) {
        const cut = Uint8Array.of(...bytes.subarray(0, n), 0, 0, 0, 0);
        expect(GroupStateMachine.restore(withFixedCrc(cut)).ok, `${n} bytes with crc`).to.equal(false);
      }
    });

    it('fuzz: random bytes, with or without a valid header and checksum, never throw', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 200 }),
          fc.nat(3),
          fc.constantFrom(1, 2, SNAPSHOT_VERSION),
          (bytes, mode, version) => {
            let candidate: Uint8Array = bytes;
            if (mode >= 1) candidate = Uint8Array.of(0x52, 0x4e, 0x53, 0x4d, version, ...bytes, 0, 0, 0, 0);
            if (mode >= 2) candidate = withFixedCrc(candidate);
            const result = GroupStateMachine.restore(candidate);
            if (!result.ok) return;
            const written = result.value.snapshot();
            if (candidate[4] === SNAPSHOT_VERSION) {
              expect(written).to.deep.equal(candidate);
            } else {
              // An older version restores into the current one, whose bytes are canonical.
              const again = GroupStateMachine.restore(written);
              expect(again.ok).to.equal(true);
              if (again.ok) expect(again.value.snapshot()).to.deep.equal(written);
            }
          },
        ),
        { numRuns: 3000 },
      );
    });

    it('restores a version 1 snapshot (no DNS part) into the current version', () => {
      // appliedIndex 1, appliedTerm 1, logTimeMs 0, no keys, no sessions.
      const v1 = withFixedCrc(Uint8Array.of(0x52, 0x4e, 0x53, 0x4d, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0));
      const result = GroupStateMachine.restore(v1);
      expect(result.ok).to.equal(true);
      if (!result.ok) return;
      expect(result.value.appliedIndex).to.equal(1);
      expect(result.value.snapshot()[4]).to.equal(SNAPSHOT_VERSION);
    });

    it('fuzz: damaged real snapshots never throw; checksum catches damage, and what passes is canonical', () => {
      const machine = new GroupStateMachine(TIGHT);
      applyAll(machine, busyLog());
      const bytes = machine.snapshot();
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          fc.boolean(),
          (damage, fixCrc) => {
            let candidate: Uint8Array = bytes.slice();
            for (const [at, byte] of damage) candidate[5 + (at % (candidate.length - 9))] = byte;
            const changed = candidate.some((b, i) => b !== bytes[i]);
            if (fixCrc) candidate = withFixedCrc(candidate);
            const result = GroupStateMachine.restore(candidate);
            if (!fixCrc && changed) expect(result.ok).to.equal(false);
            if (result.ok) expect(result.value.snapshot()).to.deep.equal(candidate);
          },
        ),
        { numRuns: 2000 },
      );
    });
  });
});
