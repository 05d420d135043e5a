/**
 * Untrusted bytes: the decoders never throw, whatever they are given, and whatever they
 * accept re-encodes to a message that decodes to the same value.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { RR_TYPE } from '../../../../protocol/dns/wire/codes.js';
import { decodeMessage, encodeMessage, peekQuestion } from '../../../../protocol/dns/wire/message.js';
import { decodeRdata } from '../../../../protocol/dns/wire/rdata.js';
import { messageArb } from './arbitraries.js';

/** Decodes without throwing; an accepted message survives re-encoding (compressed and not). */
function survives(bytes: Uint8Array): void {
  const peek = peekQuestion(bytes);
  const result = decodeMessage(bytes);
  if (!result.ok) {
    expect(result.error.code).to.equal('FORMERR');
    expect(result.error.offset).to.be.within(0, bytes.length);
    expect(result.error.id === undefined).to.equal(bytes.length < 12);
    return;
  }
  expect(peek.ok).to.equal(true);
  for (const compress of [true, false]) {
    const again = decodeMessage(encodeMessage(result.message, { compress }).bytes);
    if (!again.ok) expect.fail(`re-encoded message does not decode: ${again.error.message}`);
    expect(again.message).to.deep.equal(result.message);
  }
}

const header = fc
  .tuple(
    fc.uint8Array({ minLength: 4, maxLength: 4 }),
    fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
  )
  .map(([idFlags, counts]) => Uint8Array.from([...idFlags, ...counts.flatMap((c) => [0, c])]));

const mutation = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    op: fc.constant('pointer' as const),
    at: fc.nat(),
    value: fc.integer({ min: 0, max: 0x3fff }),
  }),
  fc.record({ op: fc.constant('cut' as const), at: fc.nat(), value: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
);

function mutate(
  bytes: Uint8Array,
  mutations: ReadonlyArray<{ op: string; at: number; value: number }>,
): Uint8Array {
  let out = Array.from(bytes);
  for (const { op, at, value } of mutations) {
    if (out.length === 0) break;
    const i = at % out.length;
    if (op === 'set') out[i] = value;
    else if (op === 'pointer') out.splice(i, 2, 0xc0 | (value >> 8), value & 0xff);
    else if (op === 'cut') out = out.slice(0, i);
    else out.splice(i, 0, value);
  }
  return Uint8Array.from(out);
}

describe('dns/wire fuzzing', () => {
  it('random bytes never make the decoders throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), survives), { numRuns: 5000 });
  });

  it('random bytes behind a plausible header never make the decoders throw', () => {
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 300 }), (h, body) =>
        survives(Uint8Array.from([...h, ...body])),
      ),
      { numRuns: 5000 },
    );
  });

  it('mutated valid messages never make the decoders throw', () => {
    fc.assert(
      fc.property(
        messageArb,
        fc.boolean(),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (m, compress, ms) => survives(mutate(encodeMessage(m, { compress }).bytes, ms)),
      ),
      { numRuns: 5000 },
    );
  });

  it('random RDATA never makes decodeRdata throw', () => {
    const types = Object.values(RR_TYPE);
    fc.assert(
      fc.property(
        fc.constantFrom(...types),
        fc.uint8Array({ maxLength: 80 }),
        fc.nat(90),
        fc.nat(90),
        (t, b, o, l) => {
          const result = decodeRdata(t, b, o, l);
          if (!result.ok) expect(result.error.code).to.equal('FORMERR');
        },
      ),
      { numRuns: 5000 },
    );
  });
});
