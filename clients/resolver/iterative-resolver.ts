/**
 * An iterative resolver for operators and tests (`dig +trace` as a library): it starts at
 * the given root servers and follows referrals down to the servers authoritative for the
 * name (RFC 1034 §5.3.3), without a cache.
 *
 * - Referrals: NS in authority, AA clear, cut strictly below the zone the server was asked
 *   for and above the name. Glue (A/AAAA in additional for an NS target) is used only when
 *   it lies inside the zone of the server that sent it (its bailiwick); a name server
 *   without usable glue is resolved from the root (depth + 1, at most `depthMax`). Glued
 *   servers are tried before glueless ones, each address once per zone.
 * - A server that times out, answers SERVFAIL, REFUSED or another error rcode, or answers
 *   lamely (no data, no referral below its zone: an upward or sideways referral) is
 *   skipped for the next one; when all fail, the zone's error is the most telling of
 *   theirs (loop, limit, lame-delegation, servfail, bad-response, timeout, in that order).
 * - CNAMEs: a chain in the answer section is followed as far as it goes; a target the
 *   reply leaves unanswered is resolved again from the root (it may be in another zone).
 *   A name seen twice is a loop; more than `cnamesMax` CNAMEs is a limit.
 * - Loops: a referral to a cut with the same name servers as a zone being walked, or one
 *   whose name servers' addresses are being resolved (a glueless cycle), is a loop.
 * - Limits (TigerBeetle's "a limit on everything"): CNAMEs, referrals and queries per
 *   resolution, NS-name depth, a timeout per exchange and a deadline for the whole.
 *
 * Time, timers and query ids are injected (`clock`, `timers`, `randomId`); production
 * defaults are the monotonic clock, real timers and `crypto.randomInt`.
 */
import { randomInt } from 'node:crypto';
import { RCODE, RR_CLASS, RR_TYPE, rrClassName, rrTypeName } from '../../protocol/dns/wire/codes.js';
import type { Message } from '../../protocol/dns/wire/message.js';
import { Name } from '../../protocol/dns/wire/name.js';
import { type ResourceRecord, recordToText } from '../../protocol/dns/wire/record.js';
import { type Clock, monotonicClock, realTimers, type Timers } from '../../runtime/clock.js';
import {
  flagNames,
  type Resolution,
  type ResolutionError,
  type ResolutionResult,
  replyRcodeName,
  type StepVerdict,
  type TraceStep,
} from './resolution-trace.js';
import {
  buildQuery,
  type ExchangeOutcome,
  formatServerAddress,
  type ResolverTransport,
  type ServerAddress,
  SocketTransport,
} from './resolver-transport.js';

export const DEFAULT_PORT = 53;
export const DEFAULT_QUERY_TIMEOUT_MS = 2_000;
export const DEFAULT_DEADLINE_MS = 10_000;
export const DEFAULT_CNAMES_MAX = 16;
export const DEFAULT_REFERRALS_MAX = 32;
export const DEFAULT_DEPTH_MAX = 8;
export const DEFAULT_QUERIES_MAX = 200;

export interface ResolverOptions {
  /** Where every walk starts. At least one. */
  readonly roots: readonly ServerAddress[];
  /** The port of every server reached through a referral (test clusters use high ports); default 53. */
  readonly port?: number;
  /** Per exchange (UDP and its TCP retry each); default 2000. */
  readonly queryTimeoutMs?: number;
  /** For the whole resolution; default 10000. */
  readonly deadlineMs?: number;
  readonly cnamesMax?: number;
  readonly referralsMax?: number;
  /** Nesting of name-server name resolutions (glueless delegations); default 8. */
  readonly depthMax?: number;
  readonly queriesMax?: number;
  readonly transport?: ResolverTransport;
  readonly clock?: Clock;
  readonly timers?: Timers;
  /** A 16-bit query id; default `crypto.randomInt(0, 65536)`. */
  readonly randomId?: () => number;
}

/** How one reply reads, relative to the zone its server was asked as an authority for. */
export type ReplyReading =
  | { readonly verdict: 'answer' | 'nxdomain' | 'nodata'; readonly soa: ResourceRecord | undefined }
  | {
      readonly verdict: 'referral';
      readonly cut: Name;
      readonly nameServers: readonly Name[];
      /** In-bailiwick glue addresses by NS name key. */
      readonly glue: ReadonlyMap<string, readonly string[]>;
    }
  | { readonly verdict: 'sideways'; readonly cut: Name; readonly nameServers: readonly Name[] }
  | { readonly verdict: 'servfail' | 'lame'; readonly detail: string };

/**
 * Reads a reply to a question for `qname` from a server asked as an authority for `zone`. Pure.
 */
export function readReply(message: Message, qname: Name, zone: Name): ReplyReading {
  const rcode = ((message.edns?.extendedRcode ?? 0) << 4) | message.flags.rcode;
  const soa = message.authorities.find((rr) => rr.type === RR_TYPE.SOA);
  if (rcode === RCODE.SERVFAIL) return { verdict: 'servfail', detail: 'SERVFAIL' };
  if (rcode === RCODE.NXDOMAIN) return { verdict: 'nxdomain', soa };
  if (rcode !== RCODE.NOERROR) return { verdict: 'lame', detail: replyRcodeName(message) };
  if (message.answers.some((rr) => rr.name.equals(qname))) return { verdict: 'answer', soa };
  const firstNs = message.authorities.find((rr) => rr.type === RR_TYPE.NS);
  if (message.flags.aa) return { verdict: 'nodata', soa };
  if (firstNs !== undefined) {
    const cut = firstNs.name;
    const nameServers: Name[] = [];
    for (const rr of message.authorities)
      if (rr.type === RR_TYPE.NS && rr.name.equals(cut) && rr.rdata.kind === 'NS')
        nameServers.push(rr.rdata.target);
    if (cut.equals(zone)) return { verdict: 'sideways', cut, nameServers };
    if (!(cut.isSubdomainOf(zone) && qname.isSubdomainOf(cut)))
      return { verdict: 'lame', detail: `referral to ${cut} is not below ${zone} and above ${qname}` };
    const glue = new Map<string, string[]>();
    for (const ns of nameServers) {
      const addresses: string[] = [];
      for (const rr of message.additionals) {
        if (!rr.name.equals(ns) || !rr.name.isSubdomainOf(zone)) continue;
        if (rr.rdata.kind === 'A' || rr.rdata.kind === 'AAAA') addresses.push(rr.rdata.address);
      }
      if (addresses.length > 0) glue.set(ns.key, addresses);
    }
    return { verdict: 'referral', cut, nameServers, glue };
  }
  if (soa !== undefined) return { verdict: 'nodata', soa };
  return { verdict: 'lame', detail: 'neither data nor a referral' };
}

/** Ends the whole resolution (a global budget ran out); carried up as an exception. */
class Stop extends Error {
  constructor(readonly error: ResolutionError) {
    super(error.message);
  }
}

interface Candidate {
  readonly name: Name | undefined;
  /** Known addresses (roots, glue); undefined: resolve `name`. */
  readonly addresses: readonly ServerAddress[] | undefined;
}

interface Zone {
  readonly cut: Name;
  /** The cut and its servers, for loop detection. */
  readonly key: string;
  readonly candidates: readonly Candidate[];
}

type ZoneOutcome =
  | { readonly kind: 'reply'; readonly reading: ReplyReading; readonly message: Message }
  | { readonly kind: 'error'; readonly error: ResolutionError };

type WalkOutcome =
  | {
      readonly kind: 'final';
      readonly verdict: 'answer' | 'nxdomain' | 'nodata';
      readonly soa: ResourceRecord | undefined;
      readonly message: Message;
      readonly zone: Name;
    }
  | { readonly kind: 'error'; readonly error: ResolutionError };

const ERROR_PRIORITY: readonly ResolutionError['kind'][] = [
  'loop',
  'limit',
  'lame-delegation',
  'servfail',
  'bad-response',
  'timeout',
];

function zoneKey(cut: Name, nameServers: readonly Name[]): string {
  return `${cut.key} ${nameServers
    .map((n) => n.key)
    .sort()
    .join(',')}`;
}

export class IterativeResolver {
  readonly #options: ResolverOptions;
  readonly #transport: ResolverTransport;
  readonly #clock: Clock;
  readonly #randomId: () => number;

  /** Throws `RangeError` without roots. */
  constructor(options: ResolverOptions) {
    if (options.roots.length === 0)
      throw new RangeError('an iterative resolver needs at least one root server');
    this.#options = options;
    this.#transport = options.transport ?? new SocketTransport(options.timers ?? realTimers);
    this.#clock = options.clock ?? monotonicClock;
    this.#randomId = options.randomId ?? (() => randomInt(0, 0x10000));
  }

  /** Resolves `name`/`type` (class IN) from the roots. Never rejects. */
  async resolve(name: Name, type: number): Promise<Resolution> {
    const run = new Run(this.#options, this.#transport, this.#clock, this.#randomId);
    let result: ResolutionResult;
    try {
      result = await run.resolveName(name, type, 0);
    } catch (error) {
      if (!(error instanceof Stop)) throw error;
      result = error.error;
    }
    return { result, trace: run.trace };
  }
}

/** The state of one resolution: its trace, budgets and the zones in progress. */
class Run {
  readonly trace: TraceStep[] = [];
  readonly #port: number;
  readonly #queryTimeoutMs: number;
  readonly #deadlineMs: number;
  readonly #deadlineAt: number;
  readonly #cnamesMax: number;
  readonly #referralsMax: number;
  readonly #depthMax: number;
  readonly #queriesMax: number;
  readonly #roots: Zone;
  #referrals = 0;
  #queries = 0;
  /** Keys of zones whose name servers' names are being resolved. */
  readonly #pending = new Set<string>();

  constructor(
    options: ResolverOptions,
    readonly transport: ResolverTransport,
    readonly clock: Clock,
    readonly randomId: () => number,
  ) {
    this.#port = options.port ?? DEFAULT_PORT;
    this.#queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.#deadlineAt = clock.nowMs() + this.#deadlineMs;
    this.#cnamesMax = options.cnamesMax ?? DEFAULT_CNAMES_MAX;
    this.#referralsMax = options.referralsMax ?? DEFAULT_REFERRALS_MAX;
    this.#depthMax = options.depthMax ?? DEFAULT_DEPTH_MAX;
    this.#queriesMax = options.queriesMax ?? DEFAULT_QUERIES_MAX;
    this.#roots = {
      cut: Name.ROOT,
      key: `. roots:${options.roots.map(formatServerAddress).sort().join(',')}`,
      candidates: [{ name: undefined, addresses: options.roots }],
    };
  }

  /** `qname`/`qtype` with its CNAME chain; restarts from the root for unanswered targets. */
  async resolveName(qname: Name, qtype: number, depth: number): Promise<ResolutionResult> {
    const chain: ResourceRecord[] = [];
    const seen = new Set<string>([qname.key]);
    const followCnames = qtype !== RR_TYPE.CNAME && qtype !== RR_TYPE.ANY;
    let name = qname;
    for (;;) {
      const walked = await this.#walk(name, qtype, depth);
      if (walked.kind === 'error') return walked.error;
      const { message } = walked;
      let final = name;
      for (;;) {
        if (!followCnames) break;
        const cname = message.answers.find((rr) => rr.type === RR_TYPE.CNAME && rr.name.equals(final));
        if (cname === undefined || cname.rdata.kind !== 'CNAME') break;
        chain.push(cname);
        if (chain.length > this.#cnamesMax)
          return {
            kind: 'limit',
            limit: 'cnames',
            message: `more than ${this.#cnamesMax} CNAMEs from ${qname}`,
          };
        final = cname.rdata.target;
        if (seen.has(final.key))
          return { kind: 'loop', message: `CNAME loop: ${cname.name} -> ${final} was seen before` };
        seen.add(final.key);
      }
      const data = message.answers.filter(
        (rr) =>
          rr.name.equals(final) &&
          (rr.type === qtype || qtype === RR_TYPE.ANY) &&
          (rr.type !== RR_TYPE.CNAME || !followCnames),
      );
      if (data.length > 0) return { kind: 'answer', name: final, records: [...chain, ...data] };
      if (walked.verdict === 'nxdomain') return { kind: 'nxdomain', name: final, chain, soa: walked.soa };
      if (final.equals(name) || (walked.verdict === 'nodata' && final.isSubdomainOf(walked.zone)))
        return { kind: 'nodata', name: final, chain, soa: walked.soa };
      name = final;
    }
  }

  /** From the roots down to a final reply for `qname`. */
  async #walk(qname: Name, qtype: number, depth: number): Promise<WalkOutcome> {
    let zone = this.#roots;
    const walked = new Set<string>([zone.key]);
    for (;;) {
      const outcome = await this.#askZone(zone, qname, qtype, depth);
      if (outcome.kind === 'error') return outcome;
      const { reading, message } = outcome;
      if (reading.verdict === 'answer' || reading.verdict === 'nxdomain' || reading.verdict === 'nodata')
        return { kind: 'final', verdict: reading.verdict, soa: reading.soa, message, zone: zone.cut };
      if (reading.verdict !== 'referral') throw new Error(`askZone returned a ${reading.verdict} reply`);
      this.#referrals++;
      if (this.#referrals > this.#referralsMax)
        throw new Stop({
          kind: 'limit',
          limit: 'referrals',
          message: `more than ${this.#referralsMax} referrals`,
        });
      const key = zoneKey(reading.cut, reading.nameServers);
      if (walked.has(key) || this.#pending.has(key))
        return {
          kind: 'error',
          error: {
            kind: 'loop',
            message: `referral to ${reading.cut} (${reading.nameServers.join(' ')}) while already resolving through it`,
          },
        };
      walked.add(key);
      const glued: Candidate[] = [];
      const glueless: Candidate[] = [];
      for (const ns of reading.nameServers) {
        const addresses = reading.glue.get(ns.key);
        if (addresses === undefined) glueless.push({ name: ns, addresses: undefined });
        else glued.push({ name: ns, addresses: addresses.map((host) => ({ host, port: this.#port })) });
      }
      zone = { cut: reading.cut, key, candidates: [...glued, ...glueless] };
    }
  }

  /** Asks the zone's servers in turn until one gives data, a negative answer or a referral. */
  async #askZone(zone: Zone, qname: Name, qtype: number, depth: number): Promise<ZoneOutcome> {
    const failures: ResolutionError[] = [];
    const tried = new Set<string>();
    for (const candidate of zone.candidates) {
      let addresses = candidate.addresses;
      if (addresses === undefined) {
        const found = await this.#addressesOf(candidate.name as Name, zone, depth);
        if (!Array.isArray(found)) {
          failures.push(found as ResolutionError);
          continue;
        }
        addresses = found;
      }
      for (const server of addresses) {
        const serverText = formatServerAddress(server);
        if (tried.has(serverText)) continue;
        tried.add(serverText);
        const asked = await this.#ask(zone, server, candidate.name, qname, qtype, depth);
        if (asked.kind === 'reply') return asked;
        failures.push(asked.error);
      }
    }
    for (const kind of ERROR_PRIORITY) {
      const failure = failures.find((f) => f.kind === kind);
      if (failure !== undefined) return { kind: 'error', error: failure };
    }
    return {
      kind: 'error',
      error: { kind: 'lame-delegation', zone: zone.cut, message: `no usable name server for ${zone.cut}` },
    };
  }

  /** The addresses of a glueless name server of `zone`, or why there are none. */
  async #addressesOf(
    ns: Name,
    zone: Zone,
    depth: number,
  ): Promise<readonly ServerAddress[] | ResolutionError> {
    if (depth + 1 > this.#depthMax)
      return {
        kind: 'limit',
        limit: 'depth',
        message: `resolving name server ${ns} of ${zone.cut} needs depth ${depth + 1} (max ${this.#depthMax})`,
      };
    this.#pending.add(zone.key);
    try {
      let last: ResolutionResult | undefined;
      for (const type of [RR_TYPE.A, RR_TYPE.AAAA]) {
        last = await this.resolveName(ns, type, depth + 1);
        if (last.kind !== 'answer' && last.kind !== 'nodata') break;
        const hosts: string[] = [];
        if (last.kind === 'answer')
          for (const rr of last.records)
            if (rr.rdata.kind === 'A' || rr.rdata.kind === 'AAAA') hosts.push(rr.rdata.address);
        if (hosts.length > 0) return hosts.map((host) => ({ host, port: this.#port }));
      }
      if (last !== undefined && last.kind !== 'answer' && last.kind !== 'nodata' && last.kind !== 'nxdomain')
        return last;
      return {
        kind: 'lame-delegation',
        zone: zone.cut,
        message: `name server ${ns} of ${zone.cut} has no address`,
      };
    } finally {
      this.#pending.delete(zone.key);
    }
  }

  /** One server: UDP, then TCP when truncated. Records every exchange in the trace. */
  async #ask(
    zone: Zone,
    server: ServerAddress,
    serverName: Name | undefined,
    qname: Name,
    qtype: number,
    depth: number,
  ): Promise<ZoneOutcome> {
    const question = { name: qname, type: qtype, class: RR_CLASS.IN };
    const questionText = `${qname} ${rrClassName(RR_CLASS.IN)} ${rrTypeName(qtype)}`;
    const serverText = formatServerAddress(server);
    for (const protocol of ['udp', 'tcp'] as const) {
      const remainingMs = this.#deadlineAt - this.clock.nowMs();
      if (remainingMs <= 0)
        throw new Stop({
          kind: 'timeout',
          zone: zone.cut,
          message: `the deadline of ${this.#deadlineMs} ms passed`,
        });
      this.#queries++;
      if (this.#queries > this.#queriesMax)
        throw new Stop({ kind: 'limit', limit: 'queries', message: `more than ${this.#queriesMax} queries` });
      const query = buildQuery(this.randomId() & 0xffff, question);
      const startMs = this.clock.nowMs();
      const timeoutMs = Math.min(this.#queryTimeoutMs, remainingMs);
      const outcome = await this.transport.exchange(server, query, protocol, timeoutMs);
      const ms = Math.round(this.clock.nowMs() - startMs);
      const record = (verdict: StepVerdict, detail: string | undefined, got: ExchangeOutcome): void => {
        const message = got.ok ? got.message : undefined;
        this.trace.push({
          depth,
          zone: zone.cut.toString(),
          server: serverText,
          serverName: serverName?.toString(),
          question: questionText,
          protocol,
          verdict,
          rcode: message === undefined ? undefined : replyRcodeName(message),
          flags: message === undefined ? [] : flagNames(message),
          answers: message?.answers.map(recordToText) ?? [],
          authorities: message?.authorities.map(recordToText) ?? [],
          additionals: message?.additionals.map(recordToText) ?? [],
          bytes: got.ok ? got.bytes : 0,
          ms,
          detail,
        });
      };
      if (!outcome.ok) {
        const verdict = outcome.failure === 'network' ? 'network-error' : outcome.failure;
        record(verdict, outcome.detail, outcome);
        const kind = outcome.failure === 'bad-response' ? 'bad-response' : 'timeout';
        return {
          kind: 'error',
          error: { kind, zone: zone.cut, message: `${serverText}: ${outcome.detail}` },
        };
      }
      const { message } = outcome;
      if (message.flags.tc) {
        record('truncated', protocol === 'udp' ? 'retrying over TCP' : 'TC set over TCP', outcome);
        if (protocol === 'udp') continue;
        return {
          kind: 'error',
          error: { kind: 'bad-response', zone: zone.cut, message: `${serverText}: TC set over TCP` },
        };
      }
      const reading = readReply(message, qname, zone.cut);
      switch (reading.verdict) {
        case 'answer': {
          const cname = message.answers.some((rr) => rr.type === RR_TYPE.CNAME && rr.name.equals(qname));
          record(cname && qtype !== RR_TYPE.CNAME ? 'cname' : 'answer', undefined, outcome);
          return { kind: 'reply', reading, message };
        }
        case 'nxdomain':
        case 'nodata':
          record(reading.verdict, undefined, outcome);
          return { kind: 'reply', reading, message };
        case 'referral':
          record('referral', `to ${reading.cut}`, outcome);
          return { kind: 'reply', reading, message };
        case 'sideways': {
          const loop = zoneKey(reading.cut, reading.nameServers) === zone.key;
          const detail = `referral to ${reading.cut}, the zone it was asked for`;
          record(loop ? 'loop' : 'lame', detail, outcome);
          return {
            kind: 'error',
            error: loop
              ? { kind: 'loop', message: `${serverText}: ${detail}, with the same servers` }
              : { kind: 'lame-delegation', zone: zone.cut, message: `${serverText}: ${detail}` },
          };
        }
        case 'servfail':
          record('servfail', undefined, outcome);
          return {
            kind: 'error',
            error: { kind: 'servfail', zone: zone.cut, message: `${serverText} answered SERVFAIL` },
          };
        case 'lame':
          record('lame', reading.detail, outcome);
          return {
            kind: 'error',
            error: { kind: 'lame-delegation', zone: zone.cut, message: `${serverText}: ${reading.detail}` },
          };
      }
    }
    throw new Error('unreachable: TCP replies return above');
  }
}
