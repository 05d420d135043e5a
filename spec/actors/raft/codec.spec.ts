import { expect } from 'chai';
import fc from 'fast-check';
import {
  CODEC_VERSION,
  type CodecErrorCode,
  type DecodeResult,
  decodeRaftMessage,
  encodeRaftMessage,
  encodingLength,
  MAX_ENTRIES_PER_MESSAGE,
  MAX_VOTERS_PER_MESSAGE,
  MESSAGE_TAGS,
} from '../../../actors/raft/codec.js';
import type { AppendEntries, RaftMessage, RaftMessageType } from '../../../actors/raft/peer-messages.js';
import type { EntryKind, LogEntry } from '../../../actors/raft/types.js';
import { PEER_FRAME_BYTES_MAX } from '../../../protocol/limits.js';

// ---------------------------------------------------------------------------------------
// Arbitraries

const utf8 = new TextEncoder();

/** Small values, varint byte-length boundaries and the extremes. */
const uintArb = fc.oneof(
  fc.nat({ max: 300 }),
  fc.constantFrom(0, 127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 49 - 1, 2 ** 49),
  fc.constant(Number.MAX_SAFE_INTEGER),
  fc.maxSafeNat(),
);

const idArb = fc.oneof(
  fc.constantFrom('r1', 'r2', 'r3', 'i-0abc123'),
  fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 255 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 80 }).filter((s) => utf8.encode(s).byteLength <= 255),
);

const bytesArb = fc.uint8Array({ maxLength: 300 });

const entryArb: fc.Arbitrary<LogEntry> = fc.record({
  index: uintArb,
  term: uintArb,
  kind: fc.constantFrom<EntryKind>('noop', 'command', 'config'),
  timeMs: uintArb,
  data: bytesArb,
});

const envelope = { term: uintArb, from: idArb, to: idArb };

const ARBITRARIES: { readonly [T in RaftMessageType]: fc.Arbitrary<Extract<RaftMessage, { type: T }>> } = {
  'pre-vote': fc.record({
    type: fc.constant('pre-vote'),
    ...envelope,
    lastLogIndex: uintArb,
    lastLogTerm: uintArb,
  }),
  'pre-vote-response': fc.record({
    type: fc.constant('pre-vote-response'),
    ...envelope,
    granted: fc.boolean(),
  }),
  'request-vote': fc.record({
    type: fc.constant('request-vote'),
    ...envelope,
    lastLogIndex: uintArb,
    lastLogTerm: uintArb,
    transfer: fc.boolean(),
  }),
  'request-vote-response': fc.record({
    type: fc.constant('request-vote-response'),
    ...envelope,
    granted: fc.boolean(),
  }),
  'append-entries': fc.record({
    type: fc.constant('append-entries'),
    ...envelope,
    prevLogIndex: uintArb,
    prevLogTerm: uintArb,
    entries: fc.array(entryArb, { maxLength: 12 }),
    leaderCommit: uintArb,
    leaderCommitCurrent: fc.boolean(),
    round: uintArb,
  }),
  'append-entries-response': fc.record({
    type: fc.constant('append-entries-response'),
    ...envelope,
    success: fc.boolean(),
    matchIndex: uintArb,
    conflictTerm: uintArb,
    conflictIndex: uintArb,
    round: uintArb,
  }),
  'install-snapshot': fc.record({
    type: fc.constant('install-snapshot'),
    ...envelope,
    meta: fc.record({
      chain: fc.integer({ min: 0, max: 0xffff_ffff }),
      lastIndex: uintArb,
      lastTerm: uintArb,
      membership: fc.record({ voters: fc.array(idArb, { maxLength: 9 }) }),
    }),
    offset: uintArb,
    chunk: fc.uint8Array({ maxLength: 2_000 }),
    done: fc.boolean(),
  }),
  'install-snapshot-response': fc.record({
    type: fc.constant('install-snapshot-response'),
    ...envelope,
    nextOffset: uintArb,
    installed: fc.boolean(),
    lastIndex: uintArb,
  }),
  'timeout-now': fc.record({ type: fc.constant('timeout-now'), ...envelope, vote: fc.boolean() }),
  'read-index': fc.record({ type: fc.constant('read-index'), ...envelope, requestId: uintArb }),
  'lease-read-index': fc.record({ type: fc.constant('lease-read-index'), ...envelope, requestId: uintArb }),
  'read-index-response': fc.record({
    type: fc.constant('read-index-response'),
    ...envelope,
    requestId: uintArb,
    ok: fc.boolean(),
    readIndex: uintArb,
  }),
};

const messageArb: fc.Arbitrary<RaftMessage> = fc.oneof(...Object.values(ARBITRARIES));

// ---------------------------------------------------------------------------------------
// Helpers

function encode(m: RaftMessage): Uint8Array {
  const result = encodeRaftMessage(m);
  if (!result.ok) throw new Error(`encode failed: ${result.error.code}: ${result.error.message}`);
  return result.bytes;
}

function decodeOk(bytes: Uint8Array): RaftMessage {
  const result = decodeRaftMessage(bytes);
  if (!result.ok) throw new Error(`decode failed: ${result.error.code}: ${result.error.message}`);
  return result.message;
}

function errorCode(result: DecodeResult): CodecErrorCode | 'ok' {
  return result.ok ? 'ok' : result.error.code;
}

function frame(...parts: Array<number | readonly number[] | Uint8Array>): Uint8Array {
  const bytes: number[] = [];
  for (const part of parts) {
    if (typeof part === 'number') bytes.push(part);
    else bytes.push(...part);
  }
  return Uint8Array.from(bytes);
}

const ascii = (s: string) => [s.length, ...utf8.encode(s)];

/** A frame header: version, tag, term 1, from "a", to "b". */
function header(type: RaftMessageType): number[] {
  return [CODEC_VERSION, MESSAGE_TAGS[type], 1, ...ascii('a'), ...ascii('b')];
}

function appendEntries(entries: LogEntry[]): AppendEntries {
  return {
    type: 'append-entries',
    term: 7,
    from: 'r1',
    to: 'r2',
    prevLogIndex: 99_999,
    prevLogTerm: 7,
    entries,
    leaderCommit: 99_990,
    leaderCommitCurrent: true,
    round: 4_242,
  };
}

// ---------------------------------------------------------------------------------------

describe('actors/raft/codec', () => {
  describe('layout', () => {
    it('pins the bytes of a PreVote (version, tag, varints, length-prefixed ids)', () => {
      const bytes = encode({
        type: 'pre-vote',
        term: 300,
        from: 'r1',
        to: 'r2',
        lastLogIndex: 5,
        lastLogTerm: 2,
      });
      expect([...bytes]).to.deep.equal([2, 1, 0xac, 0x02, 2, 0x72, 0x31, 2, 0x72, 0x32, 5, 2]);
    });

    it('pins the bytes of an AppendEntries with one entry', () => {
      const m: AppendEntries = {
        type: 'append-entries',
        term: 2,
        from: 'a',
        to: 'b',
        prevLogIndex: 9,
        prevLogTerm: 1,
        entries: [{ index: 10, term: 2, kind: 'command', timeMs: 1_000, data: Uint8Array.of(0xde, 0xad) }],
        leaderCommit: 8,
        leaderCommitCurrent: true,
        round: 3,
      };
      expect([...encode(m)]).to.deep.equal([
        ...[2, 5, 2, 1, 0x61, 1, 0x62], // version, tag, term, from, to
        ...[9, 1, 8, 1, 3], // prevLogIndex, prevLogTerm, leaderCommit, leaderCommitCurrent, round
        1, // entry count
        ...[10, 2, 1, 0xe8, 0x07, 2, 0xde, 0xad], // index, term, kind, timeMs, data
      ]);
    });

    it('pins the bytes of an InstallSnapshot (membership, bool before chunk)', () => {
      const bytes = encode({
        type: 'install-snapshot',
        term: 3,
        from: 'a',
        to: 'b',
        meta: { lastIndex: 20, lastTerm: 3, chain: 5, membership: { voters: ['a', 'b'] } },
        offset: 128,
        chunk: Uint8Array.of(7),
        done: true,
      });
      expect([...bytes]).to.deep.equal([
        ...[2, 7, 3, 1, 0x61, 1, 0x62],
        ...[20, 3, 5, 2, 1, 0x61, 1, 0x62], // meta: lastIndex, lastTerm, chain, voters
        ...[0x80, 0x01, 1, 1, 7], // offset, done, chunk
      ]);
    });

    it('pins the bytes of a lease-read-index (a tag of its own, so read-index keeps its bytes)', () => {
      const bytes = encode({ type: 'lease-read-index', term: 4, from: 'a', to: 'b', requestId: 300 });
      expect([...bytes]).to.deep.equal([2, 12, 4, 1, 0x61, 1, 0x62, 0xac, 0x02]);
      const plain = encode({ type: 'read-index', term: 4, from: 'a', to: 'b', requestId: 300 });
      expect([...plain]).to.deep.equal([2, 10, 4, 1, 0x61, 1, 0x62, 0xac, 0x02]);
    });

    it('encodes the largest safe integer in 8 bytes', () => {
      const bytes = encode({
        type: 'read-index',
        term: Number.MAX_SAFE_INTEGER,
        from: 'a',
        to: 'b',
        requestId: 0,
      });
      expect([...bytes.subarray(2, 10)]).to.deep.equal([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
      expect(decodeOk(bytes).term).to.equal(Number.MAX_SAFE_INTEGER);
    });
  });

  describe('round trips', () => {
    for (const [type, arbitrary] of Object.entries(ARBITRARIES)) {
      it(`round-trips every ${type} (decode, re-encode, compare)`, () => {
        fc.assert(
          fc.property(arbitrary as fc.Arbitrary<RaftMessage>, (m) => {
            const bytes = encode(m);
            expect(bytes.byteLength).to.equal(encodingLength(m));
            const decoded = decodeOk(bytes);
            expect(decoded).to.deep.equal(m);
            expect(encode(decoded)).to.deep.equal(bytes);
          }),
          { numRuns: 200 },
        );
      });
    }

    it('decodes a frame at an offset inside a larger buffer (a subarray), and from a Buffer', () => {
      fc.assert(
        fc.property(
          messageArb,
          fc.uint8Array({ maxLength: 64 }),
          fc.uint8Array({ maxLength: 64 }),
          (m, pre, post) => {
            const bytes = encode(m);
            const big = new Uint8Array(pre.length + bytes.length + post.length);
            big.set(pre, 0);
            big.set(bytes, pre.length);
            big.set(post, pre.length + bytes.length);
            const view = big.subarray(pre.length, pre.length + bytes.length);
            expect(decodeOk(view)).to.deep.equal(m);
            expect(decodeOk(Buffer.from(big.buffer, pre.length, bytes.length))).to.deep.equal(m);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('gives decoded byte fields their own memory, not a view of the frame', () => {
      const m = appendEntries([
        { index: 1, term: 1, kind: 'command', timeMs: 0, data: Uint8Array.of(1, 2, 3) },
      ]);
      const bytes = encode(m);
      const decoded = decodeOk(bytes) as AppendEntries;
      bytes.fill(0xff);
      expect([...decoded.entries[0]!.data]).to.deep.equal([1, 2, 3]);
      expect(decoded.entries[0]!.data.buffer.byteLength).to.equal(3);
    });

    it('keeps non-ASCII replica ids, including a leading byte-order mark', () => {
      for (const id of ['réplica-1', '\u{feff}r1', '東京-1', '🦊'.repeat(63)]) {
        const m: RaftMessage = { type: 'timeout-now', term: 1, from: id, to: 'r2', vote: true };
        expect(decodeOk(encode(m))).to.deep.equal(m);
      }
    });
  });

  describe('bad input', () => {
    it('rejects every truncation of a valid frame with "truncated"', () => {
      fc.assert(
        fc.property(messageArb, (m) => {
          const bytes = encode(m);
          for (let end = 0; end < bytes.length; end++) {
            const result = decodeRaftMessage(bytes.subarray(0, end));
            if (errorCode(result) !== 'truncated') {
              expect.fail(`prefix of ${end}/${bytes.length} bytes of ${m.type} gave ${errorCode(result)}`);
            }
          }
        }),
        { numRuns: 300 },
      );
    });

    it('never throws on random bytes, and whatever decodes re-encodes to the same bytes', () => {
      const check = (bytes: Uint8Array) => {
        const result = decodeRaftMessage(bytes);
        if (result.ok) expect(encode(result.message)).to.deep.equal(bytes);
        else expect(result.error.message).to.be.a('string');
      };
      fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 3_000 });
      // Random bodies behind a valid header reach deeper into the decoder.
      const headerArb = fc.tuple(fc.constant(CODEC_VERSION), fc.integer({ min: 1, max: 11 }));
      fc.assert(
        fc.property(headerArb, fc.uint8Array({ maxLength: 200 }), ([version, tag], body) =>
          check(frame(version, tag, body)),
        ),
        { numRuns: 3_000 },
      );
    });

    it('never throws on valid frames with random bytes overwritten', () => {
      fc.assert(
        fc.property(
          messageArb,
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          (m, edits) => {
            const bytes = encode(m);
            for (const [at, value] of edits) bytes[at % bytes.length] = value;
            const result = decodeRaftMessage(bytes);
            if (result.ok) expect(encode(result.message)).to.deep.equal(bytes);
          },
        ),
        { numRuns: 2_000 },
      );
    });

    it('rejects another codec version', () => {
      const bytes = encode({ type: 'timeout-now', term: 1, from: 'a', to: 'b', vote: false });
      for (const version of [0, 1, 3, 255]) {
        bytes[0] = version;
        expect(errorCode(decodeRaftMessage(bytes))).to.equal('bad-version');
      }
    });

    it('refuses a TimeoutNow of either layout in the other (the vote byte added or missing)', () => {
      // The layout a release without the vote sent: the envelope alone. A receiver drops it,
      // and a hand-off between the two releases ends as a stop without one (OPERATIONS).
      const withVote = encode({ type: 'timeout-now', term: 3, from: 'a', to: 'b', vote: true });
      expect(errorCode(decodeRaftMessage(withVote.subarray(0, withVote.length - 1)))).to.equal('truncated');
      const envelopeOnly = frame(CODEC_VERSION, MESSAGE_TAGS['timeout-now'], 3, ascii('a'), ascii('b'));
      expect(errorCode(decodeRaftMessage(envelopeOnly))).to.equal('truncated');
      expect(errorCode(decodeRaftMessage(frame(withVote, 0)))).to.equal('trailing-bytes');
    });

    it('rejects an unknown type tag', () => {
      for (const tag of [0, 13, 200, 255]) {
        expect(errorCode(decodeRaftMessage(frame(CODEC_VERSION, tag, 1, ascii('a'), ascii('b'))))).to.equal(
          'unknown-type',
        );
      }
    });

    it('rejects trailing bytes', () => {
      const bytes = encode({ type: 'read-index', term: 1, from: 'a', to: 'b', requestId: 9 });
      const result = decodeRaftMessage(frame(bytes, 0));
      expect(errorCode(result)).to.equal('trailing-bytes');
      expect(result.ok ? -1 : result.error.offset).to.equal(bytes.length);
    });

    it('rejects malformed varints: overlong, above 2^53 - 1, longer than 8 bytes', () => {
      const readIndex = (...term: number[]) =>
        frame(CODEC_VERSION, MESSAGE_TAGS['read-index'], term, ascii('a'), ascii('b'), 0);
      expect(errorCode(decodeRaftMessage(readIndex(0x80, 0x00)))).to.equal('bad-varint');
      expect(errorCode(decodeRaftMessage(readIndex(0x81, 0x80, 0x00)))).to.equal('bad-varint');
      expect(
        errorCode(decodeRaftMessage(readIndex(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10))),
      ).to.equal('bad-varint');
      expect(
        errorCode(decodeRaftMessage(readIndex(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x80, 0x01))),
      ).to.equal('bad-varint');
      expect(errorCode(decodeRaftMessage(readIndex(0x81, 0x01)))).to.equal('ok');
    });

    it('rejects booleans other than 0 and 1', () => {
      const response = (granted: number) => frame(header('pre-vote-response'), granted);
      expect(errorCode(decodeRaftMessage(response(1)))).to.equal('ok');
      expect(errorCode(decodeRaftMessage(response(2)))).to.equal('invalid-field');
      expect(errorCode(decodeRaftMessage(response(255)))).to.equal('invalid-field');
    });

    it('rejects empty replica ids, ill-formed UTF-8 and unknown entry kinds', () => {
      expect(errorCode(decodeRaftMessage(frame(CODEC_VERSION, 9, 1, 0, ascii('b'))))).to.equal(
        'invalid-field',
      );
      for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe6, 0x9d]]) {
        expect(
          errorCode(decodeRaftMessage(frame(CODEC_VERSION, 9, 1, bad.length, bad, ascii('b')))),
        ).to.equal('bad-utf8');
      }
      const entry = (kind: number) => frame(header('append-entries'), 0, 0, 0, 0, 0, 1, [1, 1, kind, 0, 0]);
      expect(errorCode(decodeRaftMessage(entry(2)))).to.equal('ok');
      expect(errorCode(decodeRaftMessage(entry(3)))).to.equal('invalid-field');
    });
  });

  describe('limits', () => {
    it('decode refuses frames above PEER_FRAME_BYTES_MAX before reading them', () => {
      const big = new Uint8Array(PEER_FRAME_BYTES_MAX + 1);
      big[0] = CODEC_VERSION;
      expect(errorCode(decodeRaftMessage(big))).to.equal('too-large');
    });

    it('encode refuses a frame above PEER_FRAME_BYTES_MAX with a typed result', () => {
      const m = appendEntries([
        { index: 1, term: 1, kind: 'command', timeMs: 0, data: new Uint8Array(PEER_FRAME_BYTES_MAX) },
      ]);
      const result = encodeRaftMessage(m);
      expect(result.ok).to.equal(false);
      expect(result.ok ? undefined : result.error.code).to.equal('too-large');
      expect(encodingLength(m)).to.be.greaterThan(PEER_FRAME_BYTES_MAX);
      const chunk = encodeRaftMessage({
        type: 'install-snapshot',
        term: 1,
        from: 'a',
        to: 'b',
        meta: { lastIndex: 1, lastTerm: 1, chain: 0, membership: { voters: ['a'] } },
        offset: 0,
        chunk: new Uint8Array(PEER_FRAME_BYTES_MAX - 64),
        done: false,
      });
      expect(chunk.ok).to.equal(true);
    });

    it('caps entries per message and voters per snapshot on encode and decode', () => {
      const entry: LogEntry = { index: 1, term: 1, kind: 'noop', timeMs: 0, data: new Uint8Array(0) };
      const atLimit = encodeRaftMessage(appendEntries(new Array(MAX_ENTRIES_PER_MESSAGE).fill(entry)));
      expect(atLimit.ok).to.equal(true);
      const over = encodeRaftMessage(appendEntries(new Array(MAX_ENTRIES_PER_MESSAGE + 1).fill(entry)));
      expect(over.ok ? undefined : over.error.code).to.equal('too-large');

      const count = [0x81, 0x20]; // 4097
      const entryBytes = Array.from({ length: 4097 }, () => [1, 1, 0, 0, 0]).flat();
      expect(
        errorCode(decodeRaftMessage(frame(header('append-entries'), 0, 0, 0, 0, 0, count, entryBytes))),
      ).to.equal('too-large');

      const voters = (n: number) => Array.from({ length: n }, (_, i) => `v${i}`);
      const snapshot = (n: number) =>
        encodeRaftMessage({
          type: 'install-snapshot',
          term: 1,
          from: 'a',
          to: 'b',
          meta: { lastIndex: 1, lastTerm: 1, chain: 0, membership: { voters: voters(n) } },
          offset: 0,
          chunk: new Uint8Array(0),
          done: true,
        });
      expect(snapshot(MAX_VOTERS_PER_MESSAGE).ok).to.equal(true);
      const tooMany = snapshot(MAX_VOTERS_PER_MESSAGE + 1);
      expect(tooMany.ok ? undefined : tooMany.error.code).to.equal('too-large');
    });

    it('refuses a count that cannot fit in the rest of the frame as truncated, without allocating', () => {
      // 4096 entries announced, none present.
      const result = decodeRaftMessage(frame(header('append-entries'), 0, 0, 0, 0, 0, [0x80, 0x20]));
      expect(errorCode(result)).to.equal('truncated');
    });

    it('throws RangeError only for programming errors', () => {
      const base = { type: 'read-index', term: 1, from: 'a', to: 'b', requestId: 1 } as const;
      for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
        expect(() => encodeRaftMessage({ ...base, requestId: bad })).to.throw(RangeError);
        expect(() => encodeRaftMessage({ ...base, term: bad })).to.throw(RangeError);
      }
      for (const id of ['', 'x'.repeat(256), '\ud800', 'a\udc00b']) {
        expect(() => encodeRaftMessage({ ...base, from: id })).to.throw(RangeError);
      }
      expect(() => encodeRaftMessage({ ...base, to: 'é'.repeat(127) })).to.not.throw();
      expect(() => encodeRaftMessage({ ...base, to: 'é'.repeat(128) })).to.throw(RangeError);
      const badKind = { index: 1, term: 1, kind: 'other' as EntryKind, timeMs: 0, data: new Uint8Array(0) };
      expect(() => encodeRaftMessage(appendEntries([badKind]))).to.throw(RangeError);
    });

    it('keeps an AppendEntries of 64 entries x 100 B under ~7 KB', () => {
      // Realistic values: index ~1e6 (3 bytes), term 7 (1), kind (1), timeMs as epoch
      // milliseconds (6), data length (1) + 100: 112 bytes per entry, 12 of overhead.
      const entries = Array.from(
        { length: 64 },
        (_, i): LogEntry => ({
          index: 1_000_000 + i,
          term: 7,
          kind: 'command',
          timeMs: 1_760_000_000_000 + i,
          data: new Uint8Array(100).fill(i),
        }),
      );
      const bytes = encode({ ...appendEntries(entries), prevLogIndex: 999_999, leaderCommit: 999_990 });
      expect(bytes.byteLength).to.equal(64 * 112 + 20);
      expect(bytes.byteLength).to.be.below(7.25 * 1024);
    });
  });
});
