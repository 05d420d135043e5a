import { expect } from 'chai';
import {
  inspectedChainAt,
  inspectedFirstIndex,
  inspectedLastIndex,
  inspectedTermAt,
  LogInspector,
} from '../../../actors/log/log-inspection.js';
import { RaftLog } from '../../../actors/log/raft-log.js';
import type { LogEntry } from '../../../actors/raft/types.js';

const entry = (index: number, term: number, byte = index): LogEntry => ({
  index,
  term,
  kind: 'command',
  timeMs: 0,
  data: new Uint8Array([byte]),
});

type Op =
  | { readonly op: 'append'; readonly term: number; readonly count: number; readonly byte?: number }
  | { readonly op: 'truncate-after'; readonly index: number }
  | { readonly op: 'compact-to'; readonly index: number }
  | { readonly op: 'reset-to'; readonly index: number; readonly term: number; readonly chain: number }
  | { readonly op: 'inspect' };

function apply(log: RaftLog, op: Op): void {
  if (op.op === 'append')
    for (let i = 0; i < op.count; i++) log.append(entry(log.lastIndex + 1, op.term, op.byte));
  else if (op.op === 'truncate-after') log.truncateAfter(op.index);
  else if (op.op === 'compact-to') log.compactTo(op.index);
  else if (op.op === 'reset-to') log.resetTo(op.index, op.term, op.chain);
}

/** What the log holds, read straight from it. */
function expected(log: RaftLog) {
  const entries = [];
  for (let index = log.firstIndex; index <= log.lastIndex; index++)
    entries.push({ ...(log.entryAt(index) as LogEntry), chain: log.chainAt(index) as number });
  return {
    snapshotIndex: log.snapshotIndex,
    snapshotTerm: log.termAt(log.snapshotIndex),
    snapshotChain: log.chainAt(log.snapshotIndex),
    entries,
  };
}

const cases: ReadonlyArray<{ name: string; ops: Op[] }> = [
  { name: 'an empty log', ops: [] },
  {
    name: 'appends between views',
    ops: [{ op: 'append', term: 1, count: 3 }, { op: 'inspect' }, { op: 'append', term: 1, count: 2 }],
  },
  {
    name: 'a conflicting suffix replaced by as many entries (§5.3)',
    ops: [
      { op: 'append', term: 1, count: 5 },
      { op: 'inspect' },
      { op: 'truncate-after', index: 3 },
      { op: 'append', term: 2, count: 2, byte: 9 },
    ],
  },
  {
    name: 'a truncation without re-append',
    ops: [{ op: 'append', term: 1, count: 5 }, { op: 'inspect' }, { op: 'truncate-after', index: 2 }],
  },
  {
    name: 'a compaction (§7)',
    ops: [{ op: 'append', term: 1, count: 5 }, { op: 'inspect' }, { op: 'compact-to', index: 3 }],
  },
  {
    name: 'a compaction then appends',
    ops: [
      { op: 'append', term: 1, count: 5 },
      { op: 'inspect' },
      { op: 'compact-to', index: 4 },
      { op: 'append', term: 3, count: 2 },
    ],
  },
  {
    name: 'a snapshot installed over the log',
    ops: [
      { op: 'append', term: 1, count: 5 },
      { op: 'inspect' },
      { op: 'reset-to', index: 9, term: 2, chain: 1234 },
      { op: 'append', term: 2, count: 1 },
    ],
  },
  {
    name: 'a snapshot installed within the inspected range',
    ops: [
      { op: 'append', term: 1, count: 5 },
      { op: 'inspect' },
      { op: 'reset-to', index: 3, term: 1, chain: 99 },
      { op: 'append', term: 4, count: 3 },
    ],
  },
];

describe('actors/log/log-inspection: inspect() shows the log as plain data', () => {
  for (const c of cases) {
    it(`${c.name}: the incremental view equals the log`, () => {
      const log = new RaftLog();
      const inspector = new LogInspector(log);
      for (const op of c.ops) {
        if (op.op === 'inspect') inspector.view();
        else apply(log, op);
      }
      const view = inspector.view();
      expect(view).to.deep.equal(expected(log));
      expect(Object.isFrozen(view.entries)).to.equal(true);
      for (const record of view.entries) expect(Object.isFrozen(record)).to.equal(true);
      expect([inspectedFirstIndex(view), inspectedLastIndex(view)]).to.deep.equal([
        log.firstIndex,
        log.lastIndex,
      ]);
      for (let index = log.snapshotIndex; index <= log.lastIndex + 1; index++) {
        expect(inspectedTermAt(view, index), `term at ${index}`).to.equal(log.termAt(index));
        expect(inspectedChainAt(view, index), `chain at ${index}`).to.equal(log.chainAt(index));
      }
    });
  }

  it('a view does not change when the log changes later', () => {
    const log = new RaftLog();
    const inspector = new LogInspector(log);
    log.append(entry(1, 1));
    log.append(entry(2, 1));
    const before = inspector.view();
    log.truncateAfter(1);
    log.append(entry(2, 2));
    expect(before.entries.map((e) => e.term)).to.deep.equal([1, 1]);
    expect(inspector.view().entries.map((e) => e.term)).to.deep.equal([1, 2]);
  });
});
