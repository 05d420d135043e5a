import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

/**
 * The deterministic core reads time and randomness only through what it is given
 * (TigerBeetle's "tidy" check): no wall clock, no global random source, no timers of its
 * own, no sockets, files or threads of its own (every actor, the DNS actor included, gets
 * its I/O from its context). The simulator runs exactly this code, so one stray `Date.now()` would make a
 * failing seed unreplayable.
 */
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Folders whose every file is deterministic, and single runtime files the simulator runs. */
const DETERMINISTIC_FOLDERS = ['actors', 'runtime/sim'];
const DETERMINISTIC_FILES = [
  'runtime/actor-host.ts',
  'runtime/endpoint.ts',
  'runtime/outbound-link.ts',
  'runtime/mailbox.ts',
  'runtime/frames.ts',
  'runtime/bucket-counts.ts',
  'runtime/supervisor/restart-policy.ts',
];

const FORBIDDEN: ReadonlyArray<readonly [RegExp, string]> = [
  [/\bDate\.now\s*\(/, 'Date.now()'],
  [/\bnew\s+Date\s*\(/, 'new Date()'],
  [/\bMath\.random\s*\(/, 'Math.random()'],
  [/\bsetTimeout\s*\(/, 'setTimeout()'],
  [/\bsetInterval\s*\(/, 'setInterval()'],
  [/\bperformance\.now\s*\(/, 'performance.now()'],
  [/\bprocess\.hrtime\b/, 'process.hrtime'],
  // Production's clock and timers, reached around the context.
  [/\brealTimers\b/, 'realTimers'],
  [/\bmonotonicClock\b/, 'monotonicClock'],
  // I/O belongs to the edge (runtime/dns-sockets, runtime/nats, runtime/storage, runtime/worker):
  // the core reaches sockets, files and threads only through its context (types may be named).
  [
    /\bimport\s+(?!type\b)[^;]*?from\s+'node:(?:dgram|net|dns|http|https|tls|fs|fs\/promises|child_process|worker_threads)'/,
    'I/O module import',
  ],
];

/** Drops comments so prose may name what code may not call. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

function findNondeterminism(source: string): string[] {
  const code = stripComments(source);
  return FORBIDDEN.filter(([pattern]) => pattern.test(code)).map(([, name]) => name);
}

async function tsFilesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(join(repoRoot, folder), { withFileTypes: true, recursive: true }).catch(
    () => [],
  );
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => relative(repoRoot, join(e.parentPath, e.name)));
}

describe('tidy: the deterministic core has no ambient time, randomness or timers', () => {
  it('the checker itself catches each forbidden call and ignores comments', () => {
    expect(findNondeterminism('const t = Date.now();')).to.deep.equal(['Date.now()']);
    expect(findNondeterminism('if (Math.random() < 0.5) setTimeout(f, 1);')).to.have.members([
      'Math.random()',
      'setTimeout()',
    ]);
    expect(findNondeterminism("import { createSocket } from 'node:dgram';")).to.deep.equal([
      'I/O module import',
    ]);
    expect(findNondeterminism("import type { Socket } from 'node:net';")).to.deep.equal([]);
    expect(findNondeterminism('const t = realTimers.after(5, f);')).to.deep.equal(['realTimers']);
    expect(findNondeterminism('// Date.now() is banned here\n/* setInterval( */ const x = 1;')).to.deep.equal(
      [],
    );
  });

  it('no file of the deterministic core calls them', async () => {
    const files = [...DETERMINISTIC_FILES];
    for (const folder of DETERMINISTIC_FOLDERS) files.push(...(await tsFilesUnder(folder)));
    expect(files.length).to.be.greaterThan(DETERMINISTIC_FILES.length);
    const offences: string[] = [];
    for (const file of files) {
      const found = findNondeterminism(await readFile(join(repoRoot, file), 'utf8'));
      if (found.length > 0) offences.push(`${file}: ${found.join(', ')}`);
    }
    expect(offences).to.deep.equal([]);
  });
});
