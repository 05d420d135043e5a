import { expect } from 'chai';
import {
  type ChunkOutcome,
  MAX_SNAPSHOT_BYTES,
  type ReceivedChunk,
  SnapshotAssembly,
} from '../../../actors/log/snapshot-assembly.js';

const meta = (lastIndex: number) => ({
  lastIndex,
  lastTerm: 2,
  membership: { voters: ['a', 'b'] },
  chain: 7,
});
const bytes = (...values: number[]) => new Uint8Array(values);
const chunk = (lastIndex: number, offset: number, data: Uint8Array, done = false): ReceivedChunk => ({
  meta: meta(lastIndex),
  offset,
  chunk: data,
  done,
});

interface Step {
  readonly chunk: ReceivedChunk;
  readonly commitIndex?: number;
  readonly expected: ChunkOutcome;
}

/** Each case: chunks in arrival order, with the outcome each must give (Figure 13 steps 2–5). */
const cases: ReadonlyArray<{ name: string; maxBytes?: number; steps: Step[] }> = [
  {
    name: 'two chunks in order make the snapshot',
    steps: [
      { chunk: chunk(20, 0, bytes(1, 2)), expected: { kind: 'more', nextOffset: 2 } },
      { chunk: chunk(20, 2, bytes(3), true), expected: { kind: 'complete', data: bytes(1, 2, 3) } },
    ],
  },
  {
    name: 'one chunk that is also the last',
    steps: [{ chunk: chunk(20, 0, bytes(9), true), expected: { kind: 'complete', data: bytes(9) } }],
  },
  {
    name: 'a snapshot covering only committed entries is held already',
    steps: [{ chunk: chunk(20, 0, bytes(1)), commitIndex: 20, expected: { kind: 'already-held' } }],
  },
  {
    name: 'a chunk after nothing started asks for the start',
    steps: [{ chunk: chunk(20, 2, bytes(3)), expected: { kind: 'unexpected', nextOffset: 0 } }],
  },
  {
    name: 'a duplicated chunk asks for the offset expected next',
    steps: [
      { chunk: chunk(20, 0, bytes(1, 2)), expected: { kind: 'more', nextOffset: 2 } },
      { chunk: chunk(20, 2, bytes(3)), expected: { kind: 'more', nextOffset: 3 } },
      { chunk: chunk(20, 2, bytes(3)), expected: { kind: 'unexpected', nextOffset: 3 } },
      { chunk: chunk(20, 3, bytes(4), true), expected: { kind: 'complete', data: bytes(1, 2, 3, 4) } },
    ],
  },
  {
    name: 'a chunk of another snapshot mid-way asks for its start',
    steps: [
      { chunk: chunk(20, 0, bytes(1, 2)), expected: { kind: 'more', nextOffset: 2 } },
      { chunk: chunk(30, 2, bytes(3)), expected: { kind: 'unexpected', nextOffset: 0 } },
    ],
  },
  {
    name: 'offset 0 restarts, dropping what arrived before',
    steps: [
      { chunk: chunk(20, 0, bytes(1, 2)), expected: { kind: 'more', nextOffset: 2 } },
      { chunk: chunk(30, 0, bytes(7)), expected: { kind: 'more', nextOffset: 1 } },
      { chunk: chunk(30, 1, bytes(8), true), expected: { kind: 'complete', data: bytes(7, 8) } },
    ],
  },
  {
    name: 'a snapshot the follower committed past mid-way is dropped',
    steps: [
      { chunk: chunk(20, 0, bytes(1, 2)), expected: { kind: 'more', nextOffset: 2 } },
      { chunk: chunk(20, 2, bytes(3)), commitIndex: 25, expected: { kind: 'already-held' } },
      { chunk: chunk(20, 3, bytes(4)), expected: { kind: 'unexpected', nextOffset: 0 } },
    ],
  },
  {
    name: 'past the size limit it is refused and starts over',
    maxBytes: 3,
    steps: [
      { chunk: chunk(20, 0, bytes(1, 2, 3)), expected: { kind: 'more', nextOffset: 3 } },
      { chunk: chunk(20, 3, bytes(4)), expected: { kind: 'too-large', bytes: 4 } },
      { chunk: chunk(20, 4, bytes(5), true), expected: { kind: 'unexpected', nextOffset: 0 } },
    ],
  },
];

describe('actors/log/snapshot-assembly: the follower side of InstallSnapshot (Figure 13)', () => {
  it('holds at most 1 GiB by default', () => {
    expect(MAX_SNAPSHOT_BYTES).to.equal(1 << 30);
  });

  for (const c of cases) {
    it(c.name, () => {
      const assembly = new SnapshotAssembly(c.maxBytes);
      c.steps.forEach((step, i) => {
        expect(assembly.receive(step.chunk, step.commitIndex ?? 10), `step ${i + 1}`).to.deep.equal(
          step.expected,
        );
      });
    });
  }
});
