import { expect } from 'chai';
import fc from 'fast-check';
import { ByteReader, ByteReadFailure, ByteWriter } from '../../protocol/binary.js';

/** What `string` wrote before its ASCII path: a varint length, then TextEncoder's bytes. */
function referenceBytes(s: string): Uint8Array {
  const body = new TextEncoder().encode(s);
  const writer = new ByteWriter(16);
  writer.blob(body);
  return writer.finish();
}

const strings = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 150 }),
  fc.constantFrom('', 'a'.repeat(127), 'a'.repeat(128), `${'a'.repeat(126)}é`, 'www.example.org.'),
);

describe('protocol/binary: strings', () => {
  it('property: a string is written as its UTF-8 bytes after a varint length, and reads back the same', () => {
    fc.assert(
      fc.property(fc.array(strings, { maxLength: 5 }), (list) => {
        const writer = new ByteWriter(16);
        for (const s of list) writer.string(s);
        const bytes = writer.finish();
        const expected = list.map(referenceBytes);
        expect([...bytes]).to.deep.equal(expected.flatMap((b) => [...b]));
        const reader = new ByteReader(bytes);
        for (const s of list) expect(reader.string(4096, 'text')).to.equal(s);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses bytes that are not UTF-8, short or long', () => {
    for (const body of [
      [0x61, 0xff],
      [...new Array(200).fill(0x61), 0xc3],
    ]) {
      const writer = new ByteWriter(16);
      writer.blob(Uint8Array.from(body));
      const reader = new ByteReader(writer.finish());
      expect(() => reader.string(4096, 'text')).to.throw(ByteReadFailure, /UTF-8/);
    }
  });
});
