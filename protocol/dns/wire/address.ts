/**
 * IPv4 and IPv6 addresses as text and as the 4 or 16 octets of A and AAAA RDATA.
 *
 * Parsing is strict (dotted quad without leading zeros; RFC 4291 §2.2 IPv6 text, with an
 * optional trailing dotted quad). Printing is canonical: RFC 5952 for IPv6 (lowercase, no
 * leading zeros, the longest run of two or more zero groups as `::`, the first on a tie,
 * and `::ffff:a.b.c.d` for IPv4-mapped addresses), so parse → print → parse is stable.
 */

const IPV4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;
const GROUP = /^[0-9a-fA-F]{1,4}$/;

export function parseIpv4(text: string): Uint8Array | undefined {
  const match = IPV4.exec(text);
  if (match === null) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const octet = Number(match[i + 1]);
    if (octet > 255) return undefined;
    out[i] = octet;
  }
  return out;
}

export function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  for (const part of text.split(':')) {
    if (!GROUP.test(part)) return undefined;
    groups.push(Number.parseInt(part, 16));
  }
  return groups;
}

export function parseIpv6(text: string): Uint8Array | undefined {
  if (text.length > 45) return undefined;
  let hex = text;
  if (text.includes('.')) {
    const lastColon = text.lastIndexOf(':');
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (lastColon < 0 || v4 === undefined) return undefined;
    const high = ((v4[0] as number) << 8) | (v4[1] as number);
    const low = ((v4[2] as number) << 8) | (v4[3] as number);
    hex = `${text.slice(0, lastColon + 1)}${high.toString(16)}:${low.toString(16)}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return undefined;
  const left = parseGroups(halves[0] as string);
  const right = halves.length === 2 ? parseGroups(halves[1] as string) : [];
  if (left === undefined || right === undefined) return undefined;
  const groups = left.length + right.length;
  if (halves.length === 1 ? groups !== 8 : groups > 7) return undefined;
  const out = new Uint8Array(16);
  left.forEach((g, i) => {
    out[2 * i] = g >>> 8;
    out[2 * i + 1] = g & 0xff;
  });
  right.forEach((g, i) => {
    const at = 16 - 2 * (right.length - i);
    out[at] = g >>> 8;
    out[at + 1] = g & 0xff;
  });
  return out;
}

export function formatIpv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[2 * i] as number) << 8) | (bytes[2 * i + 1] as number));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff)
    return `::ffff:${formatIpv4(bytes.subarray(12, 16))}`;
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
