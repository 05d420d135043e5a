/**
 * `/metrics`, `/livez` and `/readyz` of real replica processes (`--http 127.0.0.1:0`) in a
 * three-replica group: the exposition passes `promtool check metrics` and names the
 * leader, and a replica cut off from its group (its two peers frozen with SIGSTOP, which
 * from its side is a partition) turns unready with the reason, and ready again once they
 * resume.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { pollUntil, RaftCluster, type ReplicaProcess } from '../../../fixtures/raft-cluster.js';

const execFileAsync = promisify(execFile);
const PROMTOOL = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find(existsSync);

interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

async function get(replica: ReplicaProcess, path: string): Promise<HttpAnswer> {
  const http = replica.http;
  if (http === undefined) throw new Error(`${replica.id} reported no HTTP listener`);
  const response = await fetch(`http://${http.host}:${http.port}${path}`, {
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: await response.text() };
}

/** The value of the sample `name{...labels}` (every given label matching), or undefined. */
function sample(exposition: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

function promtoolCheck(exposition: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL as string, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(exposition);
  });
}

describe('metrics and health endpoints of real replicas', function () {
  this.timeout(120_000);
  let cluster: RaftCluster;

  before(async () => {
    cluster = await RaftCluster.start({ replicas: 3, extraArgs: () => ['--http', '127.0.0.1:0'] });
    await cluster.waitForLeader(30_000);
  });

  after(async () => {
    for (const replica of cluster?.replicas ?? []) replica.running && (await replica.kill('SIGCONT'));
    await cluster?.stop();
  });

  it('exposes metrics that promtool accepts, with the leader, write latencies and DNS queries', async () => {
    const leader = await cluster.waitForLeader(10_000);
    const client = await cluster.client();
    const written = await client.put('metrics-key', 'v');
    expect(written.revision).to.be.greaterThan(0);
    const leaderProcess = cluster.replica(leader.replica);
    const dnsPort = leaderProcess.dns[0]?.port;
    await execFileAsync('dig', [
      '@127.0.0.1',
      '-p',
      String(dnsPort),
      '+time=2',
      '+tries=1',
      'www.example.',
      'A',
    ]);

    for (const replica of cluster.replicas) {
      const answer = await get(replica, '/metrics');
      expect(answer.status, replica.id).to.equal(200);
      const isLeader = replica.id === leader.replica;
      expect(sample(answer.body, 'raftns_raft_role', { role: 'leader', replica: replica.id })).to.equal(
        isLeader ? 1 : 0,
      );
      expect(sample(answer.body, 'raftns_raft_has_leader')).to.equal(1);
      expect(sample(answer.body, 'raftns_raft_voters')).to.equal(3);
      expect(sample(answer.body, 'raftns_raft_term')).to.equal(leader.term);
      expect(sample(answer.body, 'raftns_actor_up', { actor: 'dns' })).to.equal(1);
      if (isLeader) {
        expect(
          sample(answer.body, 'raftns_client_write_duration_seconds_count', { outcome: 'applied' }),
        ).to.be.at.least(1);
        expect(sample(answer.body, 'raftns_dns_queries_total', { transport: 'udp' })).to.be.at.least(1);
      }
      if (PROMTOOL === undefined) throw new Error('promtool is not installed: apt-get install prometheus');
      const checked = await promtoolCheck(answer.body);
      expect(checked, `promtool check metrics on ${replica.id}:\n${checked.output}`).to.deep.equal({
        code: 0,
        output: '',
      });
    }
  });

  it('is live and ready on every replica of a healthy group', async () => {
    for (const replica of cluster.replicas) {
      expect((await get(replica, '/livez')).status, replica.id).to.equal(200);
      const ready = await pollUntil(`${replica.id} ready`, 10_000, async () => {
        const answer = await get(replica, '/readyz');
        return answer.status === 200 ? answer : undefined;
      });
      expect(JSON.parse(ready.body)).to.include({ status: 'ok', ok: true });
    }
  });

  for (const who of ['leader', 'follower'] as const) {
    it(`turns a ${who} cut off from its group unready, and ready again after the heal`, async () => {
      const leader = await cluster.waitForLeader(20_000);
      const victim =
        who === 'leader'
          ? cluster.replica(leader.replica)
          : (cluster.replicas.find((r) => r.id !== leader.replica) as ReplicaProcess);
      const others = cluster.replicas.filter((r) => r !== victim);
      await pollUntil(`${victim.id} ready before the cut`, 10_000, async () =>
        (await get(victim, '/readyz')).status === 200 ? true : undefined,
      );
      for (const other of others) await other.kill('SIGSTOP');
      try {
        const unready = await pollUntil(`${victim.id} unready`, 15_000, async () => {
          const answer = await get(victim, '/readyz');
          return answer.status === 503 ? answer : undefined;
        });
        const body = JSON.parse(unready.body) as { ok: boolean; reasons: string[] };
        expect(body.ok).to.equal(false);
        console.log(`      ${who} ${victim.id} unready: ${body.reasons.join('; ')}`);
        expect(body.reasons.join('; ')).to.match(/leader|contact/);
        // Cut off is not dead: the orchestrator must not restart it.
        expect((await get(victim, '/livez')).status).to.equal(200);
      } finally {
        for (const other of others) await other.kill('SIGCONT');
      }
      await pollUntil(`${victim.id} ready after the heal`, 20_000, async () =>
        (await get(victim, '/readyz')).status === 200 ? true : undefined,
      );
    });
  }
});
