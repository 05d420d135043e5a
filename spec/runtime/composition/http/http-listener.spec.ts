/** The HTTP listener's route table over a real socket: routes, HEAD, 404, 405, handler failures. */
import { expect } from 'chai';
import { HttpListener, jsonReply } from '../../../../runtime/composition/http/http-listener.js';
import { silentLogger } from '../../../../runtime/log.js';

describe('HTTP listener', () => {
  let listener: HttpListener;
  let base: string;

  before(async () => {
    listener = await HttpListener.start('127.0.0.1', 0, silentLogger);
    base = `http://127.0.0.1:${listener.address.port}`;
    listener.route('GET', '/hello', async (request) => jsonReply(200, { who: request.query.get('who') }));
    listener.route('GET', '/broken', async () => {
      throw new Error('boom');
    });
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

  it('refuses a second handler for the same route', () => {
    expect(() => listener.route('GET', '/hello', async () => jsonReply(200, {}))).to.throw(/already taken/);
  });
});
