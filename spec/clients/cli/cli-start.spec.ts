import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

/**
 * The CLI starts at once because it loads only what a command needs: `--help` must not
 * load NATS, zod, pino or the AWS SDK (each costs 60–200 ms to load), and only `raftns aws`
 * loads the SDK. Checked by recording every module the process resolves.
 */
const CLI = fileURLToPath(new URL('../../../clients/cli/raftns.js', import.meta.url));
const RECORDER = fileURLToPath(new URL('../../fixtures/processes/import-recorder.js', import.meta.url));
const HEAVY = [/@aws-sdk\//, /@nats-io\//, /\/zod\//, /\/pino\//];

async function modulesLoadedBy(args: readonly string[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'raftns-imports-'));
  const log = join(dir, 'imports.log');
  try {
    await new Promise<void>((resolve) => {
      execFile(
        process.execPath,
        ['--import', RECORDER, CLI, ...args],
        { timeout: 30_000, env: { ...process.env, RAFTNS_IMPORT_LOG: log } },
        () => resolve(),
      );
    });
    return (await readFile(log, 'utf8')).split('\n').filter((line) => line.length > 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const heavyAmong = (modules: readonly string[]) => modules.filter((m) => HEAVY.some((p) => p.test(m)));

describe('raftns starts at once: heavy modules load only in the commands that use them', function () {
  this.timeout(60_000);

  it('--help loads neither NATS, zod, pino nor the AWS SDK', async () => {
    const modules = await modulesLoadedBy(['--help']);
    expect(
      modules.some((m) => m.endsWith('/clients/cli/program.js')),
      'the recorder sees the CLI',
    ).to.equal(true);
    expect(heavyAmong(modules)).to.deep.equal([]);
  });

  it('a command that talks to a group loads NATS but not the AWS SDK', async () => {
    // Nothing listens on port 1: the command fails fast, after loading what it needs.
    const modules = await modulesLoadedBy([
      '--nats',
      'nats://127.0.0.1:1',
      '--timeout',
      '300',
      'kv',
      'get',
      'k',
    ]);
    expect(modules.some((m) => /@nats-io\//.test(m))).to.equal(true);
    expect(modules.filter((m) => /@aws-sdk\//.test(m))).to.deep.equal([]);
  });
});
