/**
 * Every top-level `raftns` command, the module that defines it and what `raftns --help`
 * says of it. The CLI loads only the module of the command it runs (program.ts): loading all
 * of them, with the DNS wire code, the resolver and the clients behind them, doubled the time
 * `raftns --help` took. The help of the commands not loaded is drawn from here;
 * spec/clients/cli/cli-start.spec.ts checks that it reads exactly as the modules' own.
 */
import type { Command } from 'commander';

/** Adds a module's commands to the program. */
export type RegisterCommands = (program: Command) => void;

export interface CatalogueCommand {
  readonly name: string;
  /** What follows the name in the list of commands: `[options]`, then the arguments. */
  readonly usage: string;
  readonly description: string;
}

export interface CatalogueModule {
  /** In the order `raftns --help` lists them. */
  readonly commands: readonly CatalogueCommand[];
  readonly load: () => Promise<RegisterCommands>;
}

export const COMMAND_CATALOGUE: readonly CatalogueModule[] = [
  {
    commands: [
      { name: 'kv', usage: '', description: "a group's key-value store (--region and --group pick it)" },
      {
        name: 'status',
        usage: '[options]',
        description:
          "each replica's role, term, leader and applied index: of one group with --replicas, else of the whole cluster (cluster-status)",
      },
    ],
    load: async () => (await import('./group-commands.js')).registerGroupCommands,
  },
  {
    commands: [
      {
        name: 'init',
        usage: '[options]',
        description: 'write the cluster plan into NATS KV (once; the same plan again is a no-op)',
      },
    ],
    load: async () => (await import('./init-command.js')).registerInitCommand,
  },
  {
    commands: [
      { name: 'plan', usage: '', description: 'the cluster plan of a running cluster: show it, change it' },
    ],
    load: async () => (await import('./plan-commands.js')).registerPlanCommands,
  },
  {
    commands: [
      {
        name: 'write',
        usage: '[options] <name> <type> <ttl> <rdata...>',
        description: 'set the RRset NAME/TYPE to exactly these records, in every region',
      },
      {
        name: 'delete',
        usage: '[options] <name> [type]',
        description: 'delete the RRset NAME/TYPE, or every RRset at NAME, in every region',
      },
      {
        name: 'get',
        usage: '[options] <name> [type]',
        description: "the RRsets at NAME (of TYPE) with their versions, as one region's group holds them",
      },
    ],
    load: async () => (await import('./record-commands.js')).registerRecordCommands,
  },
  {
    commands: [
      {
        name: 'resolve',
        usage: '[options] <name>',
        description: 'resolve a name iteratively from root servers, step by step like dig +trace',
      },
    ],
    load: async () => (await import('./resolve-command.js')).registerResolveCommand,
  },
  {
    commands: [
      {
        name: 'cluster-status',
        usage: '[options]',
        description: 'every replica of every group in every region: role, term, leader, applied index, lag',
      },
    ],
    load: async () => (await import('./status-command.js')).registerStatusCommand,
  },
  {
    commands: [
      {
        name: 'dashboard',
        usage: '[options]',
        description: 'serve the live status page of the whole cluster (regions, groups, replicas, leaders)',
      },
    ],
    load: async () => (await import('./dashboard-command.js')).registerDashboardCommand,
  },
  {
    commands: [
      {
        name: 'aws',
        usage: '',
        description: 'the AWS front of the cluster: load balancers and Global Accelerators',
      },
    ],
    load: async () => (await import('./aws-command.js')).registerAwsCommand,
  },
  {
    commands: [
      { name: 'tsig', usage: '', description: "the cluster's TSIG keys for signed UPDATEs and queries" },
    ],
    load: async () => (await import('./tsig-command.js')).registerTsigCommand,
  },
  {
    commands: [{ name: 'api-key', usage: '', description: "the cluster's HTTP API keys (X-API-Key)" }],
    load: async () => (await import('./api-key-command.js')).registerApiKeyCommand,
  },
  {
    commands: [
      {
        name: 'externaldns-webhook',
        usage: '[options]',
        description: "serve ExternalDNS's webhook protocol, writing through a replica's HTTP API",
      },
    ],
    load: async () => (await import('./externaldns-command.js')).registerExternalDnsCommand,
  },
  {
    commands: [
      {
        name: 'zone',
        usage: '',
        description:
          'zones of the cluster (create, delete, list); whole zones as RFC 1035 master files; who may transfer them (allow-transfer); catalog zones',
      },
    ],
    load: async () => (await import('./zone-commands.js')).registerZoneCommands,
  },
  {
    commands: [
      {
        name: 'backup',
        usage: '[options]',
        description:
          'write every zone of every group, each group at one applied index, into a checksummed directory',
      },
      {
        name: 'restore',
        usage: '[options] <dir>',
        description: "check a backup whole, then replace each zone's content with it in every region",
      },
    ],
    load: async () => (await import('./backup-commands.js')).registerBackupCommands,
  },
];

/** The global options that take a value, so the word after them is not a command's name. */
const GLOBALS_WITH_VALUE = new Set([
  '--nats',
  '--nats-creds',
  '--cluster',
  '--region',
  '--group',
  '--timeout',
]);

/**
 * The top-level command a command line runs (for `help NAME`, NAME's), if any: the first word
 * that is neither a global option nor a global option's value.
 */
export function commandNameOf(argv: readonly string[]): string | undefined {
  let afterHelp = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? '';
    if (word === '--') return argv[i + 1];
    if (word.startsWith('-')) {
      if (GLOBALS_WITH_VALUE.has(word)) i++;
      continue;
    }
    if (word === 'help' && !afterHelp) {
      afterHelp = true;
      continue;
    }
    return word;
  }
  return undefined;
}

/** The catalogue's module that defines the command, if any. */
export function moduleOf(name: string | undefined): CatalogueModule | undefined {
  return COMMAND_CATALOGUE.find((module) => module.commands.some((command) => command.name === name));
}
