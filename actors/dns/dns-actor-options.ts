/**
 * What the DNS actor (dns-actor.ts) is configured with, and its defaults. A home of its own
 * so the replica's main thread, which only composes the actor's options, does not load the
 * actor and the DNS server behind it: the actor runs on a worker thread.
 */
import { EDNS_UDP_PAYLOAD_BYTES_DEFAULT } from '../../protocol/limits.js';
import type { DnsListenerConfig } from './protocol.js';
import type { PositionMode } from './read-gate.js';
import { DEFAULT_RATE_LIMIT, type RateLimitOptions } from './server/response-rate-limit.js';
import { DEFAULT_TCP_LIMITS } from './server/tcp-connections.js';

export interface DnsActorOptions {
  readonly listeners: readonly DnsListenerConfig[];
  /** Served as NSID and CH TXT id.server: which replica answered. */
  readonly identity: string;
  readonly maxUdpPayload: number;
  readonly cacheEntries: number;
  /** Queries held by the read gate at most; beyond, SERVFAIL at once. */
  readonly maxHeldQueries: number;
  /** A held query is answered SERVFAIL after this (resolvers retry after ~1–2 s). */
  readonly holdTimeoutMs: number;
  /**
   * Read-index rounds of each mode asked for at once (read-gate.ts). More than one cuts a
   * query's wait at light load to one round trip. `lease` allows several: a round costs
   * the leader nothing while it holds its lease (a follower's costs one NATS request).
   * `linearizable` allows one: each round costs the leader a heartbeat to every follower,
   * and more rounds in flight cost a third of its queries/s under `bench:dns` load
   * (ARCHITECTURE §7).
   */
  readonly maxReadRoundsInFlight: Readonly<Record<PositionMode, number>>;
  readonly tcpIdleTimeoutMs: number;
  readonly tcpMaxConnections: number;
  readonly tcpMaxConnectionsPerClient: number;
  readonly tcpMaxInFlightPerConnection: number;
  /** Response rate limiting of UDP answers (server/response-rate-limit.ts). */
  readonly rateLimit: RateLimitOptions;
  readonly tickMs: number;
  /**
   * The group's catalog zone (RFC 9432, catalog/group-catalog.ts), absolute; absent: none
   * is served.
   */
  readonly catalogZone?: string;
}

export const DEFAULT_DNS_ACTOR: Omit<DnsActorOptions, 'listeners' | 'identity'> = {
  maxUdpPayload: EDNS_UDP_PAYLOAD_BYTES_DEFAULT,
  cacheEntries: 65_536,
  maxHeldQueries: 16_384,
  holdTimeoutMs: 1_000,
  maxReadRoundsInFlight: { lease: 4, linearizable: 1 },
  tcpIdleTimeoutMs: DEFAULT_TCP_LIMITS.idleTimeoutMs,
  tcpMaxConnections: DEFAULT_TCP_LIMITS.maxConnections,
  tcpMaxConnectionsPerClient: DEFAULT_TCP_LIMITS.maxConnectionsPerClient,
  tcpMaxInFlightPerConnection: DEFAULT_TCP_LIMITS.maxInFlightPerConnection,
  rateLimit: DEFAULT_RATE_LIMIT,
  tickMs: 100,
};
