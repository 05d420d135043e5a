/**
 * `raftns tsig`: the cluster's TSIG keys (bootstrap/tsig-key-store.ts).
 *
 *   raftns tsig add NAME [--algorithm A] --zone Z [--zone Z2 ...] [--subtree NAME] [--type T ...]
 *   raftns tsig list
 *   raftns tsig remove NAME
 *
 * `add` draws a random secret as long as the algorithm's hash (RFC 8945 §6 advises at
 * least that) and prints the key in BIND's key-file format, which `nsupdate -k`, `dig -k`
 * and named read. That is the only time the secret is printed; `list` shows names,
 * algorithms and policies only.
 */

import { withFinalDot } from '../../protocol/dns/wire/name.js';
import { silentLogger } from '../../runtime/log.js';
import { type Command, InvalidArgumentError } from './commander.js';
import { EXIT_FAILED, EXIT_NOT_FOUND } from './exit-codes.js';
import { natsConnectOptions } from './nats-options.js';

interface AddOptions {
  readonly algorithm: string;
  readonly zone: readonly string[];
  readonly subtree?: string;
  readonly type?: readonly string[];
}

const collect = (value: string, previous: readonly string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

async function withStore<T>(
  program: Command,
  use: (store: import('../../bootstrap/tsig-key-store.js').TsigKeyStore) => Promise<T>,
): Promise<T> {
  const globals = program.opts<{ nats: string; cluster: string }>();
  const [{ connectNats }, { TsigKeyStore }] = await Promise.all([
    import('../../runtime/nats/nats-connection.js'),
    import('../../bootstrap/tsig-key-store.js'),
  ]);
  const nc = await connectNats({
    ...natsConnectOptions(globals),
    name: 'raftns-cli/tsig',
    log: silentLogger,
  });
  try {
    return await use(await TsigKeyStore.open(nc, globals.cluster));
  } finally {
    await nc.close();
  }
}

/** Adds `tsig` to the `raftns` program (clients/cli/program.ts). */
export function registerTsigCommand(program: Command): void {
  const tsig = program.command('tsig').description("the cluster's TSIG keys for signed UPDATEs and queries");
  tsig
    .command('add <name>')
    .description('create a key with a random secret and print it as a BIND key file (nsupdate -k)')
    .option(
      '--algorithm <alg>',
      'hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224, hmac-sha1 or hmac-md5',
      'hmac-sha256',
    )
    .option('--zone <zone>', 'a zone the key may update (repeat for several; at least one)', collect)
    .option('--subtree <name>', 'only names at or below this one')
    .option('--type <type>', 'only these RR types (repeat for several)', collect)
    .action(async (name: string, options: AddOptions) => {
      const [
        { parseTsigAlgorithm, fullMacOctets },
        { randomBytes },
        { renderKeyFile },
        { makeTsigKey },
        { Name },
      ] = await Promise.all([
        import('../../protocol/dns/tsig/algorithm.js'),
        import('node:crypto'),
        import('../../protocol/dns/tsig/key-file.js'),
        import('../../protocol/dns/tsig/key.js'),
        import('../../protocol/dns/wire/name.js'),
      ]);
      const algorithm = parseTsigAlgorithm(options.algorithm);
      if (algorithm === undefined) throw new InvalidArgumentError(`unknown algorithm ${options.algorithm}`);
      if (options.zone === undefined || options.zone.length === 0)
        throw new InvalidArgumentError('give at least one --zone');
      const secret = randomBytes(fullMacOctets(algorithm));
      const key = {
        name: withFinalDot(name),
        algorithm,
        secret: secret.toString('base64'),
        policy: {
          zones: options.zone.map(withFinalDot),
          ...(options.subtree === undefined ? {} : { subtree: withFinalDot(options.subtree) }),
          ...(options.type === undefined ? {} : { types: options.type.map((t) => t.toUpperCase()) }),
        },
      };
      const { TsigKeyExistsError } = await import('../../bootstrap/tsig-key-store.js');
      try {
        await withStore(program, (store) => store.add(key));
      } catch (error) {
        if (!(error instanceof TsigKeyExistsError || error instanceof RangeError)) throw error;
        process.stderr.write(`raftns: tsig add: ${error.message}\n`);
        process.exitCode = EXIT_FAILED;
        return;
      }
      process.stdout.write(renderKeyFile([makeTsigKey(Name.parse(key.name), secret, algorithm)]));
    });
  tsig
    .command('list')
    .description('names, algorithms and policies of the keys (never the secrets)')
    .action(async () => {
      const { describePolicy } = await import('../../protocol/dns/tsig/cluster-key.js');
      const keys = await withStore(program, (store) => store.list());
      const json = program.opts<{ json: boolean }>().json;
      const rows = keys.map((k) => ({ name: k.name, algorithm: k.algorithm, policy: k.policy }));
      process.stdout.write(
        json
          ? `${JSON.stringify(rows)}\n`
          : rows.map((r) => `${r.name}\t${r.algorithm}\t${describePolicy(r.policy)}\n`).join(''),
      );
    });
  tsig
    .command('remove <name>')
    .description('delete a key: replicas stop accepting it within a second')
    .action(async (name: string) => {
      const removed = await withStore(program, (store) => store.remove(withFinalDot(name)));
      if (!removed) {
        process.stderr.write(`raftns: tsig remove: no key named ${withFinalDot(name)}\n`);
        process.exitCode = EXIT_NOT_FOUND;
        return;
      }
      process.stdout.write(`removed ${withFinalDot(name)}\n`);
    });
}
