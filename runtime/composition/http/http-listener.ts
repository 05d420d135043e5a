/**
 * The replica's HTTP listener (`--http host:port`): a fastify server with zod schemas
 * (fastify-type-provider-zod). It serves `/metrics`, `/livez` and `/readyz`
 * (observability.ts) through `route`, and the PowerDNS-compatible API (pdns-api.ts)
 * through `app`. Routes are added between `create` and `listen` (fastify freezes its route
 * table when it starts listening).
 *
 * Every error is a JSON body `{"error": "..."}` as PowerDNS answers: 400 for a body that is
 * not JSON or fails its schema (unknown fields included), 404 for an unknown path, 405 for a
 * known path with another method, 413 for a body above `bodyBytesMax`, 415 for a body that
 * is not JSON, 500 for a handler that failed (logged; the listener keeps serving).
 */
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import type { Logger } from '../../log.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** What a `route` handler sees of a request: the path and the parsed query string. */
export interface HttpRequest {
  readonly method: HttpMethod;
  readonly path: string;
  readonly query: URLSearchParams;
}

export type HttpHandler = (request: HttpRequest) => Promise<HttpReply>;

/** The fastify instance; routes with schemas use `app.withTypeProvider<ZodTypeProvider>()`. */
export type HttpApp = FastifyInstance;

/** Bounds on the listener: a scraper, a probe or an API client never needs more. */
export const REQUEST_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 5_000;
/** Idle keep-alive connections are closed after this long (fastify's default is 72 s). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
export const CONNECTIONS_MAX = 64;
const HEADER_BYTES_MAX = 16 * 1024;
/** The largest request body: a PATCH of a few hundred RRsets; beyond it 413 and nothing read. */
export const BODY_BYTES_MAX_DEFAULT = 1024 * 1024;
/** Longest path parameter (a zone id is a domain name: at most 255 octets, escaped ×4). */
const PARAM_CHARS_MAX = 1024;
const CLOSE_TIMEOUT_MS = 2_000;

/** An error a handler throws to answer `status` with `{"error": message}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function jsonReply(status: number, value: unknown): HttpReply {
  return { status, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(value)}\n` };
}

export interface HttpListenerOptions {
  readonly bodyBytesMax?: number;
}

/** `:param` and `*` of a route pattern as a regular expression over a concrete path. */
function patternRegex(pattern: string): RegExp {
  const escaped = pattern
    .split('/')
    .map((part) =>
      part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return new RegExp(`^${escaped}$`);
}

export class HttpListener {
  private readonly patterns: Array<{ readonly method: string; readonly regex: RegExp }> = [];
  private listening = false;

  private constructor(
    readonly app: HttpApp,
    private readonly log: Logger,
  ) {}

  /** A listener with no routes yet; `listen` binds it. */
  static create(log: Logger, options: HttpListenerOptions = {}): HttpListener {
    const app = Fastify({
      logger: false,
      bodyLimit: options.bodyBytesMax ?? BODY_BYTES_MAX_DEFAULT,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      routerOptions: { maxParamLength: PARAM_CHARS_MAX },
      http: { maxHeaderSize: HEADER_BYTES_MAX },
      return503OnClosing: true,
    });
    // Bodies are JSON only: any other media type is a 415 before a route sees it. An empty
    // JSON body is no body (lego's PUT .../notify sends one), not a parse error.
    app.removeContentTypeParser(['text/plain', 'application/json']);
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, text, done) => {
      if (text === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text as string));
      } catch (error) {
        done(new HttpError(400, `Invalid JSON body: ${(error as Error).message}`), undefined);
      }
    });
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    const listener = new HttpListener(app, log);
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) listener.patterns.push({ method, regex: patternRegex(route.url) });
    });
    app.server.headersTimeout = HEADERS_TIMEOUT_MS;
    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      const known = listener.patterns.some((p) => p.regex.test(path));
      reply
        .code(known ? 405 : 404)
        .header('cache-control', 'no-store')
        .send({ error: known ? 'Method Not Allowed' : 'Not Found' });
    });
    app.setErrorHandler((error: FastifyError | HttpError, request, reply) => {
      reply.header('cache-control', 'no-store');
      if (error instanceof HttpError) return reply.code(error.status).send({ error: error.message });
      if (hasZodFastifySchemaValidationErrors(error)) {
        const issues = error.validation
          .slice(0, 5)
          .map((issue) => `${issue.instancePath || '/'} ${issue.message}`)
          .join('; ');
        return reply.code(400).send({ error: `Invalid request: ${issues}` });
      }
      const status = error.statusCode;
      if (status !== undefined && status >= 400 && status < 500) {
        // fastify's own client errors: bad JSON (400), too large (413), unsupported media (415).
        const message =
          status === 413
            ? `Request body larger than ${options.bodyBytesMax ?? BODY_BYTES_MAX_DEFAULT} octets`
            : error.message;
        return reply.code(status).send({ error: message });
      }
      log.error({ err: String(error), path: request.url.split('?')[0] }, 'HTTP handler failed');
      return reply.code(500).send({ error: 'Internal Server Error' });
    });
    return listener;
  }

  /** Binds `host:port` (port 0: a free one, see `address`); fails if it cannot. */
  async listen(host: string, port: number): Promise<void> {
    await this.app.listen({ host, port });
    this.app.server.maxConnections = CONNECTIONS_MAX;
    this.listening = true;
    this.app.server.on('error', (error) => this.log.error({ err: String(error) }, 'HTTP listener failed'));
  }

  /** The bound address (the real port when port 0 was asked for). */
  get address(): { readonly host: string; readonly port: number } {
    const bound = this.app.server.address() as AddressInfo;
    return { host: bound.address, port: bound.port };
  }

  /**
   * Adds a route that takes no request body (a body is refused with 413) and answers with
   * `handler`'s reply; HEAD is answered like GET without the body (RFC 9110 §9.3.2). A
   * second handler for the same method and path is a programming error.
   */
  route(method: HttpMethod, path: string, handler: HttpHandler): void {
    if (this.listening) throw new Error(`HTTP route ${method} ${path}: the listener is listening already`);
    if (this.app.hasRoute({ method, url: path }))
      throw new Error(`HTTP route ${method} ${path} is already taken`);
    this.app.route({
      method,
      url: path,
      handler: async (request, reply) => {
        const length = request.headers['content-length'];
        if ((length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined)
          return reply
            .code(413)
            .header('cache-control', 'no-store')
            .send({ error: 'request bodies are not accepted' });
        const url = new URL(request.url, 'http://raftns');
        const answer = await handler({ method, path: url.pathname, query: url.searchParams });
        return reply
          .code(answer.status)
          .header('content-type', answer.contentType)
          .header('cache-control', 'no-store')
          .send(answer.body);
      },
    });
  }

  /** Stops accepting connections and closes the open ones (idle at once, busy after CLOSE_TIMEOUT_MS). */
  async stop(): Promise<void> {
    const timer = setTimeout(() => this.app.server.closeAllConnections(), CLOSE_TIMEOUT_MS);
    this.app.server.closeIdleConnections();
    await this.app.close();
    clearTimeout(timer);
  }
}
