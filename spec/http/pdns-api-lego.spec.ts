/**
 * lego's `pdns` DNS-01 provider (the PowerDNS HTTP API client, unchanged) against the
 * raftns API: a two-region cluster (one replica each, `--http`), a key made with
 * `raftns api-key add`, the Pebble test CA validating against the OTHER region's DNS port.
 * lego writes the challenge TXT with a PATCH to region r1's API; Pebble only issues if
 * region r2 answers it; lego's cleanup PATCH removes it from both (RFC 8555 §8.4).
 *
 * lego runs with `--dns.disable-cp` (its propagation check asks every NS of the zone on
 * port 53, which loopback replicas on free ports do not serve) and finds the zone by an
 * SOA query at `--dns.resolvers` (r1's DNS port).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { EXIT_OK } from '../../clients/cli/exit-codes.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { runTool, type ToolRun } from '../fixtures/child-process.js';
import { createZoneChange } from '../fixtures/dns-zone.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { type PebbleHandle, startPebble } from '../fixtures/pebble.js';
import { pollUntil } from '../fixtures/poll-until.js';
import type { DnsListenerInfo, RaftCluster } from '../fixtures/raft-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';
import { startRegionClusters } from '../fixtures/region-clusters.js';

const CLUSTER = 'legoapi';
const ZONE = 'example.org.';
const DOMAIN = 'www.example.org';
const CHALLENGE = `_acme-challenge.${DOMAIN}.`;
const LEGO_TIMEOUT_MS = 120_000;

/** Runs a tool; never rejects; killed after LEGO_TIMEOUT_MS. */
function run(command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<ToolRun> {
  return runTool(command, args, { ...(env === undefined ? {} : { env }), timeoutMs: LEGO_TIMEOUT_MS });
}

describe('ACME DNS-01 with lego (pdns provider) through the HTTP API, validated in the other region', function () {
  this.timeout(240_000);
  let nats: NatsServerHandle | undefined;
  let nc: NatsConnection | undefined;
  let pebble: PebbleHandle | undefined;
  let dir: string | undefined;
  const regions = new Map<string, RaftCluster>();

  after(async () => {
    await pebble?.stop();
    for (const cluster of regions.values()) await cluster.stop();
    await nc?.close();
    await nats?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('lego obtains a certificate with the TXT written by PATCH, and removes it after', async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'lego-api-spec', log: silentLogger });
    for (const [name, cluster] of await startRegionClusters({
      nats,
      nc,
      cluster: CLUSTER,
      regions: ['r1', 'r2'],
      group: 'g1',
      zone: ZONE,
      extraArgs: () => ['--http', '127.0.0.1:0'],
    }))
      regions.set(name, cluster);
    for (const cluster of regions.values()) {
      const client = await cluster.client();
      const created = await client.dnsBatch({ changes: [createZoneChange(ZONE, 1)] });
      expect(created.ok, JSON.stringify(created)).to.equal(true);
    }
    const r1 = regions.get('r1')?.replicas[0];
    const r2 = regions.get('r2')?.replicas[0];
    const http = r1?.http;
    if (r1 === undefined || r2 === undefined || http === undefined) throw new Error('no replicas');
    const legoDns = r1.dns[0] as DnsListenerInfo;
    const pebbleDns = r2.dns[0] as DnsListenerInfo;
    const apiUrl = `http://${http.host}:${http.port}`;

    const added = await raftns([
      '--nats',
      nats.url,
      '--cluster',
      CLUSTER,
      'api-key',
      'add',
      'lego',
      '--zones',
      ZONE,
    ]);
    expect(added.code, added.stderr).to.equal(EXIT_OK);
    const key = added.stdout.trim();
    await pollUntil('the key on r1', 10_000, async () =>
      (await fetch(`${apiUrl}/api`, { headers: { 'x-api-key': key } })).status === 200 ? true : undefined,
    );

    pebble = await startPebble({ dnsServer: `${pebbleDns.address}:${pebbleDns.port}` });
    dir = await mkdtemp(join(tmpdir(), 'raftns-lego-pdns-'));
    const lego = await run(
      'lego',
      [
        '--server',
        pebble.directoryUrl,
        '--email',
        'hostmaster@example.org',
        '--accept-tos',
        '--path',
        dir,
        '--domains',
        DOMAIN,
        '--dns',
        'pdns',
        '--dns.resolvers',
        `${legoDns.address}:${legoDns.port}`,
        '--dns.disable-cp',
        'run',
      ],
      {
        ...process.env,
        LEGO_CA_CERTIFICATES: pebble.certificatePath,
        PDNS_API_URL: apiUrl,
        PDNS_API_KEY: key,
        PDNS_POLLING_INTERVAL: '1',
        PDNS_PROPAGATION_TIMEOUT: '30',
        PDNS_TTL: '60',
      },
    );
    expect(lego.code, `lego:\n${lego.out}\npebble:\n${pebble.log()}`).to.equal(0);

    const certificate = await readFile(join(dir, 'certificates', `${DOMAIN}.crt`), 'utf8');
    expect(certificate).to.include('-----BEGIN CERTIFICATE-----');

    // lego's cleanup PATCH removed the challenge TXT in both regions.
    for (const at of [legoDns, pebbleDns]) {
      const answer = await run('dig', [
        `@${at.address}`,
        '-p',
        String(at.port),
        '+norec',
        '+time=2',
        '+tries=1',
        CHALLENGE,
        'TXT',
      ]);
      expect(answer.out, `${at.address}:${at.port}`).to.include('status: NXDOMAIN');
    }
  });
});
