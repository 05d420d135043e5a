/**
 * What the DNS actor counts of every query and answer for the metrics: queries by type,
 * answers by rcode, answer sizes by transport. The label sets are fixed here (common
 * types and "other"; the header's rcodes by name and "other"), so a flood of odd queries
 * cannot grow the metrics. Per message: a switch, two array increments and a bucket scan.
 */

import { RR_TYPE } from '../../../protocol/dns/wire/codes.js';
import { firstQuestionType } from '../../../protocol/dns/wire/message.js';
import { BucketCounts, type BucketReading } from '../../../runtime/bucket-counts.js';

/** Type labels, in slot order; the last counts every other type and unreadable questions. */
export const QUERY_TYPE_LABELS = [
  'A',
  'NS',
  'CNAME',
  'SOA',
  'PTR',
  'MX',
  'TXT',
  'AAAA',
  'SRV',
  'DS',
  'DNSKEY',
  'HTTPS',
  'CAA',
  'ANY',
  'AXFR',
  'IXFR',
  'other',
] as const;
const OTHER_TYPE = QUERY_TYPE_LABELS.length - 1;

/** Types resolvers ask often that the zone data does not hold (no name in RR_TYPE). */
const DS = 43;
const DNSKEY = 48;
const HTTPS = 65;

function typeSlot(qtype: number | undefined): number {
  switch (qtype) {
    case RR_TYPE.A:
      return 0;
    case RR_TYPE.NS:
      return 1;
    case RR_TYPE.CNAME:
      return 2;
    case RR_TYPE.SOA:
      return 3;
    case RR_TYPE.PTR:
      return 4;
    case RR_TYPE.MX:
      return 5;
    case RR_TYPE.TXT:
      return 6;
    case RR_TYPE.AAAA:
      return 7;
    case RR_TYPE.SRV:
      return 8;
    case DS:
      return 9;
    case DNSKEY:
      return 10;
    case HTTPS:
      return 11;
    case RR_TYPE.CAA:
      return 12;
    case RR_TYPE.ANY:
      return 13;
    case RR_TYPE.AXFR:
      return 14;
    case RR_TYPE.IXFR:
      return 15;
    default:
      return OTHER_TYPE;
  }
}

/**
 * Rcode labels: slot n is the header rcode n (RFC 1035 §4.1.1, RFC 2136 §2.2); the last
 * counts 11–15. Extended rcodes (EDNS, RFC 6891) show as their low four bits.
 */
export const RCODE_LABELS = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
  'other',
] as const;
const OTHER_RCODE = RCODE_LABELS.length - 1;

/** Answer sizes: a minimal answer to a full TCP message; 512, 1232 and 1472 mark UDP limits. */
export const RESPONSE_BYTES_BUCKETS = [64, 128, 256, 512, 1024, 1232, 1472, 2048, 4096, 8192, 16_384, 65_535];

export interface DnsTrafficReading {
  /** By slot of QUERY_TYPE_LABELS. */
  readonly queryTypes: readonly number[];
  /** By slot of RCODE_LABELS. */
  readonly rcodes: readonly number[];
  readonly udpResponseBytes: BucketReading;
  readonly tcpResponseBytes: BucketReading;
}

export class DnsTraffic {
  private readonly queryTypes = new Array<number>(QUERY_TYPE_LABELS.length).fill(0);
  private readonly rcodes = new Array<number>(RCODE_LABELS.length).fill(0);
  private readonly udpResponseBytes = new BucketCounts(RESPONSE_BYTES_BUCKETS);
  private readonly tcpResponseBytes = new BucketCounts(RESPONSE_BYTES_BUCKETS);

  queryArrived(query: Uint8Array): void {
    const slot = typeSlot(firstQuestionType(query));
    this.queryTypes[slot] = (this.queryTypes[slot] as number) + 1;
  }

  /** An answer leaves (a complete message, as the socket sends it). */
  answered(answer: Uint8Array, transport: 'udp' | 'tcp'): void {
    const rcode = answer.length < 4 ? OTHER_RCODE : (answer[3] as number) & 0x0f;
    const slot = Math.min(rcode, OTHER_RCODE);
    this.rcodes[slot] = (this.rcodes[slot] as number) + 1;
    (transport === 'udp' ? this.udpResponseBytes : this.tcpResponseBytes).observe(answer.length);
  }

  reading(): DnsTrafficReading {
    return {
      queryTypes: [...this.queryTypes],
      rcodes: [...this.rcodes],
      udpResponseBytes: this.udpResponseBytes.reading(),
      tcpResponseBytes: this.tcpResponseBytes.reading(),
    };
  }
}
