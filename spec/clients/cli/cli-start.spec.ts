import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { Command } from 'commander';
import { COMMAND_CATALOGUE, commandNameOf } from '../../../clients/cli/command-catalogue.js';
import { EXIT_OK } from '../../../clients/cli/exit-codes.js';
import { buildProgram } from '../../../clients/cli/program.js';
import { RegionWriter } from '../../../clients/region-writer.js';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats } from '../../../runtime/nats/nats-connection.js';
import { createZoneChange } from '../../fixtures/dns-zone.js';
import { type NatsServerHandle, startNatsServer } from '../../fixtures/nats-server.js';
import type { RaftCluster } from '../../fixtures/raft-cluster.js';
import { startRegionClusters } from '../../fixtures/region-clusters.js';

/**
 * The CLI starts at once because it loads only what a command needs: `--help` must not
 * load NATS, zod, pino or the AWS SDK (each costs 60–200 ms to load), and only `raftns aws`
 * loads the SDK. Checked by recording every module the process resolves. The program loads
 * only the module of the command it runs, and lists the others from the command catalogue,
 * whose help must read exactly as the modules' own. `raftns get`, a one-shot read, loads
 * neither the region writer nor the write checks, and opens no KV watch: checked
 * against a real one-replica cluster, whose NATS server shows every JetStream API request
 * the CLI makes.
 */
const CLI = fileURLToPath(new URL('../../../clients/cli/raftns.js', import.meta.url));
const RECORDER = fileURLToPath(new URL('../../fixtures/processes/import-recorder.js', import.meta.url));
/**
 * NATS loads through require (runtime/nats/nats-transport.ts and its siblings), which the
 * resolve hook does not see: the modules that require it stand for it.
 */
const NATS = /@nats-io\/|\/runtime\/nats\/nats-(transport|jetstream|kv)\.js$/;
const HEAVY = [/@aws-sdk\//, NATS, /\/zod\//, /\/pino\//];

interface RecordedRun {
  /** Every module the process resolved, in order. */
  readonly modules: string[];
  readonly stdout: string;
  readonly code: number | null;
}

async function recordedRun(args: readonly string[]): Promise<RecordedRun> {
  const dir = await mkdtemp(join(tmpdir(), 'raftns-imports-'));
  const log = join(dir, 'imports.log');
  try {
    const { stdout, code } = await new Promise<{ stdout: string; code: number | null }>((resolve) => {
      const child = execFile(
        process.execPath,
        ['--import', RECORDER, CLI, ...args],
        { timeout: 30_000, env: { ...process.env, RAFTNS_IMPORT_LOG: log } },
        (_error, out) => resolve({ stdout: String(out), code: child.exitCode }),
      );
    });
    const modules = (await readFile(log, 'utf8')).split('\n').filter((line) => line.length > 0);
    return { modules, stdout, code };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function modulesLoadedBy(args: readonly string[]): Promise<string[]> {
  return (await recordedRun(args)).modules;
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
    expect(modules.some((m) => NATS.test(m))).to.equal(true);
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

describe('raftns get reads once: no writer, no KV watch', function () {
  this.timeout(120_000);
  const CLUSTER = 'cli-start';
  const NAME = 'www.example.org.';
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let regions: Map<string, RaftCluster>;

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'cli-start-spec', log: silentLogger });
    regions = await startRegionClusters({
      nats,
      nc,
      cluster: CLUSTER,
      regions: ['r1'],
      group: 'g1',
      zone: 'example.org.',
    });
    const writer = await RegionWriter.open({ nc, cluster: CLUSTER, writerId: 'cli-start' });
    try {
      const report = await writer.write([
        createZoneChange('example.org.'),
        { op: 'upsert', name: NAME, type: 'A', ttl: 300, rdata: ['192.0.2.1'] },
      ]);
      expect(report.complete, JSON.stringify(report.regions)).to.equal(true);
    } finally {
      await writer.close();
    }
  });
  after(async () => {
    for (const region of regions?.values() ?? []) await region.stop();
    await nc?.close();
    await nats?.stop();
  });

  it('prints the RRset having loaded neither the region writer nor the write checks, and watched nothing', async () => {
    // Every JetStream API request the CLI makes reaches this subscriber too: a KV watch
    // (of the plan, of the zone registry) would be a consumer created on a bucket's stream.
    // The spec's writer created the (empty) registry bucket, so reading it needs no watch.
    const requests: string[] = [];
    const sub = nc.subscribe('$JS.API.>', {
      callback: (_error, msg) => {
        requests.push(msg.subject);
      },
    });
    await nc.flush();
    const run = await recordedRun(['--nats', nats.url, '--cluster', CLUSTER, 'get', NAME, 'A']);
    await nc.flush();
    sub.unsubscribe();

    expect(run.code).to.equal(EXIT_OK);
    expect(run.stdout).to.match(/^www\.example\.org\.\t300\tA\t192\.0\.2\.1\t\d+\.0@cli-start\n$/);
    expect(run.modules.some((m) => m.endsWith('/clients/record-reader.js'))).to.equal(true);
    // Neither the writer nor the write checks with the DNS presentation parsers.
    expect(
      run.modules.filter((m) =>
        /\/clients\/region-writer\.js$|\/protocol\/dns\/(changes|wire\/rdata)\.js$|\/command-codec\.js$/.test(
          m,
        ),
      ),
    ).to.deep.equal([]);
    expect(
      requests.some((s) => s.includes(`raftns-${CLUSTER}-plan`)),
      `the subscriber sees the CLI read the plan: ${requests.join(', ')}`,
    ).to.equal(true);
    // No consumer (a watch), and no stream created or updated: a read creates nothing.
    expect(
      requests.filter((s) => /^\$JS\.API\.(CONSUMER\.|STREAM\.(CREATE|UPDATE)\.)/.test(s)),
    ).to.deep.equal([]);
  });
});
