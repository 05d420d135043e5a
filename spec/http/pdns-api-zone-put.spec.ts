/**
 * `PUT /api/v1/servers/localhost/zones/{zone}` (runtime/composition/http/zone-settings.ts)
 * on a real replica process: the raftns settings it writes are the records `raftns zone
 * allow-transfer` and `raftns zone notify` read, and they take effect (`kdig AXFR` with the
 * allowed TSIG key is answered, without it REFUSED); the PowerDNS settings raftns cannot
 * honour are a 422; If-Match, Idempotency-Key, the key rules and bad bodies change nothing.
 */
import { expect } from 'chai';
import { EXIT_OK } from '../../clients/cli/exit-codes.js';
import type { TsigKey } from '../../protocol/dns/tsig/key.js';
import { parseKeyFile } from '../../protocol/dns/tsig/key-file.js';
import { type ApiCluster, startApiCluster } from '../fixtures/api-cluster.js';
import { pollUntil } from '../fixtures/poll-until.js';
import { raftns } from '../fixtures/raftns-cli.js';
import { kdig } from '../fixtures/zone-transfer.js';

const CLUSTER = 'zoneput';
const ZONE = 'example.org.';
const KEY = 'xfr.';

interface ApiAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a JSON body of any shape, checked by each test
  readonly json: any;
}

describe('PUT of a zone: PowerDNS zone settings and the raftns transfer settings (fetch, kdig, raftns CLI)', function () {
  this.timeout(180_000);
  let cluster: ApiCluster | undefined;
  const keys = new Map<string, string>();
  let secret = '';

  const zonePath = (zone = ZONE) => `/api/v1/servers/localhost/zones/${zone}`;
  const admin = () => keys.get('admin') as string;
  const cli = (...args: string[]) =>
    raftns(['--nats', (cluster as ApiCluster).nats.url, '--cluster', CLUSTER, ...args]);

  async function api(
    method: string,
    path: string,
    options: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiAnswer> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (options.key !== undefined) headers['x-api-key'] = options.key;
    const body = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${(cluster as ApiCluster).apiUrl()}${path}`, {
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

  const put = (body: unknown, headers: Record<string, string> = {}, key = admin()) =>
    api('PUT', zonePath(), { key, body, headers });

  /** The zone's raftns settings and serial, as GET shows them. */
  async function settings() {
    const zone = await api('GET', `${zonePath()}?rrsets=false`, { key: admin() });
    expect(zone.status, zone.text).to.equal(200);
    return {
      serial: zone.json.serial as number,
      allow: zone.json.raftns_allow_transfer,
      notify: zone.json.raftns_also_notify,
    };
  }

  const axfr = (...args: string[]) => kdig((cluster as ApiCluster).dns(), ['-t', 'AXFR', ...args, ZONE]);
  const withKey = () => ['-y', `hmac-sha256:${KEY}:${secret}`];

  before(async () => {
    cluster = await startApiCluster({ cluster: CLUSTER, zone: ZONE });
    keys.set('admin', await cluster.addKey('admin'));
    keys.set('reader', await cluster.addKey('reader', '--read-only'));
    keys.set('scoped', await cluster.addKey('scoped', '--zones', 'other.example'));
    const added = await cli('tsig', 'add', KEY, '--zone', ZONE);
    expect(added.code, added.stderr).to.equal(EXIT_OK);
    const parsed = parseKeyFile(added.stdout);
    if (!parsed.ok) throw new Error(parsed.error.message);
    secret = Buffer.from((parsed.keys[0] as TsigKey).secret).toString('base64');
    await pollUntil('the API keys and the TSIG key reach the replica', 15_000, async () => {
      for (const name of ['admin', 'reader', 'scoped'])
        if ((await api('GET', '/api', { key: keys.get(name) as string })).status !== 200) return undefined;
      const soa = await kdig((cluster as ApiCluster).dns(), [...withKey(), ZONE, 'SOA']);
      return soa.out.includes('NOERROR') ? true : undefined;
    });
  });

  after(async () => {
    await cluster?.stop();
  });

  it('shows no transfer settings at first, and AXFR is refused with or without the key', async () => {
    const before = await settings();
    expect(before.allow).to.deep.equal({ keys: [], from: [] });
    expect(before.notify).to.deep.equal([]);
    expect((await axfr(...withKey())).out).to.include('REFUSED');
  });

  it('sets raftns_allow_transfer (204): GET and `raftns zone allow-transfer --list` show it, and kdig AXFR with the key is answered, without it REFUSED', async () => {
    const serial = (await settings()).serial;
    const answer = await put({ kind: 'Native', raftns_allow_transfer: { keys: ['xfr'], from: [] } });
    expect(answer.status, answer.text).to.equal(204);
    expect(answer.text).to.equal('');
    const after = await settings();
    expect(after.allow).to.deep.equal({ keys: [KEY], from: [] });
    expect(after.serial, 'a settings change moves no serial').to.equal(serial);
    const listed = await cli('--json', 'zone', 'allow-transfer', '--list');
    expect(listed.code, listed.stderr).to.equal(EXIT_OK);
    expect(JSON.parse(listed.stdout)).to.deep.equal([{ zone: ZONE, keys: [KEY], prefixes: [] }]);
    const transfer = await pollUntil('the replica applies the rule', 10_000, async () => {
      const run = await axfr(...withKey());
      return run.out.includes('REFUSED') ? undefined : run;
    });
    expect(transfer.code, transfer.out.slice(0, 1000)).to.equal(0);
    expect(transfer.out).to.match(/\sSOA\s/);
    expect((await axfr()).out).to.include('REFUSED');
  });

  it('sets raftns_also_notify, keeping the transfer rule it does not name; `raftns zone notify list` shows it', async () => {
    const answer = await put({ raftns_also_notify: [{ address: '127.0.0.1:5399', key: KEY }] });
    expect(answer.status, answer.text).to.equal(204);
    const after = await settings();
    expect(after.notify).to.deep.equal([{ address: '127.0.0.1:5399', key: KEY }]);
    expect(after.allow).to.deep.equal({ keys: [KEY], from: [] });
    const listed = await cli('--json', 'zone', 'notify', ZONE, 'list');
    expect(listed.code, listed.stderr).to.equal(EXIT_OK);
    expect(JSON.parse(listed.stdout)).to.deep.equal([{ address: '127.0.0.1', port: 5399, key: KEY }]);
  });

  it('makes a PUT conditional on the zone serial with If-Match: stale is 412 and changes nothing, current writes', async () => {
    const before = await settings();
    const stale = await put(
      { raftns_allow_transfer: { keys: [], from: [] } },
      { 'if-match': `"${before.serial - 1}"` },
    );
    expect(stale.status, stale.text).to.equal(412);
    expect(stale.json.error).to.include('nothing changed');
    expect(await settings()).to.deep.equal(before);
    expect((await axfr(...withKey())).out).to.not.include('REFUSED');
    const current = await put(
      { raftns_allow_transfer: { keys: [KEY], from: ['192.0.2.0/24'] } },
      { 'if-match': `"${before.serial}"` },
    );
    expect(current.status, current.text).to.equal(204);
    expect((await settings()).allow).to.deep.equal({ keys: [KEY], from: ['192.0.2.0/24'] });
    const badTag = await put({ kind: 'Native' }, { 'if-match': 'W/"abc"' });
    expect(badTag.status).to.equal(400);
  });

  it('accepts the PowerDNS settings that describe raftns, and a GET ?rrsets=false sent back unchanged', async () => {
    const before = await settings();
    const fields = await put({
      kind: 'Master',
      masters: [],
      account: '',
      soa_edit_api: 'DEFAULT',
      api_rectify: true,
      dnssec: false,
      nsec3param: '',
    });
    expect(fields.status, fields.text).to.equal(204);
    const zone = await api('GET', `${zonePath()}?rrsets=false`, { key: admin() });
    const back = await put(zone.json);
    expect(back.status, back.text).to.equal(204);
    expect(await settings()).to.deep.equal(before);
    // lexicon-style id without the final dot.
    const bare = await api('PUT', zonePath(ZONE.slice(0, -1)), { key: admin(), body: { kind: 'native' } });
    expect(bare.status, bare.text).to.equal(204);
  });

  it('refuses what raftns cannot honour (422), bad bodies (400/413/415) and keys without the right (401/403), changing nothing', async () => {
    const before = await settings();
    const cases: Array<{
      what: string;
      status: number;
      key?: string;
      body?: unknown;
      raw?: string;
      headers?: Record<string, string>;
      says?: string;
    }> = [
      { what: 'kind Slave', status: 422, body: { kind: 'Slave' }, says: 'primary' },
      { what: 'kind Producer', status: 422, body: { kind: 'Producer' }, says: 'primary' },
      { what: 'kind Consumer', status: 422, body: { kind: 'Consumer' }, says: 'primary' },
      { what: 'kind unknown', status: 422, body: { kind: 'Bogus' }, says: 'Native or Master' },
      { what: 'masters', status: 422, body: { masters: ['192.0.2.1'] }, says: 'masters' },
      { what: 'dnssec', status: 422, body: { dnssec: true }, says: 'dnssec' },
      { what: 'account', status: 422, body: { account: 'team-a' }, says: 'account' },
      { what: 'soa_edit_api EPOCH', status: 422, body: { soa_edit_api: 'EPOCH' }, says: 'soa_edit_api' },
      {
        what: 'rrsets',
        status: 422,
        body: { rrsets: [{ name: ZONE, type: 'A', records: [] }] },
        says: 'PATCH',
      },
      { what: 'another zone name', status: 422, body: { name: 'other.example.' }, says: 'renamed' },
      { what: 'a name that is no name', status: 422, body: { id: 'a..b' }, says: 'renamed' },
      {
        what: 'bad prefix',
        status: 422,
        body: { raftns_allow_transfer: { keys: [], from: ['192.0.2.0/99'] } },
        says: 'from',
      },
      {
        what: 'bad key name',
        status: 422,
        body: { raftns_allow_transfer: { keys: ['a..b'], from: [] } },
      },
      {
        what: 'bad notify address',
        status: 422,
        body: { raftns_also_notify: [{ address: 'ns1.example.net' }] },
        says: 'raftns_also_notify',
      },
      {
        what: 'a notify target twice',
        status: 422,
        body: { raftns_also_notify: [{ address: '192.0.2.1' }, { address: '192.0.2.1:53' }] },
        says: 'twice',
      },
      {
        what: 'more notify targets than the limit',
        status: 400,
        body: { raftns_also_notify: Array.from({ length: 17 }, (_, i) => ({ address: `192.0.2.${i}` })) },
      },
      { what: 'unknown field', status: 400, body: { kind: 'Native', bogus: 1 } },
      {
        what: 'unknown raftns field',
        status: 400,
        body: { raftns_allow_transfer: { keys: [], from: [], x: 1 } },
      },
      { what: 'bad JSON', status: 400, raw: '{"kind": ' },
      { what: 'not JSON', status: 415, raw: 'kind=Native', headers: { 'content-type': 'text/plain' } },
      { what: 'oversized body', status: 413, body: { account: 'x'.repeat(1_100_000) } },
      { what: 'no key', status: 401, key: '', body: { raftns_allow_transfer: { keys: [], from: [] } } },
      {
        what: 'read-only key',
        status: 403,
        key: keys.get('reader') as string,
        body: { raftns_allow_transfer: { keys: [], from: [] } },
      },
      {
        what: 'key scoped to another zone',
        status: 403,
        key: keys.get('scoped') as string,
        body: { raftns_allow_transfer: { keys: [], from: [] } },
      },
    ];
    for (const c of cases) {
      const answer = await api('PUT', zonePath(), {
        ...(c.key === '' ? {} : { key: c.key ?? admin() }),
        ...(c.body === undefined ? {} : { body: c.body }),
        ...(c.raw === undefined ? {} : { raw: c.raw }),
        ...(c.headers === undefined ? {} : { headers: c.headers }),
      });
      expect(answer.status, `${c.what}: ${answer.text.slice(0, 300)}`).to.equal(c.status);
      expect(answer.json?.error, c.what).to.be.a('string');
      if (c.says !== undefined) expect(answer.json.error, c.what).to.include(c.says);
    }
    const unknown = await api('PUT', zonePath('nowhere.test.'), { key: admin(), body: { kind: 'Native' } });
    expect(unknown.status).to.equal(404);
    expect(await settings()).to.deep.equal(before);
    expect((await axfr(...withKey())).out).to.not.include('REFUSED');
  });

  it('answers a retried PUT with the same Idempotency-Key from the first run, and refuses the key for another request', async () => {
    const before = await settings();
    const headers = { 'idempotency-key': 'put-1', 'if-match': `"${before.serial}"` };
    const body = { raftns_allow_transfer: { keys: [KEY], from: ['198.51.100.0/24'] } };
    const first = await put(body, headers);
    expect(first.status, first.text).to.equal(204);
    expect(first.headers.get('idempotent-replayed')).to.equal(null);
    // Another writer changes the rule; the retry must not write over it again.
    const other = await put({ raftns_allow_transfer: { keys: [KEY], from: [] } });
    expect(other.status, other.text).to.equal(204);
    const retry = await put(body, headers);
    expect(retry.status, retry.text).to.equal(204);
    expect(retry.headers.get('idempotent-replayed')).to.equal('true');
    expect((await settings()).allow).to.deep.equal({ keys: [KEY], from: [] });
    const reused = await put({ raftns_allow_transfer: { keys: [], from: [] } }, headers);
    expect(reused.status).to.equal(422);
    expect(reused.json.error).to.include('Idempotency-Key');
    expect((await settings()).allow).to.deep.equal({ keys: [KEY], from: [] });
  });

  it('clears the transfer rule with empty lists, after which AXFR is refused again', async () => {
    const answer = await put({ raftns_allow_transfer: { keys: [], from: [] }, raftns_also_notify: [] });
    expect(answer.status, answer.text).to.equal(204);
    expect(await settings()).to.deep.include({ allow: { keys: [], from: [] }, notify: [] });
    const listed = await cli('--json', 'zone', 'allow-transfer', '--list');
    expect(JSON.parse(listed.stdout)).to.deep.equal([]);
    await pollUntil('the replica drops the rule', 10_000, async () =>
      (await axfr(...withKey())).out.includes('REFUSED') ? true : undefined,
    );
  });
});
