import { expect } from 'chai';
import { EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE } from '../../../clients/cli/exit-codes.js';
import { RaftCluster } from '../../fixtures/raft-cluster.js';
import { raftns } from '../../fixtures/raftns-cli.js';

describe('the raftns command against a real replica', function () {
  this.timeout(90_000);
  let cluster: RaftCluster;
  let target: string[];

  before(async () => {
    cluster = await RaftCluster.start({ replicas: 1 });
    await cluster.waitForLeader(20_000);
    target = [
      '--nats',
      cluster.nats.url,
      '--cluster',
      cluster.cluster,
      '--region',
      cluster.region,
      '--group',
      cluster.group,
    ];
  });
  after(async () => {
    await cluster?.stop();
  });

  it('writes, reads, compares-and-sets, lists and deletes', async () => {
    const put = await raftns([...target, 'kv', 'put', 'www', '192.0.2.1']);
    expect(put.code, put.stderr).to.equal(EXIT_OK);
    const revision = Number(/revision=(\d+)/.exec(put.stdout)?.[1]);
    expect(revision).to.be.greaterThan(0);
    expect((await raftns([...target, 'kv', 'get', 'www'])).stdout.trim()).to.equal('192.0.2.1');
    const lease = await raftns([...target, 'kv', 'get', 'www', '--mode', 'lease']);
    expect(lease.stdout.trim()).to.equal('192.0.2.1');
    const stale = await raftns([...target, 'kv', 'cas', 'www', String(revision + 1000), 'x']);
    expect(stale.code).to.equal(EXIT_FAILED);
    expect(stale.stdout.trim()).to.equal('mismatch');
    expect((await raftns([...target, 'kv', 'cas', 'www', String(revision), '192.0.2.2'])).code).to.equal(
      EXIT_OK,
    );
    const listed = await raftns([...target, '--json', 'kv', 'range', 'ww']);
    expect(JSON.parse(listed.stdout).entries.map((e: { value: string }) => e.value)).to.deep.equal([
      '192.0.2.2',
    ]);
    expect((await raftns([...target, 'kv', 'delete', 'www'])).code).to.equal(EXIT_OK);
    const missing = await raftns([...target, 'kv', 'get', 'www']);
    expect(missing.code).to.equal(EXIT_NOT_FOUND);
    expect(missing.stderr).to.match(/www: not found/);
  });

  it('shows each replica’s role and term, and flags an unreachable one', async () => {
    const json = await raftns([...target, '--json', 'status', '--replicas', 'r1']);
    expect(json.code, json.stderr).to.equal(EXIT_OK);
    const [status] = JSON.parse(json.stdout) as Array<{ replica: string; role: string; term: number }>;
    expect(status).to.include({ replica: 'r1', role: 'leader' });
    const table = await raftns([...target, '--timeout', '1500', 'status', '--replicas', 'r1,r9']);
    expect(table.code).to.equal(EXIT_FAILED);
    expect(table.stdout).to.match(/r1\s+leader/);
    expect(table.stdout).to.match(/r9\s+unreachable/);
  });

  it('refuses bad usage with exit 2 and explains an unreachable NATS', async () => {
    const usage = await raftns(['kv', 'get']);
    expect(usage.code).to.equal(EXIT_USAGE);
    expect(usage.stderr).to.match(/missing required argument 'key'/);
    const badMode = await raftns([...target, 'kv', 'get', 'k', '--mode', 'sometimes']);
    expect(badMode.code).to.equal(EXIT_USAGE);
    const down = await raftns(['--nats', 'nats://127.0.0.1:1', '--timeout', '1000', 'kv', 'get', 'k']);
    expect(down.code).to.equal(EXIT_FAILED);
    expect(down.stderr).to.match(/raftns: .*(refused|connect)/i);
  });
});
