/**
 * The NATS roles (bootstrap/nats-roles.ts) on a real nats-server started from the generated
 * configuration, with real replica processes holding the replica credentials (a local
 * cluster, one replica per group). Each role tries what it must not; every refusal is
 * checked by reading the data afterwards with admin credentials, never by reading logs.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import {
  createNatsUser,
  credentialsText,
  ensureNatsCredentials,
  type NatsUserWithSeed,
  writePrivate,
} from '../../bootstrap/nats-credentials.js';
import type { NatsRole } from '../../bootstrap/nats-roles.js';
import { PlanStore } from '../../bootstrap/plan-store.js';
import { tsigBucket } from '../../bootstrap/tsig-key-store.js';
import { zonesBucket } from '../../bootstrap/zone-registry-store.js';
import { EXIT_OK } from '../../clients/cli/exit-codes.js';
import { EXAMPLE_ADDRESS, EXAMPLE_NAME, LocalCluster } from '../../clients/local-cluster/local-cluster.js';
import { RaftClient } from '../../clients/raft-client.js';
import { decodeReply, encodeRequest } from '../../protocol/client-wire.js';
import { HybridClock } from '../../protocol/dns/version.js';
import { peerSubject, readSubject, writeSubject } from '../../protocol/subjects.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { requestWithTimeout } from '../../runtime/nats/nats-request.js';
import { freePort } from '../fixtures/free-port.js';
import { pollUntil } from '../fixtures/poll-until.js';
import { raftns } from '../fixtures/raftns-cli.js';

const REGION = 'region1';
const GROUP = 'wikipedia-org';
const ZONE = 'wikipedia.org.';

describe('NATS roles on a real nats-server with the generated users and real replicas', function () {
  this.timeout(240_000);
  /** Holds the cluster's directory as `.raftns`, as `npm start` makes it in the checkout. */
  let root: string;
  let dir: string;
  let cluster: LocalCluster;
  const connections: NatsConnection[] = [];
  const clock = new HybridClock('auth-spec', () => Date.now());

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'raftns-auth-'));
    dir = join(root, '.raftns');
    cluster = new LocalCluster({
      dir,
      natsPort: await freePort(),
      subnet: 30,
      replicasPerGroup: 1,
      httpPort: null,
      logLevel: 'warn',
    });
    await cluster.start();
    await cluster.waitReady(120_000);
    await cluster.seedExample();
  });

  after(async () => {
    await Promise.all(connections.map((nc) => nc.close().catch(() => undefined)));
    await cluster?.stop(5_000);
    await rm(root, { recursive: true, force: true });
  });

  async function connectWith(credsFile: string | undefined, name: string): Promise<NatsConnection> {
    const nc = await connectNats({
      urls: [cluster.natsUrl],
      name,
      log: silentLogger,
      timing: { connectTimeoutMs: 2_000 },
      ...(credsFile === undefined ? {} : { credsFile }),
    });
    connections.push(nc);
    return nc;
  }

  const connectAs = (role: NatsRole) => connectWith(cluster.credentialsFile(role), `auth-spec-${role}`);

  function clientOn(nc: NatsConnection): Promise<RaftClient> {
    return RaftClient.connect({
      nc,
      cluster: cluster.cluster,
      region: REGION,
      group: GROUP,
      deadlineMs: 3_000,
    });
  }

  async function adminNames(name: string): Promise<string[]> {
    const admin = await cluster.client(REGION, GROUP);
    const view = await admin.dnsRrsets(ZONE, name, 'linearizable');
    return (view?.rrsets ?? []).flatMap((rrset) => rrset.rdata.map((rdata) => `${rrset.type} ${rdata}`));
  }

  function upsert(name: string, address: string) {
    return {
      changes: [
        {
          op: 'upsert' as const,
          zone: ZONE,
          name,
          type: 'A',
          ttl: 60,
          rdata: [address],
          version: clock.next(),
        },
      ],
    };
  }

  async function groupReplica(): Promise<string> {
    const topology = await cluster.topology();
    const group = topology.regions[0]?.groups.find((g) => g.id === GROUP);
    const replica = group?.replicas[0]?.instanceId;
    if (replica === undefined) throw new Error(`no replica of ${GROUP}`);
    return replica;
  }

  async function credentialsFileOf(user: NatsUserWithSeed, name: string): Promise<string> {
    const file = join(dir, `${name}.creds`);
    await writePrivate(file, credentialsText(cluster.cluster, user));
    return file;
  }

  it('refuses a connection without credentials and one with a key the server does not know', async () => {
    const anonymous = await connectWith(undefined, 'anonymous').catch((error: unknown) => error);
    expect(anonymous, 'anonymous connection').to.be.instanceOf(Error);
    const stranger = await credentialsFileOf(createNatsUser('admin'), 'stranger');
    const unknown = await connectWith(stranger, 'stranger').catch((error: unknown) => error);
    expect(unknown, 'unknown nkey').to.be.instanceOf(Error);
    // The same server accepts the generated admin: the refusals above are about credentials.
    const admin = await connectAs('admin');
    expect(admin.isClosed()).to.equal(false);
  });

  it('a reader reads records, status and buckets, and every write it tries changes nothing', async () => {
    const nc = await connectAs('reader');
    const reader = await clientOn(nc);
    const view = await reader.dnsRrsets(ZONE, EXAMPLE_NAME, 'linearizable');
    expect(view?.rrsets.map((r) => r.rdata)).to.deep.equal([[EXAMPLE_ADDRESS]]);
    const replica = await groupReplica();
    expect((await reader.status(replica)).role).to.equal('leader');
    const plan = await PlanStore.open(nc, cluster.cluster);
    const planBefore = (await plan.plan.get('plan'))?.string();
    expect(planBefore).to.be.a('string');

    const name = 'reader.wikipedia.org.';
    // On the group's write subject and on the replica's own write subject: no permission.
    expect(await reader.dnsBatch(upsert(name, '192.0.2.1')).catch((e: unknown) => e)).to.be.instanceOf(Error);
    expect(
      await reader.dnsBatch(upsert(name, '192.0.2.2'), { replica }).catch((e: unknown) => e),
    ).to.be.instanceOf(Error);
    // On the read subject, which it may use: the replica refuses a write there.
    const onRead = await requestWithTimeout(
      nc,
      readSubject(cluster.cluster, REGION, GROUP),
      encodeRequest({ v: 1, op: 'dns', batch: upsert(name, '192.0.2.3'), sid: 'reader', seq: 1, ack: 0 }),
      3_000,
    );
    expect(onRead.ok).to.equal(true);
    if (onRead.ok) {
      const decoded = decodeReply(onRead.data);
      expect(decoded.ok && decoded.reply).to.deep.include({ st: 'error', code: 'wrong-subject' });
    }
    // Buckets: the plan and the zone registry; the TSIG keys (secrets) it may not even read.
    expect(await plan.plan.put('plan', '{}').catch((e: unknown) => e)).to.be.instanceOf(Error);
    const zones = await new Kvm(jetstream(nc)).open(zonesBucket(cluster.cluster));
    expect(await zones.put('reader-zone', '{}').catch((e: unknown) => e)).to.be.instanceOf(Error);
    const tsig = await new Kvm(jetstream(nc, { timeout: 3_000 })).open(tsigBucket(cluster.cluster));
    expect(await tsig.get('any').catch((e: unknown) => e), 'reading a TSIG key').to.be.instanceOf(Error);

    expect(await adminNames(name)).to.deep.equal([]);
    const admin = await connectAs('admin');
    const adminPlan = await PlanStore.open(admin, cluster.cluster);
    expect((await adminPlan.plan.get('plan'))?.string()).to.equal(planBefore);
    const adminZones = await new Kvm(jetstream(admin)).open(zonesBucket(cluster.cluster));
    expect(await adminZones.get('reader-zone')).to.equal(null);
    await new Kvm(jetstream(admin)).open(tsigBucket(cluster.cluster));
  });

  it('a reader cannot take the leader’s write subject to answer writes in its place', async () => {
    const nc = await connectAs('reader');
    let intercepted = 0;
    nc.subscribe(writeSubject(cluster.cluster, REGION, GROUP), {
      callback: (error, msg) => {
        if (error === null) {
          intercepted++;
          msg.respond(new TextEncoder().encode('{"v":1,"st":"applied","idx":1,"res":null}'));
        }
      },
    });
    await nc.flush().catch(() => undefined);
    const admin = await cluster.client(REGION, GROUP);
    const result = await admin.dnsBatch(upsert('after-reader.wikipedia.org.', '192.0.2.4'));
    expect(result.ok).to.equal(true);
    expect(intercepted).to.equal(0);
    expect(await adminNames('after-reader.wikipedia.org.')).to.deep.equal(['A 192.0.2.4']);
  });

  it('an admin writes records and buckets, but can neither publish on nor listen to Raft peer subjects', async () => {
    const nc = await connectAs('admin');
    const admin = await clientOn(nc);
    const result = await admin.dnsBatch(upsert('admin.wikipedia.org.', '192.0.2.5'));
    expect(result.ok).to.equal(true);
    expect(await adminNames('admin.wikipedia.org.')).to.deep.equal(['A 192.0.2.5']);

    const replica = await groupReplica();
    const raft = peerSubject(cluster.cluster, REGION, GROUP, replica, 'raft');
    const termBefore = (await admin.status(replica)).term;
    // A replica-credentialed observer sees every publish on the group's Raft subjects.
    const observer = await connectAs('replica');
    const seen: string[] = [];
    observer.subscribe(`raftns.${cluster.cluster}.${REGION}.${GROUP}.raft.>`, {
      callback: (error, msg) => {
        if (error === null) seen.push(new TextDecoder().decode(msg.data));
      },
    });
    await observer.flush();
    let overheard = 0;
    nc.subscribe(`raftns.${cluster.cluster}.${REGION}.${GROUP}.raft.>`, {
      callback: (error) => {
        if (error === null) overheard++;
      },
    });
    nc.publish(raft, new TextEncoder().encode('forged-by-admin'));
    await nc.flush().catch(() => undefined);
    // A control frame from a replica credential arrives; the admin's does not.
    const control = await connectAs('replica');
    control.publish(raft, new TextEncoder().encode('control'));
    await control.flush();
    await pollUntil('the control frame', 5_000, async () => (seen.includes('control') ? true : undefined));
    await nc.flush().catch(() => undefined);
    expect(seen).to.deep.equal(['control']);
    expect(overheard).to.equal(0);
    expect((await admin.status(replica)).term).to.equal(termBefore);

    const idempotency = await new Kvm(jetstream(nc)).open(`raftns-${cluster.cluster}-idempotency`);
    await idempotency.put('auth-spec', 'x');
    expect((await idempotency.get('auth-spec'))?.string()).to.equal('x');
  });

  it('only replicas may use the anti-entropy subject; sync reads elsewhere are refused', async () => {
    const replica = await clientOn(await connectAs('replica'));
    const roots = await replica.syncRead({ op: 'dns-digest-roots' });
    expect(roots.op === 'dns-digest-roots' && roots.zones.map((z) => z.zone)).to.include(ZONE);
    for (const role of ['admin', 'reader'] as const) {
      const other = await clientOn(await connectAs(role));
      expect(
        await other.syncRead({ op: 'dns-digest-roots' }, { deadlineMs: 1_500 }).catch((e: unknown) => e),
        role,
      ).to.be.instanceOf(Error);
    }
    // On the read subject, which an admin may use, the replica refuses an anti-entropy read.
    const onRead = await requestWithTimeout(
      await connectAs('admin'),
      readSubject(cluster.cluster, REGION, GROUP),
      encodeRequest({ v: 1, op: 'sync-roots' }),
      3_000,
    );
    expect(onRead.ok).to.equal(true);
    if (onRead.ok) {
      const decoded = decodeReply(onRead.data);
      expect(decoded.ok && decoded.reply).to.deep.include({ st: 'error', code: 'wrong-subject' });
    }
  });

  it('a replica credential registers itself but cannot rewrite the plan or create a bucket', async () => {
    const nc = await connectAs('replica');
    const store = await PlanStore.open(nc, cluster.cluster);
    const before = (await store.plan.get('plan'))?.string();
    expect(await store.plan.put('plan', '{}').catch((e: unknown) => e)).to.be.instanceOf(Error);
    await store.instances.put('auth-spec-instance', '{}');
    const created = await new Kvm(jetstream(nc))
      .create(`raftns-${cluster.cluster}-rogue`)
      .catch((e: unknown) => e);
    expect(created).to.be.instanceOf(Error);

    const admin = await connectAs('admin');
    expect((await (await PlanStore.open(admin, cluster.cluster)).plan.get('plan'))?.string()).to.equal(
      before,
    );
    const jsm = await jetstreamManager(admin);
    const rogue = await jsm.streams.info(`KV_raftns-${cluster.cluster}-rogue`).catch((e: unknown) => e);
    expect(rogue).to.be.instanceOf(Error);
  });

  it('the CLI finds the admin credentials under .raftns/nats by itself; reader credentials only read', async () => {
    const env = { ...process.env, RAFTNS_NATS_CREDS: '' };
    const cli = (args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
      raftns(['--nats', cluster.natsUrl, '--cluster', cluster.cluster, '--timeout', '3000', ...args], {
        env,
        ...options,
      });
    const name = 'cli.wikipedia.org.';
    const written = await cli(['write', name, 'A', '60', '192.0.2.20'], { cwd: root });
    expect(written.code, written.stderr).to.equal(EXIT_OK);
    // Elsewhere, without credentials: refused by the server.
    const anonymous = await cli(['get', name], { cwd: tmpdir() });
    expect(anonymous.code).to.not.equal(EXIT_OK);
    const readerEnv = { ...env, RAFTNS_NATS_CREDS: cluster.credentialsFile('reader') as string };
    const read = await cli(['get', name, 'A'], { cwd: tmpdir(), env: readerEnv });
    expect(read.code, read.stderr).to.equal(EXIT_OK);
    expect(read.stdout).to.match(/192\.0\.2\.20/);
    const refused = await cli(['write', name, 'A', '60', '192.0.2.21'], { cwd: tmpdir(), env: readerEnv });
    expect(refused.code).to.not.equal(EXIT_OK);
    expect(await adminNames(name)).to.deep.equal(['A 192.0.2.20']);
  });

  /**
   * The three steps of docs/SECURITY.md for `role`, while a writer keeps writing through the
   * admin connection: every write must succeed; the longest one is printed.
   */
  async function rotate(role: NatsRole): Promise<void> {
    const file = cluster.credentialsFile(role) as string;
    const oldCopy = join(dir, `old-${role}.creds`);
    await writeFile(oldCopy, await readFile(file), { mode: 0o600 });
    const next = createNatsUser(role);
    const nextFile = await credentialsFileOf(next, `next-${role}`);
    let writing = true;
    let writes = 0;
    let longestMs = 0;
    const writer = (async () => {
      const client = await cluster.client(REGION, GROUP);
      while (writing) {
        const started = performance.now();
        const result = await client.dnsBatch(upsert(`rotation-${role}.wikipedia.org.`, '192.0.2.9'), {
          deadlineMs: 10_000,
        });
        expect(result.ok, `write ${writes} during the ${role} rotation`).to.equal(true);
        longestMs = Math.max(longestMs, performance.now() - started);
        writes++;
      }
    })();
    try {
      // 1. Both keys are valid.
      await ensureNatsCredentials(cluster.natsDir, cluster.cluster, [next]);
      cluster.reloadNats();
      await pollUntil(`the new ${role} key to be accepted`, 10_000, () =>
        connectWith(nextFile, `next-${role}`),
      );
      // 2. Clients move: the file they read on every reconnect now holds the new key.
      await writePrivate(file, credentialsText(cluster.cluster, next));
      // 3. The old key goes; connections still using it are closed and reconnect with the file.
      await ensureNatsCredentials(cluster.natsDir, cluster.cluster);
      cluster.reloadNats();
      await pollUntil(`the old ${role} key to be refused`, 10_000, async () =>
        (await connectWith(oldCopy, `old-${role}`).then(
          () => false,
          () => true,
        ))
          ? true
          : undefined,
      );
      const before = writes;
      await pollUntil('writes after the rotation', 15_000, async () =>
        writes >= before + 5 ? true : undefined,
      );
    } finally {
      writing = false;
      await writer;
    }
    console.log(`      ${role} rotation: ${writes} writes, none failed, longest ${longestMs.toFixed(0)} ms`);
  }

  it('rotates the admin credential without downtime: add the new key, move clients, remove the old', async () => {
    await rotate('admin');
    const fresh = await connectWith(cluster.credentialsFile('admin'), 'fresh-admin');
    const client = await clientOn(fresh);
    expect((await client.dnsBatch(upsert('rotation-fresh.wikipedia.org.', '192.0.2.10'))).ok).to.equal(true);
    expect(await adminNames('rotation-fresh.wikipedia.org.')).to.deep.equal(['A 192.0.2.10']);
  });

  it('rotates the replica credential under the running replicas: every group keeps taking writes', async () => {
    const pids = cluster.replicaList().map((r) => r.pid);
    await rotate('replica');
    expect(cluster.replicaList().map((r) => r.pid)).to.deep.equal(pids);
    for (const group of cluster.plan.groups) {
      const client = await cluster.client(REGION, group.id);
      expect(
        (await client.put('rotated', 'yes', { deadlineMs: 10_000 })).revision,
        group.id,
      ).to.be.greaterThan(0);
    }
    expect((await cluster.liveInstanceIds()).size).to.equal(cluster.replicaList().length);
  });
});
