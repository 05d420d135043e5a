/**
 * A PowerDNS-compatible HTTP API (the subset lego's and ExternalDNS's `pdns` providers and
 * lexicon's `powerdns` provider call) on the replica's HTTP listener, for every zone of the
 * cluster, each read and written through the group serving it (zone-router.ts):
 *
 *   GET   /api                                        [{url: "/api/v1", version: 1}]
 *   GET   /api/v1/servers, /api/v1/servers/localhost  the one server, `localhost`
 *   GET   /api/v1/servers/localhost/zones             the zones (`?zone=`, `?limit=&cursor=`)
 *   POST  /api/v1/servers/localhost/zones             create a zone in every region (201, the zone)
 *   DELETE /api/v1/servers/localhost/zones/{zone}     delete a zone in every region (204)
 *   GET   /api/v1/servers/localhost/zones/{zone}      the zone with its rrsets (`?limit=&cursor=`); ETag: the SOA serial
 *   PATCH /api/v1/servers/localhost/zones/{zone}      rrsets with changetype REPLACE or DELETE, 204
 *   PUT   /api/v1/servers/localhost/zones/{zone}      the zone's settings (zone-settings.ts), 204
 *   PUT   /api/v1/servers/localhost/zones/{zone}/notify   200 (NOTIFY goes out by itself after every change)
 *   GET   /api/v1/servers/localhost/zones/{zone}/export   the zone as an RFC 1035 master file
 *   GET   /api/v1/servers/localhost/search-data?q=&max=   names and contents matching `q` (`*` and `?` wildcards)
 *   GET   /api/openapi.json                           the OpenAPI document of these routes
 *
 * Access: every /api route needs an `X-API-Key` the cluster holds (api-key-feed.ts): none
 * or an unknown one is 401; beyond the key's rate at this replica 429 (with Retry-After); a read-only key writing is 403; a zone-scoped key asking for
 * another zone is 403 (and the zone list shows only its zones). Every write is logged with
 * the key's name.
 *
 * A PATCH is one DNS batch (atomic, applied in order, RFC 2136 §3.4-style: all or nothing)
 * committed like an RFC 2136 UPDATE (update-committer.ts): at the serving group's leader in
 * this region, then the same versioned changes in every other region. `If-Match: "<serial>"`
 * makes it conditional on the zone's SOA serial: the check is a prerequisite of the batch
 * (the apex SOA must still hold the RDATA read), so a write that raced in between fails it
 * atomically with 412 and nothing changes. `Idempotency-Key: K` makes a retry of the same
 * PATCH, to any replica of any region, get the first answer without writing again
 * (idempotency-cache.ts, records shared through NATS KV).
 *
 * A PUT changes the zone's settings: the PowerDNS ones raftns can honour are accepted (the
 * others are a 422 saying why, zone-settings.ts), and its own, `raftns_allow_transfer` and
 * `raftns_also_notify`, replace the zone's transfer rule in NATS KV in one compare-and-swap
 * (what `raftns zone allow-transfer` and `raftns zone notify` edit; every replica applies it
 * within a second). A GET of the zone returns them. `If-Match` and `Idempotency-Key` work as
 * for a PATCH; the ETag is the zone's serial, which a settings change does not move.
 *
 * Reads are linearizable (a GET after a 204 sees the PATCH). Zone creation and deletion go
 * through the zone registry exactly like `raftns zone create|delete`
 * (clients/zone-lifecycle.ts): the answer comes once every region serves the zone and its
 * parent delegates to it (POST), or once no region serves it any more (DELETE). Zones of
 * the plan cannot be deleted here (422).
 */
import fastifySwagger from '@fastify/swagger';
import type { FastifyReply } from 'fastify';
import { jsonSchemaTransform, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { UpdateChange } from '../../../actors/dns/update/update-evaluate.js';
import type { IdempotencyStore } from '../../../bootstrap/idempotency-store.js';
import type { TransferAclStore } from '../../../bootstrap/transfer-acl-store.js';
import { readZone, ZoneChangingError } from '../../../clients/zone-import-export.js';
import { ZoneLifecycleError } from '../../../clients/zone-lifecycle.js';
import type { DnsPrerequisite } from '../../../protocol/dns/changes.js';
import { renderZoneFile } from '../../../protocol/dns/master-file/zone-file.js';
import { notifyTargetId, type TransferRule } from '../../../protocol/dns/transfer-acl.js';
import { parseRrType, rrTypeName } from '../../../protocol/dns/wire/codes.js';
import { Name, withFinalDot } from '../../../protocol/dns/wire/name.js';
import type { ZoneRrset } from '../../../protocol/dns/zone-content.js';
import {
  API_KEY_RATE_PER_S_DEFAULT,
  API_KEYS_MAX,
  type ApiKeyRecord,
  apiKeyCoversZone,
} from '../../../protocol/http/api-key.js';
import type { Logger } from '../../log.js';
import type { UpdateCommitter } from '../update-committer.js';
import type { ApiKeyLookup } from './api-key-feed.js';
import { HttpError, type HttpListener } from './http-listener.js';
import { IDEMPOTENCY_KEY_CHARS_MAX, IdempotencyCache, type StoredAnswer } from './idempotency-cache.js';
import {
  apiVersionsSchema,
  errorResponses,
  errorSchema,
  notifySchema,
  PAGE_LIMIT_MAX,
  type PdnsRrsetChange,
  type pdnsZoneCreateBodySchema as PdnsZoneCreateBodySchema,
  type PdnsZonePutBody,
  pdnsPatchBodySchema,
  pdnsZoneCreateBodySchema,
  pdnsZonePutBodySchema,
  type rrsetSchema,
  searchQuerySchema,
  searchResultSchema,
  serverParamsSchema,
  serverSchema,
  zoneCreateQuerySchema,
  zoneListQuerySchema,
  zoneParamsSchema,
  zoneQuerySchema,
  zoneSchema,
  zoneSummarySchema,
} from './pdns-schemas.js';
import type { ZoneRouter } from './zone-router.js';
import { ZoneSettingError, zoneSettingsOf } from './zone-settings.js';

const SERVER_ID = 'localhost';
const SEARCH_MAX_DEFAULT = 100;
/** Zones a search reads at most (each read whole). */
const SEARCH_ZONES_MAX = 64;
/** RRsets a search reads at most, over all zones: zones beyond it are not searched. */
const SEARCH_RRSETS_MAX = 100_000;
/**
 * The largest zone answered whole (a GET without `limit`, an export): beyond it the answer
 * would be tens of megabytes built on the main thread (PowerDNS answers 500 there, its
 * issue #6777); page it, or use `raftns zone export`.
 */
export const WHOLE_ZONE_RRSETS_MAX = 100_000;
/** Groups asked for their zones at once. */
const LIST_GROUPS_IN_FLIGHT = 8;
/** Each read of the group's store. */
const READ_DEADLINE_MS = 5_000;

/** What the API needs once the replica's clients run. */
export interface PdnsApiBackend {
  readonly keys: ApiKeyLookup;
  /** The client of the group serving each zone in this region: the API's reads and writes. */
  readonly zones: ZoneRouter;
  readonly committer: UpdateCommitter;
  /** The cluster's shared Idempotency-Key records (opened on first use, rejects when it cannot). */
  readonly idempotency: () => Promise<IdempotencyStore>;
  /** The cluster's zone transfer rules (opened on first use, rejects when it cannot). */
  readonly transferRules: () => Promise<TransferAclStore>;
}

const ApiError = HttpError;

/** The conditional and exactly-once headers of every write. */
const writeHeadersSchema = z.looseObject({
  'if-match': z.string().max(64).optional(),
  'idempotency-key': z
    .string()
    .min(1)
    .max(IDEMPOTENCY_KEY_CHARS_MAX)
    .regex(/^[\x21-\x7e]+$/)
    .optional(),
});

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKeyRecord;
  }
}

/** A zone id of a path: PowerDNS encodes `/` as `=2F`; with or without the final dot. */
function zoneOfId(id: string): string {
  return withFinalDot(id.replace(/=2F/gi, '/'));
}

function zoneUrl(zone: string): string {
  return `/api/v1/servers/${SERVER_ID}/zones/${zone}`;
}

function serverObject(): z.infer<typeof serverSchema> {
  return {
    type: 'Server',
    id: SERVER_ID,
    url: `/api/v1/servers/${SERVER_ID}`,
    daemon_type: 'authoritative',
    version: 'raftns',
    config_url: `/api/v1/servers/${SERVER_ID}/config{/config_setting}`,
    zones_url: `/api/v1/servers/${SERVER_ID}/zones{/zone}`,
  };
}

function zoneObject(zone: string, serial: number): z.infer<typeof zoneSummarySchema> {
  return {
    id: zone,
    name: zone,
    type: 'Zone',
    url: zoneUrl(zone),
    kind: 'Native',
    serial,
    edited_serial: serial,
    notified_serial: 0,
    masters: [],
    dnssec: false,
    nsec3param: '',
    nsec3narrow: false,
    presigned: false,
    soa_edit: '',
    soa_edit_api: '',
    api_rectify: false,
    account: '',
  };
}

/** The raftns settings of a zone as the zone object shows them. */
function settingsObject(rule: TransferRule | undefined) {
  return {
    raftns_allow_transfer: { keys: [...(rule?.keys ?? [])], from: [...(rule?.prefixes ?? [])] },
    raftns_also_notify: (rule?.notify ?? []).map((t) => ({
      address: notifyTargetId(t.address, t.port),
      ...(t.key === undefined ? {} : { key: t.key }),
    })),
  };
}

function rrsetObject(set: ZoneRrset): z.infer<typeof rrsetSchema> {
  return {
    name: set.name,
    type: set.type,
    ttl: set.ttl,
    records: set.rdata.map((content) => ({ content, disabled: false })),
    comments: [],
  };
}

/** `*` any run of characters, `?` one, case-insensitive (PowerDNS's search-data). */
function searchPattern(q: string): RegExp {
  const body = q
    .toLowerCase()
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function etagSerial(header: string): number | undefined {
  const text = header.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
  return /^\d{1,10}$/.test(text) ? Number(text) : undefined;
}

/**
 * A token bucket per key name at this replica: `ratePerS` tokens a second, at most twice
 * that many saved up. One entry per key (API_KEYS_MAX bounds the map).
 */
class KeyRateLimits {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  /** 0 when `key` may make a request now (one token taken), else the seconds until it may. */
  take(key: ApiKeyRecord, nowMs: number): number {
    const rate = key.ratePerS ?? API_KEY_RATE_PER_S_DEFAULT;
    const capacity = 2 * rate;
    const bucket = this.buckets.get(key.name) ?? { tokens: capacity, atMs: nowMs };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * rate);
    bucket.atMs = nowMs;
    if (this.buckets.size >= API_KEYS_MAX && !this.buckets.has(key.name)) this.buckets.clear();
    this.buckets.set(key.name, bucket);
    if (bucket.tokens < 1) return (1 - bucket.tokens) / rate;
    bucket.tokens -= 1;
    return 0;
  }
}

function errorText(stored: StoredAnswer): string {
  const body = stored.body as { error?: unknown } | null;
  return typeof body?.error === 'string' ? body.error : `status ${stored.status}`;
}

/** Sends a write's answer: 204 with no body, 201 with the created object, or the status with `{"error": …}`. */
function answer(reply: FastifyReply, stored: StoredAnswer) {
  return reply.code(stored.status).send(stored.body);
}

export class PdnsApi {
  private backend: PdnsApiBackend | undefined;
  private readonly idempotency = new IdempotencyCache(
    () => performance.now(),
    () => this.ready().idempotency(),
  );
  private readonly rateLimits = new KeyRateLimits();

  private constructor(private readonly log: Logger) {}

  /** Adds the API's routes to `listener` (before it listens); they answer 503 until `attach`. */
  static async register(listener: HttpListener, log: Logger): Promise<PdnsApi> {
    const api = new PdnsApi(log);
    // The OpenAPI document is built from the routes' zod schemas; the plugin must see every
    // route, so it loads before them.
    await listener.app.register(fastifySwagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'raftns HTTP API (PowerDNS-compatible subset)',
          version: '1',
          description:
            'Every zone of the cluster, through any replica; X-API-Key on every route (docs/OPERATIONS.md).',
        },
        components: {
          securitySchemes: { apiKey: { type: 'apiKey', name: 'X-API-Key', in: 'header' } },
        },
        security: [{ apiKey: [] }],
      },
      transform: jsonSchemaTransform,
    });
    api.routes(listener);
    return api;
  }

  attach(backend: PdnsApiBackend): void {
    this.backend = backend;
  }

  private ready(): PdnsApiBackend {
    if (this.backend === undefined) throw new ApiError(503, 'the API is starting');
    return this.backend;
  }

  private routes(listener: HttpListener): void {
    const app = listener.app.withTypeProvider<ZodTypeProvider>();
    // Every /api route: a known key first (no key, no access).
    app.addHook('onRequest', async (request, reply) => {
      if (request.url !== '/api' && !/^\/api[/?]/.test(request.url)) return;
      if (this.backend === undefined) return reply.code(503).send({ error: 'the API is starting' });
      const header = request.headers['x-api-key'];
      const key = this.backend.keys.authenticate(Array.isArray(header) ? header[0] : header);
      if (key === undefined)
        return reply
          .code(401)
          .send({ error: header === undefined ? 'X-API-Key header missing' : 'Unauthorized' });
      const waitS = this.rateLimits.take(key, performance.now());
      if (waitS > 0)
        return reply
          .code(429)
          .header('retry-after', String(Math.ceil(waitS)))
          .send({
            error: `API key ${key.name}: more than ${key.ratePerS ?? API_KEY_RATE_PER_S_DEFAULT} requests per second`,
          });
      request.apiKey = key;
      return undefined;
    });

    app.get('/api/openapi.json', { schema: { hide: true } }, async () => listener.app.swagger());
    const versions = { schema: { response: { 200: apiVersionsSchema, ...errorResponses } } };
    app.get('/api', versions, async () => [{ url: '/api/v1', version: 1 }]);
    app.get('/api/v1', versions, async () => [{ url: '/api/v1', version: 1 }]);
    app.get(
      '/api/v1/servers',
      { schema: { response: { 200: z.array(serverSchema), ...errorResponses } } },
      async () => [serverObject()],
    );
    app.get(
      '/api/v1/servers/:server',
      { schema: { params: serverParamsSchema, response: { 200: serverSchema, ...errorResponses } } },
      async (request) => {
        this.server(request.params.server);
        return serverObject();
      },
    );

    app.get(
      '/api/v1/servers/:server/zones',
      {
        schema: {
          params: serverParamsSchema,
          querystring: zoneListQuerySchema,
          response: { 200: z.array(zoneSummarySchema), ...errorResponses },
        },
      },
      async (request, reply) => {
        this.server(request.params.server);
        const key = request.apiKey as ApiKeyRecord;
        const only =
          request.query.zone === undefined ? undefined : zoneOfId(request.query.zone).toLowerCase();
        const after = request.query.cursor === undefined ? undefined : this.cursorZone(request.query.cursor);
        const limit = request.query.limit ?? PAGE_LIMIT_MAX;
        const zones = (await this.listZones(key))
          .filter((z) => only === undefined || z.zone.toLowerCase() === only)
          .sort((a, b) => (a.zone.toLowerCase() < b.zone.toLowerCase() ? -1 : 1))
          .filter((z) => after === undefined || z.zone.toLowerCase() > after);
        const page = zones.slice(0, limit);
        const last = page[page.length - 1];
        if (zones.length > limit && last !== undefined) {
          const cursor = Buffer.from(last.zone.toLowerCase(), 'utf8').toString('base64url');
          reply.header(
            'link',
            `</api/v1/servers/${SERVER_ID}/zones?limit=${limit}&cursor=${cursor}>; rel="next"`,
          );
          reply.header('x-next-cursor', cursor);
        }
        return page.map((z) => zoneObject(z.zone, z.serial));
      },
    );

    app.get(
      '/api/v1/servers/:server/zones/:zone',
      {
        schema: {
          params: zoneParamsSchema,
          querystring: zoneQuerySchema,
          response: { 200: zoneSchema, 409: errorSchema, ...errorResponses },
        },
      },
      async (request, reply) => {
        const zone = this.zoneAccess(request.params, request.apiKey, 'read');
        const { limit, cursor } = request.query;
        if (limit !== undefined || cursor !== undefined) return this.zonePage(zone, limit, cursor, reply);
        const [snapshot, rule] = await Promise.all([this.readWhole(zone), this.transferRule(zone)]);
        reply.header('etag', `"${snapshot.serial}"`);
        return {
          ...zoneObject(snapshot.zone, snapshot.serial),
          rrsets: request.query.rrsets === 'false' ? [] : snapshot.rrsets.map(rrsetObject),
          ...settingsObject(rule),
        };
      },
    );

    app.get(
      '/api/v1/servers/:server/zones/:zone/export',
      { schema: { params: zoneParamsSchema, response: { 200: z.string(), ...errorResponses } } },
      async (request, reply) => {
        const zone = this.zoneAccess(request.params, request.apiKey, 'read');
        const snapshot = await this.readWhole(zone);
        reply.header('etag', `"${snapshot.serial}"`).type('text/plain; charset=utf-8');
        return renderZoneFile(snapshot.zone, snapshot.rrsets, [
          `zone ${snapshot.zone} serial ${snapshot.serial} at applied index ${snapshot.appliedIndex}`,
        ]);
      },
    );

    app.put(
      '/api/v1/servers/:server/zones/:zone/notify',
      { schema: { params: zoneParamsSchema, response: { 200: notifySchema, ...errorResponses } } },
      async (request) => {
        const zone = this.zoneAccess(request.params, request.apiKey, 'write');
        await this.readWhole(zone);
        return {
          result:
            "Notification queued (the leader notifies the zone's secondaries after every change: raftns zone notify)",
        };
      },
    );

    app.patch(
      '/api/v1/servers/:server/zones/:zone',
      {
        schema: {
          params: zoneParamsSchema,
          body: pdnsPatchBodySchema,
          headers: writeHeadersSchema,
          response: {
            204: z.null(),
            412: errorSchema,
            422: errorSchema,
            500: errorSchema,
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const zone = this.zoneAccess(request.params, request.apiKey, 'write');
        const key = request.apiKey as ApiKeyRecord;
        const ifMatch = request.headers['if-match'];
        const idempotencyKey = request.headers['idempotency-key'];
        const write = () => this.patch(zone, key, request.body.rrsets, ifMatch, request.ip);
        if (idempotencyKey === undefined) return answer(reply, await write());
        const run = await this.idempotency.once(
          key.name,
          idempotencyKey,
          { zone, ifMatch, body: request.body },
          write,
        );
        if (run.kind === 'mismatch')
          throw new ApiError(422, `Idempotency-Key ${idempotencyKey} was used for another request`);
        if (run.kind === 'replayed') reply.header('idempotent-replayed', 'true');
        return answer(reply, run.answer);
      },
    );

    app.post(
      '/api/v1/servers/:server/zones',
      {
        schema: {
          params: serverParamsSchema,
          querystring: zoneCreateQuerySchema,
          body: pdnsZoneCreateBodySchema,
          headers: writeHeadersSchema,
          response: {
            201: zoneSchema,
            409: errorSchema,
            422: errorSchema,
            500: errorSchema,
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const zone = this.zoneAccess(
          { server: request.params.server, zone: request.body.name },
          request.apiKey,
          'write',
        );
        const key = request.apiKey as ApiKeyRecord;
        const create = () => this.createZone(zone, key, request.body, request.ip);
        const idempotencyKey = request.headers['idempotency-key'];
        let stored: StoredAnswer;
        if (idempotencyKey === undefined) stored = await create();
        else {
          const run = await this.idempotency.once(
            key.name,
            idempotencyKey,
            { create: zone, body: request.body },
            create,
          );
          if (run.kind === 'mismatch')
            throw new ApiError(422, `Idempotency-Key ${idempotencyKey} was used for another request`);
          if (run.kind === 'replayed') reply.header('idempotent-replayed', 'true');
          stored = run.answer;
        }
        if (stored.status !== 201) return answer(reply, stored);
        const [snapshot, rule] = await Promise.all([this.readWhole(zone), this.transferRule(zone)]);
        return reply
          .code(201)
          .header('location', zoneUrl(zone))
          .header('etag', `"${snapshot.serial}"`)
          .send({
            ...zoneObject(snapshot.zone, snapshot.serial),
            rrsets: request.query.rrsets === 'false' ? [] : snapshot.rrsets.map(rrsetObject),
            ...settingsObject(rule),
          });
      },
    );

    app.delete(
      '/api/v1/servers/:server/zones/:zone',
      {
        schema: {
          params: zoneParamsSchema,
          headers: writeHeadersSchema,
          response: {
            204: z.null(),
            412: errorSchema,
            422: errorSchema,
            500: errorSchema,
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const zone = this.zoneAccess(request.params, request.apiKey, 'write');
        const key = request.apiKey as ApiKeyRecord;
        const ifMatch = request.headers['if-match'];
        const remove = () => this.deleteZone(zone, key, ifMatch, request.ip);
        const idempotencyKey = request.headers['idempotency-key'];
        if (idempotencyKey === undefined) return answer(reply, await remove());
        const run = await this.idempotency.once(key.name, idempotencyKey, { delete: zone, ifMatch }, remove);
        if (run.kind === 'mismatch')
          throw new ApiError(422, `Idempotency-Key ${idempotencyKey} was used for another request`);
        if (run.kind === 'replayed') reply.header('idempotent-replayed', 'true');
        return answer(reply, run.answer);
      },
    );

    app.put(
      '/api/v1/servers/:server/zones/:zone',
      {
        schema: {
          params: zoneParamsSchema,
          body: pdnsZonePutBodySchema,
          headers: writeHeadersSchema,
          response: {
            204: z.null(),
            412: errorSchema,
            422: errorSchema,
            500: errorSchema,
            ...errorResponses,
          },
        },
      },
      async (request, reply) => {
        const zone = this.zoneAccess(request.params, request.apiKey, 'write');
        const key = request.apiKey as ApiKeyRecord;
        const ifMatch = request.headers['if-match'];
        const idempotencyKey = request.headers['idempotency-key'];
        const write = () => this.putSettings(zone, key, request.body, ifMatch, request.ip);
        if (idempotencyKey === undefined) return answer(reply, await write());
        const run = await this.idempotency.once(
          key.name,
          idempotencyKey,
          { method: 'PUT', zone, ifMatch, body: request.body },
          write,
        );
        if (run.kind === 'mismatch')
          throw new ApiError(422, `Idempotency-Key ${idempotencyKey} was used for another request`);
        if (run.kind === 'replayed') reply.header('idempotent-replayed', 'true');
        return answer(reply, run.answer);
      },
    );

    app.get(
      '/api/v1/servers/:server/search-data',
      {
        schema: {
          params: serverParamsSchema,
          querystring: searchQuerySchema,
          response: { 200: searchResultSchema, ...errorResponses },
        },
      },
      async (request) => {
        this.server(request.params.server);
        const key = request.apiKey as ApiKeyRecord;
        const pattern = searchPattern(request.query.q);
        const max = request.query.max ?? SEARCH_MAX_DEFAULT;
        const kind = request.query.object_type ?? 'all';
        const zones = (await this.listZones(key)).slice(0, SEARCH_ZONES_MAX);
        const found: z.infer<typeof searchResultSchema> = [];
        let budget = SEARCH_RRSETS_MAX;
        for (const { zone, rrsets } of zones) {
          if (found.length >= max) break;
          if ((kind === 'all' || kind === 'zone') && pattern.test(zone.toLowerCase()))
            found.push({ name: zone, object_type: 'zone', zone_id: zone });
          if (kind !== 'all' && kind !== 'record') continue;
          if (rrsets > budget) break;
          budget -= rrsets;
          const snapshot = await this.readWhole(zone);
          for (const set of snapshot.rrsets)
            for (const content of set.rdata) {
              if (found.length >= max) break;
              if (pattern.test(set.name.toLowerCase()) || pattern.test(content.toLowerCase()))
                found.push({
                  content,
                  disabled: false,
                  name: set.name,
                  object_type: 'record',
                  ttl: set.ttl,
                  type: set.type,
                  zone,
                  zone_id: zone,
                });
            }
        }
        return found.slice(0, max);
      },
    );
  }

  /**
   * POST …/zones: the zone in every region, then its initial RRsets. A 201 carries no body
   * here: the route answers with the zone as it is when the answer is sent (a replayed
   * Idempotency-Key included).
   */
  private async createZone(
    zone: string,
    key: ApiKeyRecord,
    body: z.infer<typeof PdnsZoneCreateBodySchema>,
    ip: string,
  ): Promise<StoredAnswer> {
    try {
      const { zones } = this.ready();
      const lifecycle = await zones.lifecycle();
      if (lifecycle === undefined)
        throw new ApiError(503, 'no cluster plan or zone registry: zones cannot be created');
      if ((await lifecycle.directory()).get(zone) !== undefined)
        throw new ApiError(409, `Conflict: Domain '${zone}' already exists`);
      const created = await lifecycle.create(zone, body.raftns_group);
      await zones.refresh();
      this.log.info({ apiKey: key.name, zone, group: created.group, ip }, 'API zone created');
      if (body.rrsets !== undefined && body.rrsets.length > 0) {
        const written = await this.patch(
          zone,
          key,
          body.rrsets.map((r) => ({ ...r, changetype: 'REPLACE' as const })),
          undefined,
          ip,
        );
        if (written.status !== 204)
          return {
            status: written.status,
            body: { error: `zone ${zone} was created; its rrsets were not written: ${errorText(written)}` },
          };
      }
      return { status: 201, body: null };
    } catch (error) {
      return this.lifecycleFailure(error, zone);
    }
  }

  /** DELETE …/zones/{zone}: the delegation, then the zone, in every region; 204. */
  private async deleteZone(
    zone: string,
    key: ApiKeyRecord,
    ifMatch: string | undefined,
    ip: string,
  ): Promise<StoredAnswer> {
    try {
      const { zones } = this.ready();
      const lifecycle = await zones.lifecycle();
      if (lifecycle === undefined)
        throw new ApiError(503, 'no cluster plan or zone registry: zones cannot be deleted');
      const served = (await lifecycle.directory()).get(zone);
      if (served === undefined) throw new ApiError(404, `Could not find domain '${zone}'`);
      if (ifMatch !== undefined) {
        const wanted = etagSerial(ifMatch);
        if (wanted === undefined) throw new ApiError(400, `If-Match ${ifMatch}: expected "<serial>"`);
        const { serial } = await this.readWhole(zone);
        if (serial !== wanted)
          throw new ApiError(412, `zone ${zone} is at serial ${serial}, not ${wanted}: nothing changed`);
      }
      const outcome = await lifecycle.delete(zone);
      await zones.refresh();
      if (outcome.deleted.length === 0) throw new ApiError(404, `Could not find domain '${zone}'`);
      this.log.info({ apiKey: key.name, zone, ip }, 'API zone deleted');
      return { status: 204, body: null };
    } catch (error) {
      return this.lifecycleFailure(error, zone);
    }
  }

  private lifecycleFailure(error: unknown, zone: string): StoredAnswer {
    if (error instanceof ApiError) return { status: error.status, body: { error: error.message } };
    if (error instanceof ZoneLifecycleError) {
      const status = error.code === 'conflict' ? 409 : error.code === 'timeout' ? 503 : 422;
      return { status, body: { error: error.message } };
    }
    this.log.error({ err: String(error), zone }, 'API zone change failed');
    return { status: 500, body: { error: 'Internal Server Error' } };
  }

  /**
   * One PUT: the settings checked (422 before anything is read), the zone found and, with
   * `If-Match`, its serial compared (412), then the transfer rule replaced in one
   * compare-and-swap. The serial check and the rule write are two steps: a record change
   * landing between them is not caught (the rule does not depend on the records).
   */
  private async putSettings(
    zone: string,
    key: ApiKeyRecord,
    body: PdnsZonePutBody,
    ifMatch: string | undefined,
    ip: string,
  ): Promise<StoredAnswer> {
    try {
      let settings: ReturnType<typeof zoneSettingsOf>;
      try {
        settings = zoneSettingsOf(zone, body);
      } catch (error) {
        if (error instanceof ZoneSettingError) throw new ApiError(422, error.message);
        throw error;
      }
      const wanted = ifMatch === undefined ? undefined : etagSerial(ifMatch);
      if (ifMatch !== undefined && wanted === undefined)
        throw new ApiError(400, `If-Match ${ifMatch}: expected "<serial>"`);
      const client = await this.ready().zones.clientFor(zone);
      const view = await client.dnsRrsets(zone, zone, 'linearizable', { deadlineMs: READ_DEADLINE_MS });
      const soa = view?.rrsets.find((s) => s.type === 'SOA');
      if (view === null || soa === undefined) throw new ApiError(404, `Could not find domain '${zone}'`);
      const serial = Number(soa.rdata[0]?.split(/\s+/)[2]);
      if (wanted !== undefined && serial !== wanted)
        throw new ApiError(412, `zone ${zone} is at serial ${serial}, not ${wanted}: nothing changed`);
      const changes = Object.keys(settings);
      if (changes.length > 0) {
        const store = await this.openTransferRules();
        try {
          await store.replace(zone, settings);
        } catch (error) {
          if (error instanceof RangeError) throw new ApiError(422, error.message);
          throw error;
        }
      }
      this.log.info({ apiKey: key.name, zone, settings: changes, ip }, 'API zone settings');
      return { status: 204, body: null };
    } catch (error) {
      if (error instanceof ApiError) return { status: error.status, body: { error: error.message } };
      this.log.error({ err: String(error), zone }, 'API zone settings failed');
      return { status: 500, body: { error: 'Internal Server Error' } };
    }
  }

  private async openTransferRules(): Promise<TransferAclStore> {
    try {
      return await this.ready().transferRules();
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError(503, `the zone transfer rules cannot be reached: ${String(error)}`);
    }
  }

  /** `zone`'s transfer rule, for the zone object (503 when the rules cannot be read). */
  private async transferRule(zone: string): Promise<TransferRule | undefined> {
    const store = await this.openTransferRules();
    try {
      return await store.get(zone);
    } catch (error) {
      throw new ApiError(503, `the zone transfer rules cannot be read: ${String(error)}`);
    }
  }

  /** One PATCH: its changes committed as one batch (`If-Match`: guarded by the SOA read). */
  private async patch(
    zone: string,
    key: ApiKeyRecord,
    rrsets: readonly PdnsRrsetChange[],
    ifMatch: string | undefined,
    ip: string,
  ): Promise<StoredAnswer> {
    try {
      const { zones, committer } = this.ready();
      const client = await zones.clientFor(zone);
      const changes = this.changesOf(zone, rrsets);
      const guards: DnsPrerequisite[] = [];
      if (ifMatch !== undefined) {
        const wanted = etagSerial(ifMatch);
        if (wanted === undefined) throw new ApiError(400, `If-Match ${ifMatch}: expected "<serial>"`);
        const view = await client.dnsRrsets(zone, zone, 'linearizable', { deadlineMs: READ_DEADLINE_MS });
        const soa = view?.rrsets.find((s) => s.type === 'SOA');
        if (view === null || soa === undefined) throw new ApiError(404, `Could not find domain '${zone}'`);
        const serial = Number(soa.rdata[0]?.split(/\s+/)[2]);
        if (serial !== wanted)
          throw new ApiError(412, `zone ${zone} is at serial ${serial}, not ${wanted}: nothing changed`);
        guards.push({ kind: 'rrset-equals', zone, name: zone, type: 'SOA', rdata: soa.rdata });
      }
      const verdict = await committer.commitChanges(zone, changes, guards, client);
      this.log.info(
        { apiKey: key.name, zone, rrsets: changes.length, outcome: verdict.outcome, ip },
        'API write',
      );
      switch (verdict.outcome) {
        case 'committed':
          return { status: 204, body: null };
        case 'guards-failed':
          throw new ApiError(412, `zone ${zone} changed since serial ${ifMatch}: nothing changed`);
        case 'rejected':
          throw new ApiError(verdict.message.startsWith('no-such-zone') ? 404 : 422, verdict.message);
        case 'unavailable':
          throw new ApiError(503, verdict.message);
      }
    } catch (error) {
      if (error instanceof ApiError) return { status: error.status, body: { error: error.message } };
      this.log.error({ err: String(error), zone }, 'API write failed');
      return { status: 500, body: { error: 'Internal Server Error' } };
    }
  }

  /**
   * One page of the zone's RRsets, in the store's order: the cursor names the offset and the
   * zone's `changedIndex` of the first page, and every later page is read from that state
   * (the group keeps its last few listings, zone-pages.ts), so writes between pages neither
   * skip nor repeat an RRset. A state no longer held is a 409 (start again).
   */
  private async zonePage(
    zone: string,
    limit: number | undefined,
    cursor: string | undefined,
    reply: FastifyReply,
  ) {
    const client = await this.ready().zones.clientFor(zone);
    const at = cursor === undefined ? { changedIndex: undefined, offset: 0 } : this.rrsetCursor(cursor);
    const pageLimit = limit ?? PAGE_LIMIT_MAX;
    const page = await client.dnsZonePage(zone, at.offset, pageLimit, {
      mode: 'linearizable',
      deadlineMs: READ_DEADLINE_MS,
      ...(at.changedIndex === undefined ? {} : { changedIndex: at.changedIndex }),
    });
    if (page === null) throw new ApiError(404, `Could not find domain '${zone}'`);
    if (at.changedIndex !== undefined && page.changedIndex !== at.changedIndex)
      throw new ApiError(
        409,
        `zone ${zone} changed since the first page (serial now ${page.serial}): start again`,
      );
    const next = at.offset + page.rrsets.length;
    if (next < page.total && page.rrsets.length > 0) {
      const token = Buffer.from(JSON.stringify({ c: page.changedIndex, o: next }), 'utf8').toString(
        'base64url',
      );
      reply.header('link', `<${zoneUrl(page.zone)}?limit=${pageLimit}&cursor=${token}>; rel="next"`);
      reply.header('x-next-cursor', token);
    }
    reply.header('etag', `"${page.serial}"`);
    const rule = await this.transferRule(zone);
    return {
      ...zoneObject(page.zone, page.serial),
      rrsets: page.rrsets.map(rrsetObject),
      ...settingsObject(rule),
    };
  }

  private rrsetCursor(cursor: string): { changedIndex: number; offset: number } {
    try {
      const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
        c?: unknown;
        o?: unknown;
      };
      if (Number.isSafeInteger(value.c) && Number.isSafeInteger(value.o) && (value.o as number) >= 0)
        return { changedIndex: value.c as number, offset: value.o as number };
    } catch {
      // falls through to the error
    }
    throw new ApiError(400, 'cursor: not a cursor this API gave');
  }

  /**
   * The zones of every group of the cluster in this region that `key` covers, each from the
   * group serving it, in name order. A group that does not answer is left out (and logged):
   * one group down does not hide every other zone.
   */
  private async listZones(
    key: ApiKeyRecord,
  ): Promise<Array<{ zone: string; serial: number; rrsets: number }>> {
    const { zones } = this.ready();
    const clients = await zones.groupClients();
    const found = new Map<string, { zone: string; serial: number; rrsets: number }>();
    for (let i = 0; i < clients.length; i += LIST_GROUPS_IN_FLIGHT) {
      const batch = clients.slice(i, i + LIST_GROUPS_IN_FLIGHT);
      const lists = await Promise.all(
        batch.map((client) =>
          client.dnsZones('linearizable', { deadlineMs: READ_DEADLINE_MS }).catch((error: unknown) => {
            this.log.warn({ err: String(error) }, 'a group did not list its zones');
            return [];
          }),
        ),
      );
      for (const [j, list] of lists.entries())
        for (const summary of list) {
          if (!apiKeyCoversZone(key, summary.zone)) continue;
          // Only the group the zone is routed to speaks for it.
          if ((await zones.clientFor(summary.zone)) !== batch[j]) continue;
          found.set(summary.zone.toLowerCase(), summary);
        }
    }
    return [...found.values()].sort((a, b) => (a.zone.toLowerCase() < b.zone.toLowerCase() ? -1 : 1));
  }

  private server(id: string): void {
    if (id !== SERVER_ID) throw new ApiError(404, 'Not Found');
  }

  private cursorZone(cursor: string): string {
    const zone = Buffer.from(cursor, 'base64url').toString('utf8');
    if (zone.length === 0 || !zone.endsWith('.'))
      throw new ApiError(400, 'cursor: not a cursor this API gave');
    return zone;
  }

  /** The zone of the path, after checking the server id and the key's scope. */
  private zoneAccess(
    params: { readonly server: string; readonly zone: string },
    apiKey: ApiKeyRecord | undefined,
    access: 'read' | 'write',
  ): string {
    this.server(params.server);
    const zone = zoneOfId(params.zone);
    try {
      Name.parse(zone);
    } catch (error) {
      throw new ApiError(422, `zone id ${params.zone}: ${(error as Error).message}`);
    }
    const key = apiKey as ApiKeyRecord;
    if (!apiKeyCoversZone(key, zone))
      throw new ApiError(403, `API key ${key.name} may not access zone ${zone}`);
    if (access === 'write' && key.readOnly) throw new ApiError(403, `API key ${key.name} is read-only`);
    return zone;
  }

  private async readWhole(zone: string) {
    const client = await this.ready().zones.clientFor(zone);
    const probe = await client.dnsZonePage(zone, 0, 1, {
      mode: 'linearizable',
      deadlineMs: READ_DEADLINE_MS,
    });
    if (probe === null) throw new ApiError(404, `Could not find domain '${zone}'`);
    if (probe.total > WHOLE_ZONE_RRSETS_MAX)
      throw new ApiError(
        422,
        `zone ${zone} holds ${probe.total} RRsets, more than ${WHOLE_ZONE_RRSETS_MAX} in one answer: page it with ?limit=&cursor= (or use raftns zone export)`,
      );
    let snapshot: Awaited<ReturnType<typeof readZone>>;
    try {
      snapshot = await readZone(client, zone, { mode: 'linearizable', deadlineMs: READ_DEADLINE_MS });
    } catch (error) {
      if (error instanceof ZoneChangingError) throw new ApiError(503, error.message);
      throw error;
    }
    if (snapshot === null) throw new ApiError(404, `Could not find domain '${zone}'`);
    return snapshot;
  }

  /** The PATCH's rrsets as store changes; 422 for what PowerDNS also refuses, with its reason. */
  private changesOf(zone: string, rrsets: readonly PdnsRrsetChange[]): UpdateChange[] {
    const apex = Name.parse(zone);
    const seen = new Set<string>();
    return rrsets.map((set) => {
      const where = `RRset ${set.name} IN ${set.type}`;
      if (!set.name.endsWith('.')) throw new ApiError(422, `${where}: Name is not canonical (no final dot)`);
      let name: Name;
      try {
        name = Name.parse(set.name);
      } catch (error) {
        throw new ApiError(422, `${where}: ${(error as Error).message}`);
      }
      if (!name.isSubdomainOf(apex) && !name.equals(apex))
        throw new ApiError(422, `${where}: Name is out of zone`);
      const typeCode = parseRrType(set.type);
      if (typeCode === undefined) throw new ApiError(422, `${where}: unknown type`);
      const type = rrTypeName(typeCode);
      const id = `${name.key}/${type}`;
      if (seen.has(id)) throw new ApiError(422, `${where}: Duplicate RRset in the request`);
      seen.add(id);
      if ((set.comments ?? []).length > 0)
        throw new ApiError(422, `${where}: comments are not stored by raftns`);
      if (set.changetype === 'DELETE') return { op: 'delete-rrset', name: set.name, type };
      const records = set.records ?? [];
      if (records.some((r) => r.disabled === true))
        throw new ApiError(422, `${where}: disabled records are not stored by raftns`);
      if (records.length === 0) return { op: 'delete-rrset', name: set.name, type };
      if (set.ttl === undefined) throw new ApiError(422, `${where}: TTL is missing`);
      return { op: 'upsert', name: set.name, type, ttl: set.ttl, rdata: records.map((r) => r.content) };
    });
  }
}
