/**
 * A zone of 100,000 records listed page by page through the HTTP API while a writer keeps
 * changing it (new RRsets and rewrites of listed ones, one PATCH after another): every RRset
 * of the first page's state comes exactly once, none of the writer's new names appear, and
 * no page is refused, because every page after the first is read from that state.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { EXIT_OK } from '../../clients/cli/exit-codes.js';
import { type ApiCluster, startApiCluster } from '../fixtures/api-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';

const CLUSTER = 'paging';
const ZONE = 'example.org.';
const RECORDS = 100_000;
const PAGE = 1_000;

describe('HTTP API: a 100k-record zone paged while it is written to', function () {
  this.timeout(600_000);
  let cluster: ApiCluster | undefined;
  let dir: string | undefined;

  after(async () => {
    await cluster?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('lists every RRset of the first page’s state exactly once, with writes between the pages', async () => {
    cluster = await startApiCluster({ cluster: CLUSTER, zone: ZONE, createZone: false });
    const api = `${cluster.apiUrl()}/api/v1/servers/localhost/zones/${ZONE}`;

    dir = await mkdtemp(join(tmpdir(), 'raftns-paging-'));
    const lines = [
      '$ORIGIN example.org.',
      '@ 300 IN SOA ns1 hostmaster 1 3600 600 86400 300',
      '@ 300 IN NS ns1',
    ];
    for (let i = 0; i < RECORDS; i++)
      lines.push(`h${i} 300 IN A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const file = join(dir, 'big.zone');
    await writeFile(file, `${lines.join('\n')}\n`);
    const imported = await raftns(
      ['--nats', cluster.nats.url, '--cluster', CLUSTER, '--timeout', '300000', 'zone', 'import', ZONE, file],
      {
        timeoutMs: 320_000,
      },
    );
    expect(imported.code, imported.stderr).to.equal(EXIT_OK);
    const headers = { 'x-api-key': await cluster.addKey('pager') };

    const first = await fetch(`${api}?limit=${PAGE}`, { headers });
    expect(first.status).to.equal(200);
    const seen: string[] = [];
    const take = async (response: Response) => {
      const body = (await response.json()) as { rrsets: Array<{ name: string; type: string }> };
      for (const r of body.rrsets) seen.push(`${r.name} ${r.type}`);
      return response.headers.get('x-next-cursor');
    };
    let cursor = await take(first);

    // The writer: new names and rewrites of listed ones, one PATCH at a time, until paging ends.
    let paging = true;
    let writes = 0;
    let wrote: () => void = () => {};
    const writer = (async () => {
      for (let n = 0; paging; n++) {
        const response = await fetch(api, {
          method: 'PATCH',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({
            rrsets: [
              {
                name: `w${n}.${ZONE}`,
                type: 'A',
                ttl: 60,
                changetype: 'REPLACE',
                records: [{ content: '192.0.2.1' }],
              },
              {
                name: `h${(n * 7919) % RECORDS}.${ZONE}`,
                type: 'A',
                ttl: 60,
                changetype: 'REPLACE',
                records: [{ content: '192.0.2.2' }],
              },
            ],
          }),
        });
        expect(response.status, await response.text()).to.equal(204);
        writes++;
        wrote();
      }
    })();

    let pages = 1;
    try {
      while (cursor !== null) {
        const response = await fetch(`${api}?limit=${PAGE}&cursor=${cursor}`, { headers });
        expect(response.status, `page ${pages + 1}`).to.equal(200);
        cursor = await take(response);
        pages++;
        // Let the writer land writes between pages (a condition, not a sleep: wait for one).
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 10_000);
          wrote = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      paging = false;
      await writer;
    }

    const expected = new Set([`${ZONE} SOA`, `${ZONE} NS`]);
    for (let i = 0; i < RECORDS; i++) expected.add(`h${i}.${ZONE} A`);
    expect(seen.length, 'RRsets listed').to.equal(expected.size);
    expect(new Set(seen).size, 'no RRset twice').to.equal(seen.length);
    expect(seen.filter((s) => !expected.has(s)).slice(0, 5), 'only the first state').to.deep.equal([]);
    expect(pages).to.equal(Math.ceil(expected.size / PAGE));
    expect(writes, 'writes landed during the listing').to.be.at.least(pages - 1);
    console.log(`      ${seen.length} RRsets in ${pages} pages, ${writes} writes committed meanwhile`);
  });
});
