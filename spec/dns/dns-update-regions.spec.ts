/**
 * RFC 2136 UPDATE in a cluster of two regions: an UPDATE sent to one region's replica is
 * answered NOERROR only once every region committed it (docs/OPERATIONS.md, "Dynamic
 * UPDATE"), so the other region serves the change as soon as the answer arrives.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { EXIT_OK } from '../../clients/cli/exit-codes.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { createZoneChange } from '../fixtures/dns-zone.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';
import type { DnsListenerInfo, RaftCluster } from '../fixtures/raft-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';
import { startRegionClusters } from '../fixtures/region-clusters.js';

const execFileAsync = promisify(execFile);
const CLUSTER = 'updates';
const GROUP = 'g1';
const ZONE = 'example.org.';
const REGIONS = ['r1', 'r2'] as const;

/** Runs nsupdate with `script` on stdin; resolves with its exit code and output. */
function nsupdate(keyFile: string, script: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('nsupdate', ['-k', keyFile], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
    child.stdin.end(script);
  });
}

async function addresses(at: DnsListenerInfo, name: string): Promise<string[]> {
  const { stdout } = await execFileAsync(
    'dig',
    [`@${at.address}`, '-p', String(at.port), '+norec', '+short', '+time=2', '+tries=1', name, 'A'],
    { timeout: 10_000 },
  );
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .sort();
}

describe('RFC 2136 UPDATE across two regions (nsupdate)', function () {
  this.timeout(240_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let dir: string;
  const regions = new Map<string, RaftCluster>();
  const dnsOf = (region: string): DnsListenerInfo =>
    regions.get(region)?.replicas[0]?.dns[0] as DnsListenerInfo;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'raftns-update-regions-'));
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'update-regions-spec', log: silentLogger });
    for (const [name, cluster] of await startRegionClusters({
      nats,
      nc,
      cluster: CLUSTER,
      regions: REGIONS,
      group: GROUP,
      zone: ZONE,
    }))
      regions.set(name, cluster);
    for (const cluster of regions.values()) {
      const client = await cluster.client();
      const created = await client.dnsBatch({ changes: [createZoneChange(ZONE, 100)] });
      expect(created.ok, JSON.stringify(created)).to.equal(true);
    }
  });
  after(async () => {
    for (const cluster of regions.values()) await cluster.stop();
    await nc?.close();
    await nats?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('an UPDATE sent to one region is answered NOERROR once the other region serves it too', async () => {
    const added = await raftns([
      '--nats',
      nats.url,
      '--cluster',
      CLUSTER,
      'tsig',
      'add',
      'ops.',
      '--zone',
      ZONE,
    ]);
    expect(added.code, added.stderr).to.equal(EXIT_OK);
    const keyFile = join(dir, 'ops.key');
    await writeFile(keyFile, added.stdout);
    const at = dnsOf('r1');
    const script = (address: string) =>
      [
        `server ${at.address} ${at.port}`,
        `zone ${ZONE}`,
        `update add multi.${ZONE} 300 A ${address}`,
        'send',
        '',
      ].join('\n');
    // The key reaches the replicas' DNS actors through a KV watch: until it does, the
    // UPDATE is refused (BADKEY) and changes nothing, so it is simply sent again.
    await pollUntil('the first UPDATE to be accepted', 30_000, async () =>
      (await nsupdate(keyFile, script('192.0.2.77'))).code === 0 ? true : undefined,
    );
    // NOERROR promises every region: r2 serves the record without waiting for a retry.
    const inR2 = await pollUntil('r2 to answer the record', 5_000, async () => {
      const found = await addresses(dnsOf('r2'), `multi.${ZONE}`);
      return found.length > 0 ? found : undefined;
    });
    expect(inR2).to.deep.equal(['192.0.2.77']);

    const second = await nsupdate(keyFile, script('192.0.2.78'));
    expect(second.code, second.out).to.equal(0);
    for (const region of REGIONS) {
      const found = await pollUntil(`${region} to answer both records`, 5_000, async () => {
        const now = await addresses(dnsOf(region), `multi.${ZONE}`);
        return now.length === 2 ? now : undefined;
      });
      expect(found, region).to.deep.equal(['192.0.2.77', '192.0.2.78']);
    }
  });
});
