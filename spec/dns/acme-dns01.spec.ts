/**
 * The ACME DNS-01 flow end to end with real tools on loopback: a 3-replica group with
 * JetStream (for the cluster's TSIG keys), a key made with `raftns tsig add` that may only
 * touch TXT at `_acme-challenge.<name>` and below, the Pebble test CA validating against
 * raftns's DNS port, and lego's `rfc2136` provider publishing the challenge by signed
 * UPDATE and removing it afterwards (RFC 8555 §8.4, RFC 2136, RFC 8945).
 *
 * lego runs with `--dns.disable-cp`: its complete-propagation check asks every NS of the
 * zone on port 53, which loopback replicas on free ports do not serve. It still waits until
 * the TXT is visible at `--dns.resolvers` (raftns), and Pebble validates there for real.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { RaftClient } from '../../clients/raft-client.js';
import { parseKeyFile } from '../../protocol/dns/tsig/key-file.js';
import { HybridClock } from '../../protocol/dns/version.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { type PebbleHandle, startPebble } from '../fixtures/pebble.js';
import { pollUntil } from '../fixtures/poll-until.js';
import { type DnsListenerInfo, RaftCluster } from '../fixtures/raft-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';

const ZONE = 'example.org.';
const DOMAIN = 'www.example.org';
const CHALLENGE = `_acme-challenge.${DOMAIN}.`;
const LEGO_TIMEOUT_MS = 120_000;

interface ToolRun {
  readonly code: number;
  readonly out: string;
}

/** Runs lego; never rejects; killed after LEGO_TIMEOUT_MS. */
function runLego(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = spawn('lego', [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (d: Buffer) => {
      out += d.toString();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), LEGO_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, out: String(error) });
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out });
    });
  });
}

/** The TXT strings at `name` and the rcode, asked over UDP with dig. */
function digTxt(at: DnsListenerInfo, name: string): Promise<ToolRun> {
  return new Promise((resolve) => {
    const child = spawn(
      'dig',
      [`@${at.address}`, '-p', String(at.port), '+norec', '+time=2', '+tries=1', name, 'TXT'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

describe('ACME DNS-01 with lego (rfc2136) and Pebble against a 3-replica group', function () {
  this.timeout(240_000);
  let nats: NatsServerHandle | undefined;
  let cluster: RaftCluster | undefined;
  let client: RaftClient | undefined;
  let pebble: PebbleHandle | undefined;
  let dir: string | undefined;

  after(async () => {
    await pebble?.stop();
    await client?.close();
    await cluster?.stop();
    await nats?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('lego obtains a certificate through a TSIG key limited to the challenge TXT, and the TXT is removed', async () => {
    nats = await startNatsServer({ jetstream: true });
    cluster = await RaftCluster.start({ replicas: 3, nats });
    await cluster.waitForLeader(20_000);
    client = await cluster.client();
    const clock = new HybridClock('spec-acme', () => Date.now());
    const created = await client.dnsBatch({
      changes: [
        {
          op: 'create-zone',
          zone: ZONE,
          soa: {
            mname: 'ns1.example.org.',
            rname: 'hostmaster.example.org.',
            refresh: 3600,
            retry: 600,
            expire: 604800,
            minimum: 60,
            ttl: 3600,
            serial: 1,
          },
          ns: ['ns1.example.org.'],
          nsTtl: 3600,
        },
        {
          op: 'upsert',
          zone: ZONE,
          name: 'www',
          type: 'A',
          ttl: 300,
          rdata: ['192.0.2.1'],
          version: clock.next(),
        },
      ],
    });
    expect(created.ok, JSON.stringify(created)).to.equal(true);
    const group = cluster;
    const at = (i: number): DnsListenerInfo => group.replicas[i]?.dns[0] as DnsListenerInfo;
    // lego sends everything to one replica, a follower or the leader alike; Pebble asks another.
    const legoAt = at(1);
    const pebbleAt = at(2);

    const added = await raftns([
      '--nats',
      nats.url,
      '--cluster',
      cluster.cluster,
      'tsig',
      'add',
      'lego.',
      '--zone',
      ZONE,
      '--subtree',
      CHALLENGE,
      '--type',
      'TXT',
    ]);
    expect(added.code, added.stderr).to.equal(0);
    const parsed = parseKeyFile(added.stdout);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const secret = Buffer.from(parsed.keys[0]?.secret ?? new Uint8Array()).toString('base64');
    // The replicas watch the key bucket: wait until the one lego talks to knows the key.
    await pollUntil('the key on the replica lego uses', 10_000, async () => {
      const probe = await new Promise<string>((resolve) => {
        const child = spawn(
          'dig',
          [
            `@${legoAt.address}`,
            '-p',
            String(legoAt.port),
            '+time=2',
            '+tries=1',
            '-y',
            `hmac-sha256:lego.:${secret}`,
            ZONE,
            'SOA',
          ],
          { stdio: ['ignore', 'pipe', 'ignore'] },
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
        });
        child.once('close', () => resolve(out));
      });
      return probe.includes('status: NOERROR') && !probe.includes('BADKEY') ? true : undefined;
    });

    pebble = await startPebble({ dnsServer: `${pebbleAt.address}:${pebbleAt.port}` });
    dir = await mkdtemp(join(tmpdir(), 'raftns-lego-'));
    const run = await runLego(
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
        'rfc2136',
        '--dns.resolvers',
        `${legoAt.address}:${legoAt.port}`,
        '--dns.disable-cp',
        'run',
      ],
      {
        ...process.env,
        LEGO_CA_CERTIFICATES: pebble.certificatePath,
        RFC2136_NAMESERVER: `${legoAt.address}:${legoAt.port}`,
        RFC2136_TSIG_KEY: 'lego.',
        RFC2136_TSIG_SECRET: secret,
        RFC2136_TSIG_ALGORITHM: 'hmac-sha256.',
        RFC2136_POLLING_INTERVAL: '1',
        RFC2136_PROPAGATION_TIMEOUT: '30',
      },
    );
    expect(run.code, `lego:\n${run.out}\npebble:\n${pebble.log()}`).to.equal(0);

    const certificate = await readFile(join(dir, 'certificates', `${DOMAIN}.crt`), 'utf8');
    expect(certificate).to.include('-----BEGIN CERTIFICATE-----');
    const openssl = await new Promise<string>((resolve) => {
      const child = spawn('openssl', ['x509', '-noout', '-ext', 'subjectAltName'], {
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.once('close', () => resolve(out));
      child.stdin.end(certificate);
    });
    expect(openssl).to.include(`DNS:${DOMAIN}`);

    // lego's cleanup deleted the challenge TXT, on every replica.
    for (let i = 0; i < 3; i++) {
      const replica = at(i);
      await pollUntil(`no challenge TXT at replica ${i}`, 10_000, async () => {
        const answer = await digTxt(replica, CHALLENGE);
        return answer.out.includes('status: NXDOMAIN') ? true : undefined;
      });
    }
  });
});
