/**
 * `raftns plan show | apply`: the cluster plan of a running cluster, and changing it.
 *
 *   raftns plan show                       the stored plan (JSON) and its revision
 *   raftns plan apply FILE [--dry-run] [--based-on REV]
 *
 * `apply` prints the difference (`+ group …`, `~ …`, `- …`), checks that the change is safe
 * (protocol/plan-change.ts: today, adding groups, more or fewer replicas per group), and writes it with a compare-and-set on
 * the revision it read (or `--based-on`, the revision an operator reviewed with `show`): of
 * two admins applying at once, exactly one wins. Running replicas and clients follow the new
 * plan without a restart; a new group's slots are claimed by new instances started with
 * `--bootstrap`. `--json` prints `{outcome, changes, revision}`.
 *
 * Exit codes: 0 applied (or unchanged, or checked with --dry-run); 1 the plan changed since
 * the revision it was based on (nothing written), or a transport failure; 2 a plan that is
 * invalid or a change that is refused (every reason printed).
 */
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { silentLogger } from '../../runtime/log.js';
import { EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';
import { natsConnectOptions } from './nats-options.js';

interface PlanGlobals {
  readonly nats: string;
  readonly cluster: string;
  readonly json: boolean;
}

function revision(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError(`expected a revision (a positive integer), got "${value}"`);
  return n;
}

async function withStores<T>(
  globals: PlanGlobals,
  use: (stores: {
    plan: import('../../bootstrap/plan-store.js').PlanStore;
    zones: import('../../bootstrap/zone-registry-store.js').ZoneRegistryStore;
  }) => Promise<T>,
): Promise<T> {
  const [{ connectNats }, { PlanStore }, { ZoneRegistryStore }] = await Promise.all([
    import('../../runtime/nats/nats-connection.js'),
    import('../../bootstrap/plan-store.js'),
    import('../../bootstrap/zone-registry-store.js'),
  ]);
  const nc = await connectNats({
    ...natsConnectOptions(globals),
    name: 'raftns-cli/plan',
    log: silentLogger,
  });
  try {
    return await use({
      plan: await PlanStore.open(nc, globals.cluster),
      zones: await ZoneRegistryStore.open(nc, globals.cluster),
    });
  } finally {
    await nc.close();
  }
}

/** Adds `plan show` and `plan apply` to the `raftns` program (clients/cli/program.ts). */
export function registerPlanCommands(program: Command): void {
  const globals = () => program.opts<PlanGlobals>();
  const plan = program
    .command('plan')
    .description('the cluster plan of a running cluster: show it, change it');

  plan
    .command('show')
    .description('the stored plan and its revision')
    .action(async () => {
      const g = globals();
      const stored = await withStores(g, ({ plan: store }) => store.readPlanRevision());
      if (stored === undefined) {
        process.stderr.write(`raftns: plan: cluster ${g.cluster} has no plan (run raftns init)\n`);
        process.exitCode = EXIT_FAILED;
        return;
      }
      process.stdout.write(
        g.json
          ? `${JSON.stringify(stored)}\n`
          : `${JSON.stringify(stored.plan, null, 2)}\nrevision ${stored.revision}\n`,
      );
    });

  plan
    .command('apply <file>')
    .description(
      'change the stored plan to FILE if the change is safe (today: adding groups, more or fewer replicas per group)',
    )
    .option('--dry-run', 'print the difference and check it; write nothing')
    .option(
      '--based-on <revision>',
      'apply only if the stored plan is still at this revision (raftns plan show)',
      revision,
    )
    .action(async (file: string, options: { dryRun?: boolean; basedOn?: number }) => {
      const g = globals();
      let input: unknown;
      try {
        input = JSON.parse(await readFile(file, 'utf8'));
      } catch (error) {
        process.stderr.write(`raftns: plan: ${file}: ${(error as Error).message}\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      const { BootstrapError } = await import('../../bootstrap/errors.js');
      try {
        const result = await withStores(g, async ({ plan: store, zones }) =>
          store.applyPlan(input, await zones.list(), {
            ...(options.basedOn === undefined ? {} : { basedOn: options.basedOn }),
            ...(options.dryRun === true ? { dryRun: true } : {}),
          }),
        );
        if (g.json)
          process.stdout.write(
            `${JSON.stringify({ outcome: result.outcome, changes: result.change.changes, revision: result.revision })}\n`,
          );
        else {
          for (const line of result.change.changes) process.stdout.write(`${line}\n`);
          process.stdout.write(`${result.outcome} (revision ${result.revision})\n`);
        }
      } catch (error) {
        if (!(error instanceof BootstrapError)) throw error;
        process.stderr.write(`raftns: plan: ${error.code}: ${error.message}\n`);
        process.exitCode = error.code === 'plan-conflict' ? EXIT_FAILED : EXIT_USAGE;
      }
    });
}
