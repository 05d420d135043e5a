/**
 * `/metrics`, `/livez` and `/readyz` of real replica processes (`--http 127.0.0.1:0`) in a
 * three-replica group: the exposition passes `promtool check metrics` and names the
 * leader; queries from dig and kdig of known types and rcodes, writes and a snapshot
 * installed on a lagging follower move the series that count them; a replica cut off from its group (its two peers frozen with SIGSTOP, which
 * from its side is a partition) turns unready with the reason, and ready again once they
 * resume.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { encodeRaftMessage } from '../../../../actors/raft/codec.js';
import type { DnsChange } from '../../../../protocol/dns/changes.js';
import { HybridClock } from '../../../../protocol/dns/version.js';
import { peerSubject } from '../../../../protocol/subjects.js';
import { silentLogger } from '../../../../runtime/log.js';
import { connectNats } from '../../../../runtime/nats/nats-connection.js';
import { ENVELOPE_VERSION } from '../../../../runtime/nats/nats-peer-transport.js';
import { createZoneChange } from '../../../fixtures/dns-zone.js';
import { pollUntil } from '../../../fixtures/poll-until.js';
import { RaftCluster, type ReplicaProcess } from '../../../fixtures/raft-cluster.js';

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

/** Every sample of `name` with `labels`, summed (a counter over the label sets not given). */
function total(exposition: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** A histogram's `le` buckets in order: cumulative, so never decreasing, and `+Inf` equals `_count`. */
function checkHistogram(exposition: string, name: string, labels: Record<string, string> = {}): void {
  const buckets: number[] = [];
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    buckets.push(Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  expect(buckets.length, `${name} buckets`).to.be.greaterThan(1);
  for (let i = 1; i < buckets.length; i++)
    expect(buckets[i], `${name} bucket ${i}`).to.be.at.least(buckets[i - 1] as number);
  expect(sample(exposition, `${name}_bucket`, { ...labels, le: '+Inf' })).to.equal(
    sample(exposition, `${name}_count`, labels),
  );
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

const SNAPSHOT_THRESHOLD = 16;
const ZONE = 'example.org.';

describe('metrics and health endpoints of real replicas', function () {
  this.timeout(120_000);
  let cluster: RaftCluster;

  before(async () => {
    // A low snapshot threshold: a follower that misses a few writes is sent a snapshot.
    cluster = await RaftCluster.start({
      replicas: 3,
      snapshotThreshold: SNAPSHOT_THRESHOLD,
      extraArgs: () => ['--http', '127.0.0.1:0'],
    });
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

  it('counts DNS queries by type and rcode, answer sizes, storage batches, appends and actor mailboxes', async () => {
    const leader = await cluster.waitForLeader(10_000);
    const leaderProcess = cluster.replica(leader.replica);
    const before = (await get(leaderProcess, '/metrics')).body;
    const client = await cluster.client();
    const clock = new HybridClock('metrics-spec', () => Date.now());
    const upsert = (name: string, type: string, rdata: string[]): DnsChange => ({
      op: 'upsert',
      zone: ZONE,
      name,
      type,
      ttl: 300,
      rdata,
      version: clock.next(),
    });
    try {
      for (const batch of [
        [createZoneChange(ZONE, 1)],
        [
          upsert('www.example.org.', 'A', ['192.0.2.1']),
          upsert('www.example.org.', 'AAAA', ['2001:db8::1']),
          upsert('txt.example.org.', 'TXT', ['"hello"']),
        ],
      ]) {
        const result = await client.dnsBatch({ changes: batch });
        if (!result.ok) throw new Error(`write failed: ${result.error.message}`);
      }
    } finally {
      await client.close();
    }
    const dns = leaderProcess.dns[0];
    if (dns === undefined) throw new Error(`${leaderProcess.id} has no DNS listener`);
    const at = {
      dig: ['@127.0.0.1', '-p', String(dns.port), '+time=2', '+tries=1', '+norec'],
      kdig: ['@127.0.0.1', '-p', String(dns.port), '+time=2', '+retry=0', '+norec'],
    };
    const queries: Array<{ tool: 'dig' | 'kdig'; args: string[]; status: string }> = [
      { tool: 'dig', args: ['www.example.org', 'A'], status: 'NOERROR' },
      { tool: 'dig', args: ['+tcp', 'www.example.org', 'AAAA'], status: 'NOERROR' },
      { tool: 'kdig', args: ['txt.example.org', 'TXT'], status: 'NOERROR' },
      { tool: 'dig', args: ['nothing.example.org', 'A'], status: 'NXDOMAIN' },
      { tool: 'kdig', args: ['elsewhere.test', 'A'], status: 'REFUSED' },
    ];
    for (const query of queries) {
      const { stdout } = await execFileAsync(query.tool, [...at[query.tool], ...query.args], {
        timeout: 10_000,
      });
      expect(stdout, `${query.tool} ${query.args.join(' ')}`).to.match(new RegExp(`status: ${query.status}`));
    }

    // A scrape takes each actor's figures from its status answer; one that misses the ask's
    // deadline on a loaded machine shows what it last reported. Wait (bounded) for a scrape
    // that has the DNS actor's and the storage actor's answers from after the queries.
    const movedIn = (body: string, name: string, labels: Record<string, string> = {}) =>
      total(body, name, labels) - total(before, name, labels);
    const after = await pollUntil('a scrape counting the queries and the writes', 15_000, async () => {
      const body = (await get(leaderProcess, '/metrics')).body;
      const counted =
        movedIn(body, 'raftns_dns_queries_by_type_total', { type: 'A' }) >= 3 &&
        movedIn(body, 'raftns_dns_response_size_bytes_count', { transport: 'tcp' }) >= 1 &&
        movedIn(body, 'raftns_storage_batch_entries_sum') >= 2;
      return counted ? body : undefined;
    }).catch(async () => (await get(leaderProcess, '/metrics')).body);
    const moved = (name: string, labels: Record<string, string> = {}) => movedIn(after, name, labels);
    expect(moved('raftns_dns_queries_by_type_total', { type: 'A' }), 'A queries').to.be.at.least(3);
    expect(moved('raftns_dns_queries_by_type_total', { type: 'AAAA' }), 'AAAA queries').to.be.at.least(1);
    expect(moved('raftns_dns_queries_by_type_total', { type: 'TXT' }), 'TXT queries').to.be.at.least(1);
    expect(moved('raftns_dns_answers_by_rcode_total', { rcode: 'NOERROR' }), 'NOERROR').to.be.at.least(3);
    expect(moved('raftns_dns_answers_by_rcode_total', { rcode: 'NXDOMAIN' }), 'NXDOMAIN').to.be.at.least(1);
    expect(moved('raftns_dns_answers_by_rcode_total', { rcode: 'REFUSED' }), 'REFUSED').to.be.at.least(1);
    expect(moved('raftns_dns_response_size_bytes_count', { transport: 'udp' }), 'UDP answers').to.be.at.least(
      4,
    );
    expect(moved('raftns_dns_response_size_bytes_count', { transport: 'tcp' }), 'TCP answers').to.be.at.least(
      1,
    );
    // Every answer here is a few dozen bytes: more than a 12-byte header each.
    expect(moved('raftns_dns_response_size_bytes_sum', { transport: 'udp' })).to.be.greaterThan(4 * 12);
    checkHistogram(after, 'raftns_dns_response_size_bytes', { transport: 'udp' });

    // Two writes: two entries appended and made durable, in at least one synced batch.
    expect(moved('raftns_raft_append_batch_entries_sum'), 'entries appended').to.be.at.least(2);
    expect(moved('raftns_storage_batch_entries_sum'), 'entries in synced batches').to.be.at.least(2);
    expect(moved('raftns_storage_batch_duration_seconds_count'), 'synced batches').to.be.at.least(1);
    expect(moved('raftns_storage_batch_duration_seconds_sum'), 'time in synced batches').to.be.greaterThan(0);
    expect(moved('raftns_storage_batch_size_bytes_sum'), 'bytes in synced batches').to.be.greaterThan(0);
    for (const name of [
      'raftns_raft_append_batch_entries',
      'raftns_storage_batch_entries',
      'raftns_storage_batch_duration_seconds',
      'raftns_storage_batch_size_bytes',
    ])
      checkHistogram(after, name);

    for (const actor of ['election', 'log', 'storage', 'state-machine', 'dns']) {
      expect(sample(after, 'raftns_actor_mailbox_messages', { actor }), `${actor} mailbox`).to.be.at.least(0);
      expect(
        sample(after, 'raftns_actor_credits_available', { actor }),
        `${actor} credits`,
      ).to.be.greaterThan(0);
      expect(
        sample(after, 'raftns_actor_credits_in_use', { actor }),
        `${actor} credits in use`,
      ).to.be.at.least(0);
    }
    expect(sample(after, 'raftns_actor_up', { actor: 'storage' })).to.equal(1);
    for (const kind of ['timeout', 'no-responders', 'other'])
      expect(sample(after, 'raftns_nats_request_errors_total', { kind }), kind).to.be.at.least(0);
  });

  it('counts the snapshots a leader takes and a lagging follower installs, with sizes and durations', async () => {
    const leader = await cluster.waitForLeader(10_000);
    const follower = cluster.replicas.find((r) => r.id !== leader.replica) as ReplicaProcess;
    const installedBefore = sample(
      (await get(follower, '/metrics')).body,
      'raftns_raft_snapshot_size_bytes_count',
      {
        operation: 'install',
      },
    );
    await follower.kill('SIGSTOP');
    const client = await cluster.client();
    try {
      // Past the threshold twice: the leader compacts beyond what the follower has.
      for (let i = 0; i < 3 * SNAPSHOT_THRESHOLD; i++) await client.put(`snapshot-key-${i}`, 'x'.repeat(100));
    } finally {
      await client.close();
      await follower.kill('SIGCONT');
    }
    const leaderMetrics = await pollUntil('the leader took a snapshot', 20_000, async () => {
      const body = (await get(cluster.replica(leader.replica), '/metrics')).body;
      return (sample(body, 'raftns_raft_snapshot_size_bytes_count', { operation: 'take' }) ?? 0) >= 1
        ? body
        : undefined;
    });
    expect(
      sample(leaderMetrics, 'raftns_raft_snapshot_size_bytes_sum', { operation: 'take' }),
    ).to.be.greaterThan(0);
    checkHistogram(leaderMetrics, 'raftns_raft_snapshot_duration_seconds', { operation: 'take' });
    // The installed snapshot holds at least the keys of the leader's first compaction (the
    // follower may resume before a later one is taken, and get the first).
    const followerMetrics = await pollUntil(`${follower.id} installed a snapshot`, 30_000, async () => {
      const body = (await get(follower, '/metrics')).body;
      const installed = sample(body, 'raftns_raft_snapshot_size_bytes_count', { operation: 'install' }) ?? 0;
      return installed > (installedBefore ?? 0) ? body : undefined;
    });
    expect(
      sample(followerMetrics, 'raftns_raft_snapshot_size_bytes_sum', { operation: 'install' }),
    ).to.be.greaterThan(SNAPSHOT_THRESHOLD * 100);
    expect(
      sample(followerMetrics, 'raftns_raft_snapshot_duration_seconds_count', { operation: 'install' }),
    ).to.equal(sample(followerMetrics, 'raftns_raft_snapshot_size_bytes_count', { operation: 'install' }));
    checkHistogram(followerMetrics, 'raftns_raft_snapshot_size_bytes', { operation: 'install' });
    const checked = await promtoolCheck(followerMetrics);
    expect(checked, checked.output).to.deep.equal({ code: 0, output: '' });
  });

  it('counts Raft messages from a non-member as dropped (reason non-member), and the term stays', async () => {
    const leader = await cluster.waitForLeader(10_000);
    const target = cluster.replica(leader.replica);
    const before = await get(target, '/metrics');
    const droppedBefore = sample(before.body, 'raftns_raft_dropped_messages_total', { reason: 'non-member' });
    expect(droppedBefore).to.be.a('number');
    // The fixture's NATS has no authentication: anyone may publish on the group's subjects.
    const nc = await connectNats({ urls: [cluster.nats.url], name: 'non-member', log: silentLogger });
    try {
      const encoded = encodeRaftMessage({
        type: 'request-vote-response',
        term: leader.term + 100,
        from: 'stranger',
        to: target.id,
        granted: false,
      });
      if (!encoded.ok) throw encoded.error;
      const sender = new TextEncoder().encode('stranger');
      const frame = Uint8Array.from([ENVELOPE_VERSION, sender.byteLength, ...sender, ...encoded.bytes]);
      for (let i = 0; i < 3; i++)
        nc.publish(peerSubject(cluster.cluster, cluster.region, cluster.group, target.id, 'raft'), frame);
      await nc.flush();
    } finally {
      await nc.close();
    }
    await pollUntil('the drops in the metrics', 10_000, async () => {
      const answer = await get(target, '/metrics');
      const dropped =
        sample(answer.body, 'raftns_raft_dropped_messages_total', { reason: 'non-member' }) ?? 0;
      return dropped >= (droppedBefore ?? 0) + 3 ? true : undefined;
    });
    const status = await cluster.waitForLeader(10_000);
    expect(status.term).to.equal(leader.term);
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
