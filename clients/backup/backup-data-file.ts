/**
 * A backup's data file: one zone's RRsets as JSON lines, one RRset a line, in the store's
 * order (owner key, then type), each line exactly
 *
 *   {"name":"www.example.org.","type":"A","ttl":300,"rdata":["192.0.2.1","192.0.2.2"]}
 *
 * with RDATA in the presentation form the store gives (`rdataToText`: RFC 3597 generic
 * form for unknown types), sorted by that text, and the SOA's serial written as 0: the
 * store owns the serial (it moves on every commit), the manifest carries it. The encoding
 * is canonical: the same zone content always gives the same bytes, so two backups of the
 * same data compare byte for byte, and a file whose line is not in this form is refused.
 */
import { createHash } from 'node:crypto';
import { parseRrType, RR_TYPE } from '../../protocol/dns/wire/codes.js';
import { Name, NameError } from '../../protocol/dns/wire/name.js';
import { rdataFromText, rdataToText } from '../../protocol/dns/wire/rdata.js';
import { ZONE_RRSETS_MAX, type ZoneRrset } from '../../protocol/dns/zone-content.js';
import { BLOCK_BYTES, type ZoneEntry } from './backup-manifest.js';

/** Largest TTL (RFC 2181 §8). */
const TTL_MAX = 0x7fffffff;

/** The SOA text with serial 0; other RDATA unchanged. Throws a RangeError on an SOA that does not parse. */
function withoutSerial(apex: Name, type: number, text: string): string {
  if (type !== RR_TYPE.SOA) return text;
  const parsed = rdataFromText(type, text, apex);
  if (!parsed.ok || parsed.rdata.kind !== 'SOA')
    throw new RangeError(`SOA ${text} of ${apex} does not parse`);
  return rdataToText({ ...parsed.rdata, serial: 0 });
}

function lineOf(rrset: ZoneRrset): string {
  return `${JSON.stringify({ name: rrset.name, type: rrset.type, ttl: rrset.ttl, rdata: rrset.rdata })}\n`;
}

function canonical(apex: Name, rrset: ZoneRrset): ZoneRrset {
  const type = parseRrType(rrset.type);
  if (type === undefined) throw new RangeError(`unknown type ${rrset.type}`);
  const rdata = rrset.rdata.map((text) => withoutSerial(apex, type, text));
  rdata.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { name: rrset.name, type: rrset.type, ttl: rrset.ttl, rdata };
}

export interface EncodedZone {
  readonly bytes: Buffer;
  readonly rrsets: number;
  readonly records: number;
}

/** The data file of a zone read from the store (see the header). */
export function encodeZoneData(apex: Name, rrsets: readonly ZoneRrset[]): EncodedZone {
  let records = 0;
  const lines: string[] = [];
  for (const rrset of rrsets) {
    lines.push(lineOf(canonical(apex, rrset)));
    records += rrset.rdata.length;
  }
  return { bytes: Buffer.from(lines.join(''), 'utf8'), rrsets: rrsets.length, records };
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 of each BLOCK_BYTES block, in order. */
export function blockSums(bytes: Uint8Array): string[] {
  const sums: string[] = [];
  for (let at = 0; at < bytes.length; at += BLOCK_BYTES)
    sums.push(sha256Hex(bytes.subarray(at, at + BLOCK_BYTES)));
  return sums;
}

export type DataFileCheck =
  | { readonly ok: true; readonly rrsets: readonly ZoneRrset[] }
  | {
      readonly ok: false;
      readonly file: string;
      /** Byte offset of the first corruption: a line that does not decode, the first block whose checksum differs, or where a short file ends. */
      readonly offset: number;
      readonly message: string;
    };

/**
 * Checks a data file against its manifest entry before anything is written: length, every
 * block's SHA-256 and the file's, then every line (JSON, names in the zone, types, TTLs,
 * RDATA that parses, the canonical form). Gives the RRsets to restore, with the SOA
 * carrying the manifest's serial, or the file and the offset of the first corruption.
 */
export function checkDataFile(entry: ZoneEntry, bytes: Buffer): DataFileCheck {
  const fail = (offset: number, message: string): DataFileCheck => ({
    ok: false,
    file: entry.file,
    offset,
    message,
  });
  let apex: Name;
  try {
    apex = Name.parse(entry.zone);
  } catch (error) {
    if (error instanceof NameError) return fail(0, `zone ${entry.zone}: ${error.message}`);
    throw error;
  }
  // The first offset that differs from the backup as written: a block whose sum differs
  // (refined to the first line there that does not decode), or the end of a short file.
  const sums = blockSums(bytes);
  let firstBad = -1;
  for (let i = 0; i < Math.max(sums.length, entry.blockSha256.length); i++)
    if (sums[i] !== entry.blockSha256[i]) {
      firstBad = i;
      break;
    }
  const decoded = decodeLines(apex, bytes, entry.serial);
  if (firstBad >= 0 || bytes.length !== entry.bytes || sha256Hex(bytes) !== entry.sha256) {
    const blockStart = Math.max(firstBad, 0) * BLOCK_BYTES;
    if (bytes.length < entry.bytes && blockStart >= Math.floor(bytes.length / BLOCK_BYTES) * BLOCK_BYTES)
      return fail(
        bytes.length,
        `${bytes.length} bytes where the manifest says ${entry.bytes}: truncated at offset ${bytes.length}`,
      );
    if (!decoded.ok && decoded.offset >= blockStart && decoded.offset < blockStart + BLOCK_BYTES)
      return fail(decoded.offset, decoded.message);
    if (bytes.length > entry.bytes && blockStart >= entry.bytes)
      return fail(
        entry.bytes,
        `${bytes.length} bytes where the manifest says ${entry.bytes}: data after offset ${entry.bytes}`,
      );
    return fail(
      blockStart,
      `SHA-256 differs from the manifest's in the block of bytes ${blockStart}..${Math.min(blockStart + BLOCK_BYTES, bytes.length) - 1}`,
    );
  }
  if (!decoded.ok) return fail(decoded.offset, decoded.message);
  if (decoded.rrsets.length !== entry.rrsets)
    return fail(bytes.length, `${decoded.rrsets.length} RRsets where the manifest says ${entry.rrsets}`);
  return decoded;
}

type Decoded =
  | { readonly ok: true; readonly rrsets: readonly ZoneRrset[] }
  | { readonly ok: false; readonly offset: number; readonly message: string };

function decodeLines(apex: Name, bytes: Buffer, serial: number): Decoded {
  const rrsets: ZoneRrset[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) return { ok: false, offset: at, message: 'the last line has no newline' };
    const problem = decodeLine(apex, bytes.subarray(at, end + 1), serial);
    if (typeof problem === 'string') return { ok: false, offset: at, message: problem };
    if (rrsets.length >= ZONE_RRSETS_MAX)
      return { ok: false, offset: at, message: `more than ${ZONE_RRSETS_MAX} RRsets` };
    rrsets.push(problem);
    at = end + 1;
  }
  return { ok: true, rrsets };
}

/** The RRset of one line (SOA with `serial`), or what is wrong with it. */
function decodeLine(apex: Name, line: Buffer, serial: number): ZoneRrset | string {
  const text = line.toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not a JSON line: ${(error as Error).message}`;
  }
  if (typeof json !== 'object' || json === null) return 'not an RRset object';
  const { name, type, ttl, rdata } = json as Record<string, unknown>;
  if (
    typeof name !== 'string' ||
    typeof type !== 'string' ||
    typeof ttl !== 'number' ||
    !Array.isArray(rdata)
  )
    return 'expected {"name","type","ttl","rdata"}';
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > TTL_MAX) return `TTL ${ttl} out of range`;
  let owner: Name;
  try {
    owner = Name.parse(name);
  } catch (error) {
    if (error instanceof NameError) return `bad name ${name}: ${error.message}`;
    throw error;
  }
  if (!owner.isSubdomainOf(apex)) return `${name} is outside the zone ${apex}`;
  const code = parseRrType(type);
  if (code === undefined) return `unknown type ${type}`;
  if (rdata.length === 0 || rdata.some((r) => typeof r !== 'string'))
    return 'rdata must be non-empty strings';
  for (const r of rdata as string[]) {
    const parsed = rdataFromText(code, r, apex);
    if (!parsed.ok) return `${name} ${type} ${r}: ${parsed.error.message}`;
  }
  const rrset: ZoneRrset = { name, type, ttl, rdata: rdata as string[] };
  let again: string;
  try {
    again = lineOf(canonical(apex, rrset));
  } catch (error) {
    if (error instanceof RangeError) return error.message;
    throw error;
  }
  if (again !== text) return 'not in the canonical form raftns backup writes';
  if (code !== RR_TYPE.SOA) return rrset;
  const soa = rdataFromText(code, rrset.rdata[0] as string, apex);
  if (!soa.ok || soa.rdata.kind !== 'SOA') return `SOA ${rrset.rdata[0]} does not parse`;
  return { ...rrset, rdata: [rdataToText({ ...soa.rdata, serial })] };
}
