/**
 * What an iterative resolution produces: a typed result and the trace of every exchange
 * that led to it, plus their presentation (`dig +trace`-like text, and JSON with names and
 * records as presentation text).
 */
import { rcodeName } from '../../protocol/dns/wire/codes.js';
import type { Message } from '../../protocol/dns/wire/message.js';
import type { Name } from '../../protocol/dns/wire/name.js';
import { type ResourceRecord, recordToText } from '../../protocol/dns/wire/record.js';
import type { ExchangeProtocol } from './resolver-transport.js';

/** The limits of one resolution (see `ResolverOptions`). */
export type ResolutionLimit = 'cnames' | 'referrals' | 'depth' | 'queries';

export type ResolutionError =
  /** Every server of a zone answered SERVFAIL (or failed otherwise, at least one with SERVFAIL). */
  | { readonly kind: 'servfail'; readonly zone: Name; readonly message: string }
  /** A server answered neither with data nor with a referral below the zone it was asked for. */
  | { readonly kind: 'lame-delegation'; readonly zone: Name; readonly message: string }
  /** Every server of a zone timed out, or the overall deadline passed. */
  | { readonly kind: 'timeout'; readonly zone: Name; readonly message: string }
  /** The same zone cut twice with the same servers, or a CNAME loop. */
  | { readonly kind: 'loop'; readonly message: string }
  | { readonly kind: 'limit'; readonly limit: ResolutionLimit; readonly message: string }
  /** Every server of a zone sent replies we cannot use (undecodable over TCP, TC over TCP...). */
  | { readonly kind: 'bad-response'; readonly zone: Name; readonly message: string };

export type ResolutionResult =
  /** `records`: the CNAME chain from the asked name, then the RRset of the final name. */
  | { readonly kind: 'answer'; readonly name: Name; readonly records: readonly ResourceRecord[] }
  /** The final name (after `chain`) does not exist; `soa` from the authority section. */
  | {
      readonly kind: 'nxdomain';
      readonly name: Name;
      readonly chain: readonly ResourceRecord[];
      readonly soa: ResourceRecord | undefined;
    }
  /** The final name exists without data of the asked type. */
  | {
      readonly kind: 'nodata';
      readonly name: Name;
      readonly chain: readonly ResourceRecord[];
      readonly soa: ResourceRecord | undefined;
    }
  | ResolutionError;

export type ResolutionKind = ResolutionResult['kind'];

/** How the resolver read one reply (or its absence). */
export type StepVerdict =
  | 'answer'
  | 'cname'
  | 'referral'
  | 'nxdomain'
  | 'nodata'
  | 'truncated'
  | 'servfail'
  | 'lame'
  | 'loop'
  | 'timeout'
  | 'network-error'
  | 'bad-response';

/** One exchange with one server. */
export interface TraceStep {
  /** 0 for the asked name and its CNAME targets; 1 + for names of glueless name servers. */
  readonly depth: number;
  /** The zone the server was asked as an authority for. */
  readonly zone: string;
  readonly server: string;
  /** The name server's name, when it came from a referral. */
  readonly serverName: string | undefined;
  readonly question: string;
  readonly protocol: ExchangeProtocol;
  readonly verdict: StepVerdict;
  readonly rcode: string | undefined;
  /** Header flags that are set: `qr aa tc rd ra ad cd`. */
  readonly flags: readonly string[];
  readonly answers: readonly string[];
  readonly authorities: readonly string[];
  readonly additionals: readonly string[];
  readonly bytes: number;
  readonly ms: number;
  readonly detail: string | undefined;
}

export interface Resolution {
  readonly result: ResolutionResult;
  readonly trace: readonly TraceStep[];
}

export function flagNames(message: Message): string[] {
  const f = message.flags;
  const names: string[] = [];
  if (f.qr) names.push('qr');
  if (f.aa) names.push('aa');
  if (f.tc) names.push('tc');
  if (f.rd) names.push('rd');
  if (f.ra) names.push('ra');
  if (f.ad) names.push('ad');
  if (f.cd) names.push('cd');
  return names;
}

export function replyRcodeName(message: Message): string {
  return rcodeName(((message.edns?.extendedRcode ?? 0) << 4) | message.flags.rcode);
}

/** The result with names and records as presentation text (for `--json`). */
export function resultToJson(result: ResolutionResult): Record<string, unknown> {
  switch (result.kind) {
    case 'answer':
      return { kind: result.kind, name: result.name.toString(), records: result.records.map(recordToText) };
    case 'nxdomain':
    case 'nodata':
      return {
        kind: result.kind,
        name: result.name.toString(),
        chain: result.chain.map(recordToText),
        soa: result.soa === undefined ? null : recordToText(result.soa),
      };
    case 'loop':
    case 'limit':
      return { ...result };
    default:
      return { kind: result.kind, zone: result.zone.toString(), message: result.message };
  }
}

export function resolutionToJson(resolution: Resolution): {
  result: Record<string, unknown>;
  trace: TraceStep[];
} {
  return { result: resultToJson(resolution.result), trace: [...resolution.trace] };
}

/** One line for an error result: `lame-delegation at wikipedia.org.: ...`. */
export function errorLine(result: ResolutionError): string {
  if (result.kind === 'loop' || result.kind === 'limit') return `${result.kind}: ${result.message}`;
  return `${result.kind} at ${result.zone}: ${result.message}`;
}

function indent(depth: number): string {
  return '  '.repeat(depth);
}

/** The trace as `dig +trace` prints it: each reply's records, then where it came from. */
export function traceToText(trace: readonly TraceStep[]): string {
  const lines: string[] = [];
  for (const step of trace) {
    const pad = indent(step.depth);
    for (const record of [...step.answers, ...step.authorities, ...step.additionals])
      lines.push(`${pad}${record}`);
    const who = step.serverName === undefined ? step.server : `${step.server}(${step.serverName})`;
    const rcode = step.rcode === undefined ? '' : ` ${step.rcode}`;
    const flags = step.flags.length === 0 ? '' : ` flags: ${step.flags.join(' ')};`;
    const detail = step.detail === undefined ? '' : ` (${step.detail})`;
    lines.push(
      `${pad};; ${step.question} zone ${step.zone} from ${who} over ${step.protocol}:${rcode}${flags} ` +
        `${step.verdict}${detail}, ${step.bytes} bytes in ${step.ms} ms`,
    );
    lines.push('');
  }
  return lines.join('\n');
}

/** The final section: the answer's records, or the negative answer with its SOA. */
export function resultToText(result: ResolutionResult): string {
  switch (result.kind) {
    case 'answer':
      return result.records.map(recordToText).join('\n');
    case 'nxdomain':
    case 'nodata': {
      const lines = result.chain.map(recordToText);
      lines.push(`;; ${result.name} ${result.kind === 'nxdomain' ? 'NXDOMAIN' : 'NODATA'}`);
      if (result.soa !== undefined) lines.push(recordToText(result.soa));
      return lines.join('\n');
    }
    default:
      return `;; ${errorLine(result)}`;
  }
}
