import { expect } from 'chai';
import {
  type ChunkReadDecision,
  decideChunkRead,
  type SnapshotResponseStep,
  type SnapshotSending,
  snapshotNeeded,
  snapshotResponseStep,
} from '../../../actors/log/snapshot-sending.js';
import type { SnapshotChunk } from '../../../actors/storage/protocol.js';

const meta = (lastIndex: number) => ({
  lastIndex,
  lastTerm: 2,
  membership: { voters: ['a', 'b'] },
  chain: 7,
});
const chunkOf = (lastIndex: number): SnapshotChunk => ({
  meta: meta(lastIndex),
  chunk: new Uint8Array(3),
  done: false,
});
const sending = (lastIndex: number, nextOffset = 0): SnapshotSending => ({ lastIndex, nextOffset });

describe('actors/log/snapshot-sending: the leader side of InstallSnapshot (§7, Figure 13)', () => {
  describe('when a follower needs the snapshot instead of entries', () => {
    const cases = [
      { next: 1, snapshotIndex: 0, needed: false },
      { next: 10, snapshotIndex: 9, needed: false },
      { next: 9, snapshotIndex: 9, needed: true },
      { next: 3, snapshotIndex: 9, needed: true },
    ];
    for (const c of cases) {
      it(`next index ${c.next}, snapshot at ${c.snapshotIndex}: ${c.needed}`, () => {
        expect(snapshotNeeded(c.next, c.snapshotIndex)).to.equal(c.needed);
      });
    }
  });

  describe('a chunk read from storage', () => {
    const cases: ReadonlyArray<{
      name: string;
      sending: SnapshotSending | undefined;
      chunk: SnapshotChunk | null;
      expected: ChunkReadDecision;
    }> = [
      { name: 'sent', sending: sending(20), chunk: chunkOf(20), expected: { action: 'send' } },
      { name: 'no longer sending', sending: undefined, chunk: chunkOf(20), expected: { action: 'ignore' } },
      {
        name: 'no longer sending, unreadable',
        sending: undefined,
        chunk: null,
        expected: { action: 'ignore' },
      },
      { name: 'unreadable: start over', sending: sending(20), chunk: null, expected: { action: 'restart' } },
      {
        name: 'a newer snapshot replaced it: start over',
        sending: sending(20),
        chunk: chunkOf(30),
        expected: { action: 'restart' },
      },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.expected.action}`, () => {
        expect(decideChunkRead(c.sending, c.chunk)).to.deep.equal(c.expected);
      });
    }
  });

  describe("the follower's answer", () => {
    const cases: ReadonlyArray<{
      name: string;
      sending: SnapshotSending | undefined;
      response: { installed: boolean; nextOffset: number; lastIndex: number };
      expected: SnapshotResponseStep;
    }> = [
      {
        name: 'installed',
        sending: sending(20, 512),
        response: { installed: true, nextOffset: 768, lastIndex: 20 },
        expected: { action: 'installed', lastIndex: 20 },
      },
      {
        name: 'it already held it',
        sending: undefined,
        response: { installed: true, nextOffset: 0, lastIndex: 18 },
        expected: { action: 'installed', lastIndex: 18 },
      },
      {
        name: 'the next chunk',
        sending: sending(20, 256),
        response: { installed: false, nextOffset: 512, lastIndex: 0 },
        expected: { action: 'next-chunk', lastIndex: 20, offset: 512 },
      },
      {
        name: 'from the start again',
        sending: sending(20, 256),
        response: { installed: false, nextOffset: 0, lastIndex: 0 },
        expected: { action: 'next-chunk', lastIndex: 20, offset: 0 },
      },
      {
        name: 'no longer sending',
        sending: undefined,
        response: { installed: false, nextOffset: 512, lastIndex: 0 },
        expected: { action: 'none' },
      },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.expected.action}`, () => {
        expect(snapshotResponseStep(c.sending, c.response)).to.deep.equal(c.expected);
      });
    }
  });
});
