/**
 * The ExternalDNS webhook provider (`raftns externaldns-webhook`, run as the real CLI
 * process) between requests shaped exactly like ExternalDNS's webhook client sends them
 * (its media type, `plan.Changes` with `create`/`updateOld`/`updateNew`/`delete`,
 * `endpoint.Endpoint` fields, TXT registry records with their quotes) and a two-region
 * cluster. Every change is checked by DNS in the OTHER region than the API the webhook
 * writes to, and every refusal by DNS showing that nothing changed.
 */
import { expect } from 'chai';
import { type ApiCluster, startApiCluster } from '../fixtures/api-cluster.js';
import { runTool } from '../fixtures/child-process.js';
import type { DnsListenerInfo } from '../fixtures/raft-cluster.js';
import { type RaftnsDaemon, startRaftnsDaemon } from '../fixtures/raftns-cli.js';

const CLUSTER = 'edns';
const ZONE = 'example.org.';
const MEDIA = 'application/external.dns.webhook+json;version=1';
const READY = /ExternalDNS webhook on (http:\/\/[^\s]+)/;
const REGISTRY_TXT =
  '"heritage=external-dns,external-dns/owner=default,external-dns/resource=service/default/www"';

interface WebhookEndpoint {
  dnsName: string;
  targets: string[];
  recordType: string;
  recordTTL?: number;
  setIdentifier?: string;
  labels?: Record<string, string>;
  providerSpecific?: { name: string; value: string }[];
}

describe('ExternalDNS webhook provider (raftns externaldns-webhook)', function () {
  this.timeout(180_000);
  let cluster: ApiCluster | undefined;
  const daemons: RaftnsDaemon[] = [];
  let webhook = '';
  let apiUrl = '';
  let key = '';
  let otherRegionDns: DnsListenerInfo | undefined;

  before(async () => {
    cluster = await startApiCluster({ cluster: CLUSTER, zone: ZONE, regions: ['r1', 'r2'] });
    apiUrl = cluster.apiUrl('r1');
    otherRegionDns = cluster.dns('r2');
    key = await cluster.addKey('externaldns', '--zones', ZONE);
    const daemon = await startRaftnsDaemon(
      ['externaldns-webhook', '--api', apiUrl, '--listen', '127.0.0.1:0', '--log-level', 'warn'],
      READY,
      { env: { ...process.env, RAFTNS_API_KEY: key } },
    );
    daemons.push(daemon);
    webhook = daemon.ready[1] ?? '';
  });

  after(async () => {
    for (const daemon of daemons) await daemon.stop();
    await cluster?.stop();
  });

  /** A request as ExternalDNS's webhook client makes it. */
  function call(path: string, body?: unknown, base = webhook): Promise<Response> {
    return fetch(`${base}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { accept: MEDIA, ...(body === undefined ? {} : { 'content-type': MEDIA }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async function dig(name: string, type: string): Promise<string[]> {
    const at = otherRegionDns;
    if (at === undefined) throw new Error('no DNS listener');
    const run = await runTool(
      'dig',
      [`@${at.address}`, '-p', String(at.port), '+noall', '+answer', '+norec', name, type],
      {
        timeoutMs: 10_000,
      },
    );
    expect(run.code, run.out).to.equal(0);
    return run.stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields.length >= 5)
      .map((fields) => fields.slice(1).join(' '))
      .sort();
  }

  async function records(): Promise<WebhookEndpoint[]> {
    const response = await call('/records');
    expect(response.status, await response.clone().text()).to.equal(200);
    expect(response.headers.get('content-type')).to.equal(MEDIA);
    return (await response.json()) as WebhookEndpoint[];
  }

  it('negotiates: the zones of its key as the domain filter, in the webhook media type', async () => {
    const response = await call('/');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal(MEDIA);
    expect(await response.json()).to.deep.equal({ include: ['example.org'], filters: ['example.org'] });
  });

  it('adjusts endpoints to what raftns stores', async () => {
    const response = await call('/adjustendpoints', [
      {
        dnsName: 'WWW.Example.org',
        targets: ['192.0.2.1', '192.0.2.1', '192.0.2.2'],
        recordType: 'A',
        recordTTL: 0,
        labels: { owner: 'default' },
        providerSpecific: [{ name: 'webhook/ignored', value: 'x' }],
      },
      { dnsName: 'app.example.org', targets: ['www.example.org.'], recordType: 'cname', recordTTL: 60 },
    ]);
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal([
      {
        dnsName: 'www.example.org',
        targets: ['192.0.2.1', '192.0.2.2'],
        recordType: 'A',
        recordTTL: 300,
        labels: { owner: 'default' },
      },
      { dnsName: 'app.example.org', targets: ['www.example.org'], recordType: 'CNAME', recordTTL: 60 },
    ]);
  });

  it('creates, lists, updates and deletes records, seen in the other region', async () => {
    const created = await call('/records', {
      create: [
        {
          dnsName: 'www.example.org',
          targets: ['192.0.2.1', '192.0.2.2'],
          recordType: 'A',
          recordTTL: 120,
          labels: {},
        },
        { dnsName: 'app.example.org', targets: ['www.example.org'], recordType: 'CNAME', recordTTL: 300 },
        { dnsName: 'a-www.example.org', targets: [REGISTRY_TXT], recordType: 'TXT', recordTTL: 300 },
        { dnsName: 'example.org', targets: ['10 mail.example.org'], recordType: 'MX', recordTTL: 300 },
      ],
    });
    expect(created.status, await created.text()).to.equal(204);
    expect(await dig('www.example.org', 'A')).to.deep.equal(['120 IN A 192.0.2.1', '120 IN A 192.0.2.2']);
    expect(await dig('app.example.org', 'CNAME')).to.deep.equal(['300 IN CNAME www.example.org.']);
    expect(await dig('a-www.example.org', 'TXT')).to.deep.equal([`300 IN TXT ${REGISTRY_TXT}`]);
    expect(await dig('example.org', 'MX')).to.deep.equal(['300 IN MX 10 mail.example.org.']);

    const listed = await records();
    expect(listed.some((e) => e.recordType === 'SOA')).to.equal(false);
    const pick = (name: string, type: string) =>
      listed.find((e) => e.dnsName === name && e.recordType === type) ?? { missing: `${name} ${type}` };
    expect(pick('www.example.org', 'A')).to.deep.include({
      recordTTL: 120,
      targets: ['192.0.2.1', '192.0.2.2'],
    });
    expect(pick('app.example.org', 'CNAME')).to.deep.include({ targets: ['www.example.org'] });
    expect(pick('a-www.example.org', 'TXT')).to.deep.include({ targets: [REGISTRY_TXT] });
    expect(pick('example.org', 'MX')).to.deep.include({ targets: ['10 mail.example.org'] });

    const updated = await call('/records', {
      updateOld: [
        { dnsName: 'www.example.org', targets: ['192.0.2.1', '192.0.2.2'], recordType: 'A', recordTTL: 120 },
      ],
      updateNew: [{ dnsName: 'www.example.org', targets: ['192.0.2.3'], recordType: 'A', recordTTL: 60 }],
      delete: [
        { dnsName: 'app.example.org', targets: ['www.example.org'], recordType: 'CNAME', recordTTL: 300 },
      ],
    });
    expect(updated.status, await updated.text()).to.equal(204);
    expect(await dig('www.example.org', 'A')).to.deep.equal(['60 IN A 192.0.2.3']);
    expect(await dig('app.example.org', 'CNAME')).to.deep.equal([]);
  });

  it('refuses what it cannot do with a 4xx (not retried) and changes nothing', async () => {
    const cases: { body: unknown; error: RegExp }[] = [
      {
        body: {
          create: [
            { dnsName: 'ok.example.org', targets: ['192.0.2.9'], recordType: 'A' },
            { dnsName: 'weighted.example.org', targets: ['192.0.2.8'], recordType: 'A', setIdentifier: 'eu' },
          ],
        },
        error: /routing policy/,
      },
      {
        body: {
          create: [
            { dnsName: 'ok.example.org', targets: ['192.0.2.9'], recordType: 'A' },
            { dnsName: 'elsewhere.example.net', targets: ['192.0.2.7'], recordType: 'A' },
          ],
        },
        error: /in no zone/,
      },
      {
        body: {
          create: [
            { dnsName: 'ok.example.org', targets: ['192.0.2.9'], recordType: 'A' },
            { dnsName: 'bad.example.org', targets: ['not-an-address'], recordType: 'A' },
          ],
        },
        error: /./,
      },
      {
        body: { create: [{ dnsName: 'ok.example.org', targets: 'not-a-list', recordType: 'A' }] },
        error: /Invalid/,
      },
    ];
    for (const { body, error } of cases) {
      const response = await call('/records', body);
      const text = await response.text();
      expect(response.status, text).to.be.within(400, 499);
      expect((JSON.parse(text) as { error: string }).error).to.match(error);
    }
    const malformed = await fetch(`${webhook}/records`, {
      method: 'POST',
      headers: { 'content-type': MEDIA },
      body: '{"create": [',
    });
    expect(malformed.status).to.equal(400);
    expect(await dig('ok.example.org', 'A')).to.deep.equal([]);
  });

  it('answers 503 (retried by ExternalDNS) while the raftns API cannot be reached', async () => {
    const unreachable = await startRaftnsDaemon(
      [
        'externaldns-webhook',
        '--api',
        'http://127.0.0.1:9',
        '--listen',
        '127.0.0.1:0',
        '--log-level',
        'warn',
      ],
      READY,
      { env: { ...process.env, RAFTNS_API_KEY: key } },
    );
    daemons.push(unreachable);
    const base = unreachable.ready[1] ?? '';
    expect((await call('/records', undefined, base)).status).to.equal(503);
    expect((await call('/records', { create: [] }, base)).status).to.equal(503);
    expect((await call('/healthz', undefined, base)).status).to.equal(503);
    expect((await call('/healthz')).status).to.equal(200);
  });

  it('passes on a refused key as a 4xx: the webhook holds no rights of its own', async () => {
    const keyless = await startRaftnsDaemon(
      ['externaldns-webhook', '--api', apiUrl, '--listen', '127.0.0.1:0', '--log-level', 'warn'],
      READY,
      { env: { ...process.env, RAFTNS_API_KEY: 'not-a-key' } },
    );
    daemons.push(keyless);
    const base = keyless.ready[1] ?? '';
    expect((await call('/', undefined, base)).status).to.equal(401);
    const write = await call(
      '/records',
      { create: [{ dnsName: 'intruder.example.org', targets: ['192.0.2.66'], recordType: 'A' }] },
      base,
    );
    expect(write.status).to.equal(401);
    expect(await dig('intruder.example.org', 'A')).to.deep.equal([]);
  });
});
