/**
 * `raftns init`: writes the cluster plan into NATS KV (creating the cluster's buckets), once.
 *
 *   raftns [--nats URLS] [--cluster C] init --plan FILE.json
 *   raftns [--nats URLS] [--cluster C] init --example [--regions a,b] [--kv-replicas N]
 *
 * Prints the plan and `created`, or `unchanged` when the same plan is stored already.
 * Exits 1 with every validation error of an invalid plan, or every difference from the
 * stored plan: a plan cannot be changed by running init again.
 */
import { readFile } from 'node:fs/promises';
import { BootstrapError } from '../../bootstrap/errors.js';
import { silentLogger } from '../../runtime/log.js';
import { type Command, InvalidArgumentError } from './commander.js';
import { EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';
import { natsConnectOptions } from './nats-options.js';

interface InitOptions {
  readonly plan?: string;
  readonly example?: boolean;
  readonly regions?: string;
  readonly kvReplicas: number;
}

function replicaCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 5)
    throw new InvalidArgumentError(`expected an integer from 1 to 5, got "${value}"`);
  return n;
}

function fail(message: string, code = EXIT_FAILED): void {
  process.stderr.write(`raftns: ${message}\n`);
  process.exitCode = code;
}

/** Adds `init` to the `raftns` program (clients/cli/program.ts). */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('write the cluster plan into NATS KV (once; the same plan again is a no-op)')
    .option('--plan <file>', 'the plan, a JSON file')
    .option('--example', "the write-up's example plan (root, org, wikipedia.org; 3 replicas each)")
    .option('--regions <names>', 'regions of the example plan, comma-separated', 'local')
    .option('--kv-replicas <n>', 'JetStream replicas of the buckets (3 on a clustered NATS)', replicaCount, 1)
    .action(async (options: InitOptions) => {
      const globals = program.opts<{ nats: string; cluster: string }>();
      const clusterGiven = program.getOptionValueSource('cluster') !== 'default';
      if ((options.plan === undefined) === (options.example !== true)) {
        fail('init: give exactly one of --plan FILE or --example', EXIT_USAGE);
        return;
      }
      let plan: unknown;
      if (options.plan !== undefined) {
        try {
          plan = JSON.parse(await readFile(options.plan, 'utf8'));
        } catch (error) {
          fail(
            `init: cannot read the plan ${options.plan}: ${error instanceof Error ? error.message : String(error)}`,
          );
          return;
        }
      } else {
        const regions = (options.regions ?? 'local')
          .split(',')
          .map((r) => r.trim())
          .filter((r) => r !== '');
        const { examplePlan } = await import('../../protocol/plan.js');
        plan = examplePlan(globals.cluster, regions);
      }
      const planCluster =
        typeof plan === 'object' && plan !== null && 'cluster' in plan && typeof plan.cluster === 'string'
          ? plan.cluster
          : globals.cluster;
      if (clusterGiven && planCluster !== globals.cluster) {
        fail(`init: the plan is for cluster ${planCluster}, but --cluster says ${globals.cluster}`);
        return;
      }
      const [{ connectNats }, { createClusterBuckets }] = await Promise.all([
        import('../../runtime/nats/nats-connection.js'),
        import('../../bootstrap/cluster-buckets.js'),
      ]);
      const nc = await connectNats({
        ...natsConnectOptions(globals),
        name: 'raftns-cli/init',
        log: silentLogger,
      });
      try {
        // Every bucket, as durable as the plan: replicas may not create any (bootstrap/nats-roles.ts).
        const store = await createClusterBuckets(nc, planCluster, { replicas: options.kvReplicas });
        const { outcome, plan: stored } = await store.initPlan(plan);
        process.stdout.write(`${JSON.stringify(stored, null, 2)}\n${outcome}\n`);
      } catch (error) {
        if (!(error instanceof BootstrapError)) throw error;
        fail(`init: ${error.code}: ${error.message}`);
      } finally {
        await nc.close();
      }
    });
}
