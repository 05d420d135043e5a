import { expect } from 'chai';
import { type MasterFileError, masterFileErrorText } from '../../../../protocol/dns/master-file/errors.js';
import { parseMasterFile } from '../../../../protocol/dns/master-file/parser.js';
import { renderMasterFile } from '../../../../protocol/dns/master-file/render.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { recordToText } from '../../../../protocol/dns/wire/record.js';
import { RICH_ZONE } from './rich-zone.js';

function parsed(text: string, origin?: string): string[] {
  const result = parseMasterFile(text, {
    file: 't.zone',
    ...(origin === undefined ? {} : { origin: Name.parse(origin) }),
  });
  if (!result.ok) expect.fail(masterFileErrorText(result.error));
  return result.records.map(recordToText);
}

function failure(text: string): MasterFileError {
  const result = parseMasterFile(text, { file: 'bad.zone', origin: Name.parse('example.') });
  if (result.ok) expect.fail(`accepted:\n${text}`);
  return result.error;
}

describe('protocol/dns/master-file: parsing (RFC 1035 §5)', () => {
  it('reads directives, relative names, @, omitted owners, parentheses, comments, escapes and quotes', () => {
    expect(parsed(RICH_ZONE)).to.deep.equal([
      'example. 3600 IN SOA ns1.example. hostmaster.example. 2024010101 7200 3600 1209600 300',
      'example. 3600 IN NS ns1.example.',
      'example. 3600 IN NS ns2.example.net.',
      'example. 3600 IN MX 10 mail.example.',
      'ns1.example. 3600 IN A 192.0.2.53',
      'mail.example. 300 IN A 192.0.2.25',
      'www.example. 300 IN AAAA 2001:db8::1',
      'txt.example. 3600 IN TXT "hello world" "semi;colon" "esc aped"',
      'a\\.b.example. 3600 IN TXT "dotted label" "quote \\" inside"',
      '_sip._tcp.example. 3600 IN SRV 10 5 5060 sip.example.net.',
      'ptr.example. 3600 IN PTR www.example.',
      'alias.example. 3600 IN CNAME www.example.',
      'caa.example. 3600 IN CAA 0 issue "letsencrypt.org"',
      'unk.example. 3600 IN TYPE65280 \\# 4 0A000001',
      'gen.example. 3600 IN A 192.0.2.1',
      'host-1.example. 3600 IN A 192.0.2.1',
      'host-2.example. 3600 IN A 192.0.2.2',
      'host-3.example. 3600 IN A 192.0.2.3',
      'r00a.example. 3600 IN TXT "n=0"',
      'r00f.example. 3600 IN TXT "n=5"',
      'r014.example. 3600 IN TXT "n=10"',
    ]);
  });

  it('TTL: explicit, then $TTL, then the previous record; BIND units; TTL and class in either order', () => {
    expect(
      parsed('a 60 IN A 192.0.2.1\nb A 192.0.2.2\n$TTL 1d2h\nc A 192.0.2.3\nd IN 1W A 192.0.2.4', 'x.'),
    ).to.deep.equal([
      'a.x. 60 IN A 192.0.2.1',
      'b.x. 60 IN A 192.0.2.2',
      'c.x. 93600 IN A 192.0.2.3',
      'd.x. 604800 IN A 192.0.2.4',
    ]);
  });

  it('$ORIGIN relative to the current origin; no origin means relative to the root', () => {
    expect(parsed('$ORIGIN example.\n$ORIGIN sub\nwww 1 A 192.0.2.1\n@ 1 NS ns')).to.deep.equal([
      'www.sub.example. 1 IN A 192.0.2.1',
      'sub.example. 1 IN NS ns.sub.example.',
    ]);
    expect(parsed('www 1 A 192.0.2.1')).to.deep.equal(['www. 1 IN A 192.0.2.1']);
  });

  it('errors name the file, line and column', () => {
    const cases: [string, string, number, number][] = [
      ['$INCLUDE other.zone', 'include-refused', 1, 1],
      ['www 60 A 192.0.2.1\nwww 60 AA 192.0.2.1', 'bad-type', 2, 8],
      ['www 60 A 192.0.2.300', 'bad-rdata', 1, 10],
      ['www 60 CH TXT "x"', 'bad-class', 1, 8],
      ['www A 192.0.2.1', 'missing-ttl', 1, 5],
      ['  60 A 192.0.2.1', 'missing-field', 1, 3],
      ['www 60 TXT "open', 'syntax', 1, 12],
      ['www 60 TXT "open\\\nA 192.0.2.1', 'syntax', 1, 12],
      ['www 60 SOA ( a b 1 2 3\n 4 5', 'syntax', 1, 12],
      ['www 60 A 192.0.2.1 )', 'syntax', 1, 20],
      ['www 60 TXT ( ( "x" ) )', 'syntax', 1, 14],
      ['$TTL forever', 'bad-ttl', 1, 6],
      ['www 4294967296 A 192.0.2.1', 'bad-ttl', 1, 5],
      ['$FOO bar', 'bad-directive', 1, 1],
      ['$ORIGIN', 'bad-directive', 1, 1],
      ['a..b 60 A 192.0.2.1', 'bad-name', 1, 1],
      ['www 60 OPT \\# 0', 'bad-type', 1, 8],
      ['www 60 A', 'missing-field', 1, 8],
      ['www 60 TYPE65280 00', 'bad-rdata', 1, 18],
      ['www 60 MX 10 bad..name', 'bad-rdata', 1, 11],
      ['$GENERATE 5-1 h$ A 192.0.2.$', 'bad-directive', 1, 11],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: BIND's $GENERATE modifier syntax, not a template
      ['$GENERATE 1-2 h${1,2,n} A 192.0.2.1', 'bad-directive', 1, 15],
    ];
    for (const [text, problem, line, column] of cases) {
      const error = failure(text);
      expect(
        [error.problem, error.line, error.column],
        `${text}: ${masterFileErrorText(error)}`,
      ).to.deep.equal([problem, line, column]);
      expect(masterFileErrorText(error)).to.match(new RegExp(`^bad\\.zone:${line}:${column}: `));
    }
  });

  it('the record limit is enforced', () => {
    const result = parseMasterFile('a 1 A 192.0.2.1\nb 1 A 192.0.2.2', { file: 'f', recordsMax: 1 });
    expect(result.ok ? 'ok' : result.error.problem).to.equal('limit');
  });

  it('rendering puts the SOA first, then canonical order (RFC 4034 §6.1), and parses back', () => {
    const result = parseMasterFile(RICH_ZONE, { file: 'rich' });
    if (!result.ok) expect.fail(masterFileErrorText(result.error));
    const text = renderMasterFile(result.records, { origin: Name.parse('example.') });
    const lines = text.trim().split('\n');
    expect(lines[0]).to.equal('$ORIGIN example.');
    expect(lines[1]).to.match(/^example\. 3600 IN SOA /);
    const owners = lines.slice(2).map((l) => l.split(' ')[0]);
    expect(owners.slice(0, 4)).to.deep.equal(['example.', 'example.', 'example.', '_sip._tcp.example.']);
    expect(owners.indexOf('a\\.b.example.')).to.be.lessThan(owners.indexOf('alias.example.'));
    const again = parseMasterFile(text, { file: 'rendered' });
    if (!again.ok) expect.fail(masterFileErrorText(again.error));
    expect(again.records.map(recordToText).sort()).to.deep.equal(result.records.map(recordToText).sort());
  });
});
