/**
 * `raftns kv ...` and `raftns status --replicas`: one group's key-value store (the Raft layer
 * under the DNS records) and its replicas' own view, through a RaftClient of the group that
 * `--region` and `--group` pick. `status` without `--replicas` is `cluster-status`
 * (status-command.ts).
 *
 *   raftns [--region R] [--group G] kv put KEY VALUE | kv get KEY [--mode M] | kv delete KEY
 *   raftns kv cas KEY REVISION VALUE | kv range PREFIX [--limit N]
 *   raftns status --replicas r1,r2,r3 [--json]
 */
import type { Command } from 'commander';
import type { ReplicaStatus } from '../../protocol/client-wire.js';
import type { ReadModeText } from '../../protocol/read-mode.js';
import type { RaftClient } from '../raft-client.js';
import { nonNegativeInteger, readModeArgument } from './cli-arguments.js';
import { EXIT_FAILED, EXIT_NOT_FOUND } from './exit-codes.js';
import { raftClientNatsOptions } from './nats-options.js';

interface GlobalOptions {
  readonly nats: string;
  readonly natsCreds?: string;
  readonly cluster: string;
  readonly region: string;
  readonly group: string;
  readonly timeout: number;
  readonly json: boolean;
}

async function withClient<T>(options: GlobalOptions, use: (client: RaftClient) => Promise<T>): Promise<T> {
  const { RaftClient } = await import('../raft-client.js');
  const client = await RaftClient.connect({
    ...raftClientNatsOptions(options),
    cluster: options.cluster,
    region: options.region,
    group: options.group,
    deadlineMs: options.timeout,
    name: 'raftns-cli',
  });
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

function print(options: GlobalOptions, value: unknown, text: string): void {
  process.stdout.write(`${options.json ? JSON.stringify(value) : text}\n`);
}

function statusTable(rows: readonly (ReplicaStatus | { replica: string; error: string })[]): string {
  const lines = ['replica  role       term  leader   applied  keys  sessions'];
  for (const row of rows) {
    if ('error' in row) {
      lines.push(`${row.replica.padEnd(8)} unreachable (${row.error})`);
      continue;
    }
    lines.push(
      `${row.replica.padEnd(8)} ${row.role.padEnd(10)} ${String(row.term).padEnd(5)} ${String(row.leaderId ?? '-').padEnd(8)} ${String(row.appliedIndex).padEnd(8)} ${String(row.keys).padEnd(5)} ${row.sessions}`,
    );
  }
  return lines.join('\n');
}

/** Adds `kv` and `status` to the program. */
export function registerGroupCommands(program: Command): void {
  const globals = () => program.opts<GlobalOptions>();
  const kv = program.command('kv').description("a group's key-value store (--region and --group pick it)");

  kv.command('put <key> <value>')
    .description('write a value (exactly once, retried until the deadline)')
    .action(async (key: string, value: string) => {
      const outcome = await withClient(globals(), (c) => c.put(key, value));
      print(globals(), outcome, `ok revision=${outcome.revision}`);
    });
  kv.command('get <key>')
    .description('read a value')
    .option('--mode <mode>', 'linearizable, lease or bounded:<ms>', readModeArgument, 'linearizable')
    .action(async (key: string, options: { mode: ReadModeText }) => {
      const entry = await withClient(globals(), (c) => c.get(key, { mode: options.mode }));
      if (entry === null) {
        process.stderr.write(`raftns: ${key}: not found\n`);
        process.exitCode = EXIT_NOT_FOUND;
        return;
      }
      print(globals(), entry, entry.value);
    });
  kv.command('delete <key>')
    .description('delete a key')
    .action(async (key: string) => {
      const outcome = await withClient(globals(), (c) => c.delete(key));
      print(globals(), outcome, `ok revision=${outcome.revision}`);
    });
  kv.command('cas <key> <revision> <value>')
    .description('write only if the key is at this revision (0: only if absent)')
    .action(async (key: string, revision: string, value: string) => {
      const result = await withClient(globals(), (c) => c.cas(key, nonNegativeInteger(revision), value));
      print(globals(), result, result.kind === 'kv-written' ? `ok revision=${result.revision}` : 'mismatch');
      if (result.kind !== 'kv-written') process.exitCode = EXIT_FAILED;
    });
  kv.command('range <prefix>')
    .description('list keys with a prefix, in key order')
    .option('--limit <n>', 'at most this many', nonNegativeInteger, 100)
    .action(async (prefix: string, options: { limit: number }) => {
      const page = await withClient(globals(), (c) => c.range(prefix, { limit: options.limit }));
      print(globals(), page, page.entries.map((e) => `${e.key}\t${e.value}\t${e.revision}`).join('\n'));
    });
  program
    .command('status')
    .description(
      "each replica's role, term, leader and applied index: of one group with --replicas, else of the whole cluster (cluster-status)",
    )
    .option('--replicas <ids>', 'replica ids of one group (--region, --group), comma-separated')
    .option('--regions <list>', 'without --replicas: only these regions, comma-separated')
    .action(async (options: { replicas?: string; regions?: string }) => {
      if (options.replicas === undefined) {
        const { runClusterStatus } = await import('./status-command.js');
        await runClusterStatus(program, options.regions === undefined ? {} : { regions: options.regions });
        return;
      }
      const ids = options.replicas.split(',').map((id) => id.trim());
      const rows = await withClient(globals(), (c) =>
        Promise.all(
          ids.map((id) =>
            c.status(id, { deadlineMs: Math.min(globals().timeout, 2_000) }).catch((error: unknown) => ({
              replica: id,
              error: error instanceof Error ? error.message : String(error),
            })),
          ),
        ),
      );
      print(globals(), rows, statusTable(rows));
      if (rows.some((row) => 'error' in row)) process.exitCode = EXIT_FAILED;
    });
}
