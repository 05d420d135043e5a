import { expect } from 'chai';
import fc from 'fast-check';
import type { DnsBatch } from '../../../protocol/dns/changes.js';
import {
  COMMAND_CODEC_VERSION,
  decodeSessionCommand,
  encodeSessionCommand,
  validateSessionCommand,
} from '../../../protocol/group/command-codec.js';
import type { GroupCommand, SessionCommand } from '../../../protocol/group/commands.js';
import { CLIENT_ID_BYTES_MAX, KEY_BYTES_MAX, VALUE_BYTES_MAX } from '../../../protocol/limits.js';
import { encode } from '../../actors/state-machine/helpers.js';

const put: SessionCommand = {
  clientId: 'client-1',
  seq: 7,
  ackedSeq: 6,
  command: { kind: 'kv-put', key: 'k', value: 'v' },
};

/** The decoded command as a client writes it: a DNS batch's parsed form (checked apart) left out. */
function decoded(bytes: Uint8Array): SessionCommand {
  const result = decodeSessionCommand(bytes);
  if (!result.ok) expect.fail(`expected a command, got ${JSON.stringify(result.error)}`);
  const { command } = result.value;
  if (command.kind !== 'dns-batch') return result.value;
  expect(command.parsed.changes).to.have.length(command.batch.changes.length);
  return { ...result.value, command: { kind: 'dns-batch', batch: command.batch } };
}

function decodeFailure(bytes: Uint8Array) {
  const result = decodeSessionCommand(bytes);
  if (result.ok) expect.fail(`expected a decode error, got ${JSON.stringify(result.value)}`);
  return result.error;
}

function validationFailure(input: unknown) {
  const result = validateSessionCommand(input);
  if (result.ok) expect.fail(`expected a validation error for ${JSON.stringify(input)}`);
  return result.error;
}

function roundTrips(command: SessionCommand): void {
  const bytes = encode(command);
  expect(bytes[0]).to.equal(COMMAND_CODEC_VERSION);
  expect(decoded(bytes)).to.deep.equal(command);
  expect(encode(decoded(bytes))).to.deep.equal(bytes);
}

/** Strings of valid Unicode (no lone surrogates), including astral characters. */
const text = (maxLength: number, minLength = 0) => fc.string({ unit: 'binary', minLength, maxLength });

const kvCommandArb: fc.Arbitrary<GroupCommand> = fc.oneof(
  fc.record({ kind: fc.constant('kv-put' as const), key: text(200, 1), value: text(300) }),
  fc.record({ kind: fc.constant('kv-delete' as const), key: text(200, 1) }),
  fc.record({
    kind: fc.constant('kv-cas' as const),
    key: text(200, 1),
    expectedRevision: fc.oneof(fc.nat(1000), fc.maxSafeNat()),
    value: text(300),
  }),
);

const sessionCommandArb: fc.Arbitrary<SessionCommand> = fc
  .record({
    clientId: text(32, 1),
    seq: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
    ackFraction: fc.double({ min: 0, max: 1, noNaN: true }),
    command: kvCommandArb,
  })
  .map(({ clientId, seq, ackFraction, command }) => ({
    clientId,
    seq,
    ackedSeq: Math.min(seq - 1, Math.floor((seq - 1) * ackFraction)),
    command,
  }));

describe('state-machine/command-codec', () => {
  describe('round trip', () => {
    it('pins the bytes of each command kind (log entries on disk must keep decoding)', () => {
      const hex = (command: SessionCommand) => {
        const encoded = encodeSessionCommand(command);
        if (!encoded.ok) expect.fail(JSON.stringify(encoded.error));
        expect(decoded(encoded.value)).to.deep.equal(command);
        return Buffer.from(encoded.value).toString('hex');
      };
      expect(hex(put)).to.equal('0101070108636c69656e742d31016b0176');
      expect(
        hex({ clientId: 'c', seq: 300, ackedSeq: 2, command: { kind: 'kv-delete', key: 'gone' } }),
      ).to.equal('0102ac02aa02016304676f6e65');
      expect(
        hex({
          clientId: 'c',
          seq: 2,
          ackedSeq: 1,
          command: { kind: 'kv-cas', key: 'key', expectedRevision: 300, value: 'value' },
        }),
      ).to.equal('010302010163036b6579ac020576616c7565');
      const batch: DnsBatch = {
        changes: [
          {
            op: 'upsert',
            zone: 'example.org.',
            name: 'www',
            type: 'A',
            ttl: 60,
            rdata: ['192.0.2.1'],
            version: { hlcMs: 1, counter: 0, writer: 'w' },
          },
        ],
      };
      const json = Buffer.from(JSON.stringify(batch)).toString('hex');
      expect(hex({ clientId: 'c', seq: 1, ackedSeq: 0, command: { kind: 'dns-batch', batch } })).to.equal(
        `010401010163${'9901'}${json}`,
      );
      expect(json.length / 2).to.equal(0x99);
    });

    it('put, delete and cas survive encode → decode → encode unchanged', () => {
      roundTrips(put);
      roundTrips({ clientId: 'c', seq: 1, ackedSeq: 0, command: { kind: 'kv-delete', key: 'gone' } });
      roundTrips({
        clientId: 'c',
        seq: 2,
        ackedSeq: 0,
        command: { kind: 'kv-cas', key: 'k', expectedRevision: 0, value: '' },
      });
    });

    it('is compact: a small put takes a few bytes beyond its strings', () => {
      // version, op, seq, seq - ackedSeq, three length prefixes: 7 bytes of framing.
      expect(encode(put).length).to.equal(7 + 'client-1'.length + 1 + 1);
    });

    it('carries values at the edges: max safe integers, exact byte bounds, multi-byte text, a BOM', () => {
      roundTrips({
        clientId: 'x'.repeat(CLIENT_ID_BYTES_MAX),
        seq: Number.MAX_SAFE_INTEGER,
        ackedSeq: 0,
        command: {
          kind: 'kv-cas',
          key: '\u00e9'.repeat(KEY_BYTES_MAX / 2),
          expectedRevision: Number.MAX_SAFE_INTEGER,
          value: 'v',
        },
      });
      roundTrips({
        clientId: '\u{1F600}',
        seq: Number.MAX_SAFE_INTEGER,
        ackedSeq: Number.MAX_SAFE_INTEGER - 1,
        command: { kind: 'kv-put', key: '\uFEFFbom', value: '\uFEFF'.repeat(VALUE_BYTES_MAX / 3) + 'a' },
      });
    });

    it('property: every valid command round-trips, and its encoding is canonical', () => {
      fc.assert(
        fc.property(sessionCommandArb, (command) => roundTrips(command)),
        { numRuns: 500 },
      );
    });
  });

  describe('validation (before proposing)', () => {
    it('accepts a valid command and returns a copy with only the known fields', () => {
      const result = validateSessionCommand({ ...put, extra: 1, command: { ...put.command, junk: true } });
      expect(result).to.deep.equal({ ok: true, value: put });
    });

    it('names the field that breaks a rule', () => {
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [null, 'command'],
        [{ ...put, clientId: '' }, 'clientId'],
        [{ ...put, clientId: 7 }, 'clientId'],
        [{ ...put, clientId: 'x'.repeat(CLIENT_ID_BYTES_MAX + 1) }, 'clientId'],
        [{ ...put, clientId: '\u00e9'.repeat(CLIENT_ID_BYTES_MAX / 2 + 1) }, 'clientId'],
        [{ ...put, seq: 0 }, 'seq'],
        [{ ...put, seq: 1.5 }, 'seq'],
        [{ ...put, seq: Number.MAX_SAFE_INTEGER + 1 }, 'seq'],
        [{ ...put, ackedSeq: 7 }, 'ackedSeq'],
        [{ ...put, ackedSeq: -1 }, 'ackedSeq'],
        [{ ...put, command: null }, 'command'],
        [{ ...put, command: { kind: 'kv-get', key: 'k' } }, 'kind'],
        [{ ...put, command: { op: 'put', key: 'k', value: 'v' } }, 'kind'],
        [{ ...put, command: { kind: 'kv-put', key: '', value: '' } }, 'key'],
        [{ ...put, command: { kind: 'kv-put', key: 'k'.repeat(KEY_BYTES_MAX + 1), value: '' } }, 'key'],
        [
          { ...put, command: { kind: 'kv-put', key: '\u{1F600}'.repeat(KEY_BYTES_MAX / 4 + 1), value: '' } },
          'key',
        ],
        [{ ...put, command: { kind: 'kv-put', key: 'k\uD800', value: '' } }, 'key'],
        [{ ...put, command: { kind: 'kv-put', key: 'k', value: 'v'.repeat(VALUE_BYTES_MAX + 1) } }, 'value'],
        [{ ...put, command: { kind: 'kv-put', key: 'k', value: '\uDC00' } }, 'value'],
        [{ ...put, command: { kind: 'kv-put', key: 'k' } }, 'value'],
        [
          { ...put, command: { kind: 'kv-cas', key: 'k', value: 'v', expectedRevision: -1 } },
          'expectedRevision',
        ],
        [{ ...put, command: { kind: 'kv-cas', key: 'k', value: 'v' } }, 'expectedRevision'],
      ];
      for (const [input, field] of cases) {
        const error = validationFailure(input);
        expect(error.code, JSON.stringify(input)?.slice(0, 80)).to.equal('invalid-field');
        expect(error.field, JSON.stringify(input)?.slice(0, 80)).to.equal(field);
      }
    });

    it('encoding an out-of-bounds command returns the same typed error instead of bytes', () => {
      const tooBig: SessionCommand = {
        ...put,
        command: { kind: 'kv-put', key: 'k', value: 'v'.repeat(VALUE_BYTES_MAX + 1) },
      };
      const result = encodeSessionCommand(tooBig);
      expect(result.ok).to.equal(false);
      if (!result.ok) expect(result.error).to.include({ code: 'invalid-field', field: 'value' });
    });
  });

  describe('decoding bad bytes', () => {
    it('reports each kind of damage with a typed error', () => {
      const good = encode(put);
      expect(decodeFailure(new Uint8Array(0)).code).to.equal('truncated');
      expect(decodeFailure(Uint8Array.of(2, ...good.subarray(1))).code).to.equal('unsupported-version');
      expect(decodeFailure(Uint8Array.of(1, 9, ...good.subarray(2)))).to.include({
        code: 'unknown-op',
        field: 'op',
      });
      expect(decodeFailure(Uint8Array.of(...good, 0)).code).to.equal('trailing-bytes');
      // seq 0
      expect(decodeFailure(Uint8Array.of(1, 1, 0, 1, 1, 0x63, 1, 0x6b, 0))).to.include({ field: 'seq' });
      // seq - ackedSeq = 0 (ackedSeq = seq) and > seq (ackedSeq negative)
      expect(decodeFailure(Uint8Array.of(1, 1, 5, 0, 1, 0x63, 1, 0x6b, 0))).to.include({ field: 'ackedSeq' });
      expect(decodeFailure(Uint8Array.of(1, 1, 5, 6, 1, 0x63, 1, 0x6b, 0))).to.include({ field: 'ackedSeq' });
      // overlong varint: 1 written as 0x81 0x00
      expect(decodeFailure(Uint8Array.of(1, 1, 0x81, 0x00, 1, 1, 0x63, 1, 0x6b, 0)).code).to.equal(
        'bad-varint',
      );
      // a varint above 2^53 - 1, and one longer than 8 bytes
      expect(decodeFailure(Uint8Array.of(1, 1, ...Array(7).fill(0xff), 0x7f, 1)).code).to.equal('bad-varint');
      expect(decodeFailure(Uint8Array.of(1, 1, ...Array(9).fill(0x80), 1)).code).to.equal('bad-varint');
      // invalid UTF-8 in the clientId, an encoded lone surrogate in the key
      expect(decodeFailure(Uint8Array.of(1, 1, 1, 1, 1, 0xff, 1, 0x6b, 0))).to.include({
        code: 'invalid-utf8',
        field: 'clientId',
      });
      expect(decodeFailure(Uint8Array.of(1, 1, 1, 1, 1, 0x63, 3, 0xed, 0xa0, 0x80, 0))).to.include({
        code: 'invalid-utf8',
        field: 'key',
      });
      // empty clientId and key
      expect(decodeFailure(Uint8Array.of(1, 1, 1, 1, 0, 1, 0x6b, 0))).to.include({ field: 'clientId' });
      expect(decodeFailure(Uint8Array.of(1, 1, 1, 1, 1, 0x63, 0, 0))).to.include({ field: 'key' });
    });

    it('rejects an over-long field from its length prefix, before reading it', () => {
      // key length 1025 (0x81 0x08), and no key bytes at all: the bound is what fails, not truncation.
      const error = decodeFailure(Uint8Array.of(1, 2, 1, 1, 1, 0x63, 0x81, 0x08));
      expect(error).to.include({ code: 'invalid-field', field: 'key', offset: 6 });
    });

    it('every strict prefix of a valid encoding is an error, never a shorter command', () => {
      const bytes = encode({
        ...put,
        command: { kind: 'kv-cas', key: 'key', expectedRevision: 300, value: 'value' },
      });
      for (let n = 0; n < bytes.length; n++) {
        expect(decodeSessionCommand(bytes.subarray(0, n)).ok, `prefix of ${n} bytes`).to.equal(false);
      }
    });

    it('fuzz: random bytes never throw, and whatever decodes re-encodes to the same bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, versioned) => {
          if (versioned && bytes.length > 0) bytes[0] = COMMAND_CODEC_VERSION;
          const result = decodeSessionCommand(bytes);
          if (result.ok) expect(encode(result.value)).to.deep.equal(bytes);
        }),
        { numRuns: 3000 },
      );
    });

    it('fuzz: damaged valid encodings never throw', () => {
      fc.assert(
        fc.property(
          sessionCommandArb,
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          (command, damage) => {
            const bytes = encode(command).slice();
            for (const [at, byte] of damage) bytes[at % bytes.length] = byte;
            const result = decodeSessionCommand(bytes);
            if (result.ok) expect(validateSessionCommand(result.value).ok).to.equal(true);
          },
        ),
        { numRuns: 1000 },
      );
    });
  });
});
