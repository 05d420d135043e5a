/**
 * The calls the ExternalDNS webhook makes to a raftns replica's HTTP API (docs/OPERATIONS.md,
 * "HTTP API"): the zones its key covers, every RRset of a zone page by page, and one atomic
 * PATCH per zone. Every call carries the key and a deadline; nothing is retried here
 * (ExternalDNS retries the whole pass on a 5xx, and every change it sends is a REPLACE or a
 * DELETE, so a retried pass converges).
 */
import type { ApiRrset, ApiRrsetChange } from './webhook-endpoints.js';

/** Each HTTP call to the replica. */
const CALL_DEADLINE_MS = 10_000;
/** RRsets asked for per page. */
const PAGE_LIMIT = 1_000;
/** RRsets listed over all zones at most: beyond, the listing fails rather than exhaust memory. */
export const LISTED_RRSETS_MAX = 200_000;
/** Listings of a zone started over because it changed under the cursor (409). */
const LISTING_ATTEMPTS_MAX = 3;

/** A call the replica answered with an error, or did not answer. */
export class RaftnsApiError extends Error {
  override readonly name = 'RaftnsApiError';
  constructor(
    message: string,
    /** The HTTP status, or null when the replica could not be reached in time. */
    readonly status: number | null,
  ) {
    super(message);
  }

  /** True when trying again later may succeed: unreachable, 409, 429 or 5xx. */
  get retryable(): boolean {
    return this.status === null || this.status === 409 || this.status === 429 || this.status >= 500;
  }
}

export interface RaftnsApiClientOptions {
  /** The replica's HTTP listener, `http://host:port`. */
  readonly url: string;
  readonly apiKey: string;
}

export class RaftnsApiClient {
  private readonly base: string;

  constructor(private readonly options: RaftnsApiClientOptions) {
    this.base = `${options.url.replace(/\/+$/, '')}/api/v1/servers/localhost`;
  }

  /** The zones the key may read, absolute and in lower case. */
  async zones(): Promise<string[]> {
    const zones: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string =
        cursor === null ? `?limit=${PAGE_LIMIT}` : `?limit=${PAGE_LIMIT}&cursor=${cursor}`;
      const { body, next } = await this.get(`/zones${query}`);
      for (const zone of body as { name: string }[]) zones.push(zone.name.toLowerCase());
      cursor = next;
    } while (cursor !== null);
    return zones;
  }

  /** Every RRset of `zone`, read page by page within one version of the zone. */
  async rrsets(zone: string, budget: { remaining: number }): Promise<ApiRrset[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.rrsetsOnce(zone, budget);
      } catch (error) {
        if (!(error instanceof RaftnsApiError) || error.status !== 409 || attempt >= LISTING_ATTEMPTS_MAX)
          throw error;
      }
    }
  }

  /** One atomic change of `zone`: all of `rrsets` or none. */
  async patch(zone: string, rrsets: readonly ApiRrsetChange[]): Promise<void> {
    const response = await this.call(`/zones/${encodeURIComponent(zone)}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rrsets }),
    });
    if (response.status !== 204) throw await this.failure('PATCH', zone, response);
  }

  private async rrsetsOnce(zone: string, budget: { remaining: number }): Promise<ApiRrset[]> {
    const start = budget.remaining;
    const rrsets: ApiRrset[] = [];
    let cursor: string | null = null;
    try {
      do {
        const query: string =
          cursor === null ? `?limit=${PAGE_LIMIT}` : `?limit=${PAGE_LIMIT}&cursor=${cursor}`;
        const { body, next } = await this.get(`/zones/${encodeURIComponent(zone)}${query}`);
        const page = (body as { rrsets: ApiRrset[] }).rrsets;
        budget.remaining -= page.length;
        if (budget.remaining < 0)
          throw new RaftnsApiError(
            `more than ${LISTED_RRSETS_MAX} RRsets to list: refusing to hold them all`,
            413,
          );
        rrsets.push(...page);
        cursor = next;
      } while (cursor !== null);
    } catch (error) {
      budget.remaining = start;
      throw error;
    }
    return rrsets;
  }

  private async get(path: string): Promise<{ body: unknown; next: string | null }> {
    const response = await this.call(path, { method: 'GET' });
    if (response.status !== 200) throw await this.failure('GET', path, response);
    return { body: (await response.json()) as unknown, next: response.headers.get('x-next-cursor') };
  }

  private async call(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string> | undefined),
          'x-api-key': this.options.apiKey,
        },
        signal: AbortSignal.timeout(CALL_DEADLINE_MS),
      });
    } catch (error) {
      throw new RaftnsApiError(
        `${init.method} ${path}: raftns API at ${this.options.url} unreachable: ${(error as Error).message}`,
        null,
      );
    }
  }

  private async failure(method: string, what: string, response: Response): Promise<RaftnsApiError> {
    const text = await response.text().catch(() => '');
    let message = text.slice(0, 1_000);
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? message;
    } catch {
      // not JSON: keep the text
    }
    return new RaftnsApiError(`${method} ${what}: ${response.status} ${message}`, response.status);
  }
}
