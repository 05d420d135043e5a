/**
 * `npm run bench:flood`: a spoofed-source UDP flood from one prefix against one replica,
 * with response rate limiting on (the defaults) and off. dnsperf sends from 127.0.0.2
 * (`-a`), as many queries as `--outstanding` allows, for `--seconds`; each query asks for a
 * ~900-octet TXT RRset with EDNS (an attacker picks large answers). Meanwhile a legitimate
 * client on 127.0.1.3 (another /24) asks for the same RRset 10 times a second.
 *
 * Figures per setting (median of `--runs`): the legitimate client's answer ratio, and the
 * amplification toward the flooded prefix: bytes out / bytes in, from dnsperf's counts
 * (queries sent × average request size, queries completed × average response size).
 * The replica and nats-server run under `taskset -c 0`, dnsperf under `taskset -c 1`.
 * Skips (exit 0) with a message when dnsperf is not installed. Not run in CI.
 *
 * Options: --seconds S (5), --outstanding N (500), --runs N (3), --no-pin.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { DEFAULT_RATE_LIMIT } from '../actors/dns/server/response-rate-limit.js';
import type { DnsChange } from '../protocol/dns/changes.js';
import { HybridClock } from '../protocol/dns/version.js';
import { RR_TYPE } from '../protocol/dns/wire/codes.js';
import { steadyClient } from '../spec/fixtures/dns-clients.js';
import { createZoneChange } from '../spec/fixtures/dns-zone.js';
import { RaftCluster } from '../spec/fixtures/raft-cluster.js';

const execFileAsync = promisify(execFile);
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    outstanding: { type: 'string', default: '500' },
    runs: { type: 'string', default: '3' },
    'no-pin': { type: 'boolean', default: false },
  },
});
const SECONDS = Math.min(60, Math.max(1, Number(values.seconds)));
const OUTSTANDING = Math.min(10_000, Math.max(1, Number(values.outstanding)));
const RUNS = Math.min(9, Math.max(1, Number(values.runs)));
const ZONE = 'flood.example.';
const NAME = `big.${ZONE}`;
const FLOODER = '127.0.0.2';
const LEGITIMATE = '127.0.1.3';

interface FloodRun {
  readonly sent: number;
  readonly completed: number;
  readonly amplification: number;
  readonly legitimateRatio: number;
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function dnsperfFlood(port: number, queryFile: string, pin: boolean) {
  const args = ['-a', FLOODER, '-s', '127.0.0.1', '-p', String(port), '-d', queryFile, '-e'];
  args.push('-l', String(SECONDS), '-q', String(OUTSTANDING), '-t', '1');
  const { stdout } = await execFileAsync(
    pin ? 'taskset' : 'dnsperf',
    pin ? ['-c', '1', 'dnsperf', ...args] : args,
    {
      timeout: (SECONDS + 30) * 1000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const number = (re: RegExp): number => {
    const match = re.exec(stdout);
    if (match === null) throw new Error(`dnsperf output lacks ${re}:\n${stdout}`);
    return Number(match[1]);
  };
  return {
    sent: number(/Queries sent:\s+(\d+)/),
    completed: number(/Queries completed:\s+(\d+)/),
    requestBytes: number(/Average packet size:\s+request (\d+)/),
    responseBytes: number(/Average packet size:\s+request \d+, response (\d+)/),
  };
}

async function floodRuns(rate: number, pin: boolean, queryFile: string): Promise<FloodRun[]> {
  const cluster = await RaftCluster.start({
    replicas: 1,
    logLevel: 'warn',
    rrlResponsesPerSecond: rate,
    ...(pin ? { cpus: '0', natsCpus: '0' } : {}),
  });
  try {
    await cluster.waitForLeader(20_000);
    const client = await cluster.client();
    const clock = new HybridClock('bench-flood', () => Date.now());
    const big: DnsChange = {
      op: 'upsert',
      zone: ZONE,
      name: NAME,
      type: 'TXT',
      ttl: 300,
      rdata: Array.from({ length: 10 }, (_, i) => `"${'x'.repeat(80)}${i}"`),
      version: clock.next(),
    };
    for (const changes of [[createZoneChange(ZONE, 1)], [big]]) {
      const result = await client.dnsBatch({ changes });
      if (!result.ok) throw new Error(`write failed: ${result.error.message}`);
    }
    await client.close();
    const listener = cluster.replicas[0]?.dns.find((l) => l.family === 'IPv4');
    if (listener === undefined) throw new Error('the replica has no IPv4 listener');
    const runs: FloodRun[] = [];
    for (let run = 0; run < RUNS; run++) {
      const [flood, legitimate] = await Promise.all([
        dnsperfFlood(listener.port, queryFile, pin),
        steadyClient(listener, {
          from: LEGITIMATE,
          name: NAME,
          type: RR_TYPE.TXT,
          everyMs: 100,
          durationMs: SECONDS * 1000,
          answerTimeoutMs: 2_000,
        }),
      ]);
      runs.push({
        sent: flood.sent,
        completed: flood.completed,
        amplification: (flood.completed * flood.responseBytes) / (flood.sent * flood.requestBytes),
        legitimateRatio: legitimate.answered / Math.max(1, legitimate.asked),
      });
    }
    return runs;
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  if (spawnSync('dnsperf', ['-h']).error !== undefined) {
    console.log('bench:flood skipped: dnsperf is not installed (apt-get install -y dnsperf)');
    return;
  }
  const pin =
    !values['no-pin'] && cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  const dir = await mkdtemp(join(tmpdir(), 'raftns-bench-flood-'));
  try {
    const queryFile = join(dir, 'queries.txt');
    await writeFile(queryFile, `${NAME} TXT\n`);
    console.log('bench:flood');
    console.log(
      `  dnsperf from ${FLOODER} (${OUTSTANDING} outstanding, ${SECONDS} s, EDNS, ${NAME} TXT); a client on ${LEGITIMATE} at 10 q/s; ` +
        `${pin ? 'replica and nats on cpu 0, dnsperf on cpu 1' : 'not pinned'}; median of ${RUNS}`,
    );
    for (const rate of [DEFAULT_RATE_LIMIT.responsesPerSecond, 0]) {
      const runs = await floodRuns(rate, pin, queryFile);
      const label = rate === 0 ? 'rrl off' : `rrl ${rate}/s, slip ${DEFAULT_RATE_LIMIT.slip}`;
      console.log(
        `  ${label.padEnd(18)} flood sent ${median(runs.map((r) => r.sent))}, answered ${median(runs.map((r) => r.completed))}; ` +
          `amplification ${median(runs.map((r) => r.amplification)).toFixed(3)}; ` +
          `legitimate answers ${(100 * median(runs.map((r) => r.legitimateRatio))).toFixed(1)} %`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
process.exit(0);
