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
import { BucketFeed } from '../bucket-feed.js';

export const REOPEN_MS = 2_000;

/** Who a request's key says it is: nobody (401), or a stored key. */
export interface ApiKeyLookup {
  authenticate(headerValue: string | undefined): ApiKeyRecord | undefined;
}

export class ApiKeyFeed implements ApiKeyLookup {
  private byHash = new Map<string, ApiKeyRecord>();
  private readonly feed: BucketFeed<ApiKeyRecord>;

  private constructor(nc: NatsConnection, cluster: string, log: Logger) {
    this.feed = BucketFeed.start({
      open: () => ApiKeyStore.open(nc, cluster),
      what: 'API keys',
      names: (keys) => keys.map((key) => key.name),
      periodMs: REOPEN_MS,
      log,
      onSet: (keys) => {
        this.byHash = new Map(keys.map((key) => [key.sha256, key]));
      },
    });
  }

  static start(nc: NatsConnection, cluster: string, log: Logger): ApiKeyFeed {
    return new ApiKeyFeed(nc, cluster, log);
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
    this.feed.stop();
  }
}
