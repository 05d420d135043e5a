/**
 * `raftns api-key`: the cluster's HTTP API keys (bootstrap/api-key-store.ts).
 *
 *   raftns api-key add NAME [--zones Z1,Z2] [--read-only] [--rate N]
 *   raftns api-key list
 *   raftns api-key remove NAME
 *
 * `add` draws a 256-bit random secret, stores only its SHA-256, and prints the secret on
 * stdout: the only time it is shown (give it to clients as the `X-API-Key` header).
 */
import type { Command } from 'commander';
import { silentLogger } from '../../runtime/log.js';
import { EXIT_FAILED, EXIT_NOT_FOUND } from './exit-codes.js';
import { natsConnectOptions } from './nats-options.js';

async function withStore<T>(
  program: Command,
  use: (store: import('../../bootstrap/api-key-store.js').ApiKeyStore) => Promise<T>,
): Promise<T> {
  const globals = program.opts<{ nats: string; cluster: string }>();
  const [{ connectNats }, { ApiKeyStore }] = await Promise.all([
    import('../../runtime/nats/nats-connection.js'),
    import('../../bootstrap/api-key-store.js'),
  ]);
  const nc = await connectNats({
    ...natsConnectOptions(globals),
    name: 'raftns-cli/api-key',
    log: silentLogger,
  });
  try {
    return await use(await ApiKeyStore.open(nc, globals.cluster));
  } finally {
    await nc.close();
  }
}

/** Adds `api-key` to the `raftns` program (clients/cli/program.ts). */
export function registerApiKeyCommand(program: Command): void {
  const apiKey = program.command('api-key').description("the cluster's HTTP API keys (X-API-Key)");
  apiKey
    .command('add <name>')
    .description('create a key and print its secret (shown this once)')
    .option('--zones <zones>', 'only these zones, comma-separated (default: every zone)')
    .option('--read-only', 'reads only: writes are refused with 403')
    .option(
      '--rate <n>',
      'requests per second at each replica (bursts of twice as many; default 100), beyond: 429',
    )
    .action(async (name: string, options: { zones?: string; readOnly?: boolean; rate?: string }) => {
      const [{ newApiKey }, { ApiKeyExistsError }] = await Promise.all([
        import('../../protocol/http/api-key.js'),
        import('../../bootstrap/api-key-store.js'),
      ]);
      const zones = options.zones
        ?.split(',')
        .map((z) => z.trim())
        .filter((z) => z.length > 0);
      let key: ReturnType<typeof newApiKey>;
      try {
        key = newApiKey(
          name,
          {
            ...(zones === undefined ? {} : { zones }),
            readOnly: options.readOnly === true,
            ...(options.rate === undefined ? {} : { ratePerS: Number(options.rate) }),
          },
          new Date(),
        );
        await withStore(program, (store) => store.add(key.record));
      } catch (error) {
        if (!(error instanceof ApiKeyExistsError || error instanceof RangeError)) throw error;
        process.stderr.write(`raftns: api-key add: ${error.message}\n`);
        process.exitCode = EXIT_FAILED;
        return;
      }
      process.stdout.write(`${key.secret}\n`);
    });
  apiKey
    .command('list')
    .description('names and scopes of the keys (never secrets)')
    .action(async () => {
      const keys = await withStore(program, (store) => store.list());
      const rows = keys.map((k) => ({
        name: k.name,
        zones: k.zones ?? null,
        readOnly: k.readOnly,
        ratePerS: k.ratePerS ?? null,
        created: k.created,
      }));
      process.stdout.write(
        program.opts<{ json: boolean }>().json
          ? `${JSON.stringify(rows)}\n`
          : rows
              .map(
                (r) =>
                  `${r.name}\t${r.readOnly ? 'read-only' : 'read-write'}\t${r.zones?.join(',') ?? 'all zones'}\t${r.created}\n`,
              )
              .join(''),
      );
    });
  apiKey
    .command('remove <name>')
    .description('delete a key: replicas refuse it within a second')
    .action(async (name: string) => {
      const removed = await withStore(program, (store) => store.remove(name));
      if (!removed) {
        process.stderr.write(`raftns: api-key remove: no key named ${name}\n`);
        process.exitCode = EXIT_NOT_FOUND;
        return;
      }
      process.stdout.write(`removed ${name}\n`);
    });
}
