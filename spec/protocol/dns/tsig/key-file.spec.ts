import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { TSIG_ALGORITHMS } from '../../../../protocol/dns/tsig/algorithm.js';
import { parseKeyFile, renderKeyFile } from '../../../../protocol/dns/tsig/key-file.js';
import { testKey } from './helpers.js';

const run = promisify(execFile);
const NAMED_CHECKCONF = '/usr/bin/named-checkconf';

describe('protocol/dns/tsig: BIND key files', () => {
  const keys = TSIG_ALGORITHMS.map((algorithm, i) => testKey(algorithm, `key-${i}.example.`));

  it('render then parse gives the same keys, every algorithm', () => {
    const parsed = parseKeyFile(renderKeyFile(keys));
    if (!parsed.ok) expect.fail(JSON.stringify(parsed.error));
    expect(
      parsed.keys.map((k) => [k.name.toString(), k.algorithm, Buffer.from(k.secret).toString('hex')]),
    ).to.deep.equal(keys.map((k) => [k.name.toString(), k.algorithm, Buffer.from(k.secret).toString('hex')]));
  });

  it('reads what tsig-keygen writes, with comments, bare names and hmac-md5', () => {
    const text = [
      '# made by tsig-keygen',
      'key "ddns-key.example.org" {',
      '\talgorithm hmac-sha256;',
      '\tsecret "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==";',
      '};',
      '/* a second',
      '   key */ key legacy. { secret "AAEC"; algorithm HMAC-MD5; }; // trailing',
    ].join('\n');
    const parsed = parseKeyFile(text);
    if (!parsed.ok) expect.fail(JSON.stringify(parsed.error));
    expect(parsed.keys.map((k) => [k.name.toString(), k.algorithm, [...k.secret].length])).to.deep.equal([
      ['ddns-key.example.org.', 'hmac-sha256', 28],
      ['legacy.', 'hmac-md5.sig-alg.reg.int', 3],
    ]);
  });

  it('errors name the line and column', () => {
    const cases: [string, number, number, RegExp][] = [
      ['key "a" {\n  algorithm hmac-sha3;\n  secret "AAAA";\n};', 2, 13, /unsupported algorithm/],
      ['key "a" {\n  algorithm hmac-sha1;\n  secret "AA*A";\n};', 3, 10, /not base64/],
      ['key "a" {\n  algorithm hmac-sha1;\n};', 1, 5, /no secret/],
      ['key "a" {\n  algorithm hmac-sha1\n  secret "AAAA";\n};', 3, 3, /expected ';'/],
      ['zone "a" {};', 1, 1, /expected 'key'/],
      ['key "a" {\n  colour blue;\n};', 2, 3, /unknown key field/],
      ['key "a" { /* never closed', 1, 11, /unterminated comment/],
    ];
    for (const [text, line, column, message] of cases) {
      const parsed = parseKeyFile(text);
      if (parsed.ok) expect.fail(`accepted: ${text}`);
      expect(parsed.error.message).to.match(message);
      expect([parsed.error.line, parsed.error.column], parsed.error.message).to.deep.equal([line, column]);
    }
  });

  it('named-checkconf accepts the rendered file', async function () {
    if (!existsSync(NAMED_CHECKCONF)) {
      console.log(`    skipped: ${NAMED_CHECKCONF} is not installed`);
      this.skip();
    }
    const dir = await mkdtemp(join(tmpdir(), 'raftns-keyfile-'));
    try {
      const file = join(dir, 'keys.conf');
      await writeFile(file, renderKeyFile(keys));
      await run(NAMED_CHECKCONF, [file], { timeout: 20_000 });
      await writeFile(file, 'key "x" { algorithm hmac-sha256; secret "AAAA" };\n');
      const broken = await run(NAMED_CHECKCONF, [file], { timeout: 20_000 }).then(
        () => 'accepted',
        () => 'rejected',
      );
      expect(broken, 'named-checkconf itself must reject a broken file').to.equal('rejected');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
