/**
 * What a `PUT …/zones/{zone}` body (pdns-schemas.ts) means for raftns, as a pure function:
 * the PowerDNS zone settings are checked against what raftns does, and the raftns settings
 * become the parts of the zone's transfer rule to replace (bootstrap/transfer-acl-store.ts).
 *
 * A PowerDNS setting is accepted when its value describes what raftns does anyway, and
 * refused (422, with the reason) when it asks for something raftns does not do, so a tool
 * never believes a setting took effect that did not:
 *   - `kind`: `Native` or `Master` (raftns is the primary of every zone it serves and
 *     replicates it itself); `Slave`/`Secondary`, `Producer`, `Consumer` are refused.
 *   - `masters`, `master_tsig_key_ids`: empty only (raftns transfers no zone in).
 *   - `account`, `soa_edit`, `nsec3param`, `catalog`, `slave_tsig_key_ids`: empty only
 *     (not stored; the group's catalog zone is generated). Transfer keys are
 *     `raftns_allow_transfer.keys`.
 *   - `soa_edit_api`: empty, `DEFAULT` or `INCREASE` (the store raises the serial by one
 *     on every committed change); `EPOCH`, `OFF` and the rest are refused.
 *   - `dnssec`, `presigned`, `nsec3narrow`: false only (raftns does not sign zones).
 *   - `api_rectify`: either (rectifying orders DNSSEC records; without DNSSEC it changes
 *     nothing, as in PowerDNS for an unsigned zone).
 *   - `rrsets`: empty only (records change with PATCH); the read-only fields of a GET
 *     (`id`, `name`, `url`, serials) are ignored when they name this zone.
 */

import type { TransferSettings } from '../../../bootstrap/transfer-acl-store.js';
import {
  addressOctets,
  type NotifyTarget,
  parseNotifyAddress,
  parsePrefix,
} from '../../../protocol/dns/transfer-acl.js';
import { Name, withFinalDot } from '../../../protocol/dns/wire/name.js';
import type { PdnsZonePutBody } from './pdns-schemas.js';

/** A setting raftns cannot honour: the API answers 422 with `message`. */
export class ZoneSettingError extends Error {}

const PRIMARY_KINDS = new Set(['native', 'master', 'primary']);
const SECONDARY_KINDS = new Set(['slave', 'secondary', 'producer', 'consumer']);
const SOA_EDIT_API_DONE = new Set(['', 'default', 'increase']);

function refuse(message: string): never {
  throw new ZoneSettingError(message);
}

function emptyOnly(field: string, value: string | readonly string[] | undefined, why: string): void {
  if (value !== undefined && value.length > 0) refuse(`${field}: ${why}`);
}

function falseOnly(field: string, value: boolean | undefined, why: string): void {
  if (value === true) refuse(`${field}: ${why}`);
}

function keyName(field: string, text: string): string {
  const absolute = withFinalDot(text);
  try {
    Name.parse(absolute);
  } catch (error) {
    refuse(`${field}: ${text}: ${(error as Error).message}`);
  }
  return absolute;
}

function sameName(text: string, apex: Name): boolean {
  try {
    return Name.parse(withFinalDot(text)).equals(apex);
  } catch {
    return false;
  }
}

/** The raftns settings of `body` for `zone` (absent parts are kept); throws ZoneSettingError. */
export function zoneSettingsOf(zone: string, body: PdnsZonePutBody): TransferSettings {
  const apex = Name.parse(zone);
  for (const [field, value] of [
    ['id', body.id],
    ['name', body.name],
  ] as const)
    if (value !== undefined && !sameName(value.replace(/=2F/gi, '/'), apex))
      refuse(`${field}: ${value} is not this zone (${zone}); a zone cannot be renamed`);
  if (
    body.url !== undefined &&
    !body.url.endsWith(`/zones/${zone}`) &&
    !body.url.endsWith(`/zones/${zone.slice(0, -1)}`)
  )
    refuse(`url: ${body.url} is not this zone's`);
  if (body.kind !== undefined) {
    const kind = body.kind.toLowerCase();
    if (SECONDARY_KINDS.has(kind))
      refuse(
        `kind ${body.kind}: raftns is the primary of every zone it serves (no secondary or catalog-member zones); use Native or Master`,
      );
    if (!PRIMARY_KINDS.has(kind)) refuse(`kind ${body.kind}: expected Native or Master`);
  }
  emptyOnly('masters', body.masters, 'raftns transfers no zone in; it is the primary');
  emptyOnly('master_tsig_key_ids', body.master_tsig_key_ids, 'raftns transfers no zone in');
  emptyOnly('account', body.account, 'raftns does not store accounts (scope API keys with --zones instead)');
  emptyOnly('soa_edit', body.soa_edit, 'raftns does not rewrite the SOA of answers');
  emptyOnly('nsec3param', body.nsec3param, 'raftns does not sign zones (no DNSSEC)');
  emptyOnly('catalog', body.catalog, "catalog membership is generated from the zone's group");
  emptyOnly(
    'slave_tsig_key_ids',
    body.slave_tsig_key_ids,
    'give the keys that may transfer the zone as raftns_allow_transfer.keys',
  );
  if (body.soa_edit_api !== undefined && !SOA_EDIT_API_DONE.has(body.soa_edit_api.toLowerCase()))
    refuse(
      `soa_edit_api ${body.soa_edit_api}: raftns raises the serial by one on every change (DEFAULT or INCREASE), nothing else`,
    );
  falseOnly('dnssec', body.dnssec, 'raftns does not sign zones');
  falseOnly('presigned', body.presigned, 'raftns does not serve signed zones');
  falseOnly('nsec3narrow', body.nsec3narrow, 'raftns does not sign zones');
  if ((body.rrsets ?? []).length > 0)
    refuse('rrsets: PUT changes the zone settings only; change records with PATCH');

  const settings: { keys?: string[]; prefixes?: string[]; notify?: NotifyTarget[] } = {};
  const allow = body.raftns_allow_transfer;
  if (allow !== undefined) {
    settings.keys = allow.keys.map((k) => keyName('raftns_allow_transfer.keys', k));
    for (const prefix of allow.from)
      if (parsePrefix(prefix) === undefined)
        refuse(
          `raftns_allow_transfer.from: ${prefix} is not an address or prefix (192.0.2.0/24, 2001:db8::/32)`,
        );
    settings.prefixes = [...allow.from];
  }
  if (body.raftns_also_notify !== undefined) {
    const seen = new Set<string>();
    settings.notify = body.raftns_also_notify.map((entry) => {
      const target = parseNotifyAddress(entry.address);
      if (target === undefined)
        refuse(`raftns_also_notify: ${entry.address} is not ADDR, ADDR:PORT or [V6]:PORT`);
      // Two spellings of one IPv6 address are one secondary.
      const id = `${Buffer.from(addressOctets(target.address) ?? []).toString('hex')}/${target.port}`;
      if (seen.has(id)) refuse(`raftns_also_notify: ${entry.address} is listed twice`);
      seen.add(id);
      return {
        ...target,
        ...(entry.key === undefined ? {} : { key: keyName('raftns_also_notify.key', entry.key) }),
      };
    });
  }
  return settings;
}
