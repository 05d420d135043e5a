/**
 * The cluster's API keys (bootstrap/api-key-store.ts) as this replica knows them: the
 * bucket is watched, so a key added with `raftns api-key add` is accepted within the
 * watch's delivery time and a removed one refused as fast. Until the bucket has been read
 * (JetStream off, or no key yet) no key is accepted: no key, no access. Opening the bucket
 * is retried every `REOPEN_MS`.
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { ApiKeyStore } from '../../../bootstrap/api-key-store.js';
import {
  API_KEY_HEADER_CHARS_MAX,
  type ApiKeyRecord,
  hashApiKeySecret,
} from '../../../protocol/http/api-key.js';
import type { Logger } from '../../log.js';

export const REOPEN_MS = 2_000;

/** Who a request's key says it is: nobody (401), or a stored key. */
export interface ApiKeyLookup {
  authenticate(headerValue: string | undefined): ApiKeyRecord | undefined;
}

export class ApiKeyFeed implements ApiKeyLookup {
  private byHash = new Map<string, ApiKeyRecord>();
  private stopWatch: (() => void) | undefined;
  private readonly timer: NodeJS.Timeout;
  private opening = false;
  private stopped = false;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly cluster: string,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => {
      if (this.stopWatch === undefined) void this.open();
    }, REOPEN_MS);
    this.timer.unref();
  }

  static start(nc: NatsConnection, cluster: string, log: Logger): ApiKeyFeed {
    const feed = new ApiKeyFeed(nc, cluster, log);
    void feed.open();
    return feed;
  }

  authenticate(headerValue: string | undefined): ApiKeyRecord | undefined {
    if (
      headerValue === undefined ||
      headerValue.length === 0 ||
      headerValue.length > API_KEY_HEADER_CHARS_MAX
    )
      return undefined;
    return this.byHash.get(hashApiKeySecret(headerValue));
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.stopWatch?.();
  }

  private async open(): Promise<void> {
    if (this.opening || this.stopped) return;
    this.opening = true;
    try {
      const store = await ApiKeyStore.open(this.nc, this.cluster);
      const stop = await store.watch(
        (keys) => {
          this.byHash = new Map(keys.map((key) => [key.sha256, key]));
          this.log.info({ keys: keys.map((k) => k.name) }, 'API keys changed');
        },
        (bucketKey, why) => this.log.warn({ bucketKey, why }, 'ignored an API key record'),
      );
      if (this.stopped) stop();
      else this.stopWatch = stop;
    } catch (error) {
      this.log.debug({ err: String(error) }, 'the API key bucket is not available yet');
    } finally {
      this.opening = false;
    }
  }
}
