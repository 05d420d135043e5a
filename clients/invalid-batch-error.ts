/**
 * The error of changes that cannot form a batch, or of a name no group serves: raised before
 * anything is sent (clients/region-writer.ts, clients/name-route.ts). Its own module so a
 * one-shot read routes names without loading the writer.
 */
import type { DnsWriteError } from '../protocol/dns/changes.js';

/** The changes cannot form a batch (syntax, limits, groups); nothing was sent anywhere. */
export class InvalidBatchError extends Error {
  constructor(
    readonly error: DnsWriteError | { readonly code: 'no-group' | 'spans-groups'; readonly message: string },
  ) {
    super(error.message);
    this.name = 'InvalidBatchError';
  }
}
