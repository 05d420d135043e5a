/**
 * `raftns`: the operator's command line for a group's replicated store, its DNS records and
 * the cluster's hierarchy. Every call has a deadline; every failure is
 * a clear message on stderr and a non-zero exit.
 *
 *   raftns [--nats URLS] [--cluster C] write NAME TYPE TTL RDATA... | delete NAME [TYPE] | get NAME [TYPE]
 *   raftns resolve NAME [--type T] --root ADDR[:PORT] | init ... | cluster-status
 *   raftns dashboard [--listen host:port]
 *   raftns [--region R] [--group G] kv put KEY VALUE | kv get KEY [--mode M] | kv delete KEY
 *   raftns kv cas KEY REVISION VALUE | kv range PREFIX [--limit N]
 *   raftns status --replicas r1,r2,r3 [--json]
 *   raftns tsig add NAME [--algorithm A] --zone Z [--subtree N] [--type T] | tsig list | tsig remove NAME
 *   raftns zone export ZONE [--out FILE] | zone import ZONE FILE [--dry-run]
 *   raftns backup --out DIR [--zone Z] | restore DIR [--zone Z] [--dry-run]
 *   raftns api-key add NAME [--zones Z1,Z2] [--read-only] | api-key list | api-key remove NAME
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import type { ReplicaStatus } from '../../protocol/client-wire.js';
import type { ReadModeText } from '../../protocol/read-mode.js';
import { RaftClientError } from '../errors.js';
import type { RaftClient } from '../raft-client.js';
import { registerApiKeyCommand } from './api-key-command.js';
import { registerAwsCommand } from './aws-command.js';
import { registerBackupCommands } from './backup-commands.js';
import { readModeArgument } from './cli-arguments.js';
import { registerDashboardCommand } from './dashboard-command.js';
import { EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE } from './exit-codes.js';
import { registerExternalDnsCommand } from './externaldns-command.js';
import { registerInitCommand } from './init-command.js';
import { registerPlanCommands } from './plan-commands.js';
import { registerRecordCommands } from './record-commands.js';
import { registerResolveCommand } from './resolve-command.js';
import { registerStatusCommand, runClusterStatus } from './status-command.js';
import { registerTsigCommand } from './tsig-command.js';
import { registerZoneCommands } from './zone-commands.js';

interface GlobalOptions {
  readonly nats: string;
  readonly cluster: string;
  readonly region: string;
  readonly group: string;
  readonly timeout: number;
  readonly json: boolean;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`expected a non-negative integer, got "${value}"`);
  return n;
}

async function withClient<T>(options: GlobalOptions, use: (client: RaftClient) => Promise<T>): Promise<T> {
  const { RaftClient } = await import('../raft-client.js');
  const client = await RaftClient.connect({
    natsUrls: options.nats.split(',').map((url) => url.trim()),
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

export function buildProgram(): Command {
  const program = new Command('raftns')
    .description('raftns: a strongly consistent DNS service built on Raft')
    .option(
      '--nats <urls>',
      'NATS server URLs, comma-separated',
      process.env.RAFTNS_NATS_URLS ?? 'nats://127.0.0.1:4222',
    )
    .option('--cluster <name>', 'cluster name', process.env.RAFTNS_CLUSTER ?? 'local')
    .option('--region <name>', 'region name', process.env.RAFTNS_REGION ?? 'local')
    .option('--group <name>', 'nameserver group', process.env.RAFTNS_GROUP ?? 'g1')
    .option('--timeout <ms>', 'deadline of the whole call, retries included', positiveInteger, 10_000)
    .option('--json', 'print JSON', false)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  const globals = () => program.opts<GlobalOptions>();
  // The group's key-value store (the Raft layer under the DNS records), one group at a time.
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
      const result = await withClient(globals(), (c) => c.cas(key, positiveInteger(revision), value));
      print(globals(), result, result.kind === 'kv-written' ? `ok revision=${result.revision}` : 'mismatch');
      if (result.kind !== 'kv-written') process.exitCode = EXIT_FAILED;
    });
  kv.command('range <prefix>')
    .description('list keys with a prefix, in key order')
    .option('--limit <n>', 'at most this many', positiveInteger, 100)
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
  registerInitCommand(program);
  registerPlanCommands(program);
  registerRecordCommands(program);
  registerResolveCommand(program);
  registerStatusCommand(program);
  registerDashboardCommand(program);
  registerAwsCommand(program);
  registerTsigCommand(program);
  registerApiKeyCommand(program);
  registerExternalDnsCommand(program);
  registerZoneCommands(program);
  registerBackupCommands(program);
  return program;
}

export async function run(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const kind = error instanceof RaftClientError ? error.name : 'error';
    process.stderr.write(`raftns: ${kind}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILED;
  }
}
