/**
 * Runs every benchmark with short settings, each under a wall-clock bound, and writes one
 * JSON summary of every figure they printed (their JSON lines), with the setup and the
 * commit. A benchmark that fails or overruns is recorded as such; the others still run.
 *
 *   npm run bench:all [-- --out .raftns/bench-all.json]
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { out: { type: 'string', default: '.raftns/bench-all.json' } } });

interface BenchRun {
  readonly name: string;
  readonly script: string;
  readonly args: readonly string[];
  /** Wall-clock bound: the run is killed past it. */
  readonly timeoutS: number;
}

const BENCHES: readonly BenchRun[] = [
  { name: 'cli', script: 'cli-start.js', args: ['--runs', '15'], timeoutS: 120 },
  { name: 'runtime', script: 'runtime-messaging.js', args: [], timeoutS: 180 },
  { name: 'raft', script: 'raft.js', args: ['--duration', '3', '--runs', '3'], timeoutS: 420 },
  { name: 'dns', script: 'dns.js', args: ['--seconds', '4'], timeoutS: 300 },
  { name: 'answer', script: 'dns-answer.js', args: ['--queries', '100000'], timeoutS: 180 },
  { name: 'zones', script: 'zone-files.js', args: ['--records', '100000', '--runs', '2'], timeoutS: 900 },
  { name: 'update', script: 'dns-update.js', args: ['--seconds', '2', '--rounds', '1'], timeoutS: 180 },
  { name: 'api', script: 'http-api.js', args: ['--seconds', '2', '--rounds', '1'], timeoutS: 180 },
  {
    name: 'axfr',
    script: 'zone-transfer.js',
    args: ['--records', '20000', '--runs', '1', '--writes', '20'],
    timeoutS: 300,
  },
  { name: 'restart', script: 'planned-restart.js', args: ['--rounds', '1'], timeoutS: 300 },
];

interface BenchOutcome {
  readonly name: string;
  readonly status: 'ok' | 'failed' | 'timed-out';
  readonly exitCode: number | null;
  readonly seconds: number;
  readonly figures: unknown[];
  readonly stderrTail: string;
}

function run(bench: BenchRun): Promise<BenchOutcome> {
  const script = fileURLToPath(new URL(`./${bench.script}`, import.meta.url));
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...bench.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4_000);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    }, bench.timeoutS * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const figures = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .flatMap((line) => {
          try {
            return [JSON.parse(line) as unknown];
          } catch {
            return [];
          }
        });
      resolve({
        name: bench.name,
        status: timedOut ? 'timed-out' : code === 0 ? 'ok' : 'failed',
        exitCode: code,
        seconds: Math.round((Date.now() - started) / 100) / 10,
        figures,
        stderrTail: code === 0 ? '' : stderr,
      });
    });
  });
}

const outcomes: BenchOutcome[] = [];
for (const bench of BENCHES) {
  console.log(`bench:all — ${bench.name} (bound ${bench.timeoutS} s)`);
  outcomes.push(await run(bench));
}
const commit = await new Promise<string>((resolve) => {
  const git = spawn('git', ['rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  git.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  git.on('close', () => resolve(out.trim() || 'unknown'));
  git.on('error', () => resolve('unknown'));
});
const summary = {
  commit,
  when: new Date().toISOString(),
  machine: {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? '?',
    memoryBytes: totalmem(),
    node: process.version,
  },
  benches: outcomes,
};
await mkdir(dirname(values.out), { recursive: true });
await writeFile(values.out, `${JSON.stringify(summary, null, 2)}\n`);
console.log(
  `bench:all — ${outcomes.map((o) => `${o.name} ${o.status} (${o.seconds} s)`).join(', ')}; summary in ${values.out}`,
);
if (outcomes.some((o) => o.status !== 'ok')) process.exitCode = 1;
