/**
 * The cluster-wide settings the DNS actor enforces, fed from their NATS KV buckets
 * (bucket-feed.ts) as whole sets: the TSIG keys (bootstrap/tsig-key-store.ts; a key added
 * with `raftns tsig add` works within the watch's delivery time, well under a second) and
 * the zone transfer rules (bootstrap/transfer-acl-store.ts, `raftns zone allow-transfer`).
 * Each set is sent after every change and again every `RESEND_MS`, because a restarted DNS
 * actor starts with none (no keys, and so every transfer refused). Key secrets cross only
 * the actor message; nothing here logs them.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { DnsActorMessage } from '../../actors/dns/protocol.js';
import { DNS } from '../../actors/raft/actor-names.js';
import { TransferAclStore } from '../../bootstrap/transfer-acl-store.js';
import { TsigKeyStore } from '../../bootstrap/tsig-key-store.js';
import type { ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';
import { BucketFeed, type StoppableFeed, type WatchableRecordSet } from './bucket-feed.js';

export const RESEND_MS = 2_000;

export interface DnsActorFeedOptions {
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly external: ExternalEndpoint;
  readonly log: Logger;
}

export function startTsigKeyFeed(options: DnsActorFeedOptions): StoppableFeed {
  return startDnsActorFeed(options, {
    open: () => TsigKeyStore.open(options.nc, options.cluster),
    what: 'TSIG keys',
    names: (keys) => keys.map((key) => key.name),
    message: (keys) => ({ type: 'tsig-keys', keys }),
  });
}

export function startTransferRuleFeed(options: DnsActorFeedOptions): StoppableFeed {
  return startDnsActorFeed(options, {
    open: () => TransferAclStore.open(options.nc, options.cluster),
    what: 'zone transfer rules',
    names: (rules) => rules.map((rule) => rule.zone),
    message: (rules) => ({ type: 'transfer-acl', rules }),
  });
}

interface DnsActorFeed<T> {
  readonly open: () => Promise<WatchableRecordSet<T>>;
  readonly what: string;
  readonly names: (records: readonly T[]) => readonly string[];
  readonly message: (records: readonly T[]) => DnsActorMessage;
}

function startDnsActorFeed<T>(options: DnsActorFeedOptions, feed: DnsActorFeed<T>): BucketFeed<T> {
  let latest: readonly T[] | undefined;
  const push = (): void => {
    if (latest === undefined) return;
    const result = options.external.send(DNS, feed.message(latest));
    if (result.status !== 'sent') options.log.debug({ status: result.status }, `${feed.what} not delivered`);
  };
  return BucketFeed.start({
    open: feed.open,
    what: feed.what,
    names: feed.names,
    periodMs: RESEND_MS,
    log: options.log,
    onSet: (records) => {
      latest = records;
      push();
    },
    onPeriod: push,
  });
}
