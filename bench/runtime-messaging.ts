/**
 * Cross-thread messaging: the actor runtime (two actors on worker threads, credits,
 * request/reply) next to a raw MessagePort between two workers, in the same run,
 * alternating rounds. Prints the setup, then one JSON line per figure.
 *
 *   npm run bench:runtime [-- --messages 200000 --pings 5000 --rounds 5]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { ActorSpec } from '../runtime/actor.js';
import { silentLogger } from '../runtime/log.js';
import { Replica } from '../runtime/replica.js';
import { DEFAULT_RESTART_POLICY } from '../runtime/supervisor/restart-policy.js';
import type { PingerMessage, ThroughputResult } from './actors/ping-pong.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    pings: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '5' },
    capacity: { type: 'string', default: '4096' },
  },
});
const messages = Number(values.messages);
const pings = Number(values.pings);
const rounds = Number(values.rounds);
const capacity = Number(values.capacity);

interface Measurement {
  readonly throughputPerSec: number;
  readonly rttP50Us: number;
  readonly rttP99Us: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function summarize(result: ThroughputResult, rttsMs: number[]): Measurement {
  const sorted = [...rttsMs].sort((a, b) => a - b);
  return {
    throughputPerSec: result.messages / (result.elapsedMs / 1000),
    rttP50Us: percentile(sorted, 50) * 1000,
    rttP99Us: percentile(sorted, 99) * 1000,
  };
}

async function measureRaw(): Promise<Measurement> {
  const { port1, port2 } = new MessageChannel();
  const url = new URL('./raw-port-worker.js', import.meta.url);
  const pinger = new Worker(url, { workerData: { role: 'pinger', peer: port1 }, transferList: [port1] });
  const ponger = new Worker(url, { workerData: { role: 'ponger', peer: port2 }, transferList: [port2] });
  const ask = <T>(command: { type: string; count: number }) =>
    new Promise<T>((resolve) => {
      pinger.once('message', resolve);
      pinger.postMessage(command);
    });
  try {
    const throughput = await ask<ThroughputResult>({ type: 'throughput', count: messages });
    const rtts = await ask<number[]>({ type: 'latency', count: pings });
    return summarize(throughput, rtts);
  } finally {
    await Promise.all([pinger.terminate(), ponger.terminate()]);
  }
}

async function measureRuntime(): Promise<Measurement> {
  const dataDir = await mkdtemp(join(tmpdir(), 'raftns-bench-'));
  const module = new URL('./actors/ping-pong.js', import.meta.url).href;
  const mailbox = { capacityPerSender: capacity, policy: 'reject' } as const;
  const specs: ActorSpec[] = [
    { name: 'ponger', module, exportName: 'createPonger', options: {}, mailbox },
    { name: 'pinger', module, exportName: 'createPinger', options: {}, mailbox },
  ];
  const replica = await Replica.start(
    {
      replicaId: 'bench',
      dataDir,
      logLevel: 'silent',
      logFields: {},
      log: silentLogger,
      restartPolicy: DEFAULT_RESTART_POLICY,
      controlTimeoutMs: 10_000,
      onEscalate: (reason) => {
        throw new Error(reason);
      },
    },
    specs,
  );
  try {
    const throughput = await replica.external.request(
      'pinger',
      { type: 'throughput', count: messages } as PingerMessage,
      { timeoutMs: 300_000 },
    );
    const rtts = await replica.external.request(
      'pinger',
      { type: 'latency', count: pings } as PingerMessage,
      {
        timeoutMs: 300_000,
      },
    );
    return summarize(throughput as ThroughputResult, rtts as number[]);
  } finally {
    await replica.stop(1_000);
    await rm(dataDir, { recursive: true, force: true });
  }
}

function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

const setup = {
  bench: 'runtime-messaging',
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  messages,
  pings,
  rounds,
  mailboxCapacityPerSender: capacity,
  note: 'alternating rounds, medians reported; raw = one postMessage per message on a MessageChannel between two workers',
};
console.log(`# ${JSON.stringify(setup)}`);
const results: Record<'raw' | 'runtime', Measurement[]> = { raw: [], runtime: [] };
for (let round = 0; round < rounds; round++) {
  for (const variant of round % 2 === 0 ? (['raw', 'runtime'] as const) : (['runtime', 'raw'] as const)) {
    const m = variant === 'raw' ? await measureRaw() : await measureRuntime();
    results[variant].push(m);
    console.log(`# round ${round} ${variant} ${JSON.stringify(m)}`);
  }
}
const figure = (variant: 'raw' | 'runtime') => ({
  throughputPerSec: Math.round(median(results[variant].map((m) => m.throughputPerSec))),
  rttP50Us: Math.round(median(results[variant].map((m) => m.rttP50Us))),
  rttP99Us: Math.round(median(results[variant].map((m) => m.rttP99Us))),
});
const raw = figure('raw');
const runtime = figure('runtime');
console.log(JSON.stringify({ figure: 'cross-thread-messaging', variant: 'raw-messageport', ...raw }));
console.log(JSON.stringify({ figure: 'cross-thread-messaging', variant: 'raftns-runtime', ...runtime }));
console.log(
  JSON.stringify({
    figure: 'runtime-cost-vs-raw',
    throughputCostPct: Math.round((raw.throughputPerSec / runtime.throughputPerSec - 1) * 1000) / 10,
    rttP50CostPct: Math.round((runtime.rttP50Us / raw.rttP50Us - 1) * 1000) / 10,
    budgetPct: 20,
  }),
);
