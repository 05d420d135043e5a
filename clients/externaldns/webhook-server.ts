/**
 * An ExternalDNS webhook provider for raftns (ExternalDNS's `--provider=webhook`,
 * docs/tutorials/webhook-provider.md and api/webhook.yaml of kubernetes-sigs/external-dns):
 * a sidecar that listens on loopback beside ExternalDNS and speaks to a raftns replica's
 * HTTP API with an API key, so ExternalDNS needs no raftns-specific build and never holds
 * raftns credentials itself.
 *
 *   GET  /                 negotiation: the zones the key covers, as ExternalDNS's domain filter
 *   GET  /records          every RRset of those zones but their SOA, as endpoints
 *   POST /adjustendpoints  the endpoints as raftns will store them (names, TTLs, targets)
 *   POST /records          the changes, one atomic PATCH per zone; 204
 *   GET  /healthz          200 while the raftns API answers
 *
 * Bodies are `application/external.dns.webhook+json;version=1`. ExternalDNS retries only on
 * a 5xx, so a failure that may pass later (the replica unreachable, a conflict, a 5xx of
 * the API) is a 503, and a request that can never succeed (a bad target, a routing policy,
 * a name outside every zone, a key without the right) is a 4xx.
 *
 * Changes of different zones are separate PATCHes: each is atomic, the whole request is not.
 * A failed request leaves some zones changed; ExternalDNS's retry sends the same REPLACEs
 * and DELETEs, which converge.
 */
import type { FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { HttpError, HttpListener } from '../../runtime/composition/http/http-listener.js';
import type { Logger } from '../../runtime/log.js';
import { LISTED_RRSETS_MAX, RaftnsApiClient, RaftnsApiError } from './raftns-api-client.js';
import {
  adjustEndpoint,
  changesByZone,
  changesSchema,
  type Endpoint,
  EndpointError,
  endpointOf,
  endpointsSchema,
  WEBHOOK_MEDIA_TYPE,
} from './webhook-endpoints.js';

/** The largest request body: a full pass of ExternalDNS over a big cluster's endpoints. */
const WEBHOOK_BODY_BYTES_MAX = 8 * 1024 * 1024;
/** Zones a webhook serves at most (its key's zones). */
const WEBHOOK_ZONES_MAX = 1_000;

export interface WebhookServerOptions {
  /** The raftns replica's HTTP listener, `http://host:port`. */
  readonly apiUrl: string;
  readonly apiKey: string;
  readonly log: Logger;
}

/** A failure of the raftns API as the status ExternalDNS acts on: 503 retried, 4xx not. */
function asHttpError(error: unknown): unknown {
  if (error instanceof EndpointError) return new HttpError(400, error.message);
  if (error instanceof RaftnsApiError) {
    if (error.retryable) return new HttpError(503, error.message);
    const status = error.status !== null && error.status >= 400 && error.status < 500 ? error.status : 400;
    return new HttpError(status, error.message);
  }
  return error;
}

/**
 * A JSON answer in the webhook media type, written exactly as ExternalDNS compares it (its
 * client refuses any other Content-Type, parameters spelled differently included).
 */
function webhookAnswer(reply: FastifyReply, value: unknown): FastifyReply {
  return reply
    .header('content-type', WEBHOOK_MEDIA_TYPE)
    .serializer((v: unknown) => JSON.stringify(v))
    .send(value);
}

export class WebhookServer {
  private readonly api: RaftnsApiClient;

  private constructor(
    private readonly listener: HttpListener,
    private readonly options: WebhookServerOptions,
  ) {
    this.api = new RaftnsApiClient({ url: options.apiUrl, apiKey: options.apiKey });
  }

  /** Starts the webhook on `host:port` (port 0: a free one, see `address`). */
  static async start(host: string, port: number, options: WebhookServerOptions): Promise<WebhookServer> {
    const listener = HttpListener.create(options.log, { bodyBytesMax: WEBHOOK_BODY_BYTES_MAX });
    listener.app.addContentTypeParser(
      /^application\/external\.dns\.webhook\+json/,
      { parseAs: 'string' },
      (_request, text, done) => {
        if (text === '') return done(null, undefined);
        try {
          done(null, JSON.parse(text as string));
        } catch (error) {
          done(new HttpError(400, `Invalid JSON body: ${(error as Error).message}`), undefined);
        }
      },
    );
    const server = new WebhookServer(listener, options);
    server.addRoutes();
    await listener.listen(host, port);
    return server;
  }

  get address(): { readonly host: string; readonly port: number } {
    return this.listener.address;
  }

  async stop(): Promise<void> {
    await this.listener.stop();
  }

  private addRoutes(): void {
    const app = this.listener.app.withTypeProvider<ZodTypeProvider>();
    app.get('/', async (_request, reply) => {
      const zones = await this.zones();
      const filters = zones.map((zone) => zone.replace(/\.$/, ''));
      // `include` is the current domain-filter field; `filters` the one of older ExternalDNS.
      return webhookAnswer(reply, { include: filters, filters });
    });
    app.get('/records', async (_request, reply) => {
      const endpoints: Endpoint[] = [];
      const budget = { remaining: LISTED_RRSETS_MAX };
      try {
        for (const zone of await this.zones()) {
          for (const rrset of await this.api.rrsets(zone, budget)) {
            const endpoint = endpointOf(rrset);
            if (endpoint !== null) endpoints.push(endpoint);
          }
        }
      } catch (error) {
        throw asHttpError(error);
      }
      return webhookAnswer(reply, endpoints);
    });
    app.post('/adjustendpoints', { schema: { body: endpointsSchema } }, async (request, reply) => {
      try {
        return webhookAnswer(reply, request.body.map(adjustEndpoint));
      } catch (error) {
        throw asHttpError(error);
      }
    });
    app.post('/records', { schema: { body: changesSchema } }, async (request, reply) => {
      try {
        const byZone = changesByZone(request.body, await this.zones());
        for (const [zone, rrsets] of byZone) {
          await this.api.patch(zone, rrsets);
          this.options.log.info({ zone, rrsets: rrsets.length }, 'ExternalDNS changes applied');
        }
      } catch (error) {
        throw asHttpError(error);
      }
      return reply.code(204).send();
    });
    app.get('/healthz', async (_request, reply) => {
      await this.zones();
      return reply.type('application/json').send({ ok: true });
    });
  }

  private async zones(): Promise<string[]> {
    try {
      const zones = await this.api.zones();
      if (zones.length > WEBHOOK_ZONES_MAX)
        throw new HttpError(500, `the key covers ${zones.length} zones, more than ${WEBHOOK_ZONES_MAX}`);
      return zones;
    } catch (error) {
      throw asHttpError(error);
    }
  }
}
