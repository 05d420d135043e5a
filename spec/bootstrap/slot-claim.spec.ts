import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/transport-node';
import { expect } from 'chai';
import { BootstrapError } from '../../bootstrap/errors.js';
import { PlanStore } from '../../bootstrap/plan-store.js';
import { claimSlot, readSlots, releaseLeftSlots, waitForGroup } from '../../bootstrap/slot-claim.js';
import { type ClusterPlan, examplePlan } from '../../protocol/plan.js';
import type { LogFields, Logger } from '../../runtime/log.js';
import { silentLogger } from '../../runtime/log.js';
import { connectNats } from '../../runtime/nats/nats-connection.js';
import { type NatsServerHandle, startNatsServer } from '../fixtures/nats-server.js';
import { pollUntil } from '../fixtures/poll-until.js';

const CLAIMANT = fileURLToPath(new URL('../fixtures/processes/claim-slot.js', import.meta.url));
const STEP_TIMEOUT_MS = 20_000;

interface Claimant {
  readonly id: string;
  readonly child: ChildProcess;
  /** Resolves with each stdout line, in order. */
  nextLine(): Promise<string>;
  stderr(): string;
}

function startClaimant(url: string, cluster: string, id: string, region: string): Claimant {
  const child = spawn(process.execPath, [CLAIMANT, url, cluster, id, region], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter === undefined) lines.push(line);
    else waiter(line);
  });
  return {
    id,
    child,
    stderr: () => err,
    nextLine: () => {
      const line = lines.shift();
      if (line !== undefined) return Promise.resolve(line);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`${id}: no output within ${STEP_TIMEOUT_MS} ms; stderr:\n${err}`)),
          STEP_TIMEOUT_MS,
        );
        waiters.push((l) => {
          clearTimeout(timer);
          resolve(l);
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`${id} exited ${code}; stderr:\n${err}`));
        });
      });
    },
  };
}

/** Runs claimants as separate processes that all claim at the same moment; their JSON answers. */
async function raceClaimants(
  url: string,
  cluster: string,
  ids: readonly string[],
  region: string,
): Promise<Map<string, Record<string, unknown>>> {
  const claimants = ids.map((id) => startClaimant(url, cluster, id, region));
  try {
    for (const c of claimants) expect(await c.nextLine()).to.equal('ready');
    // Every process is connected and holds the plan: release them together.
    for (const c of claimants) c.child.stdin?.write('go\n');
    const answers = await Promise.all(
      claimants.map(async (c) => [c.id, JSON.parse(await c.nextLine())] as const),
    );
    return new Map(answers);
  } finally {
    for (const c of claimants) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  }
}

class CollectingLogger implements Logger {
  readonly lines: { fields: LogFields; message: string }[] = [];
  debug() {}
  info(fields: LogFields, message: string) {
    this.lines.push({ fields, message });
  }
  warn(fields: LogFields, message: string) {
    this.lines.push({ fields, message });
  }
  error() {}
  fatal() {}
  child() {
    return this;
  }
}

describe('bootstrap/slot-claim (real nats-server, claimants as real processes)', function () {
  this.timeout(90_000);
  let nats: NatsServerHandle;
  let nc: NatsConnection;
  let clusters = 0;

  async function freshPlan(
    regions: readonly string[] = ['eu', 'us'],
  ): Promise<{ store: PlanStore; plan: ClusterPlan }> {
    const cluster = `s${++clusters}`;
    const store = await PlanStore.create(nc, cluster);
    const { plan } = await store.initPlan(examplePlan(cluster, regions));
    return { store, plan };
  }

  before(async () => {
    nats = await startNatsServer({ jetstream: true });
    nc = await connectNats({ urls: [nats.url], name: 'slot-claim-spec', log: silentLogger });
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it('11 processes racing for 9 slots: every slot held exactly once, two refused no-free-slot, a restart rejoins its slot', async () => {
    const { store, plan } = await freshPlan();
    const ids = Array.from({ length: 11 }, (_, i) => `i-${i}`);
    const answers = await raceClaimants(nats.url, plan.cluster, ids, 'eu');
    const claims = [...answers.values()].filter((a) => a.error === undefined);
    const refused = [...answers.values()].filter((a) => a.error !== undefined);
    expect(claims).to.have.length(9);
    expect(refused.map((a) => a.error)).to.deep.equal(['no-free-slot', 'no-free-slot']);
    expect(new Set(claims.map((c) => c.key)).size).to.equal(9);
    expect(claims.every((c) => c.rejoined === false)).to.equal(true);
    // What the bucket says agrees with what each claimant was told.
    const slots = await readSlots(store.slots, plan, 'eu');
    expect(slots.map((s) => s.key)).to.deep.equal([
      'eu.root.0',
      'eu.root.1',
      'eu.root.2',
      'eu.org.0',
      'eu.org.1',
      'eu.org.2',
      'eu.wikipedia-org.0',
      'eu.wikipedia-org.1',
      'eu.wikipedia-org.2',
    ]);
    for (const slot of slots) {
      const holder = answers.get(slot.holder ?? '');
      expect(holder, `slot ${slot.key} held by ${slot.holder}`).to.include({
        key: slot.key,
        group: slot.group,
      });
    }
    // The other region's slots are untouched.
    expect((await readSlots(store.slots, plan, 'us')).every((s) => s.holder === undefined)).to.equal(true);

    // A restarted instance (a new process, same id) gets its own slot back.
    const [someone] = claims;
    const again = await raceClaimants(nats.url, plan.cluster, [String(someone?.instanceId)], 'eu');
    expect(again.get(String(someone?.instanceId))).to.deep.equal({ ...someone, rejoined: true });
  });

  it('fills slots in plan order and refuses a region not in the plan', async () => {
    const { store, plan } = await freshPlan(['eu']);
    const first = await claimSlot(store.slots, plan, { instanceId: 'a', region: 'eu' });
    const second = await claimSlot(store.slots, plan, { instanceId: 'b', region: 'eu' });
    expect([first.key, second.key]).to.deep.equal(['eu.root.0', 'eu.root.1']);
    try {
      await claimSlot(store.slots, plan, { instanceId: 'c', region: 'mars' });
      expect.fail('expected region-unknown');
    } catch (error) {
      expect(error).to.be.instanceOf(BootstrapError);
      expect((error as BootstrapError).code).to.equal('region-unknown');
    }
  });

  it("a data dir holding a group's Raft state claims only that group's slots, and says so when they are taken", async () => {
    const { store, plan } = await freshPlan(['eu']);
    const org = await claimSlot(store.slots, plan, { instanceId: 'a', region: 'eu', group: 'org' });
    expect(org.key).to.equal('eu.org.0');
    for (const id of ['b', 'c'])
      await claimSlot(store.slots, plan, { instanceId: id, region: 'eu', group: 'org' });
    let seen: readonly string[] = [];
    try {
      await claimSlot(
        store.slots,
        plan,
        { instanceId: 'd', region: 'eu', group: 'org' },
        {
          replace: async ({ slots }) => {
            seen = slots.map((s) => s.key);
            return undefined;
          },
        },
      );
      expect.fail('expected no-free-slot');
    } catch (error) {
      expect((error as BootstrapError).code).to.equal('no-free-slot');
      expect((error as Error).message).to.match(
        /every slot of group org in region eu, whose Raft state the data dir holds/,
      );
    }
    expect(seen, "only the group's slots are offered for replacement").to.deep.equal([
      'eu.org.0',
      'eu.org.1',
      'eu.org.2',
    ]);
    // Without a group, the root's free slots are still there.
    expect((await claimSlot(store.slots, plan, { instanceId: 'd', region: 'eu' })).key).to.equal('eu.root.0');
  });

  it('asks the replacement hook when every slot is taken, and uses the slot it answers', async () => {
    const cluster = `s${++clusters}`;
    const store = await PlanStore.create(nc, cluster);
    const { plan } = await store.initPlan({
      ...examplePlan(cluster, ['eu']),
      replicasPerGroup: 1,
      groups: [{ id: 'root', zone: '.' }],
    });
    await claimSlot(store.slots, plan, { instanceId: 'a', region: 'eu' });
    let seen: readonly (string | undefined)[] = [];
    const claim = await claimSlot(
      store.slots,
      plan,
      { instanceId: 'b', region: 'eu' },
      {
        replace: async ({ slots }) => {
          seen = slots.map((s) => s.holder);
          return {
            region: 'eu',
            group: 'root',
            index: 0,
            key: 'eu.root.0',
            instanceId: 'b',
            rejoined: false,
          };
        },
      },
    );
    expect(seen).to.deep.equal(['a']);
    expect(claim.instanceId).to.equal('b');
  });

  it('after a shrink, releases the removed slots whose holder left, and only those', async () => {
    const cluster = `s${++clusters}`;
    const store = await PlanStore.create(nc, cluster);
    const { plan } = await store.initPlan({
      ...examplePlan(cluster, ['eu']),
      replicasPerGroup: 3,
      groups: [{ id: 'root', zone: '.' }],
    });
    for (const id of ['a', 'b', 'c']) await claimSlot(store.slots, plan, { instanceId: id, region: 'eu' });
    const shrunk = { ...plan, replicasPerGroup: 1 };
    // b is still leaving (a voter, or alive); c is gone.
    const released = await releaseLeftSlots(
      store.slots,
      shrunk,
      'eu',
      'root',
      async (holder) => holder === 'c',
    );
    expect(released).to.deep.equal(['eu.root.2']);
    expect((await readSlots(store.slots, plan, 'eu')).map((s) => s.holder)).to.deep.equal([
      'a',
      'b',
      undefined,
    ]);
    // Slots of the plan are never touched, whatever `gone` says.
    expect(await releaseLeftSlots(store.slots, shrunk, 'eu', 'root', async () => true)).to.deep.equal([
      'eu.root.1',
    ]);
    expect((await readSlots(store.slots, plan, 'eu')).map((s) => s.holder)).to.deep.equal([
      'a',
      undefined,
      undefined,
    ]);
  });

  it('waitForGroup waits for every slot of the group, logging the empty ones, and returns holders in slot order', async () => {
    const { store, plan } = await freshPlan(['eu']);
    const log = new CollectingLogger();
    await claimSlot(store.slots, plan, { instanceId: 'x', region: 'eu' });
    let done = false;
    const waiting = waitForGroup(store.slots, plan, 'eu', 'root', {
      log,
      pollMs: 20,
      reportEveryMs: 50,
    }).then((peers) => {
      done = true;
      return peers;
    });
    // Not done while two root slots are empty, and it says which.
    await pollUntil('two progress reports', 10_000, async () => (log.lines.length >= 2 ? true : undefined));
    expect(done).to.equal(false);
    expect(log.lines[0]?.fields.empty).to.deep.equal(['eu.root.1', 'eu.root.2']);
    await claimSlot(store.slots, plan, { instanceId: 'y', region: 'eu' });
    await claimSlot(store.slots, plan, { instanceId: 'z', region: 'eu' });
    expect(await waiting).to.deep.equal(['x', 'y', 'z']);
    try {
      await waitForGroup(store.slots, plan, 'eu', 'org', { pollMs: 20, deadlineMs: Date.now() + 100 });
      expect.fail('expected group-timeout');
    } catch (error) {
      expect((error as BootstrapError).code).to.equal('group-timeout');
    }
  });
});
