/**
 * `npm run bench:dns`: dnsperf against one replica of a real 3-replica group holding a
 * 10k-record zone, once per read mode (each replica has one listener per mode), and in the
 * same run against a minimal Node UDP responder that sends a precomputed valid answer with
 * the query's id patched in: the Node ceiling the replica is compared with.
 *
 * Setup: nats-server, the replicas and the ceiling responder run under `taskset -c 0`,
 * dnsperf under `taskset -c 1` (2 cores), unless `--no-pin`. Queries: A lookups of random
 * names of the zone (all exist), `--seconds` per run, at most `--outstanding` in flight.
 * Figures: queries/s, lost queries, average and max latency (dnsperf's), and CPU
 * microseconds per query of the answering process (user + system time from /proc, all its
 * threads).
 *
 * Metrics cost: every replica runs its HTTP listener (`--http`); lease-mode runs alternate
 * between no scraper ("off") and a scraper fetching the leader's `/metrics` every
 * SCRAPE_INTERVAL_MS ("on", far more often than Prometheus's usual 15 s), `--metrics-pairs`
 * pairs; the medians and their difference are reported (the aim: within 3 %).
 *
 * Latency at light load: `--light-qps` queries/s (1000) for `--light-seconds` (5), one at
 * a time on a paced schedule from this process, to the leader's and to a follower's
 * `lease` and `linearizable` listeners, each after an unmeasured second of the same load
 * (the first queries a replica's read path sees take several times longer); each answer's
 * round trip is timed here, and the average, p50 and p99 are reported (resolvers pick name
 * servers by round-trip time).
 *
 * Options: --records N (10000), --seconds S (10), --outstanding N (200), --no-pin,
 * --seed N (query names; printed), --profile DIR (V8 CPU profiles of the replicas' threads),
 * --metrics-pairs N (3; 0 skips the comparison), --light-qps N (1000; 0 skips the phase),
 * --light-seconds S (5).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { RaftClient } from '../clients/raft-client.js';
import { BATCH_CHANGES_MAX, type DnsChange } from '../protocol/dns/changes.js';
import { HybridClock } from '../protocol/dns/version.js';
import { aQueryBytes } from '../spec/fixtures/dns-query.js';
import { RaftCluster } from '../spec/fixtures/raft-cluster.js';

const execFileAsync = promisify(execFile);

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '10' },
    outstanding: { type: 'string', default: '200' },
    'no-pin': { type: 'boolean', default: false },
    seed: { type: 'string' },
    /** Write V8 CPU profiles of the replicas (every thread) into this directory. */
    profile: { type: 'string' },
    'metrics-pairs': { type: 'string', default: '3' },
    'light-qps': { type: 'string', default: '1000' },
    'light-seconds': { type: 'string', default: '5' },
  },
});

const RECORDS = Number(values.records);
const SECONDS = Number(values.seconds);
const OUTSTANDING = Number(values.outstanding);
const SEED = values.seed === undefined ? randomBytes(4).readUInt32BE(0) : Number(values.seed);
const ZONE = 'bench.example.';
const MODES = ['lease', 'bounded:1000', 'linearizable'] as const;
const METRICS_PAIRS = Number(values['metrics-pairs']);
const SCRAPE_INTERVAL_MS = 1_000;
const LIGHT_QPS = Number(values['light-qps']);
const LIGHT_SECONDS = Number(values['light-seconds']);
/** A light-load query unanswered this long counts as lost. */
const LIGHT_TIMEOUT_MS = 1_000;
const LIGHT_WARMUP_SECONDS = 1;
const LIGHT_MODES = ['lease', 'linearizable'] as const;

/** Fetches `url` every SCRAPE_INTERVAL_MS until stopped; counts the scrapes that answered 200. */
function startScraper(url: string): { stop(): number } {
  let scrapes = 0;
  const timer = setInterval(() => {
    fetch(url, { signal: AbortSignal.timeout(SCRAPE_INTERVAL_MS) })
      .then(async (response) => {
        await response.text();
        if (response.status === 200) scrapes++;
      })
      .catch(() => undefined);
  }, SCRAPE_INTERVAL_MS);
  return {
    stop: () => {
      clearInterval(timer);
      return scrapes;
    },
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function canPin(): boolean {
  if (values['no-pin'] || cpus().length < 2) return false;
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0;
}

function requireDnsperf(): void {
  if (spawnSync('dnsperf', ['-h']).error !== undefined) {
    console.error('bench:dns needs dnsperf: apt-get install -y dnsperf');
    process.exit(2);
  }
}

/** xorshift32: the query names are reproducible from the printed seed. */
function names(seed: number, count: number, records: number): string[] {
  let x = seed || 1;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.push(`host${x % records}.${ZONE}`);
  }
  return out;
}

interface PerfResult {
  readonly qps: number;
  readonly sent: number;
  readonly lost: number;
  readonly avgLatencyMs: number;
  readonly maxLatencyMs: number;
  readonly cpuUsPerQuery: number;
}

/** user + system CPU time of a process (all threads), in microseconds. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / 100; // USER_HZ is 100 on Linux
}

async function dnsperf(port: number, queryFile: string, pid: number, pin: boolean): Promise<PerfResult> {
  const args = [
    '-s',
    '127.0.0.1',
    '-p',
    String(port),
    '-d',
    queryFile,
    '-l',
    String(SECONDS),
    '-q',
    String(OUTSTANDING),
    '-t',
    '2',
  ];
  const before = cpuMicros(pid);
  const { stdout } = await execFileAsync(
    pin ? 'taskset' : 'dnsperf',
    pin ? ['-c', '1', 'dnsperf', ...args] : args,
    {
      timeout: (SECONDS + 30) * 1000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const cpu = cpuMicros(pid) - before;
  const number = (re: RegExp): number => {
    const match = re.exec(stdout);
    if (match === null) throw new Error(`dnsperf output lacks ${re}:\n${stdout}`);
    return Number(match[1]);
  };
  const completed = number(/Queries completed:\s+(\d+)/);
  return {
    qps: number(/Queries per second:\s+([\d.]+)/),
    sent: number(/Queries sent:\s+(\d+)/),
    lost: number(/Queries lost:\s+(\d+)/),
    avgLatencyMs: number(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    maxLatencyMs: number(/Average Latency \(s\):\s+[\d.]+ \(min [\d.]+, max ([\d.]+)\)/) * 1000,
    cpuUsPerQuery: completed > 0 ? cpu / completed : Number.NaN,
  };
}

/** The Node ceiling: a UDP socket that answers every query with one precomputed answer. */
const CEILING_SOURCE = `
const dgram = require('node:dgram');
const answer = Buffer.from(process.argv[1], 'hex');
const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
socket.on('message', (query, remote) => {
  if (query.length < 12) return;
  const out = Buffer.from(answer);
  out[0] = query[0];
  out[1] = query[1];
  socket.send(out, remote.port, remote.address);
});
socket.bind(0, '127.0.0.1', () => process.send({ port: socket.address().port }));
process.on('disconnect', () => process.exit(0));
`;

async function startCeiling(
  answerHex: string,
  pin: boolean,
): Promise<{ port: number; pid: number; stop(): void }> {
  const args = ['-e', CEILING_SOURCE, answerHex];
  const child = pin
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`ceiling responder exited ${code}`)));
  });
  if (child.pid === undefined) throw new Error('ceiling responder has no pid');
  return { port, pid: child.pid, stop: () => child.kill('SIGKILL') };
}

/** One real answer from the replica becomes the ceiling's precomputed answer (same size, same content). */
async function captureAnswer(port: number, name: string): Promise<string> {
  const query = aQueryBytes(name, 1);
  const socket = createSocket('udp4');
  try {
    const answer = await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from 127.0.0.1:${port}`)), 5000);
      socket.once('message', (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      socket.send(query, port, '127.0.0.1');
    });
    return answer.toString('hex');
  } finally {
    socket.close();
  }
}

/** Creates the zone and fills it with `records` A records, 256 per batch. */
async function loadZone(client: RaftClient, records: number): Promise<void> {
  const clock = new HybridClock('bench', () => Date.now());
  const created = await client.dnsBatch({
    changes: [
      {
        op: 'create-zone',
        zone: ZONE,
        soa: {
          mname: `ns1.${ZONE}`,
          rname: `admin.${ZONE}`,
          refresh: 3600,
          retry: 600,
          expire: 86400,
          minimum: 60,
          ttl: 3600,
        },
        ns: [`ns1.${ZONE}`],
        nsTtl: 3600,
      },
    ],
  });
  if (!created.ok) throw new Error(`create-zone: ${created.error.message}`);
  for (let first = 0; first < records; first += BATCH_CHANGES_MAX) {
    const changes: DnsChange[] = [];
    for (let i = first; i < Math.min(records, first + BATCH_CHANGES_MAX); i++) {
      changes.push({
        op: 'upsert',
        zone: ZONE,
        name: `host${i}.${ZONE}`,
        type: 'A',
        ttl: 300,
        rdata: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
        version: clock.next(),
      });
    }
    const result = await client.dnsBatch({ changes });
    if (!result.ok) throw new Error(`load batch at ${first}: ${result.error.message}`);
  }
}

function row(label: string, r: PerfResult, ceiling: number | undefined): string {
  const share =
    ceiling === undefined ? '' : `  ${((100 * r.qps) / ceiling).toFixed(0).padStart(3)}% of ceiling`;
  return `  ${label.padEnd(26)} ${r.qps.toFixed(0).padStart(7)} q/s  lost ${String(r.lost).padStart(5)}/${r.sent}  avg ${r.avgLatencyMs.toFixed(2)} ms  max ${r.maxLatencyMs.toFixed(1)} ms  ${r.cpuUsPerQuery.toFixed(1)} CPU µs/q${share}`;
}

async function main(): Promise<void> {
  requireDnsperf();
  const pin = canPin();
  const dir = await mkdtemp(join(tmpdir(), 'raftns-bench-dns-'));
  const cluster = await RaftCluster.start({
    replicas: 3,
    logLevel: 'warn',
    dnsListen: () => MODES.map((mode) => `127.0.0.1:0@${mode}`),
    extraArgs: () => ['--http', '127.0.0.1:0'],
    ...(pin ? { cpus: '0', natsCpus: '0' } : {}),
    ...(values.profile === undefined ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${values.profile}`] }),
  });
  let ceiling: { port: number; pid: number; stop(): void } | undefined;
  try {
    const leaderId = (await cluster.waitForLeader(20_000)).replica;
    const client = await cluster.client();
    const started = process.hrtime.bigint();
    await loadZone(client, RECORDS);
    const loadMs = Number(process.hrtime.bigint() - started) / 1e6;
    const queryFile = join(dir, 'queries.txt');
    await writeFile(
      queryFile,
      `${names(SEED, 100_000, RECORDS)
        .map((n) => `${n} A`)
        .join('\n')}\n`,
    );
    const leader = cluster.replica(leaderId);
    const pid = leader.pid;
    if (pid === undefined) throw new Error('the leader has no pid');
    const portOf = (mode: string) => {
      const listener = leader.dns.find((l) => l.mode === mode && l.family === 'IPv4');
      if (listener === undefined)
        throw new Error(`no ${mode} listener on ${leaderId}: ${JSON.stringify(leader.dns)}`);
      return listener.port;
    };
    ceiling = await startCeiling(await captureAnswer(portOf('lease'), `host1.${ZONE}`), pin);

    console.log('bench:dns');
    console.log(
      `  setup: 3-replica group, zone ${ZONE} with ${RECORDS} A records (loaded in ${loadMs.toFixed(0)} ms), queries against the leader ${leaderId}`,
    );
    console.log(
      `  cpus: ${cpus().length} x ${cpus()[0]?.model ?? '?'}; ${pin ? 'replicas, nats-server and the ceiling on cpu 0, dnsperf on cpu 1' : 'not pinned'}; ${SECONDS} s per run, ${OUTSTANDING} outstanding; seed ${SEED}`,
    );
    const ceilingResult = await dnsperf(ceiling.port, queryFile, ceiling.pid, pin);
    console.log(row('node ceiling (precomputed)', ceilingResult, undefined));
    console.log(JSON.stringify({ figure: 'dns', responder: 'node-ceiling', ...ceilingResult }));
    for (const mode of MODES) {
      const result = await dnsperf(portOf(mode), queryFile, pid, pin);
      console.log(row(`raftns ${mode}`, result, ceilingResult.qps));
      console.log(
        JSON.stringify({
          figure: 'dns',
          responder: `raftns ${mode}`,
          ...result,
          shareOfCeiling: Math.round((1000 * result.qps) / ceilingResult.qps) / 1000,
        }),
      );
    }
    if (METRICS_PAIRS > 0) await compareMetricsCost(leader, portOf('lease'), queryFile, pid, pin);
    if (LIGHT_QPS > 0) {
      const followerId = cluster.replicas.find((r) => r.id !== leaderId)?.id as string;
      const follower = cluster.replica(followerId);
      for (const mode of LIGHT_MODES) {
        for (const [role, replica] of [
          ['leader', leader],
          ['follower', follower],
        ] as const) {
          const listener = replica.dns.find((l) => l.mode === mode && l.family === 'IPv4');
          if (listener === undefined) throw new Error(`no ${mode} listener on ${replica.id}`);
          const queryNames = names(SEED + 1, 10_000, RECORDS);
          await lightLatency(listener.port, queryNames, LIGHT_WARMUP_SECONDS);
          const result = await lightLatency(listener.port, queryNames, LIGHT_SECONDS);
          console.log(
            `  light load ${LIGHT_QPS} q/s, ${mode.padEnd(12)} ${role.padEnd(8)} (${replica.id}): avg ${result.avgMs.toFixed(2)} ms  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  lost ${result.lost}/${result.sent}`,
          );
          console.log(
            JSON.stringify({
              figure: 'dns-light-latency',
              mode,
              role,
              replica: replica.id,
              qps: LIGHT_QPS,
              ...result,
            }),
          );
        }
      }
    }
    await client.close();
    // Profiles are written at a graceful exit only.
    if (values.profile !== undefined) for (const replica of cluster.replicas) await replica.kill('SIGTERM');
  } finally {
    ceiling?.stop();
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

interface LatencyResult {
  readonly sent: number;
  readonly lost: number;
  readonly avgMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/**
 * LIGHT_QPS queries/s for `seconds` on a paced schedule (each millisecond sends what is
 * due), each answer's round trip timed by its id; queries unanswered after LIGHT_TIMEOUT_MS
 * are lost.
 */
async function lightLatency(
  port: number,
  queryNames: readonly string[],
  seconds: number,
): Promise<LatencyResult> {
  const queries = queryNames.map((name) => aQueryBytes(name));
  const socket = createSocket('udp4');
  const sentAt = new Map<number, bigint>();
  const latencies: number[] = [];
  socket.on('message', (message) => {
    const at = process.hrtime.bigint();
    const id = message.readUInt16BE(0);
    const started = sentAt.get(id);
    if (started === undefined) return;
    sentAt.delete(id);
    latencies.push(Number(at - started) / 1e6);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const total = Math.round(LIGHT_QPS * seconds);
  const begin = process.hrtime.bigint();
  let sent = 0;
  let lost = 0;
  try {
    while (sent < total) {
      const elapsedMs = Number(process.hrtime.bigint() - begin) / 1e6;
      const due = Math.min(total, Math.floor((elapsedMs * LIGHT_QPS) / 1000) + 1);
      for (; sent < due; sent++) {
        const id = sent & 0xffff;
        // An id still waiting from 65,536 queries ago is lost.
        if (sentAt.delete(id)) lost++;
        const query = Buffer.from(queries[sent % queries.length] as Uint8Array);
        query.writeUInt16BE(id, 0);
        sentAt.set(id, process.hrtime.bigint());
        socket.send(query, port, '127.0.0.1');
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const deadline = Date.now() + LIGHT_TIMEOUT_MS;
    while (sentAt.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    lost += sentAt.size;
  } finally {
    socket.close();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const avgMs = sorted.reduce((sum, ms) => sum + ms, 0) / Math.max(1, sorted.length);
  return { sent, lost, avgMs, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
}

/** Lease-mode qps without and with a scraper, in pairs whose order alternates; medians and their difference. */
async function compareMetricsCost(
  leader: {
    readonly id: string;
    readonly http: { readonly host: string; readonly port: number } | undefined;
  },
  port: number,
  queryFile: string,
  pid: number,
  pin: boolean,
): Promise<void> {
  if (leader.http === undefined) throw new Error(`${leader.id} reported no HTTP listener`);
  const url = `http://${leader.http.host}:${leader.http.port}/metrics`;
  const off: number[] = [];
  const on: number[] = [];
  let scrapes = 0;
  const measureOn = async () => {
    const scraper = startScraper(url);
    on.push((await dnsperf(port, queryFile, pid, pin)).qps);
    scrapes += scraper.stop();
  };
  const measureOff = async () => {
    off.push((await dnsperf(port, queryFile, pid, pin)).qps);
  };
  // Each pair swaps which goes first, so a drift of the machine's load favours neither.
  for (let pair = 0; pair < METRICS_PAIRS; pair++) {
    if (pair % 2 === 0) {
      await measureOff();
      await measureOn();
    } else {
      await measureOn();
      await measureOff();
    }
  }
  const offMedian = median(off);
  const onMedian = median(on);
  const costPercent = (100 * (offMedian - onMedian)) / offMedian;
  console.log(
    `  metrics cost (lease): off ${offMedian.toFixed(0)} q/s, on ${onMedian.toFixed(0)} q/s (scraped every ${SCRAPE_INTERVAL_MS} ms, ${scrapes} scrapes): ${costPercent.toFixed(1)} % (medians of ${METRICS_PAIRS})`,
  );
  console.log(
    JSON.stringify({
      figure: 'dns-metrics-cost',
      off,
      on,
      offMedian,
      onMedian,
      costPercent: Math.round(10 * costPercent) / 10,
      scrapes,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
