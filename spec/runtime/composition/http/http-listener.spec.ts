/** The HTTP listener (fastify) over a real socket: routes, HEAD, 404, 405, 413, 431, handler failures. */
import { connect } from 'node:net';
import { expect } from 'chai';
import { HttpListener, jsonReply } from '../../../../runtime/composition/http/http-listener.js';
import { silentLogger } from '../../../../runtime/log.js';

/** Sends `text` as is and returns what the server wrote until it closed. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let out = '';
    socket.on('data', (d: Buffer) => {
      out += d.toString();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(out));
  });
}

describe('HTTP listener', () => {
  let listener: HttpListener;
  let base: string;

  before(async () => {
    listener = HttpListener.create(silentLogger);
    listener.route('GET', '/hello', async (request) => jsonReply(200, { who: request.query.get('who') }));
    listener.route('GET', '/broken', async () => {
      throw new Error('boom');
    });
    expect(() => listener.route('GET', '/hello', async () => jsonReply(200, {}))).to.throw(/already taken/);
    await listener.listen('127.0.0.1', 0);
    base = `http://127.0.0.1:${listener.address.port}`;
  });

  after(() => listener.stop());

  it('serves a route with its query string', async () => {
    const response = await fetch(`${base}/hello?who=ops`);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/json; charset=utf-8');
    expect(await response.json()).to.deep.equal({ who: 'ops' });
  });

  it('answers HEAD like GET without the body', async () => {
    const response = await fetch(`${base}/hello`, { method: 'HEAD' });
    expect(response.status).to.equal(200);
    expect(await response.text()).to.equal('');
  });

  it('answers 404 for an unknown path and 405 for a known path with another method', async () => {
    expect((await fetch(`${base}/nope`)).status).to.equal(404);
    expect((await fetch(`${base}/hello`, { method: 'DELETE' })).status).to.equal(405);
  });

  it('answers 500 when a handler fails, and keeps serving', async () => {
    expect((await fetch(`${base}/broken`)).status).to.equal(500);
    expect((await fetch(`${base}/hello`)).status).to.equal(200);
  });

  it('refuses a route once listening', () => {
    expect(() => listener.route('GET', '/later', async () => jsonReply(200, {}))).to.throw(
      /listening already/,
    );
  });
  it('refuses a request body with 413 and an oversized header set, and answers errors as JSON', async () => {
    // fetch may refuse a GET body itself; a raw request shows the listener's answer.
    const raw = await rawRequest(
      listener.address.port,
      'GET /hello HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc',
    );
    expect(raw).to.match(/^HTTP\/1\.1 413/);
    const missing = await fetch(`${base}/nope`);
    expect(await missing.json()).to.deep.equal({ error: 'Not Found' });
    const big = await rawRequest(
      listener.address.port,
      `GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
    );
    expect(big).to.match(/^HTTP\/1\.1 431/);
  });
});
