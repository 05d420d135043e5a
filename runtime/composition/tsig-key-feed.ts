/**
 * Feeds the cluster's TSIG keys (bootstrap/tsig-key-store.ts) to the replica's DNS actor
 * as `tsig-keys` messages: the whole set after every change of the bucket (a key added
 * with `raftns tsig add` works within the watch's delivery time, well under a second), and
 * again every `RESEND_MS`, because a restarted DNS actor starts without keys.
 *
 * The bucket may not exist when the replica starts (JetStream off, or no `raftns tsig`
 * yet); opening it is retried every `RESEND_MS` until it works. The keys' secrets cross
 * only the actor message; nothing here logs a key's value.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { DnsActorMessage } from '../../actors/dns/protocol.js';
import { DNS } from '../../actors/raft/actor-names.js';
import { TsigKeyStore } from '../../bootstrap/tsig-key-store.js';
import type { ClusterTsigKey } from '../../protocol/dns/tsig/cluster-key.js';
import type { ExternalEndpoint } from '../external-endpoint.js';
import type { Logger } from '../log.js';

export const RESEND_MS = 2_000;

export interface TsigKeyFeedOptions {
  readonly nc: NatsConnection;
  readonly cluster: string;
  readonly external: ExternalEndpoint;
  readonly log: Logger;
}

export class TsigKeyFeed {
  private keys: readonly ClusterTsigKey[] | undefined;
  private stopWatch: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;
  private opening = false;
  private stopped = false;

  private constructor(private readonly options: TsigKeyFeedOptions) {
    this.timer = setInterval(() => this.tick(), RESEND_MS);
    this.timer.unref();
  }

  static start(options: TsigKeyFeedOptions): TsigKeyFeed {
    const feed = new TsigKeyFeed(options);
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
      const store = await TsigKeyStore.open(this.options.nc, this.options.cluster);
      const stop = await store.watch(
        (keys) => {
          this.keys = keys;
          this.options.log.info({ keys: keys.map((k) => k.name) }, 'TSIG keys changed');
          this.push();
        },
        (bucketKey, why) => this.options.log.warn({ bucketKey, why }, 'ignored a TSIG key record'),
      );
      if (this.stopped) stop();
      else this.stopWatch = stop;
    } catch (error) {
      this.options.log.debug({ err: String(error) }, 'the TSIG key bucket is not available yet');
    } finally {
      this.opening = false;
    }
  }

  private push(): void {
    if (this.keys === undefined) return;
    const result = this.options.external.send(DNS, {
      type: 'tsig-keys',
      keys: this.keys,
    } satisfies DnsActorMessage);
    if (result.status !== 'sent')
      this.options.log.debug({ status: result.status }, 'TSIG keys not delivered');
  }
}
