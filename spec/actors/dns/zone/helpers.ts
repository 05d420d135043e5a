import { expect } from 'chai';
import { buildZone, type Zone } from '../../../../actors/dns/zone/zone.js';
import { parseRrType, RR_CLASS } from '../../../../protocol/dns/wire/codes.js';
import { Name } from '../../../../protocol/dns/wire/name.js';
import { rdataFromText } from '../../../../protocol/dns/wire/rdata.js';
import { type Question, type ResourceRecord, recordToText } from '../../../../protocol/dns/wire/record.js';

/** One record from `owner ttl TYPE rdata` (owner relative to `origin` unless absolute). */
export function rr(line: string, origin?: Name): ResourceRecord {
  const match = /^(\S+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line.trim());
  if (match === null) expect.fail(`bad test record: ${line}`);
  const [, owner, ttl, typeText, rest] = match as unknown as [string, string, string, string, string];
  const type = parseRrType(typeText);
  if (type === undefined) expect.fail(`bad type in ${line}`);
  const rdata = rdataFromText(type, rest, origin);
  if (!rdata.ok) expect.fail(`${line}: ${rdata.error.message}`);
  return { name: Name.parse(owner, origin), type, class: RR_CLASS.IN, ttl: Number(ttl), rdata: rdata.rdata };
}

export function records(origin: string, lines: readonly string[]): ResourceRecord[] {
  const o = Name.parse(origin);
  return lines.map((line) => rr(line, o));
}

/** A zone that must validate. */
export function zone(origin: string, lines: readonly string[]): Zone {
  const built = buildZone(Name.parse(origin), records(origin, lines));
  if (!built.ok) expect.fail(`zone should build: ${JSON.stringify(built.errors.map((e) => e.code))}`);
  return built.zone;
}

export function q(name: string, type: string): Question {
  const t = parseRrType(type);
  if (t === undefined) expect.fail(`bad type ${type}`);
  return { name: Name.parse(name), type: t, class: RR_CLASS.IN };
}

export const text = (records: readonly ResourceRecord[]): string[] => records.map(recordToText);
