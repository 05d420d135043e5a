import { expect } from 'chai';
import fc from 'fast-check';
import { parseMasterFile } from '../../../../protocol/dns/master-file/parser.js';
import { parseKeyFile } from '../../../../protocol/dns/tsig/key-file.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { RICH_ZONE } from './rich-zone.js';

/**
 * Text from anywhere: the master-file and key-file parsers return records or a typed
 * error whose line and column lie inside the text, and never throw.
 */
const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ALPHABET = [
  ...'abc019 \t\n\\"();$@.*#{}/-',
  '\\#',
  '$ORIGIN ',
  '$TTL ',
  '$GENERATE ',
  ' IN ',
  ' TXT ',
  ' A ',
  ' MX ',
  ' SOA ',
  ' TYPE99 ',
  'key "k" { algorithm hmac-sha1; secret "AAAA"; };',
];
const textArb = fc.array(fc.constantFrom(...ALPHABET), { maxLength: 60 }).map((parts) => parts.join(''));
const editArb = fc.record({ at: fc.nat(), cut: fc.nat({ max: 8 }), insert: textArb });

function within(text: string, line: number, column: number): void {
  const lines = text.split('\n');
  expect(line).to.be.within(1, lines.length);
  expect(column).to.be.within(1, (lines[line - 1]?.length ?? 0) + 1);
}

describe('protocol/dns/master-file: fuzzing the text parsers', () => {
  before(() => console.log(`    text-parser fuzz seed ${seed} (FUZZ_SEED=${seed} replays)`));

  it('random and edited zone text gives records or an error inside the text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          textArb,
          fc.array(editArb, { minLength: 1, maxLength: 3 }).map((edits) => {
            let text = RICH_ZONE;
            for (const e of edits) {
              const at = e.at % (text.length + 1);
              text = text.slice(0, at) + e.insert + text.slice(at + e.cut);
            }
            return text;
          }),
        ),
        (text) => {
          const result = parseMasterFile(text, { file: 'fuzz.zone', origin: Name.parse('example.') });
          if (!result.ok) within(text, result.error.line, result.error.column);
        },
      ),
      { seed, numRuns: 3000 },
    );
  });

  it('random key-file text gives keys or an error inside the text', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const result = parseKeyFile(text);
        if (!result.ok) within(text, result.error.line, result.error.column);
      }),
      { seed, numRuns: 3000 },
    );
  });
});
