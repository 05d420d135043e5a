/**
 * Bootstrap end to end, every piece a real process: `raftns init` writes the plan, then
 * `runtime/main --bootstrap` replicas (no --group, no --peers) claim the slots of the
 * root group, wait for each other and elect a leader.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { PlanStore } from '../../../bootstrap/plan-store.js';
import { liveInstances } from '../../../bootstrap/registry.js';
import { readSlots } from '../../../bootstrap/slot-claim.js';
import { RaftClient } from '../../../clients/raft-client.js';
import { examplePlan } from '../../../protocol/plan.js';
import { silentLogger } from '../../../runtime/log.js';
import { connectNats } from '../../../runtime/nats/nats-connection.js';
import { EXIT_CONFIG } from '../../../runtime/process-lifecycle.js';
import { type NatsServerHandle, startNatsServer } from '../../fixtures/nats-server.js';
import { pollUntil } from '../../fixtures/poll-until.js';
import { ReplicaProcess } from '../../fixtures/raft-cluster.js';

const CLI = fileURLToPath(new URL('../../../clients/cli/raftns.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../../runtime/main.js', import.meta.url));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(script: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('bootstrap end to end: raftns init, then runtime/main --bootstrap', function () {
  this.timeout(120_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let dir: string;
  const replicas: ReplicaProcess[] = [];

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'bootstrap-main-spec', log: silentLogger });
    dir = await mkdtemp(join(tmpdir(), 'raftns-bootstrap-'));
  });
  after(async () => {
    for (const replica of replicas) await replica.kill('SIGKILL').catch(() => undefined);
    await nc?.close();
    await nats?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  describe('raftns init', () => {
    it('--example prints the plan and "created", then "unchanged"; another plan is refused (exit 1)', async () => {
      const args = ['--nats', nats.url, '--cluster', 'ex', 'init', '--example', '--regions', 'eu,us'];
      const first = await run(CLI, args);
      expect(first.code, first.stderr).to.equal(0);
      expect(first.stdout.trim().split('\n').at(-1)).to.equal('created');
      const printed = JSON.parse(first.stdout.slice(0, first.stdout.lastIndexOf('created')));
      expect(printed).to.deep.equal(examplePlan('ex', ['eu', 'us']));
      const second = await run(CLI, args);
      expect(second.code, second.stderr).to.equal(0);
      expect(second.stdout.trim().split('\n').at(-1)).to.equal('unchanged');
      const other = await run(CLI, [
        '--nats',
        nats.url,
        '--cluster',
        'ex',
        'init',
        '--example',
        '--regions',
        'eu',
      ]);
      expect(other.code).to.equal(1);
      expect(other.stderr).to.contain('plan-different');
      expect(other.stderr).to.contain('regions: stored ["eu","us"], given ["eu"]');
    });

    it('lists every validation error of an invalid plan file and exits 1; usage errors exit 2', async () => {
      const file = join(dir, 'bad.json');
      await writeFile(file, JSON.stringify({ ...examplePlan('bad', ['eu', 'eu']), replicasPerGroup: 2 }));
      const bad = await run(CLI, ['--nats', nats.url, 'init', '--plan', file]);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.contain('plan-invalid');
      expect(bad.stderr).to.contain('plan.regions: region names must be distinct');
      expect(bad.stderr).to.contain('plan.replicasPerGroup: 2 is even');
      const both = await run(CLI, ['--nats', nats.url, 'init', '--example', '--plan', file]);
      expect(both.code).to.equal(2);
      const mismatch = await run(CLI, ['--nats', nats.url, '--cluster', 'other', 'init', '--plan', file]);
      expect(mismatch.code).to.equal(1);
      expect(mismatch.stderr).to.contain('--cluster says other');
    });
  });

  it('refuses --group or --peers with --bootstrap (configuration error, exit 78)', async () => {
    const result = await run(MAIN, [
      '--bootstrap',
      '--instance-id',
      'x',
      '--data-dir',
      join(dir, 'x'),
      '--group',
      'root',
      '--nats',
      nats.url,
    ]);
    expect(result.code).to.equal(EXIT_CONFIG);
    expect(result.stderr).to.contain('group (--group) must not be set in bootstrap mode');
  });

  it('three replicas with --bootstrap claim the root group, wait for each other and elect a leader', async () => {
    const cluster = 'boot';
    const planFile = join(dir, 'plan.json');
    await writeFile(
      planFile,
      JSON.stringify({ ...examplePlan(cluster, ['local']), groups: [{ id: 'root', zone: '.' }] }),
    );
    const init = await run(CLI, ['--nats', nats.url, 'init', '--plan', planFile]);
    expect(init.code, init.stderr).to.equal(0);
    expect(init.stdout.trim().split('\n').at(-1)).to.equal('created');

    const ids = ['b1', 'b2', 'b3'];
    for (const id of ids) {
      const dataDir = join(dir, id);
      await mkdir(dataDir, { recursive: true });
      replicas.push(
        new ReplicaProcess(
          id,
          dataDir,
          [
            '--bootstrap',
            '--instance-id',
            id,
            '--data-dir',
            dataDir,
            '--cluster',
            cluster,
            '--region',
            'local',
            '--nats',
            nats.url,
            '--dns',
            '127.0.0.1:0',
            '--dns-advertise',
            '127.0.0.1',
          ],
          undefined,
        ),
      );
    }
    // All at once: none can be ready before the other two have claimed their slots.
    await Promise.all(replicas.map((replica) => replica.start()));

    const store = await PlanStore.open(nc, cluster);
    const plan = await store.readPlan();
    if (plan === undefined) expect.fail('no plan');
    const holders = (await readSlots(store.slots, plan, 'local')).map((s) => s.holder);
    expect([...holders].sort()).to.deep.equal(ids);

    const client = await RaftClient.connect({
      nc,
      cluster,
      region: 'local',
      group: 'root',
      requestTimeoutMs: 500,
      deadlineMs: 1_000,
    });
    try {
      const leader = await pollUntil('a leader of the bootstrapped group', 30_000, async () => {
        const all = await Promise.all(
          ids.map((id) => client.status(id, { deadlineMs: 500 }).catch(() => undefined)),
        );
        const leaders = all.filter((s) => s?.role === 'leader');
        if (all.some((s) => s === undefined) || leaders.length !== 1) return undefined;
        return { leader: leaders[0], all };
      });
      for (const status of leader.all) {
        expect(status?.group).to.equal('root');
        expect(status?.voters).to.deep.equal(holders);
      }
      const write = await client.put('hello', 'bootstrap');
      expect(write.revision).to.be.greaterThan(0);
    } finally {
      await client.close();
    }

    // Each registration advertises the configured address and the port its listener bound.
    const registered = await pollUntil('registrations with the bound DNS ports', 10_000, async () => {
      const live = await liveInstances(store);
      const ok = replicas.every((r) =>
        live.some((reg) => reg.instanceId === r.id && reg.dnsPort === r.dns[0]?.port && reg.dnsPort !== 0),
      );
      return ok ? live : undefined;
    });
    expect(registered.map((r) => r.dnsAddresses)).to.deep.equal([
      ['127.0.0.1'],
      ['127.0.0.1'],
      ['127.0.0.1'],
    ]);
    const logs = replicas[0]?.logs().join('\n') ?? '';
    for (const step of [
      'cluster plan read',
      'registered',
      'claimed a slot',
      'group complete',
      'replica ready',
    ])
      expect(logs).to.contain(step);

    // A restarted replica rejoins its own slot (and its group, from its data dir).
    const restarted = replicas[1];
    if (restarted === undefined) expect.fail('no replica');
    await restarted.kill('SIGKILL');
    await restarted.start();
    expect(restarted.logs().join('\n')).to.contain('rejoined my slot');
    expect((await readSlots(store.slots, plan, 'local')).map((s) => s.holder)).to.deep.equal(holders);
  });
});
