/**
 * `raftns zone create | delete | list`: the zones of a running cluster beyond the plan's
 * (clients/zone-lifecycle.ts).
 *
 *   raftns zone create NAME... [--group G] the zones in group G (default: the group holding the
 *                                         fewest RRsets), in every region, with its SOA, its
 *                                         NS (the group's nameservers) and the delegation in
 *                                         the parent zone when the cluster serves it
 *   raftns zone delete NAME [--recursive] [--drain-seconds S]
 *                                         the delegation first in every region, then S
 *                                         seconds later (default 5) the zone
 *   raftns zone move NAME --to G [--drain-seconds S]
 *                                         the zone to group G in every region: frozen in its
 *                                         group, copied to G, delegated to G, then deleted
 *                                         from its old group S seconds later (default the
 *                                         delegation's NS TTL); prints each step
 *   raftns zone list                      zone, group, state and per region serial and RRsets
 *
 * `--group` is the global option (before or after the command). `--json` prints the
 * outcome as JSON. Create, delete and move are idempotent: running one again finishes what an
 * interrupted one started. Exit codes: 0 done; 1 a region did not finish in time (run it
 * again) or a transport failure; 2 usage, or a zone that cannot be created or deleted
 * (the reason is printed).
 */
import type { Command } from 'commander';
import { agreementText } from '../../protocol/dns/region-repair.js';
import { DELETE_DRAIN_MS_DEFAULT } from '../../protocol/dns/zone-delete-drain.js';
import { silentLogger } from '../../runtime/log.js';
import type { ZoneLifecycle, ZoneListing } from '../zone-lifecycle.js';
import { EXIT_FAILED, EXIT_USAGE } from './exit-codes.js';
import { natsConnectOptions } from './nats-options.js';

interface LifecycleGlobals {
  readonly nats: string;
  readonly cluster: string;
  readonly group: string;
  readonly timeout: number;
  readonly json: boolean;
}

/** Zone creation waits on every region's leaders; never less than this, whatever --timeout says. */
const LIFECYCLE_DEADLINE_MS_MIN = 30_000;

async function withLifecycle<T>(
  globals: LifecycleGlobals,
  use: (lifecycle: ZoneLifecycle) => Promise<T>,
): Promise<T> {
  const [{ connectNats }, { readPlanWithin }, { ZoneRegistryStore }, { ZoneLifecycle }] = await Promise.all([
    import('../../runtime/nats/nats-connection.js'),
    import('../plan-reader.js'),
    import('../../bootstrap/zone-registry-store.js'),
    import('../zone-lifecycle.js'),
  ]);
  const nc = await connectNats({
    ...natsConnectOptions(globals),
    name: 'raftns-cli/zone',
    log: silentLogger,
  });
  try {
    const plan = await readPlanWithin(nc, globals.cluster, globals.timeout);
    const lifecycle = new ZoneLifecycle({
      nc,
      plan,
      registry: await ZoneRegistryStore.open(nc, globals.cluster),
      deadlineMs: Math.max(globals.timeout, LIFECYCLE_DEADLINE_MS_MIN),
    });
    try {
      return await use(lifecycle);
    } finally {
      await lifecycle.close();
    }
  } finally {
    await nc.close();
  }
}

async function failOnRefusal<T>(run: () => Promise<T>): Promise<T | undefined> {
  const { ZoneLifecycleError } = await import('../zone-lifecycle.js');
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof ZoneLifecycleError)) throw error;
    process.stderr.write(`raftns: zone: ${error.code}: ${error.message}\n`);
    process.exitCode = error.code === 'timeout' ? EXIT_FAILED : EXIT_USAGE;
    return undefined;
  }
}

/** Adds `create`, `delete`, `move` and `list` to the `zone` command (zone-commands.ts). */
export function registerZoneLifecycleCommands(program: Command, zone: Command): void {
  const globals = () => program.opts<LifecycleGlobals>();
  const chosenGroup = () =>
    program.getOptionValueSource('group') === 'default' ? undefined : globals().group;

  zone
    .command('create <names...>')
    .description(
      'serve new zones in every region (--group G, default the least-loaded group), delegated from their parents',
    )
    .action(async (names: string[]) => {
      const g = globals();
      if (names.length > 1) {
        const many = await withLifecycle(g, (lifecycle) =>
          failOnRefusal(() => lifecycle.createMany(names, chosenGroup())),
        );
        if (many === undefined) return;
        process.stdout.write(
          g.json
            ? `${JSON.stringify(many)}\n`
            : `${many.created.length} created, ${many.existing.length} existing\t${many.group}\t${many.elapsedMs} ms\n`,
        );
        return;
      }
      const name = names[0] as string;
      const outcome = await withLifecycle(g, (lifecycle) =>
        failOnRefusal(() => lifecycle.create(name, chosenGroup())),
      );
      if (outcome === undefined) return;
      process.stdout.write(
        g.json
          ? `${JSON.stringify(outcome)}\n`
          : `${outcome.zone}\t${outcome.group}\t${outcome.outcome}\t${outcome.elapsedMs} ms\n`,
      );
    });

  zone
    .command('delete <name>')
    .description('stop serving a zone in every region: the delegation first, then the zone')
    .option('--recursive', 'delete the zones below it first')
    .option(
      '--drain-seconds <seconds>',
      `how long the zone keeps answering once its delegation is gone (default ${DELETE_DRAIN_MS_DEFAULT / 1000})`,
      (value: string) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 86_400) throw new Error('--drain-seconds: 0..=86400');
        return n;
      },
    )
    .action(async (name: string, options: { recursive?: boolean; drainSeconds?: number }) => {
      const g = globals();
      const outcome = await withLifecycle(g, (lifecycle) =>
        failOnRefusal(() =>
          lifecycle.delete(name, {
            recursive: options.recursive === true,
            ...(options.drainSeconds === undefined ? {} : { drainMs: options.drainSeconds * 1000 }),
          }),
        ),
      );
      if (outcome === undefined) return;
      if (g.json) process.stdout.write(`${JSON.stringify(outcome)}\n`);
      else if (outcome.deleted.length === 0) process.stdout.write(`${name}\tabsent\n`);
      else for (const deleted of outcome.deleted) process.stdout.write(`${deleted}\tdeleted\n`);
    });

  zone
    .command('move <name>')
    .description('move a zone to another group in every region, with no lost write and no wrong answer')
    .requiredOption('--to <group>', 'the group to move it to')
    .option(
      '--drain-seconds <seconds>',
      "how long the old group keeps answering after the switch (default: the delegation's NS TTL)",
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 86_400) throw new Error('--drain-seconds: 0..=86400');
        return n;
      },
    )
    .action(async (name: string, options: { to: string; drainSeconds?: number }) => {
      const g = globals();
      const outcome = await withLifecycle(g, (lifecycle) =>
        failOnRefusal(() =>
          lifecycle.move(name, options.to, {
            ...(options.drainSeconds === undefined ? {} : { drainMs: options.drainSeconds * 1000 }),
            onProgress: (p) => {
              if (!g.json)
                process.stdout.write(
                  `${p.step}${p.region === undefined ? '' : `\t${p.region}`}\t${p.elapsedMs} ms\n`,
                );
            },
          }),
        ),
      );
      if (outcome === undefined) return;
      const freezes = Object.entries(outcome.freezeMs)
        .map(([region, ms]) => `${region}=${ms} ms`)
        .join(' ');
      process.stdout.write(
        g.json
          ? `${JSON.stringify(outcome)}\n`
          : `${outcome.zone}\t${outcome.from} -> ${outcome.to}\t${outcome.outcome}\tfrozen ${freezes || '-'}\t${outcome.elapsedMs} ms\n`,
      );
    });

  zone
    .command('list')
    .description('every zone of the cluster: group, state, and per region its serial and RRsets')
    .action(async () => {
      const g = globals();
      const listings = await withLifecycle(g, (lifecycle) => lifecycle.list());
      process.stdout.write(g.json ? `${JSON.stringify(listings)}\n` : formatListings(listings));
      if (listings.some((l) => l.regions.some((r) => r.error !== undefined))) process.exitCode = EXIT_FAILED;
    });
}

/**
 * `zone  group  source/state  region=serial/rrsets/agreement ...`, one zone per line; a
 * deleting zone's state says until when its copy still answers, a moved zone's which old
 * group's copy answers until when. The agreement is that region's leader's last comparison with the other regions (`agree`,
 * `differ:<region>@<since>`, …, `not-compared`).
 */
export function formatListings(listings: readonly ZoneListing[]): string {
  return listings
    .map((l) => {
      const regions = l.regions
        .map(
          (r) =>
            `${r.region}=${r.error !== undefined ? 'error' : r.serial === null ? 'absent' : `${r.serial}/${r.rrsets}/${agreementText(r.agreement)}`}`,
        )
        .join(' ');
      const state = l.to === undefined ? l.state : `${l.state}->${l.to}`;
      const drain =
        l.deleteAfter !== undefined
          ? ` until ${l.deleteAfter}`
          : l.drainUntil !== undefined && l.movedFrom !== undefined
            ? ` (${l.movedFrom} drains until ${l.drainUntil})`
            : '';
      return `${l.zone}\t${l.group}\t${l.source}/${state}${drain}\t${regions}\n`;
    })
    .join('');
}
