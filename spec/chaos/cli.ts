/**
 * Runs one chaos run against real processes (runner.ts).
 *
 *   npm run chaos -- --seconds 60 --seed 42 --replicas 5 --nats 3
 *   npm run chaos -- --seconds 30 --faults kill-leader,stop-follower
 *
 * Without --seed a fresh one is drawn (and printed first). Exits 1 when the run found a
 * violation, 2 when it could not run (usage, setup). Interrupted (Ctrl-C), it exits through the fixtures' exit
 * hook, which kills every process the run started.
 */
import { randomInt } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { runChaos, SECONDS_MAX } from './runner.js';
import { ALL_FAULT_LABELS, type FaultLabel } from './schedule.js';

const SEED_MAX = 0xffff_ffff;

interface CliOptions {
  readonly seconds: number;
  readonly seed?: number;
  readonly replicas: 3 | 5;
  readonly nats: 1 | 3;
  readonly faults?: readonly FaultLabel[];
  readonly clients?: number;
}

function integer(min: number, max: number) {
  return (text: string): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    }
    return value;
  };
}

function oneOf<T extends number>(allowed: readonly T[]) {
  return (text: string): T => {
    const value = allowed.find((a) => String(a) === text);
    if (value === undefined) throw new InvalidArgumentError(`expected one of ${allowed.join(', ')}`);
    return value;
  };
}

function faultLabels(text: string): FaultLabel[] {
  const labels = text.split(',').map((part) => part.trim());
  for (const label of labels) {
    if (!ALL_FAULT_LABELS.includes(label as FaultLabel)) {
      throw new InvalidArgumentError(`unknown fault ${label}; known: ${ALL_FAULT_LABELS.join(', ')}`);
    }
  }
  return labels as FaultLabel[];
}

async function main(): Promise<number> {
  const options = new Command()
    .name('chaos')
    .description('a chaos run of real raftns replica processes and nats-servers, checked at the end')
    .option('--seconds <s>', 'how long faults are applied under load', integer(1, SECONDS_MAX), 30)
    .option(
      '--seed <n>',
      'the seed of the fault schedule and the load (default: a fresh one)',
      integer(0, SEED_MAX),
    )
    .option('--replicas <n>', 'replicas in the group: 3 or 5', oneOf([3, 5] as const), 3)
    .option('--nats <n>', 'NATS servers: 1, or a 3-server cluster', oneOf([1, 3] as const), 1)
    .option(
      '--faults <kinds>',
      `comma-separated fault kinds (default all: ${ALL_FAULT_LABELS.join(',')})`,
      faultLabels,
    )
    .option('--clients <n>', 'clients on the shared keys', integer(1, 32))
    .parse()
    .opts<CliOptions>();
  const seed = options.seed ?? randomInt(SEED_MAX);
  const report = await runChaos({
    seed,
    seconds: options.seconds,
    replicas: options.replicas,
    natsServers: options.nats,
    ...(options.faults === undefined ? {} : { labels: options.faults }),
    ...(options.clients === undefined ? {} : { clients: options.clients }),
  });
  return report.violations.length === 0 ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // process.exit runs the fixtures' exit hook; dying of the signal would not.
  process.once(signal, () => process.exit(130));
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(2);
  },
);
