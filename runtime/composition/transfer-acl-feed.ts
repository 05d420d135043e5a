/**
 * Feeds the cluster's zone transfer rules (bootstrap/transfer-acl-store.ts) to the
 * replica's DNS actor as `transfer-acl` messages: the whole set after every change of the
 * bucket (a rule set with `raftns zone allow-transfer` applies within the watch's delivery
 * time, well under a second), and again every `RESEND_MS`, because a restarted DNS actor
 * starts with no rules (and so refuses every transfer until they arrive).
 *
 * The bucket may not exist when the replica starts; opening it is retried every
 * `RESEND_MS` until it works.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { DnsActorMessage } from '../../actors/dns/protocol.js';
import { DNS } from '../../actors/raft/actor-names.js';
import { TransferAclStore } from '../../bootstrap/transfer-acl-store.js';
import type { TransferRule } from '../../protocol/dns/transfer-acl.js';
import type { ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';

export const RESEND_MS = 2_000;

export interface TransferAclFeedOptions {
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly external: ExternalEndpoint;
  readonly log: Logger;
}

export class TransferAclFeed {
  private rules: readonly TransferRule[] | undefined;
  private stopWatch: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;
  private opening = false;
  private stopped = false;

  private constructor(private readonly options: TransferAclFeedOptions) {
    this.timer = setInterval(() => this.tick(), RESEND_MS);
    this.timer.unref();
  }

  static start(options: TransferAclFeedOptions): TransferAclFeed {
    const feed = new TransferAclFeed(options);
    feed.tick();
    return feed;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.stopWatch?.();
  }

  private tick(): void {
    if (this.stopWatch === undefined) void this.open();
    else this.push();
  }

  private async open(): Promise<void> {
    if (this.opening || this.stopped) return;
    this.opening = true;
    try {
      const store = await TransferAclStore.open(this.options.nc, this.options.cluster);
      const stop = await store.watch(
        (rules) => {
          this.rules = rules;
          this.options.log.info({ zones: rules.map((r) => r.zone) }, 'zone transfer rules changed');
          this.push();
        },
        (bucketKey, why) => this.options.log.warn({ bucketKey, why }, 'ignored a transfer rule record'),
      );
      if (this.stopped) stop();
      else this.stopWatch = stop;
    } catch (error) {
      this.options.log.debug({ err: String(error) }, 'the transfer rule bucket is not available yet');
    } finally {
      this.opening = false;
    }
  }

  private push(): void {
    if (this.rules === undefined) return;
    const result = this.options.external.send(DNS, {
      type: 'transfer-acl',
      rules: this.rules,
    } satisfies DnsActorMessage);
    if (result.status !== 'sent')
      this.options.log.debug({ status: result.status }, 'transfer rules not delivered');
  }
}
