import { readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { diffLines, parseTranscript, renderTranscript } from './transcript-file.js';
import { runTranscript } from './transcript-harness.js';

/**
 * One test per `spec/raft/transcripts/*.txt`, read from the source tree (not `dist/`), so
 * `RAFTNS_REWRITE=1` rewrites the files under review. See `transcript-harness.ts` for the
 * command language.
 */
const sourceDir = fileURLToPath(new URL('../../../spec/raft/transcripts/', import.meta.url));
const rewrite = process.env.RAFTNS_REWRITE === '1';

/**
 * Transcripts that record a known Raft bug, with the bug named: kept so the failing
 * scenario replays exactly, skipped (`it.skip`) until the bug is fixed. Rewrite mode still
 * runs them, so their recorded output stays current. None so far.
 */
const KNOWN_BUGS: Readonly<Record<string, string>> = {};

const files = readdirSync(sourceDir)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('raft transcripts (datadriven, real actors in the simulator)', () => {
  it('the file format round-trips: parse then render gives the canonical text back', () => {
    const text = '# seed: 1\n\nadd-replicas 3\n----\nr1 r2 r3 up\n\n# comment\nstatus\n----\na\nb\n';
    const items = parseTranscript(text);
    expect(renderTranscript(items, new Map())).to.equal(text);
    expect(diffLines('a\nb\nc', 'a\nx\nc')).to.equal('@@ expected line 1 @@\n  a\n- b\n+ x\n  c');
  });

  it('a malformed command is printed where it occurs and fails the run; a new command gets its output', async () => {
    const { actual, failures } = await runTranscript('# seed: 1\nadd-replicas 1\n\nfrobnicate r1\n\nheal\n');
    expect(actual).to.equal(
      '# seed: 1\nadd-replicas 1\n----\nr1 up (preVote=on checkQuorum=off)\n\n' +
        'frobnicate r1\n----\nerror UsageError: unknown command frobnicate\n\nheal\n----\nall connected\n',
    );
    expect(failures).to.deep.equal(['frobnicate r1: error UsageError: unknown command frobnicate']);
  });

  it('finds its transcripts in the source tree', () => {
    expect(files.length).to.be.greaterThan(0);
  });

  for (const file of files) {
    const bug = KNOWN_BUGS[file];
    const test = bug !== undefined && !rewrite ? it.skip : it;
    test(`${file}${bug === undefined ? '' : ` (known bug: ${bug})`}`, async function () {
      this.timeout(60_000);
      const path = join(sourceDir, file);
      const expected = await readFile(path, 'utf8');
      const { actual, failures } = await runTranscript(expected);
      if (rewrite && actual !== expected) await writeFile(path, actual);
      if (bug !== undefined) return;
      if (!rewrite && actual !== expected) {
        expect.fail(
          `${file}: output differs (rerun with RAFTNS_REWRITE=1 to accept):\n${diffLines(expected, actual)}`,
        );
      }
      expect(failures, `${file}: failures`).to.deep.equal([]);
    });
  }
});
