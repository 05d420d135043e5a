/**
 * A zone's master file to and from its content (zone-content.ts): the parse checks the
 * file (parser.ts, errors naming file:line:column) and then the zone (apex SOA and NS,
 * names inside the zone, one TTL per RRset, limits); the render writes the RRsets in
 * canonical order (render.ts) after comment lines saying where the content came from.
 * Both are CPU-bound for a large zone and run on the CPU pool (runtime/tasks/).
 */
import { parseRrType, RR_CLASS } from '../wire/codes.js';
import { Name } from '../wire/name.js';
import { rdataFromText } from '../wire/rdata.js';
import type { ResourceRecord } from '../wire/record.js';
import { type ZoneContentProblem, type ZoneRrset, zoneContentFromRecords } from '../zone-content.js';
import { type MasterFileError, masterFileErrorText } from './errors.js';
import { parseMasterFile } from './parser.js';
import { renderMasterFile } from './render.js';

export type ZoneFileResult =
  | { readonly ok: true; readonly rrsets: readonly ZoneRrset[]; readonly records: number }
  /** The file does not parse: `text` is `file:line:column: message`. */
  | { readonly ok: false; readonly kind: 'syntax'; readonly error: MasterFileError; readonly text: string }
  /** The file parses but is not a valid zone. */
  | {
      readonly ok: false;
      readonly kind: 'zone';
      readonly problem: ZoneContentProblem;
      readonly text: string;
    };

/** Parses `text` (the file `file`) as the zone at `zone`: relative names are relative to the apex. */
export function parseZoneFile(text: string, file: string, zone: string): ZoneFileResult {
  const apex = Name.parse(zone);
  const parsed = parseMasterFile(text, { file, origin: apex });
  if (!parsed.ok)
    return { ok: false, kind: 'syntax', error: parsed.error, text: masterFileErrorText(parsed.error) };
  const content = zoneContentFromRecords(apex, parsed.records);
  if (!content.ok)
    return { ok: false, kind: 'zone', problem: content.problem, text: `${file}: ${content.problem.message}` };
  return { ok: true, rrsets: content.rrsets, records: parsed.records.length };
}

/** Records of RRsets read from the store. Throws a RangeError for an RRset that does not parse. */
export function recordsOfRrsets(apex: Name, rrsets: readonly ZoneRrset[]): ResourceRecord[] {
  const records: ResourceRecord[] = [];
  for (const set of rrsets) {
    const name = Name.parse(set.name, apex);
    const type = parseRrType(set.type);
    if (type === undefined) throw new RangeError(`unknown type ${set.type}`);
    for (const text of set.rdata) {
      const rdata = rdataFromText(type, text, apex);
      if (!rdata.ok) throw new RangeError(`${set.name} ${set.type} ${text}: ${rdata.error.message}`);
      records.push({ name, type, class: RR_CLASS.IN, ttl: set.ttl, rdata: rdata.rdata });
    }
  }
  return records;
}

/** The master file of the zone at `zone`, `comments` first (each becomes a `; ` line). */
export function renderZoneFile(
  zone: string,
  rrsets: readonly ZoneRrset[],
  comments: readonly string[],
): string {
  const apex = Name.parse(zone);
  const head = comments.map((c) => `; ${c.replace(/[\r\n]/g, ' ')}\n`).join('');
  return head + renderMasterFile(recordsOfRrsets(apex, rrsets), { origin: apex });
}
