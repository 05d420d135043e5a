/**
 * The PowerDNS-compatible HTTP API (runtime/composition/http/pdns-api.ts) of real replica
 * processes in two regions (one replica each, `--http 127.0.0.1:0`), with keys made by
 * `raftns api-key`: every endpoint over real sockets, the key rules, the documented
 * errors with nothing changed, compare-and-set with If-Match, and a PATCH that `dig`
 * then answers in both regions.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { EXIT_OK } from '../../clients/cli/exit-codes.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { createZoneChange } from '../fixtures/dns-zone.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';
import type { DnsListenerInfo, RaftCluster } from '../fixtures/raft-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';
import { startRegionClusters } from '../fixtures/region-clusters.js';

const execFileAsync = promisify(execFile);
const CLUSTER = 'httpapi';
const GROUP = 'g1';
const ZONE = 'example.org.';
/** Two more zones in the same group's store, for paging the zone list. */
const MORE_ZONES = ['b.example.', 'c.example.'] as const;
const REGIONS = ['r1', 'r2'] as const;

interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body of any shape, checked by each test
  readonly json: any;
}

async function dig(at: DnsListenerInfo, name: string, type: string): Promise<string[]> {
  const { stdout } = await execFileAsync(
    'dig',
    [`@${at.address}`, '-p', String(at.port), '+norec', '+short', '+time=2', '+tries=1', name, type],
    { timeout: 10_000 },
  );
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .sort();
}

// biome-ignore lint/suspicious/noExplicitAny: a JSON Schema object of the OpenAPI document
type JsonSchema = any;

/** Problems of `value` against the subset of JSON Schema the document uses (empty: it conforms). */
function schemaProblems(schema: JsonSchema, value: unknown, at = '$'): string[] {
  if (schema === undefined || schema === null) return [];
  if (schema.anyOf !== undefined || schema.oneOf !== undefined) {
    const options = (schema.anyOf ?? schema.oneOf) as JsonSchema[];
    return options.some((o) => schemaProblems(o, value, at).length === 0)
      ? []
      : [`${at}: matches no alternative`];
  }
  if (schema.const !== undefined && value !== schema.const) return [`${at}: not ${schema.const}`];
  if (schema.enum !== undefined && !(schema.enum as unknown[]).includes(value)) return [`${at}: not in enum`];
  switch (schema.type) {
    case 'string':
      return typeof value === 'string' ? [] : [`${at}: not a string`];
    case 'integer':
      return Number.isInteger(value) ? [] : [`${at}: not an integer`];
    case 'number':
      return typeof value === 'number' ? [] : [`${at}: not a number`];
    case 'boolean':
      return typeof value === 'boolean' ? [] : [`${at}: not a boolean`];
    case 'array':
      if (!Array.isArray(value)) return [`${at}: not an array`];
      return value.flatMap((item, i) => schemaProblems(schema.items, item, `${at}[${i}]`));
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        return [`${at}: not an object`];
      const record = value as Record<string, unknown>;
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const problems = ((schema.required ?? []) as string[])
        .filter((k) => !(k in record))
        .map((k) => `${at}.${k}: missing`);
      for (const [k, v] of Object.entries(record)) {
        if (k in properties) problems.push(...schemaProblems(properties[k], v, `${at}.${k}`));
        else if (schema.additionalProperties === false) problems.push(`${at}.${k}: not in the document`);
      }
      return problems;
    }
    default:
      return [];
  }
}

describe('PowerDNS-compatible HTTP API on two regions (fetch, dig, raftns api-key)', function () {
  this.timeout(240_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  const regions = new Map<string, RaftCluster>();
  const keys = new Map<string, string>();

  const base = (region: string): string => {
    const http = regions.get(region)?.replicas[0]?.http;
    if (http === undefined) throw new Error(`${region} reported no HTTP listener`);
    return `http://${http.host}:${http.port}`;
  };
  const dnsOf = (region: string): DnsListenerInfo =>
    regions.get(region)?.replicas[0]?.dns[0] as DnsListenerInfo;

  async function api(
    method: string,
    path: string,
    options: {
      readonly key?: string;
      readonly body?: unknown;
      readonly raw?: string;
      readonly headers?: Record<string, string>;
      readonly region?: string;
    } = {},
  ): Promise<ApiAnswer> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.key !== undefined) headers['x-api-key'] = options.key;
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${base(options.region ?? 'r1')}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  const zonePath = (zone = ZONE) => `/api/v1/servers/localhost/zones/${zone}`;
  const admin = () => keys.get('admin') as string;

  async function serialOf(zone = ZONE): Promise<number> {
    const answer = await api('GET', zonePath(zone), { key: admin() });
    expect(answer.status, answer.text).to.equal(200);
    return answer.json.serial as number;
  }

  async function addKey(name: string, ...args: string[]): Promise<string> {
    const run = await raftns(['--nats', nats.url, '--cluster', CLUSTER, 'api-key', 'add', name, ...args]);
    expect(run.code, run.stderr).to.equal(EXIT_OK);
    const secret = run.stdout.trim();
    expect(secret).to.match(/^rns_[A-Za-z0-9_-]{43}$/);
    keys.set(name, secret);
    return secret;
  }

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'http-api-spec', log: silentLogger });
    for (const [name, cluster] of await startRegionClusters({
      nats,
      nc,
      cluster: CLUSTER,
      regions: REGIONS,
      group: GROUP,
      zone: ZONE,
      extraArgs: () => ['--http', '127.0.0.1:0'],
    }))
      regions.set(name, cluster);
    for (const cluster of regions.values()) {
      const client = await cluster.client();
      const created = await client.dnsBatch({ changes: [createZoneChange(ZONE, 100)] });
      expect(created.ok, JSON.stringify(created)).to.equal(true);
    }
    const r1 = await (regions.get('r1') as RaftCluster).client();
    for (const zone of MORE_ZONES) {
      const created = await r1.dnsBatch({ changes: [createZoneChange(zone, 1)] });
      expect(created.ok, JSON.stringify(created)).to.equal(true);
    }
    await addKey('admin');
    await addKey('reader', '--read-only');
    await addKey('scoped', '--zones', 'b.example');
    // Keys reach the replicas through a KV watch.
    for (const region of REGIONS)
      await pollUntil(`the admin key on ${region}`, 10_000, async () =>
        (await api('GET', '/api', { key: admin(), region })).status === 200 ? true : undefined,
      );
    await pollUntil('the other keys on r1', 10_000, async () =>
      (await api('GET', '/api', { key: keys.get('scoped') as string })).status === 200 &&
      (await api('GET', '/api', { key: keys.get('reader') as string })).status === 200
        ? true
        : undefined,
    );
  });

  after(async () => {
    for (const cluster of regions.values()) await cluster.stop();
    await nc?.close();
    await nats?.stop();
  });

  it('refuses every /api route without a key or with an unknown one (401), and keeps /livez open', async () => {
    for (const path of ['/api', '/api/v1/servers', zonePath(), `${zonePath()}/export`]) {
      const none = await api('GET', path);
      expect(none.status, path).to.equal(401);
      expect(none.json).to.have.property('error');
      expect((await api('GET', path, { key: 'rns_not-a-key' })).status, path).to.equal(401);
    }
    const patch = await api('PATCH', zonePath(), {
      key: 'wrong',
      body: { rrsets: [{ name: `x.${ZONE}`, type: 'A', ttl: 60, changetype: 'REPLACE', records: [] }] },
    });
    expect(patch.status).to.equal(401);
    expect((await api('GET', '/livez')).status).to.equal(200);
  });

  it('lists the keys without secrets, and a removed key is refused', async () => {
    const list = await raftns(['--nats', nats.url, '--cluster', CLUSTER, '--json', 'api-key', 'list']);
    expect(list.code, list.stderr).to.equal(EXIT_OK);
    const rows = JSON.parse(list.stdout) as Array<{
      name: string;
      readOnly: boolean;
      zones: string[] | null;
    }>;
    expect(rows.map((r) => r.name)).to.include.members(['admin', 'reader', 'scoped']);
    expect(rows.find((r) => r.name === 'scoped')?.zones).to.deep.equal(['b.example.']);
    expect(list.stdout).not.to.include('rns_');
    const temp = await addKey('temp');
    await pollUntil('the temp key accepted', 10_000, async () =>
      (await api('GET', '/api', { key: temp })).status === 200 ? true : undefined,
    );
    const removed = await raftns(['--nats', nats.url, '--cluster', CLUSTER, 'api-key', 'remove', 'temp']);
    expect(removed.code, removed.stderr).to.equal(EXIT_OK);
    await pollUntil('the temp key refused', 10_000, async () =>
      (await api('GET', '/api', { key: temp })).status === 401 ? true : undefined,
    );
  });

  it('limits each key to its rate at each replica (429 with Retry-After), other keys unaffected', async () => {
    const slow = await addKey('slow', '--rate', '2');
    await pollUntil('the slow key accepted', 10_000, async () =>
      (await api('GET', '/api', { key: slow })).status === 200 ? true : undefined,
    );
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await api('GET', '/api', { key: slow })).status);
    // A burst of at most 2 × 2 tokens (one spent by the poll above, some refilled meanwhile).
    expect(statuses.filter((s) => s === 200).length).to.be.within(1, 5);
    const limited = await api('GET', '/api', { key: slow });
    expect(limited.status).to.equal(429);
    expect(Number(limited.headers.get('retry-after'))).to.be.at.least(1);
    expect(limited.json.error).to.include('slow');
    expect((await api('GET', '/api', { key: admin() })).status).to.equal(200);
  });

  it('serves /api, the server and the zone list with PowerDNS field names, paged with limit and cursor', async () => {
    const versions = await api('GET', '/api', { key: admin() });
    expect(versions.json).to.deep.equal([{ url: '/api/v1', version: 1 }]);
    const servers = await api('GET', '/api/v1/servers', { key: admin() });
    expect(servers.json[0]).to.include({ id: 'localhost', type: 'Server', daemon_type: 'authoritative' });
    const server = await api('GET', '/api/v1/servers/localhost', { key: admin() });
    expect(server.json.url).to.equal('/api/v1/servers/localhost');
    expect((await api('GET', '/api/v1/servers/other', { key: admin() })).status).to.equal(404);

    const all = await api('GET', '/api/v1/servers/localhost/zones', { key: admin() });
    expect(all.status).to.equal(200);
    const names = (all.json as Array<{ id: string }>).map((z) => z.id);
    expect(names).to.deep.equal(['b.example.', 'c.example.', ZONE]);
    expect(all.json[2]).to.include({ id: ZONE, name: ZONE, kind: 'Native', url: zonePath() });
    expect(all.json[2].serial).to.be.a('number');

    const paged: string[] = [];
    let path = '/api/v1/servers/localhost/zones?limit=1';
    for (let page = 0; page < 5; page++) {
      const answer = await api('GET', path, { key: admin() });
      expect(answer.status, answer.text).to.equal(200);
      expect(answer.json).to.have.length(1);
      paged.push(answer.json[0].id);
      const cursor = answer.headers.get('x-next-cursor');
      if (cursor === null) break;
      expect(answer.headers.get('link')).to.include('rel="next"');
      path = `/api/v1/servers/localhost/zones?limit=1&cursor=${cursor}`;
    }
    expect(paged).to.deep.equal(names);
    // Creating a zone that exists is a conflict; the plan's zones are not deleted through the
    // API (zone-lifecycle.spec.ts creates and deletes zones on a bootstrapped hierarchy).
    const post = await api('POST', '/api/v1/servers/localhost/zones', {
      key: admin(),
      body: { name: ZONE, kind: 'Native', nameservers: [] },
    });
    expect(post.status, post.text).to.equal(409);
    expect(post.json.error).to.match(/already exists/);
    const remove = await api('DELETE', zonePath(), { key: admin() });
    expect(remove.status, remove.text).to.equal(422);
    expect(remove.json.error).to.match(/zone of the plan/);
    expect((await api('GET', '/api/v1/servers/localhost/nothing', { key: admin() })).status).to.equal(404);
    const bad = await api('GET', '/api/v1/servers/localhost/zones?limit=0', { key: admin() });
    expect(bad.status).to.equal(400);
    expect(bad.json.error).to.be.a('string');
  });

  it('shows a zone-scoped key only its zones (403 for the others)', async () => {
    const key = keys.get('scoped') as string;
    const list = await api('GET', '/api/v1/servers/localhost/zones', { key });
    expect((list.json as Array<{ id: string }>).map((z) => z.id)).to.deep.equal(['b.example.']);
    expect((await api('GET', zonePath('b.example.'), { key })).status).to.equal(200);
    const other = await api('GET', zonePath(), { key });
    expect(other.status).to.equal(403);
    const serial = await serialOf();
    const write = await api('PATCH', zonePath(), {
      key,
      body: {
        rrsets: [
          {
            name: `s.${ZONE}`,
            type: 'A',
            ttl: 60,
            changetype: 'REPLACE',
            records: [{ content: '192.0.2.9', disabled: false }],
          },
        ],
      },
    });
    expect(write.status).to.equal(403);
    expect(await serialOf()).to.equal(serial);
  });

  it('PATCHes one RRset (204) that dig then answers in both regions, GET shows it, DELETE removes it', async () => {
    const before = await serialOf();
    const patch = await api('PATCH', zonePath(), {
      key: admin(),
      body: {
        rrsets: [
          {
            name: `www.${ZONE}`,
            type: 'A',
            ttl: 300,
            changetype: 'REPLACE',
            records: [
              { content: '192.0.2.10', disabled: false },
              { content: '192.0.2.11', disabled: false },
            ],
          },
          {
            name: `txt.${ZONE}`,
            type: 'TXT',
            ttl: 120,
            changetype: 'REPLACE',
            records: [{ content: '"hello world"', disabled: false }],
          },
        ],
      },
    });
    expect(patch.status, patch.text).to.equal(204);
    // The 204 promises every region: both answer at once.
    for (const region of REGIONS)
      expect(await dig(dnsOf(region), `www.${ZONE}`, 'A'), region).to.deep.equal([
        '192.0.2.10',
        '192.0.2.11',
      ]);
    expect(await dig(dnsOf('r2'), `txt.${ZONE}`, 'TXT')).to.deep.equal(['"hello world"']);

    const zone = await api('GET', zonePath(), { key: keys.get('reader') as string });
    expect(zone.status).to.equal(200);
    expect(zone.json.serial).to.be.greaterThan(before);
    expect(zone.headers.get('etag')).to.equal(`"${zone.json.serial}"`);
    const www = (zone.json.rrsets as Array<{ name: string; type: string }>).find(
      (s) => s.name === `www.${ZONE}` && s.type === 'A',
    );
    expect(www).to.deep.equal({
      name: `www.${ZONE}`,
      type: 'A',
      ttl: 300,
      records: [
        { content: '192.0.2.10', disabled: false },
        { content: '192.0.2.11', disabled: false },
      ],
      comments: [],
    });
    // The other region's replica answers the API too, with the same data.
    const inR2 = await api('GET', zonePath(), { key: admin(), region: 'r2' });
    expect(inR2.json.rrsets).to.deep.include(www);

    const deleted = await api('PATCH', zonePath(), {
      key: admin(),
      body: { rrsets: [{ name: `txt.${ZONE}`, type: 'TXT', changetype: 'DELETE' }] },
    });
    expect(deleted.status, deleted.text).to.equal(204);
    for (const region of REGIONS)
      expect(await dig(dnsOf(region), `txt.${ZONE}`, 'TXT'), region).to.deep.equal([]);
  });

  it('refuses a write with a read-only key (403), and bad JSON, unknown fields, oversized and invalid bodies, changing nothing', async () => {
    const serial = await serialOf();
    const good = {
      rrsets: [
        {
          name: `bad.${ZONE}`,
          type: 'A',
          ttl: 60,
          changetype: 'REPLACE',
          records: [{ content: '192.0.2.1', disabled: false }],
        },
      ],
    };
    const cases: Array<{
      what: string;
      status: number;
      key?: string;
      body?: unknown;
      raw?: string;
      headers?: Record<string, string>;
    }> = [
      { what: 'read-only key', status: 403, key: keys.get('reader') as string, body: good },
      { what: 'bad JSON', status: 400, raw: '{"rrsets": [' },
      { what: 'unknown top-level field', status: 400, body: { ...good, extra: 1 } },
      { what: 'unknown rrset field', status: 400, body: { rrsets: [{ ...good.rrsets[0], bogus: true }] } },
      {
        what: 'bad changetype',
        status: 400,
        body: { rrsets: [{ ...good.rrsets[0], changetype: 'UPSERT' }] },
      },
      { what: 'not JSON', status: 415, raw: 'hello', headers: { 'content-type': 'text/plain' } },
      {
        what: 'oversized body',
        status: 413,
        body: {
          rrsets: [{ ...good.rrsets[0], records: [{ content: 'x'.repeat(1_100_000), disabled: false }] }],
        },
      },
      {
        what: 'name out of zone',
        status: 422,
        body: { rrsets: [{ ...good.rrsets[0], name: 'www.example.net.' }] },
      },
      {
        what: 'name not canonical',
        status: 422,
        body: { rrsets: [{ ...good.rrsets[0], name: `bad.${ZONE}`.slice(0, -1) }] },
      },
      {
        what: 'bad A content',
        status: 422,
        body: { rrsets: [{ ...good.rrsets[0], records: [{ content: 'not-an-address', disabled: false }] }] },
      },
      {
        what: 'a bad RRset after a good one (atomic)',
        status: 422,
        body: {
          rrsets: [
            good.rrsets[0],
            {
              name: `bad2.${ZONE}`,
              type: 'MX',
              ttl: 60,
              changetype: 'REPLACE',
              records: [{ content: 'nonsense', disabled: false }],
            },
          ],
        },
      },
    ];
    for (const c of cases) {
      const answer = await api('PATCH', zonePath(), {
        key: c.key ?? admin(),
        ...(c.body === undefined ? {} : { body: c.body }),
        ...(c.raw === undefined ? {} : { raw: c.raw }),
        ...(c.headers === undefined ? {} : { headers: c.headers }),
      });
      expect(answer.status, `${c.what}: ${answer.text.slice(0, 300)}`).to.equal(c.status);
      expect(answer.json?.error, c.what).to.be.a('string');
    }
    expect(await serialOf()).to.equal(serial);
    expect(await dig(dnsOf('r1'), `bad.${ZONE}`, 'A')).to.deep.equal([]);
    const unknownZone = await api('GET', zonePath('nowhere.test.'), { key: admin() });
    expect(unknownZone.status).to.equal(404);
    expect(unknownZone.json.error).to.include('nowhere.test.');
  });

  it('makes a PATCH conditional on the zone serial with If-Match (412, nothing changed)', async () => {
    const serial = await serialOf();
    const body = (address: string) => ({
      rrsets: [
        {
          name: `cas.${ZONE}`,
          type: 'A',
          ttl: 60,
          changetype: 'REPLACE',
          records: [{ content: address, disabled: false }],
        },
      ],
    });
    const stale = await api('PATCH', zonePath(), {
      key: admin(),
      body: body('192.0.2.50'),
      headers: { 'if-match': `"${serial - 1}"` },
    });
    expect(stale.status, stale.text).to.equal(412);
    expect(await serialOf()).to.equal(serial);
    const current = await api('PATCH', zonePath(), {
      key: admin(),
      body: body('192.0.2.51'),
      headers: { 'if-match': `"${serial}"` },
    });
    expect(current.status, current.text).to.equal(204);
    expect(await dig(dnsOf('r1'), `cas.${ZONE}`, 'A')).to.deep.equal(['192.0.2.51']);
    // The same ETag again is stale now.
    const again = await api('PATCH', zonePath(), {
      key: admin(),
      body: body('192.0.2.52'),
      headers: { 'if-match': `"${serial}"` },
    });
    expect(again.status).to.equal(412);
    expect(await dig(dnsOf('r1'), `cas.${ZONE}`, 'A')).to.deep.equal(['192.0.2.51']);
  });

  it('answers a retried PATCH with the same Idempotency-Key from the first run, and refuses the key for another request', async () => {
    const body = (address: string) => ({
      rrsets: [
        {
          name: `idem.${ZONE}`,
          type: 'A',
          ttl: 60,
          changetype: 'REPLACE',
          records: [{ content: address, disabled: false }],
        },
      ],
    });
    const serial = await serialOf();
    const headers = { 'idempotency-key': 'op-1', 'if-match': `"${serial}"` };
    const first = await api('PATCH', zonePath(), { key: admin(), body: body('192.0.2.70'), headers });
    expect(first.status, first.text).to.equal(204);
    expect(first.headers.get('idempotent-replayed')).to.equal(null);
    const after = await serialOf();
    expect(after).to.be.greaterThan(serial);
    // The retry carries the old If-Match: run again it would be a 412; it is the first answer.
    const retry = await api('PATCH', zonePath(), { key: admin(), body: body('192.0.2.70'), headers });
    expect(retry.status, retry.text).to.equal(204);
    expect(retry.headers.get('idempotent-replayed')).to.equal('true');
    expect(await serialOf()).to.equal(after);
    const other = await api('PATCH', zonePath(), { key: admin(), body: body('192.0.2.71'), headers });
    expect(other.status).to.equal(422);
    expect(other.json.error).to.include('Idempotency-Key');
    expect(await serialOf()).to.equal(after);
    expect(await dig(dnsOf('r1'), `idem.${ZONE}`, 'A')).to.deep.equal(['192.0.2.70']);
    // Without the key, the same stale If-Match is a 412.
    const stale = await api('PATCH', zonePath(), {
      key: admin(),
      body: body('192.0.2.70'),
      headers: { 'if-match': `"${serial}"` },
    });
    expect(stale.status).to.equal(412);
  });

  it('makes Idempotency-Key exactly-once across replicas and regions: a retry to the other region, and two at once, write once', async () => {
    const body = (address: string) => ({
      rrsets: [
        { name: `idem2.${ZONE}`, type: 'A', ttl: 60, changetype: 'REPLACE', records: [{ content: address }] },
      ],
    });
    const serial = await serialOf();
    const headers = { 'idempotency-key': 'cross-1', 'if-match': `"${serial}"` };
    const first = await api('PATCH', zonePath(), { key: admin(), body: body('192.0.2.72'), headers });
    expect(first.status, first.text).to.equal(204);
    const after = await serialOf();
    expect(after).to.equal(serial + 1);
    // The retry reaches the other region's replica: it finds the shared record, writes nothing.
    const retry = await api('PATCH', zonePath(), {
      key: admin(),
      body: body('192.0.2.72'),
      headers,
      region: 'r2',
    });
    expect(retry.status, retry.text).to.equal(204);
    expect(retry.headers.get('idempotent-replayed')).to.equal('true');
    expect(await serialOf()).to.equal(after);
    const reused = await api('PATCH', zonePath(), {
      key: admin(),
      body: body('192.0.2.73'),
      headers,
      region: 'r2',
    });
    expect(reused.status).to.equal(422);

    // The same request to both regions at once: one runs, the other waits for its answer.
    const both = { 'idempotency-key': 'cross-2', 'if-match': `"${after}"` };
    const [a, b] = await Promise.all([
      api('PATCH', zonePath(), { key: admin(), body: body('192.0.2.74'), headers: both }),
      api('PATCH', zonePath(), { key: admin(), body: body('192.0.2.74'), headers: both, region: 'r2' }),
    ]);
    expect([a.status, b.status], `${a.text} ${b.text}`).to.deep.equal([204, 204]);
    const replayed = [a, b].filter((r) => r.headers.get('idempotent-replayed') === 'true');
    expect(replayed).to.have.length(1);
    expect(await serialOf()).to.equal(after + 1);
    expect(await dig(dnsOf('r2'), `idem2.${ZONE}`, 'A')).to.deep.equal(['192.0.2.74']);
  });

  it("pages a zone's RRsets with limit and cursor, each once from the first page's state while writes land in between, and 409 once that state is dropped", async () => {
    const whole = await api('GET', zonePath(), { key: admin() });
    const all = (whole.json.rrsets as Array<{ name: string; type: string }>).map(
      (r) => `${r.name}/${r.type}`,
    );
    expect(all.length).to.be.greaterThan(4);
    const names = (answer: { json: { rrsets: Array<{ name: string; type: string }> } }) =>
      answer.json.rrsets.map((r) => `${r.name}/${r.type}`);
    const writeA = async (label: string, address: string) => {
      const write = await api('PATCH', zonePath(), {
        key: admin(),
        body: {
          rrsets: [
            {
              name: `${label}.${ZONE}`,
              type: 'A',
              ttl: 60,
              changetype: 'REPLACE',
              records: [{ content: address }],
            },
          ],
        },
      });
      expect(write.status, write.text).to.equal(204);
    };
    // A write lands between every two pages: the pages still show the first page's state.
    const paged: string[] = [];
    let path = `${zonePath()}?limit=2`;
    for (let page = 0; page < all.length; page++) {
      const answer = await api('GET', path, { key: admin() });
      expect(answer.status, answer.text).to.equal(200);
      expect(answer.json.rrsets.length).to.be.within(1, 2);
      paged.push(...names(answer));
      const cursor = answer.headers.get('x-next-cursor');
      if (cursor === null) break;
      await writeA(`page${page}`, `192.0.2.${80 + page}`);
      path = `${zonePath()}?limit=2&cursor=${cursor}`;
    }
    expect(paged).to.deep.equal(all);

    // A cursor whose state the group no longer holds (it keeps its last 4 listings) is a 409.
    const first = await api('GET', `${zonePath()}?limit=2`, { key: admin() });
    const cursor = first.headers.get('x-next-cursor');
    expect(cursor).to.be.a('string');
    for (let n = 0; n < 5; n++) {
      await writeA(`evict${n}`, `192.0.2.${100 + n}`);
      expect((await api('GET', `${zonePath()}?limit=2`, { key: admin() })).status).to.equal(200);
    }
    const stale = await api('GET', `${zonePath()}?limit=2&cursor=${cursor}`, { key: admin() });
    expect(stale.status).to.equal(409);
    expect(stale.json.error).to.include('start again');
    expect((await api('GET', `${zonePath()}?limit=2&cursor=garbage`, { key: admin() })).status).to.equal(400);
  });

  it('accepts the request shapes of the other PowerDNS clients: set-ptr, empty comments, DELETE with records, ids without the dot', async () => {
    // ExternalDNS's pdns provider: REPLACE and DELETE in one PATCH, records with set-ptr.
    const first = await api('PATCH', zonePath(), {
      key: admin(),
      body: {
        rrsets: [
          {
            name: `ext.${ZONE}`,
            type: 'TXT',
            ttl: 300,
            changetype: 'REPLACE',
            records: [
              {
                content: '"heritage=external-dns,external-dns/owner=default"',
                disabled: false,
                'set-ptr': false,
              },
            ],
            comments: [],
          },
          {
            name: `ext.${ZONE}`,
            type: 'A',
            ttl: 300,
            changetype: 'REPLACE',
            records: [{ content: '192.0.2.90', disabled: false, 'set-ptr': false }],
          },
        ],
      },
    });
    expect(first.status, first.text).to.equal(204);
    const second = await api('PATCH', zonePath(), {
      key: admin(),
      body: {
        rrsets: [
          {
            name: `ext.${ZONE}`,
            type: 'A',
            ttl: 300,
            changetype: 'DELETE',
            records: [{ content: '192.0.2.90', disabled: false, 'set-ptr': false }],
          },
        ],
      },
    });
    expect(second.status, second.text).to.equal(204);
    expect(await dig(dnsOf('r2'), `ext.${ZONE}`, 'A')).to.deep.equal([]);
    expect(await dig(dnsOf('r2'), `ext.${ZONE}`, 'TXT')).to.deep.equal([
      '"heritage=external-dns,external-dns/owner=default"',
    ]);
    // lexicon names the zone without the final dot.
    const bare = await api('GET', zonePath(ZONE.slice(0, -1)), { key: admin() });
    expect(bare.status).to.equal(200);
    expect(bare.json.id).to.equal(ZONE);
  });

  it('exports the zone as a master file and finds records with search-data', async () => {
    const patch = await api('PATCH', zonePath(), {
      key: admin(),
      body: {
        rrsets: [
          {
            name: `exp.${ZONE}`,
            type: 'A',
            ttl: 300,
            changetype: 'REPLACE',
            records: [
              { content: '192.0.2.60', disabled: false },
              { content: '192.0.2.61', disabled: false },
            ],
          },
        ],
      },
    });
    expect(patch.status, patch.text).to.equal(204);
    const exported = await api('GET', `${zonePath()}/export`, { key: admin() });
    expect(exported.status).to.equal(200);
    expect(exported.headers.get('content-type')).to.match(/^text\/plain/);
    expect(exported.text).to.match(/^example\.org\.\s+3600\s+IN\s+SOA\s/m);
    expect(exported.text).to.match(/^exp\.example\.org\.\s+300\s+IN\s+A\s+192\.0\.2\.60$/m);
    const found = await api('GET', '/api/v1/servers/localhost/search-data?q=exp.example*&max=10', {
      key: admin(),
    });
    expect(found.status, found.text).to.equal(200);
    const records = (found.json as Array<{ object_type: string; content: string; zone: string }>).filter(
      (r) => r.object_type === 'record',
    );
    expect(records.map((r) => r.content).sort()).to.deep.equal(['192.0.2.60', '192.0.2.61']);
    expect(records[0]?.zone).to.equal(ZONE);
    const limited = await api('GET', '/api/v1/servers/localhost/search-data?q=*&max=1', { key: admin() });
    expect(limited.json).to.have.length(1);
    const scoped = await api('GET', '/api/v1/servers/localhost/search-data?q=*', {
      key: keys.get('scoped') as string,
    });
    expect(scoped.json).to.have.length.greaterThan(0);
    expect((scoped.json as Array<{ zone_id: string }>).every((r) => r.zone_id === 'b.example.')).to.equal(
      true,
    );
  });

  it('publishes an OpenAPI document at /api/openapi.json that the real responses conform to', async () => {
    const doc = await api('GET', '/api/openapi.json', { key: admin() });
    expect(doc.status).to.equal(200);
    expect(doc.json.openapi).to.match(/^3\./);
    expect((await api('GET', '/api/openapi.json')).status).to.equal(401);
    const zones = '/api/v1/servers/{server}/zones';
    const checks: Array<{ method: string; template: string; path: string; status: number; body?: unknown }> =
      [
        { method: 'get', template: '/api', path: '/api', status: 200 },
        { method: 'get', template: '/api/v1/servers', path: '/api/v1/servers', status: 200 },
        {
          method: 'get',
          template: '/api/v1/servers/{server}',
          path: '/api/v1/servers/localhost',
          status: 200,
        },
        { method: 'get', template: zones, path: '/api/v1/servers/localhost/zones', status: 200 },
        { method: 'get', template: `${zones}/{zone}`, path: zonePath(), status: 200 },
        { method: 'get', template: `${zones}/{zone}`, path: zonePath('nowhere.test.'), status: 404 },
        { method: 'put', template: `${zones}/{zone}/notify`, path: `${zonePath()}/notify`, status: 200 },
        {
          method: 'get',
          template: '/api/v1/servers/{server}/search-data',
          path: '/api/v1/servers/localhost/search-data?q=*',
          status: 200,
        },
        {
          method: 'patch',
          template: `${zones}/{zone}`,
          path: zonePath(),
          status: 422,
          body: { rrsets: [{ name: 'x.example.net.', type: 'A', ttl: 1, changetype: 'DELETE' }] },
        },
        {
          method: 'put',
          template: `${zones}/{zone}`,
          path: zonePath(),
          status: 422,
          body: { kind: 'Slave' },
        },
        {
          method: 'put',
          template: `${zones}/{zone}`,
          path: zonePath('nowhere.test.'),
          status: 404,
          body: { kind: 'Native' },
        },
      ];
    for (const check of checks) {
      const operation = doc.json.paths?.[check.template]?.[check.method];
      expect(operation, `${check.method} ${check.template} in the document`).to.not.equal(undefined);
      const answer = await api(check.method.toUpperCase(), check.path, {
        key: admin(),
        ...(check.body === undefined ? {} : { body: check.body }),
      });
      expect(answer.status, `${check.method} ${check.path}: ${answer.text.slice(0, 200)}`).to.equal(
        check.status,
      );
      const documented = operation.responses?.[String(check.status)];
      expect(documented, `${check.method} ${check.template} documents ${check.status}`).to.not.equal(
        undefined,
      );
      const schema = documented.content?.['application/json']?.schema;
      expect(schema, `${check.method} ${check.template} ${check.status} has a schema`).to.not.equal(
        undefined,
      );
      expect(schemaProblems(schema, answer.json), `${check.method} ${check.path}`).to.deep.equal([]);
    }
    expect(doc.json.paths[`${zones}/{zone}`].patch.responses['204']).to.not.equal(undefined);
    expect(doc.json.paths[`${zones}/{zone}`].patch.requestBody).to.not.equal(undefined);
    // PUT: 204 with no body, a request body listing the raftns settings, and GET returns them.
    const put = doc.json.paths[`${zones}/{zone}`].put;
    expect(put.responses['204']).to.not.equal(undefined);
    expect(put.responses['412']).to.not.equal(undefined);
    const putBody = put.requestBody.content['application/json'].schema;
    expect(putBody.properties).to.include.keys('kind', 'raftns_allow_transfer', 'raftns_also_notify');
    const written = await api('PUT', zonePath(), {
      key: admin(),
      body: { raftns_also_notify: [{ address: '192.0.2.200' }] },
    });
    expect(written.status, written.text).to.equal(204);
    expect(written.text).to.equal('');
    const zone = await api('GET', zonePath(), { key: admin() });
    const getSchema =
      doc.json.paths[`${zones}/{zone}`].get.responses['200'].content['application/json'].schema;
    expect(schemaProblems(getSchema, zone.json)).to.deep.equal([]);
    expect(zone.json.raftns_also_notify).to.deep.equal([{ address: '192.0.2.200:53' }]);
    expect(getSchema.required).to.include.members(['raftns_allow_transfer', 'raftns_also_notify']);
  });
});
