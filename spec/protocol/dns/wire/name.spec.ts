import { expect } from 'chai';
import fc from 'fast-check';
import { lowercaseAscii, Name, NameError, parseName } from '../../../../protocol/dns/wire/name.js';
import { nameArb } from './arbitraries.js';

function nameProblem(text: string, origin?: Name): string {
  const result = parseName(text, origin);
  if (result.ok) expect.fail(`expected '${text}' to be rejected`);
  expect(result.error).to.be.instanceOf(NameError);
  return result.error.problem;
}

describe('dns/wire/name', () => {
  describe('presentation format (RFC 1035 §5.1)', () => {
    it('parses labels and prints them absolute with a trailing dot', () => {
      const name = Name.parse('www.Example.com');
      expect(name.labels).to.deep.equal(['www', 'Example', 'com']);
      expect(name.toString()).to.equal('www.Example.com.');
      expect(Name.parse('www.Example.com.').labels).to.deep.equal(name.labels);
      expect(name.wireLength).to.equal(17);
      expect(name.labelCount).to.equal(3);
    });

    it('the root is `.`, one octet on the wire, with no labels', () => {
      expect(Name.parse('.')).to.equal(Name.ROOT);
      expect(Name.ROOT.toString()).to.equal('.');
      expect(Name.ROOT.wireLength).to.equal(1);
      expect(Name.ROOT.isRoot).to.equal(true);
    });

    it('reads `\\.` as a dot inside a label and `\\DDD` as an octet', () => {
      const name = Name.parse('a\\.b.c\\032d\\\\.\\000');
      expect(name.labels).to.deep.equal(['a.b', 'c d\\', '\u0000']);
      expect(name.toString()).to.equal('a\\.b.c\\032d\\\\.\\000.');
    });

    it('escapes master-file specials and unprintable octets when printing', () => {
      const name = Name.fromLabels(['"q"', '(x);@$', '\u007f\u00ff']);
      expect(name.toString()).to.equal('\\"q\\".\\(x\\)\\;\\@\\$.\\127\\255.');
      expect(Name.parse(name.toString()).labels).to.deep.equal(name.labels);
    });

    it('takes characters outside ASCII as their UTF-8 octets', () => {
      const name = Name.parse('bücher.example.');
      expect(name.labels[0]).to.equal('b\u00c3\u00bccher');
      expect(name.toString()).to.equal('b\\195\\188cher.example.');
      expect(Name.parse('\\ü.x.').labels[0]).to.equal('\u00c3\u00bc');
    });

    it('completes relative names with the origin, and `@` is the origin', () => {
      const origin = Name.parse('example.com.');
      expect(Name.parse('www', origin).toString()).to.equal('www.example.com.');
      expect(Name.parse('www.other.', origin).toString()).to.equal('www.other.');
      expect(Name.parse('@', origin)).to.equal(origin);
      expect(nameProblem('@')).to.equal('no-origin');
    });

    it('rejects empty names and labels and bad escapes', () => {
      expect(nameProblem('')).to.equal('empty');
      expect(nameProblem('a..b')).to.equal('empty-label');
      expect(nameProblem('.a')).to.equal('empty-label');
      expect(nameProblem('a\\')).to.equal('bad-escape');
      expect(nameProblem('a\\25')).to.equal('bad-escape');
      expect(nameProblem('a\\256')).to.equal('bad-escape');
      expect(() => Name.parse('a..b')).to.throw(NameError);
    });

    it('property: printing then parsing gives back the same octets', () => {
      fc.assert(
        fc.property(nameArb, (name) => {
          expect(Name.parse(name.toString()).labels).to.deep.equal(name.labels);
        }),
        { numRuns: 500 },
      );
    });
  });

  describe('length limits (RFC 1035 §2.3.4)', () => {
    it('a label holds at most 63 octets', () => {
      expect(Name.parse(`${'a'.repeat(63)}.com`).labels[0]).to.have.length(63);
      expect(nameProblem(`${'a'.repeat(64)}.com`)).to.equal('label-too-long');
      expect(() => Name.fromLabels(['a'.repeat(64)])).to.throw(NameError, /63/);
    });

    it('a name holds at most 255 octets in wire form', () => {
      const max = [63, 63, 63, 61].map((n) => 'x'.repeat(n));
      expect(Name.fromLabels(max).wireLength).to.equal(255);
      expect(nameProblem([...max.slice(0, 3), 'x'.repeat(62)].join('.'))).to.equal('name-too-long');
      const origin = Name.fromLabels(max.slice(1));
      expect(Name.parse('x'.repeat(63), origin).wireLength).to.equal(255);
      expect(nameProblem(`${'x'.repeat(63)}.y`, origin)).to.equal('name-too-long');
    });

    it('label strings must be octets', () => {
      expect(() => Name.fromLabels(['caf\u00e9'])).not.to.throw();
      expect(() => Name.fromLabels(['\u0100'])).to.throw(NameError, /octets/);
      expect(Name.fromLabels([Uint8Array.of(0, 255)]).labels).to.deep.equal(['\u0000\u00ff']);
    });
  });

  describe('case (RFC 4343)', () => {
    it('preserves case and compares case-insensitively', () => {
      const a = Name.parse('WWW.Example.COM.');
      const b = Name.parse('www.example.com.');
      expect(a.toString()).to.equal('WWW.Example.COM.');
      expect(a.equals(b)).to.equal(true);
      expect(a.key).to.equal('www.example.com.').and.to.equal(b.key);
      expect(a.equals(Name.parse('www.example.org.'))).to.equal(false);
    });

    it('folds ASCII letters only, never other octets', () => {
      expect(lowercaseAscii('AZaz\u00c0\u00de@[')).to.equal('azaz\u00c0\u00de@[');
      expect(Name.fromLabels(['\u00c0']).equals(Name.fromLabels(['\u00e0']))).to.equal(false);
    });

    it('keys are unambiguous: an escaped dot is not a label boundary', () => {
      expect(Name.fromLabels(['a.b']).key).to.not.equal(Name.fromLabels(['a', 'b']).key);
    });
  });

  describe('hierarchy', () => {
    const zone = Name.parse('Example.com.');

    it('isSubdomainOf: the name itself and names below, case-insensitively', () => {
      expect(Name.parse('www.example.COM.').isSubdomainOf(zone)).to.equal(true);
      expect(zone.isSubdomainOf(zone)).to.equal(true);
      expect(zone.isSubdomainOf(Name.ROOT)).to.equal(true);
      expect(Name.parse('com.').isSubdomainOf(zone)).to.equal(false);
      expect(Name.parse('badexample.com.').isSubdomainOf(zone)).to.equal(false);
      expect(Name.fromLabels(['x.example', 'com']).isSubdomainOf(zone)).to.equal(false);
    });

    it('parent drops the first label; the root has none', () => {
      const www = Name.parse('www.example.com.');
      expect(www.parent()?.toString()).to.equal('example.com.');
      expect(www.parent()?.wireLength).to.equal(13);
      expect(Name.parse('com.').parent()).to.equal(Name.ROOT);
      expect(Name.ROOT.parent()).to.equal(undefined);
      expect(zone.child('www').toString()).to.equal('www.Example.com.');
    });

    it('property: every ancestor contains the name', () => {
      fc.assert(
        fc.property(nameArb, (name) => {
          let ancestor: Name | undefined = name;
          let count = name.labelCount;
          while (ancestor !== undefined) {
            expect(name.isSubdomainOf(ancestor)).to.equal(true);
            expect(ancestor.labelCount).to.equal(count--);
            ancestor = ancestor.parent();
          }
        }),
        { numRuns: 200 },
      );
    });
  });
});
