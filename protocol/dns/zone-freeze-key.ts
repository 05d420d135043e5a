/**
 * The key-value entry that freezes a moving zone in a group: `dns-frozen/<apex key>`, whose
 * value names the group the zone moves to. The group's state machine refuses DNS writes to
 * the zone while the entry exists (actors/state-machine/zone-freeze.ts); the move's
 * reconciler writes and removes it, and the CLI reads it to see a freeze took effect, so
 * its spelling is a contract between those layers and lives here.
 */
import { Name } from './wire/name.js';

export const FROZEN_ZONE_KEY_PREFIX = 'dns-frozen/';

/** The key whose presence freezes the zone at `apex` (any spelling of the name). */
export function frozenZoneKey(apex: string): string {
  return `${FROZEN_ZONE_KEY_PREFIX}${Name.parse(apex.endsWith('.') ? apex : `${apex}.`).key}`;
}
