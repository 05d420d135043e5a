/**
 * `raftns zone catalog [--group G]` (the global --group, before or after the command): each
 * nameserver group's catalog zone (RFC 9432, protocol/dns/catalog-zone.ts) and the zones
 * it lists, as the plan and the zone registry say: what an operator configures on a secondary (Knot
 * `catalog-role: interpret`, BIND `catalog-zones`) and allows with
 * `raftns zone allow-transfer <catalog> --key ...`.
 *
 * One line per group: `<catalog zone>\t<group>\t<member zones, comma-separated>`; `--json`
 * prints `[{ catalog, group, members: [{ zone, id }] }]`. Exit 2 for a group the plan
 * does not have.
 */
import type { Command } from 'commander';
import { catalogMemberId, catalogZoneName } from '../../protocol/dns/catalog-zone.js';
import { Name } from '../../protocol/dns/wire/name.js';
import { silentLogger } from '../../runtime/log.js';
import { usage } from './cli-arguments.js';

/** One group's catalog as the plan describes it. */
export interface GroupCatalogListing {
  readonly catalog: string;
  readonly group: string;
  readonly members: readonly { readonly zone: string; readonly id: string }[];
}

/** Adds `catalog` to the `zone` command (zone-commands.ts). */
export function registerCatalogCommand(program: Command, zone: Command): void {
  zone
    .command('catalog')
    .description("each group's catalog zone (RFC 9432) and its member zones: configure secondaries with it")
    .action(async () => {
      const globals = program.opts<{
        nats: string;
        cluster: string;
        group: string;
        timeout: number;
        json: boolean;
      }>();
      // The global --group narrows the listing when given; left at its default, every group is listed.
      const only = program.getOptionValueSource('group') === 'default' ? undefined : globals.group;
      const [{ connectNats }, { readPlanWithin }, { ZoneRegistryStore }, { ZoneDirectory }] =
        await Promise.all([
          import('../../runtime/nats/nats-connection.js'),
          import('../plan-reader.js'),
          import('../../bootstrap/zone-registry-store.js'),
          import('../../protocol/zone-directory.js'),
        ]);
      const nc = await connectNats({
        urls: globals.nats.split(',').map((url) => url.trim()),
        name: 'raftns-cli/catalog',
        log: silentLogger,
      });
      let listings: GroupCatalogListing[];
      try {
        const plan = await readPlanWithin(nc, globals.cluster, globals.timeout);
        const groups = plan.groups.filter((g) => only === undefined || g.id === only);
        if (groups.length === 0) {
          usage(`${only} is not a group of the plan (${plan.groups.map((g) => g.id).join(', ')})`);
          return;
        }
        const directory = new ZoneDirectory(
          plan,
          await (await ZoneRegistryStore.open(nc, globals.cluster)).list(),
        );
        const served = directory.zones();
        listings = groups.map((group) => ({
          catalog: catalogZoneName(globals.cluster, group.id).toString(),
          group: group.id,
          members: served
            .filter((z) => z.group === group.id && z.state === 'active')
            .map((z) => {
              const member = Name.parse(z.zone);
              return { zone: member.toString(), id: catalogMemberId(member) };
            }),
        }));
      } finally {
        await nc.close();
      }
      process.stdout.write(
        globals.json
          ? `${JSON.stringify(listings)}\n`
          : listings
              .map((l) => `${l.catalog}\t${l.group}\t${l.members.map((m) => m.zone).join(',')}\n`)
              .join(''),
      );
    });
}
