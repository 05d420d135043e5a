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
import { pollUntil } from '../fixtures/poll-until.js';
import { RaftCluster, type ReplicaProcess } from '../fixtures/raft-cluster.js';
import { raftns } from '../fixtures/raftns-cli.js';

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
/** Every replica's card: its role and its fields, name to text. */
const CARDS = `Object.fromEntries([...document.querySelectorAll('[data-replica]')].map((li) => {
  const dts = [...li.querySelectorAll('dt')].map((d) => d.textContent ?? '');
  const dds = [...li.querySelectorAll('dd')].map((d) => d.textContent ?? '');
  return [li.getAttribute('data-replica'), { role: li.getAttribute('data-role'),
    fields: Object.fromEntries(dts.map((name, i) => [name, dds[i] ?? ''])) }];
}))`;
type Cards = Record<string, { role: string; fields: Record<string, string> }>;
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
  shownLeader: ${SHOWN_LEADER},
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
  readonly shownLeader: string | null;
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
      // The page marked the cluster's leader above; a loaded machine may have elected another
      // since, so the drawing is checked against itself: the group names the replica marked leader.
      expect(drawn.groups[0]?.[0]?.leader).to.equal(drawn.shownLeader);
      expect(drawn.groups[0]?.[0]?.text).to.contain(ZONE);
      expect(drawn.groups[1]?.[0]?.group).to.equal(GROUP);
      expect(drawn.groups[1]?.[0]?.replicas).to.deep.equal([]);
      expect(drawn.groups[1]?.[0]?.text).to.contain('no replicas claimed');
      expect([...drawn.roles].sort()).to.deep.equal(['follower', 'follower', 'leader']);
      expect(drawn.viewport).to.contain('width=device-width');
      expect(drawn.source).to.contain(follower.id);

      // Writes through the group and DNS queries to one replica: the rates on the cards become
      // numbers (write latency on whichever replica leads: elections happen on a loaded machine).
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
        const figures = await pollUntil('the cards to show DNS q/s and write ms', 20_000, async () => {
          const cards = await page.evaluate<Cards>(CARDS);
          const qps = Number(cards[leader.replica]?.fields['DNS q/s']);
          const leading = Object.entries(cards).find(([, card]) => card.role === 'leader');
          const writeMs = Number(leading?.[1].fields['write ms']);
          return qps > 0 && writeMs > 0 ? { qps, writeMs, leading, cards } : undefined;
        });
        console.log(
          `      ${leader.replica}: ${figures.qps} DNS q/s; leader ${figures.leading?.[0]}: ${figures.writeMs} ms per write`,
        );
        // Followers apply no client writes: no write latency on their cards.
        for (const [id, card] of Object.entries(figures.cards))
          if (card.role === 'follower') expect(card.fields['write ms'], id).to.equal('\u2013');
        expect(Number(figures.leading?.[1].fields.term)).to.be.at.least(leader.term);
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
      // When the page first showed each other replica as leader (on a loaded machine one
      // election may follow another), polled from the kill on; the leader the fixture finds
      // by asking every replica must be shown within 2 s of the fixture finding it.
      const firstShownAt = new Map<string, number>();
      let watching = true;
      const watch = pollUntil('the failover to be over', 30_000, async () => {
        const shown = await shownLeader(page);
        if (shown !== null && shown !== old.replica && !firstShownAt.has(shown))
          firstShownAt.set(shown, Date.now());
        return watching ? undefined : true;
      });
      try {
        const elected = await cluster.waitForLeader(15_000, (l) => l.replica !== old.replica);
        const electedAt = Date.now();
        const shownAt = await pollUntil(
          `the page to show ${elected.replica} leading`,
          FAILOVER_SHOWN_MS_MAX + 5_000,
          async () => firstShownAt.get(elected.replica),
        );
        const firstAt = Math.min(...firstShownAt.values());
        console.log(
          `      kill → elected (fixture poll) ${electedAt - killedAt} ms, kill → a new leader shown ${firstAt - killedAt} ms, kill → ${elected.replica} shown ${shownAt - killedAt} ms`,
        );
        expect(shownAt - electedAt).to.be.at.most(FAILOVER_SHOWN_MS_MAX);
        expect(await page.evaluate('window.sameDocument')).to.equal(true);
        await page.waitForFunction(
          `document.querySelector('[data-replica="${old.replica}"]')?.getAttribute('data-role') === 'unreachable'`,
          undefined,
          { timeout: 10_000, polling: 50 },
        );
        expect(await shownLeader(page)).to.equal(elected.replica);
      } finally {
        watching = false;
        await watch;
      }
    } finally {
      await page.close();
    }
  });

  it(`serves at most ${SUBSCRIBERS_MAX_DEFAULT} live streams; a closed one frees its place`, async () => {
    const url = new URL('events', dashboardUrl);
    const streams: IncomingMessage[] = [];
    try {
      // The pages of earlier tests are closed, but the listener may not have seen their
      // streams end yet: until it has, take them down and try again.
      await pollUntil(`${SUBSCRIBERS_MAX_DEFAULT} streams accepted`, 15_000, async () => {
        for (let i = streams.length; i < SUBSCRIBERS_MAX_DEFAULT; i++) {
          const response = await openStream(url);
          if (response.statusCode !== 200) {
            response.destroy();
            return undefined;
          }
          streams.push(response);
        }
        return true;
      });
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

  it('a replica of a group without a plan in NATS shows its own group, from --peers, and says so', async () => {
    const alone = await RaftCluster.start({
      replicas: 1,
      cluster: 'noplan',
      region: 'solo',
      group: 'g9',
      nats,
      extraArgs: () => ['--http', '127.0.0.1:0'],
    });
    try {
      await alone.waitForLeader(30_000);
      const url = new URL('status.json', pageUrl(alone.replicas[0] as ReplicaProcess));
      const snapshot = await pollUntil('the lone group with its leader', 15_000, async () => {
        const body = (await (await fetch(url)).json()) as {
          cluster: string;
          note: string | null;
          regions: Array<{
            region: string;
            groups: Array<{ group: string; leader: string | null; replicas: unknown[] }>;
          }>;
        };
        return body.regions[0]?.groups[0]?.leader === 'r1' ? body : undefined;
      });
      expect(snapshot.cluster).to.equal('noplan');
      expect(snapshot.note).to.contain('no cluster plan');
      expect(
        snapshot.regions.map((r) => [r.region, r.groups.map((g) => [g.group, g.replicas.length])]),
      ).to.deep.equal([['solo', [['g9', 1]]]]);
    } finally {
      await alone.stop();
    }
  });

  it('raftns dashboard refuses a bad --listen with exit 2, and stops on SIGTERM with exit 0', async () => {
    const bad = await raftns(['--nats', nats.url, '--cluster', CLUSTER, 'dashboard', '--listen', 'nope']);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain('expected host:port');
    const child = dashboard as ChildProcess;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).to.equal(0);
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
