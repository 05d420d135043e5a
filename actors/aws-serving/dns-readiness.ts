/**
 * Whether a replica's DNS side is ready to take traffic from a load balancer, by the rule
 * `/readyz` applies (runtime/composition/observability/health.ts): every configured DNS
 * listener open, and the DNS copy of the zones within `appliedLagMax` entries of the commit
 * index this replica last had proof of. Pure: the AWS-serving actor gathers the answers.
 */
import type { DnsServerStatus } from '../dns/protocol.js';
import type { ContactResult } from '../log/protocol.js';

export type DnsReadiness = { readonly ready: true } | { readonly ready: false; readonly reason: string };

export interface DnsReadinessBounds {
  /** DNS listeners the replica opens (0: it runs none, and only the commit index counts). */
  readonly dnsListeners: number;
  readonly appliedLagMax: number;
}

export function dnsReadiness(
  status: DnsServerStatus | undefined,
  contact: ContactResult,
  bounds: DnsReadinessBounds,
): DnsReadiness {
  if (!contact.ok) return { ready: false, reason: 'no proof of the commit index from a leader yet' };
  if (bounds.dnsListeners === 0) return { ready: true };
  if (status === undefined) return { ready: false, reason: 'the DNS actor did not answer' };
  if (status.listeners.length < bounds.dnsListeners)
    return {
      ready: false,
      reason: `${status.listeners.length} of ${bounds.dnsListeners} DNS listeners open`,
    };
  const lag = contact.commitIndex - status.appliedIndex;
  if (lag > bounds.appliedLagMax)
    return {
      ready: false,
      reason: `DNS copy at index ${status.appliedIndex} is ${lag} behind commit index ${contact.commitIndex} (bound ${bounds.appliedLagMax})`,
    };
  return { ready: true };
}
