/**
 * The replica's HTTP listener (`--http host:port`): a route table over node:http. It serves
 * `/metrics`, `/livez` and `/readyz` (observability.ts); further APIs add their routes to
 * the same listener with `route`. Requests carry no body here: one that does is refused.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../log.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpReply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** What a route sees of a request: the path and the parsed query string. */
export interface HttpRequest {
  readonly method: HttpMethod;
  readonly path: string;
  readonly query: URLSearchParams;
}

export type HttpHandler = (request: HttpRequest) => Promise<HttpReply>;

/** Bounds on the listener: a scraper or probe never needs more. */
const REQUEST_TIMEOUT_MS = 10_000;
const HEADERS_TIMEOUT_MS = 5_000;
const CONNECTIONS_MAX = 64;
const HEADER_BYTES_MAX = 16 * 1024;
const CLOSE_TIMEOUT_MS = 2_000;

export function jsonReply(status: number, value: unknown): HttpReply {
  return { status, contentType: 'application/json; charset=utf-8', body: `${JSON.stringify(value)}\n` };
}

function textReply(status: number, body: string): HttpReply {
  return { status, contentType: 'text/plain; charset=utf-8', body: `${body}\n` };
}

export class HttpListener {
  private readonly routes = new Map<string, HttpHandler>();

  private constructor(
    private readonly server: Server,
    private readonly log: Logger,
  ) {}

  /** Listens on `host:port` (port 0: a free one, see `address`); fails if it cannot bind. */
  static async start(host: string, port: number, log: Logger): Promise<HttpListener> {
    const server = createServer({ maxHeaderSize: HEADER_BYTES_MAX });
    const listener = new HttpListener(server, log);
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = HEADERS_TIMEOUT_MS;
    server.maxConnections = CONNECTIONS_MAX;
    server.on('request', (request, response) => listener.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error) => log.error({ err: String(error) }, 'HTTP listener failed'));
    return listener;
  }

  /** The bound address (the real port when port 0 was asked for). */
  get address(): { readonly host: string; readonly port: number } {
    const bound = this.server.address() as AddressInfo;
    return { host: bound.address, port: bound.port };
  }

  /** Adds a route; a second handler for the same method and path is a programming error. */
  route(method: HttpMethod, path: string, handler: HttpHandler): void {
    const key = `${method} ${path}`;
    if (this.routes.has(key)) throw new Error(`HTTP route ${key} is already taken`);
    this.routes.set(key, handler);
  }

  /** Stops accepting connections and closes the open ones. */
  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const timer = setTimeout(() => this.server.closeAllConnections(), CLOSE_TIMEOUT_MS);
    await closed;
    clearTimeout(timer);
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://raftns');
    const method = (request.method ?? 'GET') as HttpMethod;
    // HEAD is GET without the body (RFC 9110 §9.3.2).
    const handler =
      this.routes.get(`${method} ${url.pathname}`) ??
      (method === 'HEAD' ? this.routes.get(`GET ${url.pathname}`) : undefined);
    const send = (reply: HttpReply) => {
      response.writeHead(reply.status, {
        'content-type': reply.contentType,
        'content-length': Buffer.byteLength(reply.body),
        'cache-control': 'no-store',
      });
      response.end(method === 'HEAD' ? undefined : reply.body);
    };
    if (handler === undefined) {
      const allowed = [...this.routes.keys()].some((key) => key.endsWith(` ${url.pathname}`));
      send(allowed ? textReply(405, 'method not allowed') : textReply(404, 'not found'));
      return;
    }
    if (request.headers['content-length'] !== undefined && request.headers['content-length'] !== '0') {
      send(textReply(413, 'request bodies are not accepted'));
      return;
    }
    handler({ method, path: url.pathname, query: url.searchParams }).then(send, (error: unknown) => {
      this.log.error({ err: String(error), path: url.pathname }, 'HTTP handler failed');
      send(textReply(500, 'internal error'));
    });
  }
}
