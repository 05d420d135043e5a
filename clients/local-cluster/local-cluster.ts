/**
 * A whole raftns cluster on one machine, as separate processes: a JetStream nats-server,
 * the cluster plan written into NATS KV (`raftns init`), and for each region one
 * `runtime/main --bootstrap` process per replica slot, each on its own loopback address
 * (127.0.<subnet + region>.<n>, subnet 10 by default), port 53 when the process may bind it, else `DNS_FALLBACK_PORT`.
 * The replicas claim their slots, form their groups, and the groups' leaders create their
 * zones and delegations; `seedExample` writes the write-up's record. `npm start` runs this
 * (bootstrap/local-cluster-main.ts); the hierarchy's end-to-end tests do too.
 *
 * Authentication is on unless `auth: false`: nats-server starts from a configuration
 * generated in `<dir>/nats/` (`nats-server.conf` including `authorization.conf`), with one
 * nkey user per role and its credentials file beside it (`replica.creds`, `admin.creds`,
 * `reader.creds`, all mode 0600; bootstrap/nats-credentials.ts). Replicas get the replica
 * credentials, this process and the CLI the admin ones (the CLI finds
 * `.raftns/nats/admin.creds` by itself).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/transport-node';
import { createClusterBuckets } from '../../bootstrap/cluster-buckets.js';
import {
  ensureNatsCredentials,
  type NatsCredentials,
  writePrivate,
} from '../../bootstrap/nats-credentials.js';
import type { NatsRole } from '../../bootstrap/nats-roles.js';
import type { PlanStore } from '../../bootstrap/plan-store.js';
import { liveInstances } from '../../bootstrap/registry.js';
import { readSlots } from '../../bootstrap/slot-claim.js';
import { HybridClock } from '../../protocol/dns/version.js';
import { type ClusterPlan, examplePlan } from '../../protocol/plan.js';
import { nameserverName } from '../../runtime/composition/delegation-plan.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { RaftClient } from '../raft-client.js';

export const DNS_FALLBACK_PORT = 5300;
/** Each replica's HTTP listener (`/metrics`, `/livez`, `/readyz`), on its own loopback address. */
export const HTTP_PORT_DEFAULT = 9153;
export const EXAMPLE_NAME = 'www.wikipedia.org.';
export const EXAMPLE_ADDRESS = '103.102.166.224';
const MAIN_SCRIPT = fileURLToPath(new URL('../../runtime/main.js', import.meta.url));
const NATS_BINARIES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

export interface LocalClusterOptions {
  /** Where data, logs and the NATS store go (`.raftns` for `npm start`). */
  readonly dir: string;
  readonly cluster?: string;
  readonly regions?: number;
  /** `--dns-rrl-rate` of every replica (answers per second per client prefix; 0 turns RRL off); default the replica's. */
  readonly dnsRrlRate?: number;
  /** Replicas per group (default 3; tests run lighter hierarchies with 1). */
  readonly replicasPerGroup?: number;
  /** The first NATS server's client port (default 4222); a cluster's others follow it (4223, 4224). */
  readonly natsPort?: number;
  /**
   * NATS servers: 1 (default), or a 3-server cluster with clustered JetStream, whose KV
   * buckets are replicated on all three (R3), so losing one server loses no bucket.
   */
  readonly natsServers?: 1 | 3;
  /** A cluster's first route port (default 6222); the others follow it. */
  readonly natsRoutePort?: number;
  /**
   * Start nats-server with generated nkey users and permissions (default true). Ignored
   * when a nats-server already listens on the port: that one's configuration rules.
   */
  readonly auth?: boolean;
  /** Force a DNS port (default: 53 if bindable, else 5300). */
  readonly dnsPort?: number;
  /** The replicas' HTTP port (`--http <address>:<port>`); null turns the listeners off. Default 9153. */
  readonly httpPort?: number | null;
  /** Replicas listen on 127.0.<subnet + region index>.<n>; default 10. */
  readonly subnet?: number;
  /** How long a registration outlives its last heartbeat (tests shorten it); default 15 s. */
  readonly registrationTtlMs?: number;
  readonly logLevel?: string;
  /** Progress lines (stderr for `npm start`). */
  readonly say?: (line: string) => void;
}

export interface ReplicaTopology {
  readonly instanceId: string;
  readonly region: string;
  readonly address: string;
  readonly port: number;
  /** The HTTP listener's host:port, or null when off. */
  readonly http: string | null;
  readonly dataDir: string;
  readonly log: string;
  readonly pid: number | undefined;
}

export interface Topology {
  readonly cluster: string;
  readonly nats: string;
  readonly dnsPort: number;
  readonly plan: ClusterPlan;
  readonly regions: ReadonlyArray<{
    readonly region: string;
    readonly groups: ReadonlyArray<{
      readonly id: string;
      readonly zone: string;
      readonly leader: string | null;
      readonly replicas: ReadonlyArray<{
        readonly instanceId: string;
        readonly dns: string;
        /** `/metrics`, `/livez`, `/readyz` at http://<this>/; null when off. */
        readonly http: string | null;
        readonly role: string;
        readonly nameserver: string;
      }>;
    }>;
  }>;
}

/** Finds nats-server; as root on Debian/Ubuntu installs it; otherwise says what to install. */
export function natsServerBinary(say: (line: string) => void): string {
  const found = NATS_BINARIES.find(existsSync);
  if (found !== undefined) return found;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    say('installing nats-server (apt-get install nats-server)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '-qq', 'nats-server'], { stdio: 'inherit', env });
    const installed = NATS_BINARIES.find(existsSync);
    if (installed !== undefined) return installed;
  }
  throw new Error(
    'nats-server is not installed: run `sudo apt-get install nats-server` (Debian/Ubuntu) and retry',
  );
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether this process may bind UDP port 53 on a loopback address. */
function canBindPort53(address: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(53, address, () => socket.close(() => resolve(true)));
  });
}

async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export class LocalCluster {
  readonly cluster: string;
  readonly plan: ClusterPlan;
  private readonly natsProcesses: (ChildProcess | undefined)[] = [];
  private nc: NatsConnection | undefined;
  private credentials: NatsCredentials | undefined;
  private store: PlanStore | undefined;
  private readonly children = new Map<string, ChildProcess>();
  private readonly replicas: ReplicaTopology[] = [];
  private readonly clients = new Map<string, RaftClient>();
  private dnsPortValue = DNS_FALLBACK_PORT;
  private readonly say: (line: string) => void;

  constructor(private readonly options: LocalClusterOptions) {
    this.cluster = options.cluster ?? 'local';
    const regions = Array.from({ length: options.regions ?? 1 }, (_, i) => `region${i + 1}`);
    const example = examplePlan(this.cluster, regions);
    this.plan = { ...example, replicasPerGroup: options.replicasPerGroup ?? example.replicasPerGroup };
    this.say = options.say ?? (() => undefined);
  }

  get natsUrl(): string {
    return this.natsUrls[0] as string;
  }

  /** Every NATS server's client URL; replicas and clients are given all of them. */
  get natsUrls(): string[] {
    return this.natsPorts.map((port) => `nats://127.0.0.1:${port}`);
  }

  private get natsPorts(): number[] {
    const first = this.options.natsPort ?? 4222;
    return Array.from({ length: this.options.natsServers ?? 1 }, (_, i) => first + i);
  }

  private get natsRoutePorts(): number[] {
    const first = this.options.natsRoutePort ?? 6222;
    return Array.from({ length: this.options.natsServers ?? 1 }, (_, i) => first + i);
  }

  /** Where the NATS configuration and credentials files go. */
  get natsDir(): string {
    return join(this.options.dir, 'nats');
  }

  /** The credentials file of `role`, or undefined when the cluster runs without authentication. */
  credentialsFile(role: NatsRole): string | undefined {
    return this.credentials?.files[role];
  }

  get dnsPort(): number {
    return this.dnsPortValue;
  }

  /** The replicas' addresses, by region. */
  replicaList(): readonly ReplicaTopology[] {
    return this.replicas;
  }

  /** The addresses of region `region`'s root servers (the root group's slot holders): root hints. */
  async rootServers(region: string): Promise<string[]> {
    const store = this.startedStore();
    const root = this.plan.groups.find((g) => g.parent === undefined);
    const slots = await readSlots(store.slots, this.plan, region, root?.id);
    const holders = new Set(slots.map((slot) => slot.holder));
    return this.replicas.filter((r) => holders.has(r.instanceId)).map((r) => r.address);
  }

  async start(): Promise<void> {
    await mkdir(join(this.options.dir, 'logs'), { recursive: true });
    await this.startNats();
    const adminCreds = this.credentialsFile('admin');
    this.nc = await connectNats({
      urls: this.natsUrls,
      name: 'raftns-local-cluster',
      log: silentLogger,
      ...(adminCreds === undefined ? {} : { credsFile: adminCreds }),
    });
    // Replicas may not create buckets (bootstrap/nats-roles.ts): every one exists before them.
    // A fresh NATS cluster answers JetStream only once its meta group has elected a leader.
    const nc = this.nc;
    const store = await pollUntil('the KV buckets (JetStream ready)', JETSTREAM_READY_TIMEOUT_MS, () =>
      createClusterBuckets(nc, this.cluster, {
        replicas: this.options.natsServers ?? 1,
        ...(this.options.registrationTtlMs === undefined
          ? {}
          : { registrationTtlMs: this.options.registrationTtlMs }),
      }),
    );
    this.store = store;
    const { outcome } = await store.initPlan(this.plan);
    this.say(
      `cluster plan ${outcome}: ${this.plan.regions.length} region(s) × ${this.plan.groups.length} groups × ${this.plan.replicasPerGroup} replicas`,
    );
    const subnet = this.options.subnet ?? 10;
    const firstAddress = `127.0.${subnet}.1`;
    this.dnsPortValue =
      this.options.dnsPort ?? ((await canBindPort53(firstAddress)) ? 53 : DNS_FALLBACK_PORT);
    if (this.dnsPortValue !== 53)
      this.say(`DNS on port ${this.dnsPortValue} (binding port 53 needs root or CAP_NET_BIND_SERVICE)`);
    const perRegion = this.plan.groups.length * this.plan.replicasPerGroup;
    this.plan.regions.forEach((region, r) => {
      for (let n = 1; n <= perRegion; n++) {
        const instanceId = `${region}-${n}`;
        this.replicas.push({
          instanceId,
          region,
          address: `127.0.${subnet + r}.${n}`,
          port: this.dnsPortValue,
          http: this.httpAddress(`127.0.${subnet + r}.${n}`),
          dataDir: join(this.options.dir, 'data', instanceId),
          log: join(this.options.dir, 'logs', `${instanceId}.log`),
          pid: undefined,
        });
      }
    });
    await Promise.all(this.replicas.map((replica) => this.spawnReplica(replica)));
  }

  /** Starts (or restarts) one replica process; `nodeArgs` go to Node itself (e.g. `--cpu-prof`). */
  async spawnReplica(replica: ReplicaTopology, nodeArgs: readonly string[] = []): Promise<void> {
    await mkdir(replica.dataDir, { recursive: true });
    const args = [
      ...nodeArgs,
      MAIN_SCRIPT,
      '--bootstrap',
      '--cluster',
      this.cluster,
      '--region',
      replica.region,
      '--instance-id',
      replica.instanceId,
      '--data-dir',
      replica.dataDir,
      '--dns',
      `${replica.address}:${replica.port}`,
      '--dns-advertise',
      replica.address,
      '--nats',
      this.natsUrls.join(','),
      ...(this.credentials === undefined ? [] : ['--nats-creds', this.credentials.files.replica]),
      '--log-level',
      this.options.logLevel ?? 'info',
      ...(replica.http === null ? [] : ['--http', replica.http]),
      ...(this.options.dnsRrlRate === undefined ? [] : ['--dns-rrl-rate', String(this.options.dnsRrlRate)]),
    ];
    const out = createWriteStream(replica.log, { flags: 'a' });
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(out);
    child.stderr?.pipe(out);
    this.children.set(replica.instanceId, child);
    const index = this.replicas.findIndex((r) => r.instanceId === replica.instanceId);
    if (index >= 0) this.replicas[index] = { ...replica, pid: child.pid };
  }

  /**
   * A new instance in `region` (the next number, the next loopback address), started: with
   * every slot held it takes over the slot of a replica that stopped heartbeating. The
   * region's position in the stored plan picks its subnet; a region not in the plan yet
   * takes the next position (the one `raftns plan apply` gives a region it adds), and its
   * instance waits for the plan to name it.
   */
  async addReplica(region: string): Promise<ReplicaTopology> {
    const regions = (await this.startedStore().readPlan())?.regions ?? this.plan.regions;
    const known = regions.indexOf(region);
    const r = known >= 0 ? known : regions.length;
    const n = this.replicas.filter((x) => x.region === region).length + 1;
    const instanceId = `${region}-${n}`;
    const replica: ReplicaTopology = {
      instanceId,
      region,
      address: `127.0.${(this.options.subnet ?? 10) + r}.${n}`,
      port: this.dnsPortValue,
      http: this.httpAddress(`127.0.${(this.options.subnet ?? 10) + r}.${n}`),
      dataDir: join(this.options.dir, 'data', instanceId),
      log: join(this.options.dir, 'logs', `${instanceId}.log`),
      pid: undefined,
    };
    this.replicas.push(replica);
    await this.spawnReplica(replica);
    return replica;
  }

  private httpAddress(address: string): string | null {
    const port = this.options.httpPort === undefined ? HTTP_PORT_DEFAULT : this.options.httpPort;
    return port === null ? null : `${address}:${port}`;
  }

  /** The instances whose registration is alive (heartbeating). */
  async liveInstanceIds(): Promise<Set<string>> {
    return new Set((await liveInstances(this.startedStore())).map((r) => r.instanceId));
  }

  private startedStore(): PlanStore {
    if (this.store === undefined) throw new Error('the cluster is not started');
    return this.store;
  }

  /** How a replica's process ended (tests), or undefined while it runs (or was never started). */
  exitOf(instanceId: string): { readonly code: number | null; readonly signal: string | null } | undefined {
    const child = this.children.get(instanceId);
    if (child === undefined || (child.exitCode === null && child.signalCode === null)) return undefined;
    return { code: child.exitCode, signal: child.signalCode };
  }

  /** Kills one replica (tests); `spawnReplica` brings it back. */
  async kill(instanceId: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.children.get(instanceId);
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
    this.children.delete(instanceId);
  }

  /** A client for a group of a region (cached). */
  async client(region: string, group: string): Promise<RaftClient> {
    const key = `${region}/${group}`;
    let client = this.clients.get(key);
    if (client === undefined) {
      if (this.nc === undefined) throw new Error('the cluster is not started');
      client = await RaftClient.connect({
        nc: this.nc,
        cluster: this.cluster,
        region,
        group,
        deadlineMs: 3_000,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  /** Waits until every region's groups serve their zones and their parents delegate to them. */
  async waitReady(timeoutMs = 90_000): Promise<void> {
    for (const region of this.plan.regions) {
      for (const group of this.plan.groups) {
        const client = await this.client(region, group.id);
        await pollUntil(`${region}: zone ${group.zone} (group ${group.id})`, timeoutMs, async () => {
          const zones = await client.dnsZones('linearizable', { deadlineMs: 2_000 });
          return zones.some((z) => z.zone === group.zone) ? true : undefined;
        });
        const parent = this.plan.groups.find((g) => g.id === group.parent);
        if (parent === undefined) continue;
        const parentClient = await this.client(region, parent.id);
        await pollUntil(`${region}: delegation of ${group.zone} in ${parent.zone}`, timeoutMs, async () => {
          const view = await parentClient.dnsRrsets(parent.zone, group.zone, 'linearizable', {
            deadlineMs: 2_000,
          });
          return view?.rrsets.some((r) => r.type === 'NS') ? true : undefined;
        });
      }
      this.say(`${region}: every group serves its zone and is delegated to`);
    }
  }

  /** Writes the write-up's example record into every region (same version everywhere). */
  async seedExample(): Promise<void> {
    const clock = new HybridClock('local-cluster', () => Date.now());
    const version = clock.next();
    for (const region of this.plan.regions) {
      const client = await this.client(region, 'wikipedia-org');
      const result = await client.dnsBatch({
        changes: [
          {
            op: 'upsert',
            zone: 'wikipedia.org.',
            name: EXAMPLE_NAME,
            type: 'A',
            ttl: 300,
            rdata: [EXAMPLE_ADDRESS],
            version,
          },
        ],
      });
      if (!result.ok) throw new Error(`${region}: seeding ${EXAMPLE_NAME} failed: ${result.error.message}`);
    }
  }

  /** Who serves what, with each replica's role as its group sees it. */
  async topology(): Promise<Topology> {
    const regions = [];
    for (const region of this.plan.regions) {
      const groups = [];
      for (const group of this.plan.groups) {
        const client = await this.client(region, group.id);
        const members = this.replicas.filter((r) => r.region === region);
        const statuses = await Promise.all(
          members.map((m) => client.status(m.instanceId, { deadlineMs: 500 }).catch(() => undefined)),
        );
        const replicas = [];
        let leader: string | null = null;
        for (let i = 0; i < members.length; i++) {
          const status = statuses[i];
          const member = members[i];
          if (status === undefined || member === undefined || status.group !== group.id) continue;
          if (status.role === 'leader') leader = member.instanceId;
          replicas.push({
            instanceId: member.instanceId,
            dns: `${member.address}:${member.port}`,
            http: member.http,
            role: status.role,
            nameserver: nameserverName(member.instanceId, group.zone),
          });
        }
        groups.push({ id: group.id, zone: group.zone, leader, replicas });
      }
      regions.push({ region, groups });
    }
    return {
      cluster: this.cluster,
      nats: this.natsUrls.join(','),
      dnsPort: this.dnsPortValue,
      plan: this.plan,
      regions,
    };
  }

  async writeTopology(path: string): Promise<Topology> {
    const topology = await this.topology();
    await writeFile(path, `${JSON.stringify(topology, null, 2)}\n`);
    return topology;
  }

  /**
   * Asks the nats-server we started to reload its configuration (SIGHUP), e.g. after the
   * users changed. The reload is asynchronous: callers wait for its effect.
   */
  reloadNats(): void {
    const running = this.natsProcesses.filter((nats) => nats !== undefined && nats.exitCode === null);
    if (running.length === 0) throw new Error('no nats-server of ours is running');
    for (const nats of running) nats?.kill('SIGHUP');
  }

  /** SIGKILLs NATS server `index` (from 0) if we started it and it runs; resolves once it exited (tests). */
  async killNats(index: number): Promise<void> {
    const nats = this.natsProcesses[index];
    if (nats === undefined || nats.exitCode !== null || nats.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => nats.once('exit', () => resolve()));
    nats.kill('SIGKILL');
    await exited;
  }

  /** Stops every replica (SIGTERM, then SIGKILL after `graceMs`) and the nats-server we started. */
  async stop(graceMs = 10_000): Promise<void> {
    await Promise.all([...this.clients.values()].map((client) => client.close().catch(() => undefined)));
    this.clients.clear();
    await this.nc?.close().catch(() => undefined);
    const children = [...this.children.values()];
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    this.children.clear();
    await Promise.all(
      this.natsProcesses.map(
        (nats) =>
          new Promise<void>((resolve) => {
            if (nats === undefined || nats.exitCode !== null || nats.signalCode !== null) return resolve();
            nats.once('exit', () => resolve());
            nats.kill('SIGTERM');
          }),
      ),
    );
  }

  private async startNats(): Promise<void> {
    const ports = this.natsPorts;
    await mkdir(this.natsDir, { recursive: true, mode: 0o700 });
    await chmod(this.natsDir, 0o700);
    // Made (or kept) even for a server already running: it may be the one a previous run started.
    if (this.options.auth ?? true) this.credentials = await ensureNatsCredentials(this.natsDir, this.cluster);
    const up = await Promise.all(ports.map(listening));
    if (up.every(Boolean)) {
      this.say(
        `using the nats-server(s) already listening on ${ports.map((p) => `127.0.0.1:${p}`).join(', ')} (JetStream must be enabled)`,
      );
      return;
    }
    if (up.some(Boolean))
      throw new Error(
        `some NATS ports of ${ports.join(', ')} are in use and others not: stop what listens there, or choose --nats-port`,
      );
    const binary = natsServerBinary(this.say);
    const clustered = ports.length > 1;
    const logs = createWriteStream(join(this.options.dir, 'logs', 'nats-server.log'), { flags: 'a' });
    for (const [i, port] of ports.entries()) {
      // Everything in a file, nothing in flags: a reload (SIGHUP) rereads the file alone,
      // and nats-server 2.9 turns JetStream off on a reload when only a flag enabled it.
      const config = join(this.natsDir, clustered ? `nats-server-n${i}.conf` : 'nats-server.conf');
      const storeDir = resolve(clustered ? join(this.natsDir, `n${i}`) : this.natsDir);
      const routes = clustered
        ? { name: `raftns-${this.cluster}`, index: i, routePorts: this.natsRoutePorts }
        : undefined;
      await writePrivate(config, natsServerConfig(port, storeDir, this.credentials, routes));
      const nats = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      nats.stderr?.pipe(logs, { end: false });
      this.natsProcesses[i] = nats;
    }
    const auth =
      this.credentials === undefined
        ? 'no authentication'
        : `nkey users; admin credentials ${this.credentials.files.admin}`;
    this.say(
      `starting ${clustered ? `a ${ports.length}-server NATS cluster (clustered JetStream, R${ports.length} buckets` : 'nats-server (JetStream'}, ${auth}) on ${ports.map((p) => `127.0.0.1:${p}`).join(', ')}`,
    );
    for (const [i, port] of ports.entries()) {
      const nats = this.natsProcesses[i];
      await pollUntil(`nats-server on 127.0.0.1:${port}`, 10_000, async () => {
        if (nats?.exitCode !== null) throw new Error(`nats-server exited with code ${nats?.exitCode}`);
        return (await listening(port)) ? true : undefined;
      });
    }
  }
}

/** How long a fresh NATS (cluster) may take until its JetStream creates the buckets. */
const JETSTREAM_READY_TIMEOUT_MS = 30_000;

interface NatsRoutes {
  /** The cluster's name; JetStream clustering also needs each server's own name. */
  readonly name: string;
  readonly index: number;
  readonly routePorts: readonly number[];
}

/**
 * A local server's configuration: loopback, JetStream, the users by include, and in a
 * cluster its name and routes to the others (clustered JetStream needs `server_name`, a
 * cluster name and routes: https://docs.nats.io/running-a-nats-service/configuration/clustering/jetstream_clustering).
 */
function natsServerConfig(
  port: number,
  storeDir: string,
  credentials: NatsCredentials | undefined,
  routes: NatsRoutes | undefined,
): string {
  const lines = [
    '# Generated by raftns (clients/local-cluster/local-cluster.ts).',
    `listen: ${JSON.stringify(`127.0.0.1:${port}`)}`,
    `jetstream { store_dir: ${JSON.stringify(storeDir)} }`,
  ];
  if (routes !== undefined) {
    const own = routes.routePorts[routes.index];
    const others = routes.routePorts.filter((_, j) => j !== routes.index).map((p) => `nats://127.0.0.1:${p}`);
    lines.push(
      `server_name: ${JSON.stringify(`${routes.name}-n${routes.index}`)}`,
      'cluster {',
      `  name: ${JSON.stringify(routes.name)}`,
      `  listen: ${JSON.stringify(`127.0.0.1:${own}`)}`,
      `  routes: ${JSON.stringify(others)}`,
      '}',
    );
  }
  // nats-server resolves an include relative to the including file, which sits beside it.
  if (credentials !== undefined)
    lines.push(`include ${JSON.stringify(basename(credentials.authorizationFile))}`);
  lines.push('');
  return lines.join('\n');
}
