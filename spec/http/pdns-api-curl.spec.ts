/**
 * The HTTP API's own rules driven by `curl`, as an operator would script them: an ETag on
 * GET and `If-Match` on PATCH (412 when stale, nothing changed), `Idempotency-Key` replays,
 * and paging by following the `Link: <…>; rel="next"` header until there is none.
 */
import { expect } from 'chai';
import { type ApiCluster, startApiCluster } from '../fixtures/api-cluster.js';
import { runTool } from '../fixtures/child-process.js';

const CLUSTER = 'curlapi';
const ZONE = 'example.org.';

interface CurlAnswer {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: string;
}

describe('HTTP API rules with curl: ETag and If-Match, Idempotency-Key, Link paging', function () {
  this.timeout(120_000);
  let api: ApiCluster | undefined;
  let base = '';
  let key = '';

  before(async () => {
    api = await startApiCluster({ cluster: CLUSTER, zone: ZONE });
    base = api.apiUrl();
    key = await api.addKey('curl');
  });

  after(async () => {
    await api?.stop();
  });

  /** `curl -i` with the key; the status line, headers (lower-cased names) and body. */
  async function curl(path: string, ...args: string[]): Promise<CurlAnswer> {
    const url = path.startsWith('http') ? path : `${base}${path}`;
    const run = await runTool('curl', ['-sS', '-i', '-H', `X-API-Key: ${key}`, ...args, url], {
      timeoutMs: 20_000,
    });
    expect(run.code, run.out).to.equal(0);
    const [head = '', ...rest] = run.stdout.split('\r\n\r\n');
    const [statusLine = '', ...headerLines] = head.split('\r\n');
    const headers = new Map<string, string>();
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    return { status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') };
  }

  const patchBody = (name: string, address: string) =>
    JSON.stringify({
      rrsets: [
        {
          name: `${name}.${ZONE}`,
          type: 'A',
          ttl: 60,
          changetype: 'REPLACE',
          records: [{ content: address }],
        },
      ],
    });
  const zonePath = `/api/v1/servers/localhost/zones/${ZONE}`;

  it('answers a stale If-Match with 412 and changes nothing; the current ETag writes', async () => {
    const before = await curl(zonePath);
    expect(before.status).to.equal(200);
    const etag = before.headers.get('etag');
    expect(etag).to.match(/^"\d+"$/);
    const write = (match: string, address: string) =>
      curl(
        zonePath,
        '-X',
        'PATCH',
        '-H',
        'Content-Type: application/json',
        '-H',
        `If-Match: ${match}`,
        '--data',
        patchBody('cas', address),
      );
    expect((await write(etag as string, '192.0.2.1')).status).to.equal(204);
    const stale = await write(etag as string, '192.0.2.2');
    expect(stale.status).to.equal(412);
    const now = await curl(zonePath);
    expect(now.body).to.include('192.0.2.1').and.not.include('192.0.2.2');
    expect((await write(now.headers.get('etag') as string, '192.0.2.3')).status).to.equal(204);
  });

  it('replays a PATCH repeated with the same Idempotency-Key, and refuses the key for another body', async () => {
    const send = (address: string) =>
      curl(
        zonePath,
        '-X',
        'PATCH',
        '-H',
        'Content-Type: application/json',
        '-H',
        'Idempotency-Key: curl-op-1',
        '--data',
        patchBody('idem', address),
      );
    const first = await send('192.0.2.10');
    expect(first.status).to.equal(204);
    expect(first.headers.has('idempotent-replayed')).to.equal(false);
    const serial = (await curl(zonePath)).headers.get('etag');
    const again = await send('192.0.2.10');
    expect(again.status).to.equal(204);
    expect(again.headers.get('idempotent-replayed')).to.equal('true');
    expect((await curl(zonePath)).headers.get('etag')).to.equal(serial);
    expect((await send('192.0.2.11')).status).to.equal(422);
  });

  it('pages the zone by following Link rel="next" until it ends, every RRset once', async () => {
    for (let i = 0; i < 12; i++)
      expect(
        (
          await curl(
            zonePath,
            '-X',
            'PATCH',
            '-H',
            'Content-Type: application/json',
            '--data',
            patchBody(`p${i}`, `192.0.2.${100 + i}`),
          )
        ).status,
      ).to.equal(204);
    const whole = JSON.parse((await curl(zonePath)).body) as {
      rrsets: Array<{ name: string; type: string }>;
    };
    const paged: string[] = [];
    let next: string | undefined = `${zonePath}?limit=5`;
    let pages = 0;
    while (next !== undefined && pages < 100) {
      const page = await curl(next);
      expect(page.status).to.equal(200);
      paged.push(...(JSON.parse(page.body) as typeof whole).rrsets.map((r) => `${r.name} ${r.type}`));
      next = /<([^>]+)>;\s*rel="next"/.exec(page.headers.get('link') ?? '')?.[1];
      pages++;
    }
    expect(paged).to.deep.equal(whole.rrsets.map((r) => `${r.name} ${r.type}`));
    expect(pages).to.equal(Math.ceil(whole.rrsets.length / 5));
  });
});
