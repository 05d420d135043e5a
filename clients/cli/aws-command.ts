/**
 * `raftns aws provision | status | teardown`: the AWS front of a cluster (docs/AWS.md).
 * Per region and group a network load balancer forwarding port 53 to a target group the
 * group's leader registers in; per group a Global Accelerator with one endpoint group per
 * region. Plan regions are raftns region names; where each lives in AWS is an option:
 *
 *   raftns [--nats URLS] [--cluster C] [--timeout MS] [--json] aws provision \
 *     [--aws-region us-east=us-east-1,eu-west=eu-west-1] --subnets 'us-east=subnet-a,subnet-b;eu-west=subnet-c'
 *   raftns aws status [--aws-region …]      exit 1 if something is missing or drifted, no replica serves, or writes route to 0 or 2+
 *   raftns aws teardown [--aws-region …]    removes only what is tagged raftns:managed=true for the cluster
 *
 * `--timeout` is the deadline of each AWS request (the SDK retries within `--max-attempts`).
 * `--endpoint` (or RAFTNS_AWS_ENDPOINT) sends every AWS call to one URL (tests).
 */
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { PlanStore } from '../../bootstrap/plan-store.js';
import { silentLogger } from '../../runtime/log.js';
import type { AwsClients } from '../aws/aws-clients.js';
import {
  type AwsSettings,
  AwsSettingsError,
  awsSettings,
  parseRegionMap,
  parseSubnets,
} from '../aws/aws-settings.js';
import { type Command, InvalidArgumentError } from './commander.js';
import { EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';
import { natsConnectOptions } from './nats-options.js';

interface GlobalOptions {
  readonly nats: string;
  readonly cluster: string;
  readonly timeout: number;
  readonly json: boolean;
}

interface AwsOptions {
  readonly awsRegion?: string;
  readonly subnets?: string;
  readonly endpoint?: string;
  readonly maxAttempts: number;
  readonly retryMode: 'standard' | 'adaptive';
}

function attempts(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 20)
    throw new InvalidArgumentError(`expected 1 to 20, got "${value}"`);
  return n;
}

function retryMode(value: string): 'standard' | 'adaptive' {
  if (value === 'standard' || value === 'adaptive') return value;
  throw new InvalidArgumentError('expected standard or adaptive');
}

function awsOptions(command: Command): Command {
  return command
    .option(
      '--aws-region <map>',
      'AWS region of each plan region, e.g. us-east=us-east-1,eu-west=eu-west-1 (default: the same name)',
    )
    .option('--endpoint <url>', 'send every AWS call to this URL (default: RAFTNS_AWS_ENDPOINT, else AWS)')
    .option('--max-attempts <n>', 'attempts per AWS call, the first included', attempts, 6)
    .option(
      '--retry-mode <mode>',
      'standard or adaptive (client-side rate limiting too)',
      retryMode,
      'standard',
    );
}

interface Session {
  readonly nc: NatsConnection;
  readonly store: PlanStore;
  readonly clients: AwsClients;
}

/**
 * Connects to NATS and builds the AWS clients for one command. The AWS SDK and NATS load
 * here, not at start-up: only `raftns aws` needs the SDK.
 */
async function withSession<T>(g: GlobalOptions, o: AwsOptions, use: (s: Session) => Promise<T>): Promise<T> {
  const [{ connectNats }, { AwsClients }, { PlanStore }] = await Promise.all([
    import('../../runtime/nats/nats-connection.js'),
    import('../aws/aws-clients.js'),
    import('../../bootstrap/plan-store.js'),
  ]);
  const nc = await connectNats({
    ...natsConnectOptions(g),
    name: 'raftns-cli/aws',
    log: silentLogger,
  });
  const clients = new AwsClients({
    ...(o.endpoint === undefined ? {} : { endpoint: o.endpoint }),
    maxAttempts: o.maxAttempts,
    retryMode: o.retryMode,
    requestTimeoutMs: g.timeout,
  });
  try {
    return await use({ nc, store: await PlanStore.open(nc, g.cluster), clients });
  } finally {
    clients.destroy();
    await nc.close();
  }
}

function settingsOrFail(
  regions: readonly string[],
  o: AwsOptions,
  subnetsRequired: boolean,
): AwsSettings | undefined {
  try {
    return awsSettings(regions, parseRegionMap(o.awsRegion), parseSubnets(o.subnets), subnetsRequired);
  } catch (error) {
    if (!(error instanceof AwsSettingsError)) throw error;
    process.stderr.write(`raftns: aws: ${error.message}\n`);
    process.exitCode = EXIT_USAGE;
    return undefined;
  }
}

/** AWS regions a teardown looks in: the plan's mapped regions and any the record names. */
async function teardownRegions(planKv: KV, settings: AwsSettings): Promise<string[]> {
  const regions = new Set([...settings.values()].map((s) => s.awsRegion));
  const { readAwsRecordFrom } = await import('../aws/aws-plan-record.js');
  const record = await readAwsRecordFrom(planKv).catch(() => undefined);
  for (const group of Object.values(record?.groups ?? {}))
    for (const r of Object.values(group.regions)) regions.add(r.awsRegion);
  return [...regions];
}

/** Adds `aws provision | status | teardown` to the program (clients/cli/program.ts). */
export function registerAwsCommand(program: Command): void {
  const aws = program
    .command('aws')
    .description('the AWS front of the cluster: load balancers and Global Accelerators');
  const globals = () => program.opts<GlobalOptions>();

  awsOptions(
    aws
      .command('provision')
      .description(
        'create what is missing (idempotent) and store it in NATS KV (key aws of the plan bucket)',
      ),
  )
    .option('--subnets <map>', 'subnets of each region, e.g. us-east=subnet-a,subnet-b;eu-west=subnet-c')
    .action(async (o: AwsOptions) => {
      const g = globals();
      await withSession(g, o, async ({ nc, store, clients }) => {
        const [{ readPlan }, { formatStep, provision }] = await Promise.all([
          import('../plan-reader.js'),
          import('../aws/aws-provisioner.js'),
        ]);
        const plan = await readPlan(nc, g.cluster);
        const settings = settingsOrFail(plan.regions, o, true);
        if (settings === undefined) return;
        const result = await provision({
          clients,
          plan,
          settings,
          planKv: store.plan,
          progress: (step) => (g.json ? process.stderr : process.stdout).write(`${formatStep(step)}\n`),
        });
        if (g.json)
          process.stdout.write(`${JSON.stringify({ changed: result.changed, record: result.record })}\n`);
        else {
          for (const [id, group] of Object.entries(result.record.groups))
            process.stdout.write(`${id}: ${group.dnsName} ${group.staticAddresses.join(' ')}\n`);
          process.stdout.write(`provisioned: ${result.changed} created or updated\n`);
        }
      });
    });

  awsOptions(
    aws
      .command('status')
      .description(
        'what exists per region and group, target health, and which replicas each group routes queries and writes to, failover settings drift',
      ),
  ).action(async (o: AwsOptions) => {
    const g = globals();
    await withSession(g, o, async ({ nc, store, clients }) => {
      const [{ readPlan }, { awsStatus, statusTable }, { liveInstances }] = await Promise.all([
        import('../plan-reader.js'),
        import('../aws/aws-status.js'),
        import('../../bootstrap/registry.js'),
      ]);
      const plan = await readPlan(nc, g.cluster);
      const settings = settingsOrFail(plan.regions, o, false);
      if (settings === undefined) return;
      const rows = await awsStatus({ clients, plan, settings, registrations: await liveInstances(store) });
      process.stdout.write(`${g.json ? JSON.stringify(rows) : statusTable(rows)}\n`);
      const bad = rows.filter((r) => r.problems.length > 0);
      if (bad.length > 0) {
        process.stderr.write(
          `raftns: aws: ${bad.map((r) => `${r.region}/${r.group}: ${r.problems.join(', ')}`).join('; ')}\n`,
        );
        process.exitCode = EXIT_FAILED;
      }
    });
  });

  awsOptions(
    aws
      .command('teardown')
      .description("remove what provisioning created (only this cluster's raftns:managed resources)"),
  ).action(async (o: AwsOptions) => {
    const g = globals();
    await withSession(g, o, async ({ nc, store, clients }) => {
      const [{ readPlan }, { formatTeardownStep, teardown }] = await Promise.all([
        import('../plan-reader.js'),
        import('../aws/aws-teardown.js'),
      ]);
      const plan = await readPlan(nc, g.cluster);
      const settings = settingsOrFail(plan.regions, o, false);
      if (settings === undefined) return;
      const result = await teardown({
        clients,
        cluster: g.cluster,
        awsRegions: await teardownRegions(store.plan, settings),
        planKv: store.plan,
        progress: (step) => (g.json ? process.stderr : process.stdout).write(`${formatTeardownStep(step)}\n`),
      });
      process.stdout.write(
        g.json
          ? `${JSON.stringify(result)}\n`
          : `teardown: ${result.deleted} deleted${result.deleted === 0 ? ' (nothing left)' : ''}\n`,
      );
    });
  });
}
