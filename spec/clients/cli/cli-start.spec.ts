import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Command } from 'commander';
import { COMMAND_CATALOGUE, commandNameOf } from '../../../clients/cli/command-catalogue.js';
import { buildProgram } from '../../../clients/cli/program.js';

/**
 * The CLI starts at once because it loads only what a command needs: `--help` must not
 * load NATS, zod, pino or the AWS SDK (each costs 60–200 ms to load), and only `raftns aws`
 * loads the SDK. Checked by recording every module the process resolves. The program loads
 * only the module of the command it runs, and lists the others from the command catalogue,
 * whose help must read exactly as the modules' own.
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

/** The modules that define commands (the catalogue lists what they define), and the DNS code. */
const COMMAND_CODE = [
  /\/clients\/cli\/[a-z-]+-commands?\.js$/,
  /\/protocol\/dns\//,
  /\/clients\/[a-z-]+\.js$/,
];
const commandCodeAmong = (modules: readonly string[]) =>
  modules.filter((m) => COMMAND_CODE.some((p) => p.test(m)) && !m.endsWith('/clients/errors.js'));
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
    expect(commandCodeAmong(modules)).to.deep.equal([]);
  });

  it("a command loads its own module and no other command's", async () => {
    const modules = await modulesLoadedBy(['--region', 'zone', 'get']);
    expect(modules.some((m) => m.endsWith('/clients/cli/record-commands.js'))).to.equal(true);
    expect(
      modules.filter(
        (m) => /\/clients\/cli\/[a-z-]+-commands?\.js$/.test(m) && !m.endsWith('/record-commands.js'),
      ),
    ).to.deep.equal([]);
    expect(heavyAmong(modules)).to.deep.equal([]);
  });

  it('only raftns aws loads the AWS SDK', async () => {
    // `aws status` reads the plan from NATS first; nothing listens on port 1, so it fails there.
    const modules = await modulesLoadedBy([
      '--nats',
      'nats://127.0.0.1:1',
      '--timeout',
      '300',
      'aws',
      'status',
    ]);
    expect(modules.some((m) => m.endsWith('/clients/cli/aws-command.js'))).to.equal(true);
    expect(modules.some((m) => /@aws-sdk\//.test(m))).to.equal(true);
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

describe('the command catalogue', () => {
  it('lists every command as its module defines it: the help reads the same loaded or not', async () => {
    const lazy = await buildProgram({ kind: 'used', argv: ['--help'] });
    const eager = await buildProgram({ kind: 'all' });
    expect(lazy.helpInformation()).to.equal(eager.helpInformation());
    expect(eager.commands.map((c) => c.name())).to.deep.equal(
      COMMAND_CATALOGUE.flatMap((module) => module.commands.map((c) => c.name)),
    );
  });

  it('each module defines exactly the commands the catalogue gives it', async () => {
    for (const module of COMMAND_CATALOGUE) {
      const bare = new Command('raftns');
      (await module.load())(bare);
      expect(bare.commands.map((c) => c.name())).to.deep.equal(module.commands.map((c) => c.name));
    }
  });

  it('finds the command a command line runs past the global options', () => {
    expect(commandNameOf(['--region', 'get', '--group', 'g2', 'kv', 'put', 'k', 'v'])).to.equal('kv');
    expect(commandNameOf(['--timeout=500', '--json', 'get', 'example.com.'])).to.equal('get');
    expect(commandNameOf(['help', 'zone'])).to.equal('zone');
    expect(commandNameOf(['--json', '--help'])).to.equal(undefined);
    expect(commandNameOf([])).to.equal(undefined);
  });
});
