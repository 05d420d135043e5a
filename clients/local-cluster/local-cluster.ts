/**
 * A whole raftns cluster on one machine, as separate processes: a JetStream nats-server,
 * the cluster plan written into NATS KV (`raftns init`), and for each region one
 * `runtime/main --bootstrap` process per replica slot, each on its own loopback address
 * (127.0.<subnet + region>.<n>, subnet 10 by default), port 53 when the process may bind it, else `DNS_FALLBACK_PORT`.
 * The replicas claim their slots, form their groups, and the groups' leaders create their
 * zones and delegations; `seedExample` writes the write-up's record. `npm start` runs this
 * (bootstrap/local-cluster-main.ts); the hierarchy's end-to-end tests do too.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/transport-node';
import { PlanStore } from '../../bootstrap/plan-store.js';
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
  readonly natsPort?: number;
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
  private nats: ChildProcess | undefined;
  private nc: NatsConnection | undefined;
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
    return `nats://127.0.0.1:${this.options.natsPort ?? 4222}`;
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
    this.nc = await connectNats({ urls: [this.natsUrl], name: 'raftns-local-cluster', log: silentLogger });
    this.store = await PlanStore.create(
      this.nc,
      this.cluster,
      this.options.registrationTtlMs === undefined
        ? {}
        : { registrationTtlMs: this.options.registrationTtlMs },
    );
    const { outcome } = await this.store.initPlan(this.plan);
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

  /** Starts (or restarts) one replica process. */
  async spawnReplica(replica: ReplicaTopology): Promise<void> {
    await mkdir(replica.dataDir, { recursive: true });
    const args = [
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
      this.natsUrl,
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
   * every slot held it takes over the slot of a replica that stopped heartbeating.
   */
  async addReplica(region: string): Promise<ReplicaTopology> {
    const r = this.plan.regions.indexOf(region);
    if (r < 0) throw new RangeError(`region ${region} is not in the plan`);
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
      nats: this.natsUrl,
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
    if (this.nats !== undefined && this.nats.exitCode === null) {
      const nats = this.nats;
      await new Promise<void>((resolve) => {
        nats.once('exit', () => resolve());
        nats.kill('SIGTERM');
      });
    }
  }

  private async startNats(): Promise<void> {
    const port = this.options.natsPort ?? 4222;
    if (await listening(port)) {
      this.say(
        `using the nats-server already listening on 127.0.0.1:${port} (it must have JetStream enabled)`,
      );
      return;
    }
    const binary = natsServerBinary(this.say);
    const storeDir = join(this.options.dir, 'nats');
    await mkdir(storeDir, { recursive: true });
    this.say(`starting nats-server (JetStream) on 127.0.0.1:${port}`);
    const nats = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    nats.stderr?.pipe(createWriteStream(join(this.options.dir, 'logs', 'nats-server.log'), { flags: 'a' }));
    this.nats = nats;
    await pollUntil(`nats-server on 127.0.0.1:${port}`, 10_000, async () => {
      if (nats.exitCode !== null) throw new Error(`nats-server exited with code ${nats.exitCode}`);
      return (await listening(port)) ? true : undefined;
    });
  }
}
