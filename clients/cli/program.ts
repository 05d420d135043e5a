/**
 * `raftns`: the operator's command line for a group's replicated store, its DNS records and
 * the cluster's hierarchy. Every call has a deadline; every failure is
 * a clear message on stderr and a non-zero exit.
 *
 *   raftns [--nats URLS] [--nats-creds FILE] [--cluster C] write NAME TYPE TTL RDATA... | delete NAME [TYPE] | get NAME [TYPE]
 *   raftns resolve NAME [--type T] --root ADDR[:PORT] | init ... | cluster-status
 *   raftns dashboard [--listen host:port]
 *   raftns [--region R] [--group G] kv put KEY VALUE | kv get KEY [--mode M] | kv delete KEY
 *   raftns kv cas KEY REVISION VALUE | kv range PREFIX [--limit N]
 *   raftns status --replicas r1,r2,r3 [--json]
 *   raftns tsig add NAME [--algorithm A] --zone Z [--subtree N] [--type T] | tsig list | tsig remove NAME
 *   raftns zone export ZONE [--out FILE] | zone import ZONE FILE [--dry-run]
 *   raftns backup --out DIR [--zone Z] | restore DIR [--zone Z] [--dry-run]
 *   raftns api-key add NAME [--zones Z1,Z2] [--read-only] | api-key list | api-key remove NAME
 *
 * The program loads only the module of the command it runs (command-catalogue.ts), so
 * `--help` loads commander and nothing of NATS, the DNS code or the AWS SDK.
 */

import { RaftClientError } from '../errors.js';
import { nonNegativeInteger } from './cli-arguments.js';
import { COMMAND_CATALOGUE, commandNameOf, moduleOf } from './command-catalogue.js';
import { Command, CommanderError, Help } from './commander.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './exit-codes.js';

/**
 * Which commands' modules a program loads: `used`, the module of the command the command line
 * runs (the others are listed in the help from the catalogue), or `all` of them.
 */
export type CommandLoading =
  | { readonly kind: 'used'; readonly argv: readonly string[] }
  | { readonly kind: 'all' };

export async function buildProgram(loading: CommandLoading): Promise<Command> {
  // The commands listed from the catalogue, with what follows their name in the help.
  const listedOnly = new Map<Command, string>();
  const program = new Command('raftns')
    .description('raftns: a strongly consistent DNS service built on Raft')
    .option(
      '--nats <urls>',
      'NATS server URLs, comma-separated',
      process.env.RAFTNS_NATS_URLS ?? 'nats://127.0.0.1:4222',
    )
    .option(
      '--nats-creds <file>',
      'NATS credentials file (default: env RAFTNS_NATS_CREDS, else .raftns/nats/admin.creds if it exists)',
      process.env.RAFTNS_NATS_CREDS,
    )
    .option('--cluster <name>', 'cluster name', process.env.RAFTNS_CLUSTER ?? 'local')
    .option('--region <name>', 'region name', process.env.RAFTNS_REGION ?? 'local')
    .option('--group <name>', 'nameserver group', process.env.RAFTNS_GROUP ?? 'g1')
    .option('--timeout <ms>', 'deadline of the whole call, retries included', nonNegativeInteger, 10_000)
    .option('--json', 'print JSON', false)
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) })
    .configureHelp({
      subcommandTerm(command: Command): string {
        const usage = listedOnly.get(command);
        if (usage === undefined) return Help.prototype.subcommandTerm.call(this, command);
        return usage === '' ? command.name() : `${command.name()} ${usage}`;
      },
    });
  const used = loading.kind === 'used' ? moduleOf(commandNameOf(loading.argv)) : undefined;
  for (const module of COMMAND_CATALOGUE) {
    if (loading.kind === 'all' || module === used) {
      (await module.load())(program);
      continue;
    }
    for (const listed of module.commands) {
      const command = program
        .command(listed.name)
        .description(listed.description)
        .allowUnknownOption()
        .allowExcessArguments()
        .action(() => {
          throw new Error(`raftns ${listed.name}: its module was not loaded`);
        });
      listedOnly.set(command, listed.usage);
    }
  }
  return program;
}

export async function run(argv: readonly string[]): Promise<number> {
  try {
    await (await buildProgram({ kind: 'used', argv })).parseAsync([...argv], { from: 'user' });
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
