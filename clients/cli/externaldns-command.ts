/**
 * `raftns externaldns-webhook`: the ExternalDNS webhook provider (clients/externaldns/), run
 * as a sidecar of ExternalDNS (`--provider=webhook`, its default `--webhook-provider-url`
 * is http://localhost:8888).
 *
 *   raftns externaldns-webhook --api http://REPLICA:9153 [--listen 127.0.0.1:8888]
 *
 * The API key comes from `RAFTNS_API_KEY` or `--api-key-file` (never the command line, where
 * `ps` shows it). Runs until SIGTERM or SIGINT.
 */
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from './commander.js';

const LISTEN_DEFAULT = '127.0.0.1:8888';

function hostPort(text: string): { host: string; port: number } {
  const at = text.lastIndexOf(':');
  const host = text.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 0 || port > 65_535)
    throw new InvalidArgumentError(`expected host:port, got "${text}"`);
  return { host, port };
}

async function apiKeyOf(file: string | undefined): Promise<string> {
  const key = file === undefined ? process.env.RAFTNS_API_KEY : (await readFile(file, 'utf8')).trim();
  if (key === undefined || key === '')
    throw new InvalidArgumentError('no API key: set RAFTNS_API_KEY or --api-key-file (raftns api-key add)');
  return key;
}

/** Adds `externaldns-webhook` to the `raftns` program (clients/cli/program.ts). */
export function registerExternalDnsCommand(program: Command): void {
  program
    .command('externaldns-webhook')
    .description("serve ExternalDNS's webhook protocol, writing through a replica's HTTP API")
    .requiredOption('--api <url>', "a replica's HTTP listener, http://host:port")
    .option(
      '--listen <host:port>',
      'where ExternalDNS reaches the webhook (keep it on loopback)',
      LISTEN_DEFAULT,
    )
    .option('--api-key-file <path>', 'a file holding the API key (default: $RAFTNS_API_KEY)')
    .option('--log-level <level>', 'trace, debug, info, warn, error', 'info')
    .action(async (options: { api: string; listen: string; apiKeyFile?: string; logLevel: string }) => {
      const listen = hostPort(options.listen);
      const apiKey = await apiKeyOf(options.apiKeyFile);
      const [{ WebhookServer }, { createLogger }] = await Promise.all([
        import('../externaldns/webhook-server.js'),
        import('../../runtime/pino-logger.js'),
      ]);
      const log = createLogger({ level: options.logLevel, fields: { component: 'externaldns-webhook' } });
      const server = await WebhookServer.start(listen.host, listen.port, {
        apiUrl: options.api,
        apiKey,
        log,
      });
      const { host, port } = server.address;
      log.info({ listen: `${host}:${port}`, api: options.api }, 'ExternalDNS webhook listening');
      process.stderr.write(`raftns: ExternalDNS webhook on http://${host}:${port}\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGTERM', resolve);
        process.once('SIGINT', resolve);
      });
      await server.stop();
    });
}
