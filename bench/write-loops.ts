/**
 * Closed-loop write load shared by the write benchmarks (bench:update, bench:api): loops
 * that each keep one write in flight, counting only a measured window after a warm-up, the
 * same writes through RaftClient.dnsBatch as the reference path, and the figures' helpers.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import { RaftClient } from '../clients/raft-client.js';
import { HybridClock } from '../protocol/dns/version.js';
import type { RaftCluster } from '../spec/fixtures/raft-cluster.js';

export interface LoopResult {
  readonly writes: number;
  readonly errors: number;
  readonly lost: number;
  readonly latenciesMs: number[];
}

/** One write by loop `worker`, its `n`th: resolves 'ok', 'error' (answered, not written) or 'lost'. */
export type WriteOnce = (worker: number, n: number) => Promise<'ok' | 'error' | 'lost'>;

export interface LoopWindow {
  readonly warmupMs: number;
  readonly measureMs: number;
}

const now = () => performance.now();

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function median(xs: readonly number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

export function emit(figure: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figure)}\n`);
}

/** Whether the run can pin processes to cores (taskset, two cores at least) unless told not to. */
export function canPin(noPin: boolean): boolean {
  if (noPin || cpus().length < 2) return false;
  return spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** `concurrency` closed loops of `write` for the warm-up and the measured window; only the window counts. */
export async function closedLoops(
  concurrency: number,
  window: LoopWindow,
  write: WriteOnce,
): Promise<LoopResult> {
  const measureFrom = now() + window.warmupMs;
  const stopAt = measureFrom + window.measureMs;
  const latenciesMs: number[] = [];
  let errors = 0;
  let lost = 0;
  const loop = async (worker: number) => {
    for (let n = 0; now() < stopAt; n++) {
      const begin = now();
      const outcome = await write(worker, n);
      if (begin < measureFrom) continue;
      if (outcome === 'ok') latenciesMs.push(now() - begin);
      else if (outcome === 'error') errors++;
      else lost++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, worker) => loop(worker)));
  return { writes: latenciesMs.length, errors, lost, latenciesMs };
}

export interface ClientLoopOptions {
  readonly cluster: RaftCluster;
  readonly connections: readonly NatsConnection[];
  readonly concurrency: number;
  readonly window: LoopWindow;
  readonly zone: string;
  readonly tag: string;
  readonly requestTimeoutMs: number;
  readonly deadlineMs: number;
}

/** The same one-TXT writes through RaftClient.dnsBatch, one client per loop over shared connections. */
export async function clientLoops(options: ClientLoopOptions): Promise<LoopResult> {
  const { cluster, connections, tag } = options;
  const clients = await Promise.all(
    Array.from({ length: options.concurrency }, (_, i) =>
      RaftClient.connect({
        nc: connections[i % connections.length] as NatsConnection,
        cluster: cluster.cluster,
        region: cluster.region,
        group: cluster.group,
        requestTimeoutMs: options.requestTimeoutMs,
        deadlineMs: options.deadlineMs,
      }),
    ),
  );
  const clock = new HybridClock(`bench-${tag}`, () => Date.now());
  try {
    return await closedLoops(options.concurrency, options.window, async (worker, n) => {
      try {
        const result = await (clients[worker] as RaftClient).dnsBatch({
          changes: [
            {
              op: 'upsert',
              zone: options.zone,
              name: `c${worker}`,
              type: 'TXT',
              ttl: 60,
              rdata: [`${tag}-${n}`],
              version: clock.next(),
            },
          ],
        });
        return result.ok ? 'ok' : 'error';
      } catch {
        return 'error';
      }
    });
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}
