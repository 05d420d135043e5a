import { expect } from 'chai';
import { ENTRY_OVERHEAD_BYTES, RaftLog } from '../../../actors/log/raft-log.js';
import type { LogEntry } from '../../../actors/raft/types.js';

const entry = (index: number, bytes: number, term = 1): LogEntry => ({
  index,
  term,
  kind: 'command',
  timeMs: 0,
  data: new Uint8Array(bytes),
});

describe('RaftLog bytes after the snapshot point (the byte threshold of compaction)', () => {
  it('counts the entries up to an index, through appends, truncation, compaction and reset', () => {
    const log = new RaftLog();
    for (let i = 1; i <= 5; i++) log.append(entry(i, i * 10));
    const size = (n: number) => n + ENTRY_OVERHEAD_BYTES;
    expect(log.bytesThrough(0)).to.equal(0);
    expect(log.bytesThrough(3)).to.equal(size(10) + size(20) + size(30));
    expect(log.bytesThrough(99)).to.equal(log.bytesThrough(5));
    log.truncateAfter(4);
    expect(log.bytesThrough(5)).to.equal(log.bytesThrough(4));
    log.append(entry(5, 7, 2));
    expect(log.bytesThrough(5)).to.equal(size(10) + size(20) + size(30) + size(40) + size(7));
    log.compactTo(2);
    expect(log.bytesThrough(2)).to.equal(0);
    expect(log.bytesThrough(5)).to.equal(size(30) + size(40) + size(7));
    log.append(entry(6, 1, 2));
    expect(log.bytesThrough(6)).to.equal(size(30) + size(40) + size(7) + size(1));
    log.resetTo(10, 3, 0);
    expect(log.bytesThrough(10)).to.equal(0);
    log.append(entry(11, 5, 3));
    expect(log.bytesThrough(11)).to.equal(size(5));
  });
});
