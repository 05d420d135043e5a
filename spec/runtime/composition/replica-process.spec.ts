import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { decodeIdentity } from '../../../actors/identity/identity-actor.js';
import {
  EXIT_CONFIG,
  EXIT_ESCALATED,
  EXIT_OK,
  EXIT_SECOND_SIGNAL,
  EXIT_START_FAILED,
} from '../../../runtime/process-lifecycle.js';
import { utf8 } from '../../../runtime/storage/kv-store.js';
import { RocksKvStore } from '../../../runtime/storage/rocks-kv-store.js';
import { forkUntilReady, runToExit } from '../../fixtures/child-process.js';
import { type NatsServerHandle, startNatsServer } from '../../fixtures/nats-server.js';

const mainScript = fileURLToPath(new URL('../../../runtime/main.js', import.meta.url));
const fixtureScript = fileURLToPath(new URL('../../fixtures/processes/fixture-replica.js', import.meta.url));

async function readBootCount(dataDir: string): Promise<number> {
  const store = await RocksKvStore.open(join(dataDir, 'identity'));
  try {
    const bytes = await store.get(utf8('identity'));
    if (bytes === undefined) throw new Error('no identity record');
    return decodeIdentity(bytes).bootCount;
  } finally {
    await store.close();
  }
}

describe('the replica process', function () {
  this.timeout(60_000);
  let dataDir: string;
  let nats: NatsServerHandle;
  /** A single-replica group on the fixture's NATS server. */
  const base = (instanceId: string) => [
    '--instance-id',
    instanceId,
    '--data-dir',
    dataDir,
    '--nats',
    nats.url,
    '--dns',
    '127.0.0.1:0',
  ];

  before(async () => {
    nats = await startNatsServer();
  });
  after(async () => {
    await nats.stop();
  });
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'raftns-process-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('exits 0 on SIGTERM after a graceful shutdown, with its state flushed, and recovers it on restart', async () => {
    const args = [...base('i-1'), '--log-level', 'silent'];
    for (const expectedBoot of [1, 2]) {
      const run = await forkUntilReady(mainScript, args, 20_000);
      run.child.kill('SIGTERM');
      const { code } = await run.exited;
      expect(code, run.stderr()).to.equal(EXIT_OK);
      expect(await readBootCount(dataDir)).to.equal(expectedBoot);
    }
  });

  it('refuses to start on a data dir that belongs to another instance', async () => {
    const first = await forkUntilReady(mainScript, base('i-1'), 20_000);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).to.equal(EXIT_OK);
    const second = await runToExit(mainScript, base('i-2'), 20_000);
    expect(second.code).to.equal(EXIT_START_FAILED);
    expect(await readBootCount(dataDir)).to.equal(1);
  });

  it("refuses to start in another group on a data dir that holds a group's Raft state", async () => {
    const first = await forkUntilReady(mainScript, [...base('i-1'), '--group', 'g1'], 20_000);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).to.equal(EXIT_OK);
    const other = await runToExit(mainScript, [...base('i-1'), '--group', 'g2'], 20_000);
    expect(other.code, other.stderr).to.equal(EXIT_START_FAILED);
    expect(await readBootCount(dataDir)).to.equal(1);
    const same = await forkUntilReady(mainScript, [...base('i-1'), '--group', 'g1'], 20_000);
    same.child.kill('SIGTERM');
    expect((await same.exited).code).to.equal(EXIT_OK);
    expect(await readBootCount(dataDir)).to.equal(2);
  });

  it('fails its start (exit 1) when no NATS server answers', async () => {
    const unreachable = 'nats://127.0.0.1:1';
    const run = await runToExit(
      mainScript,
      ['--instance-id', 'i-1', '--data-dir', dataDir, '--nats', unreachable],
      20_000,
    );
    expect(run.code, run.stderr).to.equal(EXIT_START_FAILED);
  });

  it('exits with a clear message on an invalid configuration', async () => {
    const run = await runToExit(mainScript, ['--data-dir', dataDir, '--read-mode', 'sometimes'], 20_000);
    expect(run.code).to.equal(EXIT_CONFIG);
    expect(run.stderr).to.match(/invalid configuration/);
    expect(run.stderr).to.match(/read-mode/);
  });

  it('exits non-zero when an actor exhausts its restart budget', async () => {
    const run = await runToExit(fixtureScript, ['poison-loop', dataDir], 30_000);
    expect(run.code, run.stderr).to.equal(EXIT_ESCALATED);
  });

  it('exits at once on a second signal during a slow shutdown', async () => {
    const run = await forkUntilReady(fixtureScript, ['slow-stop', dataDir, '20000'], 20_000);
    run.child.kill('SIGTERM');
    const started = Date.now();
    run.child.kill('SIGINT');
    const { code } = await run.exited;
    expect(code).to.equal(EXIT_SECOND_SIGNAL);
    expect(Date.now() - started).to.be.below(3_000);
  });

  it('cuts short an actor whose stop overruns its bound, and still exits 0', async () => {
    const run = await forkUntilReady(fixtureScript, ['slow-stop', dataDir, '20000'], 20_000);
    const started = Date.now();
    run.child.kill('SIGTERM');
    const { code } = await run.exited;
    const elapsed = Date.now() - started;
    expect(code).to.equal(EXIT_OK);
    // drain (500 ms) + one control timeout (5 s), well before the actor's own 20 s stop
    expect(elapsed).to.be.within(5_000, 10_000);
  });
});
