import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { EXIT_CONFIG } from '../../../runtime/process-lifecycle.js';

/**
 * A replica's main thread composes the actors but runs none of them, and serves HTTP only
 * with --http: every module it loads is on the path from a crash to ready, and stays in
 * its heap (docs/ARCHITECTURE.md, "What a replica costs at start and at rest"). Checked
 * by recording every module `runtime/main` resolves before it reads its configuration
 * (a start with no configuration stops right there).
 */
const MAIN = fileURLToPath(new URL('../../../runtime/main.js', import.meta.url));
const RECORDER = fileURLToPath(new URL('../../fixtures/processes/import-recorder.js', import.meta.url));

/** Code that belongs on the actors' worker threads, or behind --http. */
const NOT_ON_MAIN = [
  /\/actors\/dns\/dns-actor\.js$/,
  /\/actors\/dns\/server\/responder\.js$/,
  /\/actors\/aws-lease\/aws-lease-actor\.js$/,
  /\/actors\/aws-serving\/aws-serving-actor\.js$/,
  /\/actors\/(log|election|storage|state-machine)\/[a-z-]+-actor\.js$/,
  /@aws-sdk\//,
  /\/fastify\//,
  /\/prom-client\//,
  /\/@nxtedition\/rocksdb\//,
  /\/status-page\//,
];

describe('a replica main thread loads neither the actors nor the HTTP stack', function () {
  this.timeout(60_000);

  it('resolves the composition of a replica and none of the code its workers or --http run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'raftns-main-imports-'));
    const log = join(dir, 'imports.log');
    try {
      const code = await new Promise<number | null>((resolve) => {
        const child = execFile(
          process.execPath,
          ['--import', RECORDER, MAIN],
          { timeout: 30_000, env: { ...process.env, RAFTNS_IMPORT_LOG: log } },
          () => resolve(child.exitCode),
        );
      });
      expect(code, 'no configuration: it stops before starting anything').to.equal(EXIT_CONFIG);
      const modules = (await readFile(log, 'utf8')).split('\n').filter((line) => line.length > 0);
      // The graph was loaded: the composition of a replica is there.
      for (const needed of [
        '/runtime/composition/replica-process.js',
        '/runtime/composition/replica-plan.js',
      ])
        expect(
          modules.some((m) => m.endsWith(needed)),
          needed,
        ).to.equal(true);
      expect(modules.filter((m) => NOT_ON_MAIN.some((p) => p.test(m)))).to.deep.equal([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
