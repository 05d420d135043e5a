/**
 * `raftns dashboard`: the live status page (runtime/composition/status-page/) for the whole
 * cluster, served from anywhere that reaches its NATS: the same page, stream and gathering
 * as a replica's `--http` listener serves at `/`.
 *
 *   raftns [--nats URLS] [--cluster C] dashboard [--listen host:port]
 *
 * Prints `raftns dashboard: http://host:port/` once listening (port 0 picks a free one) and
 * serves until SIGINT or SIGTERM, then exits 0; a bad `--listen` exits 2 (usage), a
 * listener that cannot bind or a NATS that cannot be reached exits 1. Read-only: it needs no API key and holds none.
 */
import type { Command } from 'commander';
import { silentLogger } from '../../runtime/log.js';
import { usage } from './cli-arguments.js';
import { natsConnectOptions } from './nats-options.js';

export const DASHBOARD_LISTEN_DEFAULT = '127.0.0.1:9154';

interface GlobalOptions {
  readonly nats: string;
  readonly cluster: string;
}

export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve the live status page of the whole cluster (regions, groups, replicas, leaders)')
    .option('--listen <host:port>', 'where to serve it (port 0: a free one)', DASHBOARD_LISTEN_DEFAULT)
    .action((options: { listen: string }) => runDashboard(program.opts<GlobalOptions>(), options.listen));
}

async function runDashboard(globals: GlobalOptions, listenText: string): Promise<void> {
  const { parseHostPort } = await import('../../runtime/composition/config.js');
  const listen = parseHostPort(listenText);
  if (listen === undefined) return usage(`dashboard --listen ${listenText}: expected host:port`);
  const [
    { connectNats },
    { HttpListener },
    { StatusFeed },
    { clusterGather },
    { registerStatusPage },
    clock,
  ] = await Promise.all([
    import('../../runtime/nats/nats-connection.js'),
    import('../../runtime/composition/http/http-listener.js'),
    import('../../runtime/composition/status-page/status-feed.js'),
    import('../../runtime/composition/status-page/cluster-gather.js'),
    import('../../runtime/composition/status-page/status-page-routes.js'),
    import('../../runtime/clock.js'),
  ]);
  const nc = await connectNats({
    ...natsConnectOptions(globals),
    name: 'raftns-dashboard',
    log: silentLogger,
  });
  try {
    const listener = HttpListener.create(silentLogger);
    registerStatusPage(
      listener,
      new StatusFeed({
        cluster: globals.cluster,
        source: 'dashboard',
        gather: clusterGather(nc, globals.cluster, clock.monotonicClock),
        clock: clock.monotonicClock,
        log: silentLogger,
      }),
    );
    await listener.listen(listen.host, listen.port);
    const { host, port } = listener.address;
    process.stdout.write(`raftns dashboard: http://${host.includes(':') ? `[${host}]` : host}:${port}/\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await listener.stop();
  } finally {
    await nc.close();
  }
}
