/**
 * The live status page in a real browser: a 3-replica group (real processes, real NATS with
 * the cluster's plan and slot claims) watched through Debian's headless chromium driven by
 * playwright-core, on a replica's `--http` listener and from `raftns dashboard`. The page
 * must show the plan's hierarchy and the leader, follow a SIGKILLed leader's replacement
 * within 2 s of its election without a reload, fit a 375 px wide phone, and its stream must
 * keep to its limit of viewers.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PLAN_KEY, PLAN_VERSION, planBucket, slotKey, slotsBucket } from '../../protocol/plan.js';
import { SUBSCRIBERS_MAX_DEFAULT } from '../../runtime/composition/status-page/status-feed.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil, RaftCluster, type ReplicaProcess } from '../fixtures/raft-cluster.js';

const execFileAsync = promisify(execFile);
const CLI = fileURLToPath(new URL('../../clients/cli/raftns.js', import.meta.url));
const CLUSTER = 'statuspage';
/** The group runs in `east`; `west` is in the plan with no replica claimed. */
const REGIONS = ['east', 'west'];
const GROUP = 'g1';
const ZONE = 'example.org.';
const FAILOVER_SHOWN_MS_MAX = 2_000;
const PHONE_WIDTH_PX = 375;

// What runs in the page is JavaScript text (the specs compile without the DOM's types).
/** The replica the page marks as leader, or null. */
const SHOWN_LEADER = `document.querySelector('[data-replica][data-role="leader"]')?.getAttribute('data-replica') ?? null`;
/** A JavaScript expression calling `fn` (source text) with `arg`. */
const call = (fn: string, arg: unknown): string => `(${fn})(${JSON.stringify(arg)})`;
/** The fields of replica `id`'s card, name to text. */
const CARD_OF = `(id) => {
  const li = document.querySelector('[data-replica="' + id + '"]');
  const dts = [...(li?.querySelectorAll('dt') ?? [])].map((d) => d.textContent ?? '');
  const dds = [...(li?.querySelectorAll('dd') ?? [])].map((d) => d.textContent ?? '');
  return Object.fromEntries(dts.map((name, i) => [name, dds[i] ?? '']));
}`;
const HIERARCHY = `(() => ({
  regions: [...document.querySelectorAll('section.region')].map((r) => r.getAttribute('data-region')),
  groups: [...document.querySelectorAll('section.region')].map((r) =>
    [...r.querySelectorAll('section.group')].map((g) => ({
      group: g.getAttribute('data-group'),
      leader: g.getAttribute('data-leader'),
      replicas: [...g.querySelectorAll('[data-replica]')].map((x) => x.getAttribute('data-replica')),
      text: g.textContent ?? '',
    })),
  ),
  roles: [...document.querySelectorAll('[data-replica]')].map((x) => x.getAttribute('data-role')),
  viewport: document.querySelector('meta[name="viewport"]')?.getAttribute('content') ?? null,
  source: document.getElementById('source')?.textContent ?? '',
}))()`;
const WIDTHS = `(() => ({
  scroll: document.documentElement.scrollWidth,
  widest: Math.max(...[...document.querySelectorAll('body *')].map((e) => e.getBoundingClientRect().right)),
}))()`;

interface Hierarchy {
  readonly regions: readonly string[];
  readonly groups: ReadonlyArray<
    ReadonlyArray<{ group: string; leader: string; replicas: readonly string[]; text: string }>
  >;
  readonly roles: readonly string[];
  readonly viewport: string | null;
  readonly source: string;
}

describe('status page: a real group in headless chromium', function () {
  this.timeout(180_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let cluster: RaftCluster;
  let browser: Browser;
  let dashboard: ChildProcess | undefined;
  let dashboardUrl: string;

  const pageUrl = (replica: ReplicaProcess): string => {
    if (replica.http === undefined) throw new Error(`${replica.id} has no HTTP listener`);
    return `http://${replica.http.host}:${replica.http.port}/`;
  };
  const shownLeader = (page: Page) => page.evaluate<string | null>(SHOWN_LEADER);
  const waitForLeaderShown = (page: Page, id: string) =>
    page.waitForFunction(`${SHOWN_LEADER} === ${JSON.stringify(id)}`, undefined, {
      timeout: 10_000,
      polling: 50,
    });
  const openPage = async (url: string, viewport = { width: 1024, height: 768 }): Promise<Page> => {
    const page = await browser.newPage({ viewport });
    await page.goto(url);
    await page.waitForFunction(`document.querySelectorAll('[data-replica]').length === 3`, undefined, {
      timeout: 20_000,
      polling: 50,
    });
    return page;
  };

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'status-page-spec', log: silentLogger });
    const kvm = new Kvm(nc);
    const plan = {
      version: PLAN_VERSION,
      cluster: CLUSTER,
      regions: REGIONS,
      replicasPerGroup: 3,
      groups: [{ id: GROUP, zone: ZONE }],
    };
    await (await kvm.create(planBucket(CLUSTER))).put(PLAN_KEY, JSON.stringify(plan));
    const slots = await kvm.create(slotsBucket(CLUSTER));
    for (const [index, id] of ['r1', 'r2', 'r3'].entries())
      await slots.put(slotKey('east', GROUP, index), id);
    cluster = await RaftCluster.start({
      replicas: 3,
      cluster: CLUSTER,
      region: 'east',
      group: GROUP,
      nats,
      extraArgs: () => ['--http', '127.0.0.1:0'],
    });
    await cluster.waitForLeader(30_000);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    const child = spawn(
      process.execPath,
      [CLI, '--nats', nats.url, '--cluster', CLUSTER, 'dashboard', '--listen', '127.0.0.1:0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    dashboard = child;
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    dashboardUrl = await pollUntil('the dashboard to listen', 20_000, async () => {
      if (child.exitCode !== null) throw new Error(`raftns dashboard exited ${child.exitCode}: ${out}`);
      return /raftns dashboard: (http:\/\/\S+)/.exec(out)?.[1];
    });
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    if (dashboard !== undefined && dashboard.exitCode === null) {
      const exited = new Promise((resolve) => dashboard?.once('exit', resolve));
      dashboard.kill('SIGTERM');
      await exited;
    }
    await cluster?.stop();
    await nc?.close();
    await nats?.stop();
  });

  it("a replica's page draws the plan's regions, groups and replicas, marks the leader, and shows live figures", async () => {
    const leader = await cluster.waitForLeader(10_000);
    const follower = cluster.replicas.find((r) => r.id !== leader.replica) as ReplicaProcess;
    const page = await openPage(pageUrl(follower));
    try {
      await waitForLeaderShown(page, leader.replica);
      const drawn = await page.evaluate<Hierarchy>(HIERARCHY);
      expect(drawn.regions).to.deep.equal(REGIONS);
      expect(drawn.groups[0]?.map((g) => g.group)).to.deep.equal([GROUP]);
      expect(drawn.groups[0]?.[0]?.replicas).to.deep.equal(['r1', 'r2', 'r3']);
      expect(drawn.groups[0]?.[0]?.leader).to.equal(leader.replica);
      expect(drawn.groups[0]?.[0]?.text).to.contain(ZONE);
      expect(drawn.groups[1]?.[0]?.group).to.equal(GROUP);
      expect(drawn.groups[1]?.[0]?.replicas).to.deep.equal([]);
      expect(drawn.groups[1]?.[0]?.text).to.contain('no replicas claimed');
      expect([...drawn.roles].sort()).to.deep.equal(['follower', 'follower', 'leader']);
      expect(drawn.viewport).to.contain('width=device-width');
      expect(drawn.source).to.contain(follower.id);

      // Writes through the leader and DNS queries to it: its card's rates become numbers.
      const client = await cluster.client();
      const dns = cluster.replica(leader.replica).dns[0];
      if (dns === undefined) throw new Error('the leader has no DNS listener');
      let load = true;
      const loadDone = (async () => {
        for (let i = 0; load && i < 2_000; i++) {
          await client.put(`status-page/${i}`, 'x');
          await execFileAsync('dig', [
            '+tries=1',
            '+time=1',
            `@${dns.address}`,
            '-p',
            String(dns.port),
            ZONE,
            'SOA',
          ]);
        }
      })();
      try {
        const figures = await pollUntil('the leader card to show DNS q/s and write ms', 20_000, async () => {
          const card = await page.evaluate<Record<string, string>>(call(CARD_OF, leader.replica));
          const qps = Number(card['DNS q/s']);
          const writeMs = Number(card['write ms']);
          return qps > 0 && writeMs > 0 ? { qps, writeMs, card } : undefined;
        });
        console.log(`      leader card: ${figures.qps} DNS q/s, ${figures.writeMs} ms per write`);
        expect(figures.card.term).to.equal(String(leader.term));
        expect(figures.card.leader).to.equal(leader.replica);
      } finally {
        load = false;
        await loadDone;
      }
    } finally {
      await page.close();
    }
  });

  it('fits a 375 px wide phone: no horizontal overflow', async () => {
    const page = await openPage(dashboardUrl, { width: PHONE_WIDTH_PX, height: 812 });
    try {
      const widths = await page.evaluate<{ scroll: number; widest: number }>(WIDTHS);
      expect(widths.scroll).to.be.at.most(PHONE_WIDTH_PX);
      expect(widths.widest).to.be.at.most(PHONE_WIDTH_PX);
    } finally {
      await page.close();
    }
  });

  it('the dashboard shows the new leader within 2 s of its election after a SIGKILL, without a reload', async () => {
    const old = await cluster.waitForLeader(10_000);
    const page = await openPage(dashboardUrl);
    try {
      await waitForLeaderShown(page, old.replica);
      // A reload would lose this mark.
      await page.evaluate('window.sameDocument = true');
      const killedAt = Date.now();
      await cluster.replica(old.replica).kill('SIGKILL');
      const [elected, shown] = await Promise.all([
        cluster
          .waitForLeader(15_000, (l) => l.replica !== old.replica)
          .then((l) => ({ leader: l, at: Date.now() })),
        page
          .waitForFunction(
            `((shown) => shown !== null && shown !== ${JSON.stringify(old.replica)} && shown)(${SHOWN_LEADER})`,
            undefined,
            {
              timeout: 15_000,
              polling: 20,
            },
          )
          .then(async (handle) => ({ leader: (await handle.jsonValue()) as string, at: Date.now() })),
      ]);
      console.log(
        `      kill → elected (fixture poll) ${elected.at - killedAt} ms, kill → shown on the page ${shown.at - killedAt} ms`,
      );
      expect(shown.leader).to.equal(elected.leader.replica);
      expect(shown.at - elected.at).to.be.at.most(FAILOVER_SHOWN_MS_MAX);
      expect(await page.evaluate('window.sameDocument')).to.equal(true);
      await page.waitForFunction(
        `document.querySelector('[data-replica="${old.replica}"]')?.getAttribute('data-role') === 'unreachable'`,
        undefined,
        { timeout: 10_000, polling: 50 },
      );
      expect(await shownLeader(page)).to.equal(elected.leader.replica);
    } finally {
      await page.close();
    }
  });

  it(`serves at most ${SUBSCRIBERS_MAX_DEFAULT} live streams; a closed one frees its place`, async () => {
    const url = new URL('events', dashboardUrl);
    const streams: IncomingMessage[] = [];
    try {
      for (let i = 0; i < SUBSCRIBERS_MAX_DEFAULT; i++) {
        const response = await openStream(url);
        streams.push(response);
        expect(response.statusCode).to.equal(200);
      }
      const refused = await openStream(url);
      expect(refused.statusCode).to.equal(503);
      expect(refused.headers['retry-after']).to.equal('5');
      refused.destroy();
      // Every open stream is fed: the first one gets a snapshot.
      const first = streams[0] as IncomingMessage;
      const data = await new Promise<string>((resolve, reject) => {
        let text = '';
        first.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          const match = /^data: (.*)$/m.exec(text);
          if (match !== null) resolve(match[1] as string);
        });
        first.once('error', reject);
      });
      expect(JSON.parse(data).cluster).to.equal(CLUSTER);
      (streams.pop() as IncomingMessage).destroy();
      const again = await pollUntil('a freed place', 10_000, async () => {
        const response = await openStream(url);
        if (response.statusCode === 200) return response;
        response.destroy();
        return undefined;
      });
      streams.push(again);
    } finally {
      for (const stream of streams) stream.destroy();
    }
  });

  it('/status.json holds names, roles and figures only', async () => {
    const response = await fetch(new URL('status.json', dashboardUrl));
    expect(response.status).to.equal(200);
    const snapshot = (await response.json()) as {
      regions: Array<{
        groups: Array<{ replicas: Array<Record<string, unknown>> } & Record<string, unknown>>;
      }>;
    } & Record<string, unknown>;
    expect(Object.keys(snapshot).sort()).to.deep.equal([
      'cluster',
      'error',
      'note',
      'regions',
      'seq',
      'source',
      'v',
    ]);
    const group = snapshot.regions[0]?.groups[0];
    expect(Object.keys(group ?? {}).sort()).to.deep.equal(['group', 'leader', 'replicas', 'zone']);
    for (const replica of group?.replicas ?? [])
      expect(Object.keys(replica).sort()).to.deep.equal([
        'appliedIndex',
        'commitIndex',
        'error',
        'index',
        'lag',
        'leader',
        'qps',
        'reachable',
        'replica',
        'role',
        'term',
        'writeLatencyMs',
      ]);
  });
});

/** Opens a server-sent event stream; resolves with the response (its status and headers). */
function openStream(url: URL): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { accept: 'text/event-stream' } }, resolve);
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer from ${url.href}`)));
    request.once('error', reject);
    request.end();
  });
}
