/**
 * How long the `raftns` CLI takes from exec to exit for `--help`, next to Node itself
 * starting and exiting (`node -e 0`, the floor any Node CLI pays). Runs each `--runs`
 * times, alternating, and prints one JSON line per command with the median and p90.
 *
 *   npm run bench:cli [-- --runs 20]
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' } } });
const runs = Number(values.runs);
const CLI = fileURLToPath(new URL('../clients/cli/raftns.js', import.meta.url));

const commands: ReadonlyArray<{ readonly name: string; readonly args: readonly string[] }> = [
  { name: 'node -e 0 (the floor)', args: ['-e', '0'] },
  { name: 'raftns --help', args: [CLI, '--help'] },
];

function timeOnce(args: readonly string[]): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited with ${result.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

console.log(
  `bench:cli — ${runs} runs per command, alternating; ${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
);
const samples = new Map(commands.map((c) => [c.name, [] as number[]]));
for (let i = 0; i < runs; i++) {
  for (const command of commands) samples.get(command.name)?.push(timeOnce(command.args));
}
for (const command of commands) {
  const sorted = [...(samples.get(command.name) ?? [])].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  const p90 = quantile(sorted, 0.9);
  console.log(`  ${command.name.padEnd(24)} median ${median.toFixed(0)} ms  p90 ${p90.toFixed(0)} ms`);
  console.log(
    JSON.stringify({
      figure: 'cli-start',
      command: command.name,
      medianMs: Math.round(median),
      p90Ms: Math.round(p90),
    }),
  );
}
