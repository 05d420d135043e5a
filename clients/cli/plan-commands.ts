/**
 * `raftns plan show | apply`: the cluster plan of a running cluster, and changing it.
 *
 *   raftns plan show                       the stored plan (JSON) and its revision
 *   raftns plan apply FILE [--dry-run] [--based-on REV] [--discard-zone-data] [--discard-region-data]
 *
 * `apply` prints the difference (`+ group …`, `~ …`, `- …`), checks that the change is safe
 * (protocol/plan-change.ts: adding or retiring groups and regions, more or fewer replicas per
 * group; a retiring group's planned zone must hold no data of its own unless
 * `--discard-zone-data`; every zone of a retiring region must be held by a remaining region
 * unless `--discard-region-data`), and writes it with a compare-and-set on
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
import { silentLogger } from '../../runtime/log.js';
import { type Command, InvalidArgumentError } from './commander.js';
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

/**
 * For each retiring group, per region, the records of its planned zone that would go with
 * it (at most 3 named per zone), as refusal reasons.
 */
async function retiredZoneData(
  program: Command,
  retired: readonly { readonly id: string; readonly zone: string }[],
  regions: readonly string[],
): Promise<string[]> {
  const [{ openWriter }, { readZone }, { plannedZoneData }] = await Promise.all([
    import('./zone-commands.js'),
    import('../zone-import-export.js'),
    import('../../protocol/plan-change.js'),
  ]);
  const globals = program.opts<import('./zone-commands.js').GlobalOptions>();
  const writer = await openWriter(globals, regions);
  const problems: string[] = [];
  try {
    for (const group of retired)
      for (const region of regions) {
        const zone = await readZone(await writer.client(region, group.id), group.zone, {
          deadlineMs: globals.timeout,
        });
        const data = plannedZoneData(group.zone, zone?.rrsets ?? []);
        if (data.length > 0)
          problems.push(
            `groups: ${group.id}'s zone ${group.zone} holds ${data.length} RRset(s) of its own in ${region} (${data
              .slice(0, 3)
              .map((r) => `${r.name} ${r.type}`)
              .join(
                ', ',
              )}): they go with the group; copy what you keep elsewhere, then apply with --discard-zone-data`,
          );
      }
  } finally {
    await writer.close();
  }
  return problems;
}

/** How often the retirement check looks at the comparisons again. */
const HELD_POLL_MS = 500;

/**
 * For each retiring region, the zones of its groups that no remaining region was found
 * holding by a comparison made after this check began (its group's leader there found them
 * equal, or pulled every difference: `heldMs` moved past what it was when the check began,
 * by that leader's own clock), within the command's timeout, as refusal reasons: retiring
 * the region would lose what only it holds. A group of the retiring region that does not
 * answer is one too.
 */
async function retiredRegionData(
  program: Command,
  retiring: readonly string[],
  remaining: readonly string[],
  groups: readonly string[],
  storedRegions: readonly string[],
): Promise<string[]> {
  const [{ openWriter }, { agreementRows }] = await Promise.all([
    import('./zone-commands.js'),
    import('../../protocol/dns/region-repair.js'),
  ]);
  const globals = program.opts<import('./zone-commands.js').GlobalOptions>();
  const writer = await openWriter(globals, storedRegions);
  const call = { deadlineMs: globals.timeout };
  /** `heldMs` per remaining region, zone and retiring region (-1: none yet). */
  const heldAt = async (group: string): Promise<Map<string, number>> => {
    const held = new Map<string, number>();
    for (const r of remaining) {
      const rows = await writer
        .client(r, group)
        .then((client) => client.status(undefined, call))
        .then((status) => agreementRows(status.regionAgreement))
        .catch(() => []);
      for (const row of rows) held.set(`${r} ${row.zone.toLowerCase()} ${row.region}`, row.heldMs ?? -1);
    }
    return held;
  };
  const problems: string[] = [];
  try {
    for (const region of retiring)
      for (const group of groups) {
        let zones: string[];
        try {
          zones = (await (await writer.client(region, group)).dnsZones('linearizable', call)).map((z) =>
            z.zone.toLowerCase(),
          );
        } catch (error) {
          problems.push(
            `regions: ${region}'s group ${group} did not answer (${String(error)}): what it holds cannot be checked; apply with --discard-region-data if it is lost`,
          );
          continue;
        }
        const before = await heldAt(group);
        const deadline = Date.now() + globals.timeout;
        let unheld = zones;
        for (;;) {
          const now = await heldAt(group);
          unheld = unheld.filter(
            (zone) =>
              !remaining.some((r) => {
                const key = `${r} ${zone} ${region}`;
                return (now.get(key) ?? -1) > (before.get(key) ?? -1);
              }),
          );
          if (unheld.length === 0 || Date.now() >= deadline) break;
          await new Promise((resolve) => setTimeout(resolve, HELD_POLL_MS));
        }
        if (unheld.length > 0)
          problems.push(
            `regions: no remaining region took all that ${region} holds of ${unheld
              .slice(0, 3)
              .join(
                ', ',
              )}${unheld.length > 3 ? ', …' : ''} (group ${group}) within ${globals.timeout} ms (raftns status shows the comparisons): wait for anti-entropy, or apply with --discard-region-data`,
          );
      }
  } finally {
    await writer.close();
  }
  return problems;
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
      'change the stored plan to FILE if the change is safe (adding or retiring groups and regions, more or fewer replicas per group)',
    )
    .option('--dry-run', 'print the difference and check it; write nothing')
    .option(
      '--based-on <revision>',
      'apply only if the stored plan is still at this revision (raftns plan show)',
      revision,
    )
    .option(
      '--discard-zone-data',
      'retire a group even though its planned zone holds records besides its apex and nameservers (they go with it)',
    )
    .option(
      '--discard-region-data',
      'retire a region even though no remaining region was found holding all it holds (what only it holds is lost)',
    )
    .action(
      async (
        file: string,
        options: {
          dryRun?: boolean;
          basedOn?: number;
          discardZoneData?: boolean;
          discardRegionData?: boolean;
        },
      ) => {
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
          const result = await withStores(g, async ({ plan: store, zones }) => {
            const registered = await zones.list();
            const stored = await store.readPlanRevision();
            // The revision checked is the one written against: a change in between conflicts.
            const basedOn = options.basedOn ?? stored?.revision;
            const checked = await store.applyPlan(input, registered, {
              ...(basedOn === undefined ? {} : { basedOn }),
              dryRun: true,
            });
            // A retired group's planned zone goes with it: refuse while it holds data of its
            // own, unless told to discard it (protocol/plan-change.ts, plannedZoneData).
            const retired = (stored?.plan.groups ?? []).filter(
              (x) => !checked.plan.groups.some((y) => y.id === x.id),
            );
            if (retired.length > 0 && options.discardZoneData !== true) {
              const problems = await retiredZoneData(program, retired, checked.plan.regions);
              if (problems.length > 0)
                throw new BootstrapError('plan-unsafe', 'the plan change is refused', problems);
            }
            // A retired region's replicas leave: refuse while it holds what no remaining
            // region was found holding, unless told to discard it.
            const storedRegions = stored?.plan.regions ?? [];
            const retiring = storedRegions.filter((r) => !checked.plan.regions.includes(r));
            if (retiring.length > 0 && options.discardRegionData !== true) {
              const problems = await retiredRegionData(
                program,
                retiring,
                storedRegions.filter((r) => checked.plan.regions.includes(r)),
                (stored?.plan.groups ?? []).map((x) => x.id),
                storedRegions,
              );
              if (problems.length > 0)
                throw new BootstrapError('plan-unsafe', 'the plan change is refused', problems);
            }
            if (options.dryRun === true || checked.outcome === 'unchanged') return checked;
            return store.applyPlan(input, registered, basedOn === undefined ? {} : { basedOn });
          });
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
      },
    );
}
