/**
 * The cluster's three NATS KV buckets (plan, slots, instances) and the plan key in them:
 * `raftns init` creates the buckets and writes the plan once; every replica waits for it.
 *
 * The plan is written with `kv.create`, which the server applies only if the key has no
 * value (expected last subject sequence 0): two concurrent `init`s cannot both write, and
 * the loser compares what it meant to write with what won.
 *
 * NATS is not Raft's durable storage (PLATFORM-NOTES: JetStream does not fsync each write):
 * nothing here is needed for Raft's safety. A lost slot claim could at worst let a new
 * instance take a slot again, which starts a group with different voters; that is why the
 * buckets should be replicated (`replicas` 3) on a clustered NATS.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { KV, KvOptions } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  type ClusterPlan,
  instancesBucket,
  PLAN_KEY,
  planBucket,
  samePlan,
  slotsBucket,
  validatePlan,
} from '../protocol/plan.js';
import { type PlanChange, planChange, type RegistryZoneRef } from '../protocol/plan-change.js';
import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
} from '../runtime/nats/nats-jetstream.js';
import { Kvm } from '../runtime/nats/nats-kv.js';
import { BootstrapError } from './errors.js';

/** How long a registration lives without a heartbeat (the instances bucket's max age). */
export const REGISTRATION_TTL_MS_DEFAULT = 15_000;
/** Revisions kept per key of the plan and slots buckets (the latest is what counts). */
export const PLAN_HISTORY = 5;
/** Deadline of each JetStream API call made here. */
export const KV_TIMEOUT_MS = 5_000;
/** How often `waitForPlan` looks for the plan, and how often it reports that it waits. */
export const PLAN_POLL_MS = 250;
export const PLAN_WAITING_REPORT_MS = 5_000;

export interface CreateBucketsOptions {
  /** JetStream replicas of each bucket: 1 on a single server, 3 on a clustered NATS. */
  readonly replicas?: number;
  /** Max age of a registration in the instances bucket (the heartbeat TTL). */
  readonly registrationTtlMs?: number;
}

export type InitOutcome = 'created' | 'unchanged';

/** The three buckets of one cluster. */
export class PlanStore {
  private constructor(
    private readonly jsm: JetStreamManager,
    readonly cluster: string,
    /** Key `plan` → the plan as JSON. */
    readonly plan: KV,
    /** Key `<region>.<group>.<index>` → the instance id holding the slot. */
    readonly slots: KV,
    /** Key `<instanceId>` → its registration as JSON; expires without heartbeats. */
    readonly instances: KV,
  ) {}

  /**
   * Creates the buckets that do not exist yet (an existing bucket is opened as it is, not
   * reconfigured) — what `raftns init` does. Safe to run concurrently.
   */
  static async create(
    nc: NatsConnection,
    cluster: string,
    options: CreateBucketsOptions = {},
  ): Promise<PlanStore> {
    const kvm = new Kvm(jetstream(nc, { timeout: KV_TIMEOUT_MS }));
    const replicas = options.replicas ?? 1;
    const durable: Partial<KvOptions> = { history: PLAN_HISTORY, replicas };
    return new PlanStore(
      await jetstreamManager(nc, { timeout: KV_TIMEOUT_MS }),
      cluster,
      await kvm.create(planBucket(cluster), durable),
      await kvm.create(slotsBucket(cluster), durable),
      await kvm.create(instancesBucket(cluster), {
        history: 1,
        replicas,
        ttl: options.registrationTtlMs ?? REGISTRATION_TTL_MS_DEFAULT,
      }),
    );
  }

  /**
   * Binds to the buckets without creating them (what a replica does: the operator's
   * `raftns init` owns their configuration). Reads fail, or `readPlan` answers undefined,
   * until they exist.
   */
  static async open(nc: NatsConnection, cluster: string): Promise<PlanStore> {
    const kvm = new Kvm(jetstream(nc, { timeout: KV_TIMEOUT_MS }));
    return new PlanStore(
      await jetstreamManager(nc, { timeout: KV_TIMEOUT_MS }),
      cluster,
      await kvm.open(planBucket(cluster)),
      await kvm.open(slotsBucket(cluster)),
      await kvm.open(instancesBucket(cluster)),
    );
  }

  /**
   * The keys with a value in the instances bucket, from one stream-info request (the
   * subjects the stream holds). Not `kv.keys()`: its consumer waits for a moment without
   * new messages, which heartbeats every few hundred milliseconds may never give it.
   * Keys whose last message is a delete are included; their `get` says so.
   */
  async instanceKeys(): Promise<string[]> {
    const prefix = `$KV.${instancesBucket(this.cluster)}.`;
    const info = await this.jsm.streams.info(`KV_${instancesBucket(this.cluster)}`, {
      subjects_filter: `${prefix}>`,
    });
    return Object.keys(info.state.subjects ?? {})
      .filter((subject) => subject.startsWith(prefix))
      .map((subject) => subject.slice(prefix.length))
      .sort();
  }

  /**
   * Writes the plan if none is stored. Fails with `plan-invalid` (every problem listed) if
   * the plan breaks a rule, `cluster-mismatch` if it names another cluster, and
   * `plan-different` (every difference listed) if another plan is stored already;
   * answers `unchanged` for the same plan again.
   */
  async initPlan(input: unknown): Promise<{ outcome: InitOutcome; plan: ClusterPlan }> {
    const result = validatePlan(input);
    if (!result.ok) throw new BootstrapError('plan-invalid', 'the plan is invalid', result.errors);
    const plan = result.plan;
    if (plan.cluster !== this.cluster)
      throw new BootstrapError(
        'cluster-mismatch',
        `the plan is for cluster ${plan.cluster}, not ${this.cluster}`,
      );
    try {
      await this.plan.create(PLAN_KEY, JSON.stringify(plan));
      return { outcome: 'created', plan };
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error;
    }
    const stored = await this.readPlan();
    if (stored === undefined) throw new Error('the plan key exists but cannot be read back');
    if (samePlan(stored, plan)) return { outcome: 'unchanged', plan: stored };
    throw new BootstrapError(
      'plan-different',
      `cluster ${this.cluster} already has a different plan (init writes a plan once; change it with raftns plan apply)`,
      planDifferences(stored, plan),
    );
  }

  /**
   * The stored plan, validated; undefined while there is none (or the buckets do not exist
   * yet). A stored plan that fails validation is a `plan-invalid` error, never used.
   */
  async readPlan(): Promise<ClusterPlan | undefined> {
    return readStoredPlan(this.plan, this.cluster);
  }

  /** The stored plan and the revision of its KV entry (what `applyPlan` compares against). */
  async readPlanRevision(): Promise<{ plan: ClusterPlan; revision: number } | undefined> {
    const entry = await this.plan.get(PLAN_KEY);
    if (entry === null || entry.operation !== 'PUT') return undefined;
    const plan = await readStoredPlan(this.plan, this.cluster, entry.string());
    return plan === undefined ? undefined : { plan, revision: entry.revision };
  }

  /**
   * Replaces the stored plan by `input` if the change is safe (protocol/plan-change.ts,
   * `registeredZones` being the zones created at runtime) and the stored plan is still at
   * `basedOn` (default: the revision read now). Fails with `plan-invalid`,
   * `cluster-mismatch`, `plan-unsafe` (every reason listed) or `plan-conflict` (another
   * admin changed the plan first: nothing written). `dryRun` checks and writes nothing.
   */
  async applyPlan(
    input: unknown,
    registeredZones: readonly RegistryZoneRef[],
    options: { readonly basedOn?: number; readonly dryRun?: boolean } = {},
  ): Promise<{
    outcome: 'applied' | 'unchanged' | 'checked';
    change: PlanChange;
    revision: number;
    plan: ClusterPlan;
  }> {
    const result = validatePlan(input);
    if (!result.ok) throw new BootstrapError('plan-invalid', 'the plan is invalid', result.errors);
    const plan = result.plan;
    if (plan.cluster !== this.cluster)
      throw new BootstrapError(
        'cluster-mismatch',
        `the plan is for cluster ${plan.cluster}, not ${this.cluster}`,
      );
    const stored = await this.readPlanRevision();
    if (stored === undefined)
      throw new BootstrapError(
        'plan-timeout',
        `cluster ${this.cluster} has no plan yet (run \`raftns init\`)`,
      );
    const basedOn = options.basedOn ?? stored.revision;
    if (basedOn !== stored.revision)
      throw new BootstrapError(
        'plan-conflict',
        `the plan is at revision ${stored.revision}, not ${basedOn}: review it (raftns plan show) and apply again`,
      );
    const change = planChange(stored.plan, plan, registeredZones);
    if (change.problems.length > 0)
      throw new BootstrapError('plan-unsafe', 'the plan change is refused', change.problems);
    if (change.changes.length === 0)
      return { outcome: 'unchanged', change, revision: stored.revision, plan: stored.plan };
    if (options.dryRun === true) return { outcome: 'checked', change, revision: stored.revision, plan };
    try {
      const revision = await this.plan.update(PLAN_KEY, JSON.stringify(plan), stored.revision);
      return { outcome: 'applied', change, revision, plan };
    } catch (error) {
      if (!isWrongLastSequence(error)) throw error;
      throw new BootstrapError(
        'plan-conflict',
        'another admin changed the plan meanwhile: review it (raftns plan show) and apply again',
      );
    }
  }

  /**
   * Calls `onPlan` with every valid plan stored after this call (each later change), until
   * the returned function is called; an invalid one goes to `onInvalid` and is not used.
   */
  watchPlan(
    onPlan: (plan: ClusterPlan, revision: number) => void,
    onInvalid: (error: unknown) => void,
  ): Promise<() => void> {
    return watchStoredPlan(this.plan, this.cluster, onPlan, onInvalid);
  }
}

export interface WaitForPlanOptions {
  /** Give up (`plan-timeout`) at this `Date.now()` time; default never. */
  readonly deadlineMs?: number;
  /**
   * Called when the wait starts and then every `reportEveryMs` while there is no plan, or
   * the stored one is not yet accepted (`waitingFor` says which).
   */
  readonly onWaiting?: (waitedMs: number, waitingFor: string) => void;
  /**
   * Why the stored plan is not the one to wait for yet (undefined: it is), e.g. an
   * instance of a region that `raftns plan apply` has not added yet.
   */
  readonly notYet?: (plan: ClusterPlan) => string | undefined;
  readonly pollMs?: number;
  readonly reportEveryMs?: number;
  /** Stops the wait (rejects with the signal's reason). */
  readonly signal?: AbortSignal;
}

/**
 * Binds the buckets and waits until a plan is stored (and accepted by `notYet`); returns
 * both. An invalid stored plan or one for another cluster fails at once (waiting would not
 * fix it).
 */
export async function waitForPlan(
  nc: NatsConnection,
  cluster: string,
  options: WaitForPlanOptions = {},
): Promise<{ store: PlanStore; plan: ClusterPlan }> {
  const pollMs = options.pollMs ?? PLAN_POLL_MS;
  const reportEveryMs = options.reportEveryMs ?? PLAN_WAITING_REPORT_MS;
  const started = Date.now();
  let reportedAt: number | undefined;
  const store = await PlanStore.open(nc, cluster);
  for (;;) {
    options.signal?.throwIfAborted();
    const plan = await store.readPlan();
    const waitingFor = plan === undefined ? 'no plan (run `raftns init`)' : options.notYet?.(plan);
    if (plan !== undefined && waitingFor === undefined) return { store, plan };
    const now = Date.now();
    if (options.deadlineMs !== undefined && now >= options.deadlineMs)
      throw new BootstrapError(
        'plan-timeout',
        `no plan for cluster ${cluster} to start with after ${now - started} ms: ${waitingFor}`,
      );
    if (reportedAt === undefined || now - reportedAt >= reportEveryMs) {
      reportedAt = now;
      options.onWaiting?.(now - started, waitingFor ?? '');
    }
    await sleepUntilNextPoll(pollMs, options.signal);
  }
}

/** What differs between the stored plan and another one, one line per difference. */
export function planDifferences(stored: ClusterPlan, given: ClusterPlan): string[] {
  const out: string[] = [];
  const show = (value: unknown) => JSON.stringify(value);
  if (stored.cluster !== given.cluster) out.push(`cluster: stored ${stored.cluster}, given ${given.cluster}`);
  if (show(stored.regions) !== show(given.regions))
    out.push(`regions: stored ${show(stored.regions)}, given ${show(given.regions)}`);
  if (stored.replicasPerGroup !== given.replicasPerGroup)
    out.push(`replicasPerGroup: stored ${stored.replicasPerGroup}, given ${given.replicasPerGroup}`);
  const storedIds = stored.groups.map((g) => g.id);
  const givenIds = given.groups.map((g) => g.id);
  for (const id of storedIds) if (!givenIds.includes(id)) out.push(`groups: ${id} is stored but not given`);
  for (const id of givenIds) if (!storedIds.includes(id)) out.push(`groups: ${id} is given but not stored`);
  for (const s of stored.groups) {
    const g = given.groups.find((candidate) => candidate.id === s.id);
    if (g === undefined) continue;
    if (s.zone !== g.zone) out.push(`groups.${s.id}.zone: stored ${s.zone}, given ${g.zone}`);
    if (s.parent !== g.parent)
      out.push(`groups.${s.id}.parent: stored ${s.parent ?? '(none)'}, given ${g.parent ?? '(none)'}`);
  }
  const common = storedIds.filter((id) => givenIds.includes(id));
  const givenOrder = givenIds.filter((id) => storedIds.includes(id));
  if (out.length === 0 && show(common) !== show(givenOrder))
    out.push(`groups: order stored ${show(storedIds)}, given ${show(givenIds)}`);
  if (out.length === 0 && !samePlan(stored, given)) out.push('the plans differ');
  return out;
}

/** The server refused a `create` because the key has a value (another writer won). */
export function isWrongLastSequence(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

function isStreamNotFound(error: unknown): boolean {
  return (
    (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) ||
    (error instanceof Error && error.message === 'stream not found')
  );
}

/** Waits one poll interval, or rejects at once when `signal` aborts. */
export function sleepUntilNextPoll(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The plan stored in a plan bucket, validated and checked to be `cluster`'s; undefined while
 * the bucket or the key does not exist. Fails with a BootstrapError on an invalid plan.
 */
/**
 * Calls `onPlan` with every valid plan stored in `planKv` after this call, until the
 * returned function is called; one that fails validation goes to `onInvalid`, never used.
 */
export async function watchStoredPlan(
  planKv: KV,
  cluster: string,
  onPlan: (plan: ClusterPlan, revision: number) => void,
  onInvalid: (error: unknown) => void,
): Promise<() => void> {
  const iterator = await planKv.watch({ key: PLAN_KEY, include: 'updates' });
  void (async () => {
    for await (const entry of iterator) {
      if (entry.operation !== 'PUT') continue;
      try {
        const plan = await readStoredPlan(planKv, cluster, entry.string());
        if (plan !== undefined) onPlan(plan, entry.revision);
      } catch (error) {
        onInvalid(error);
      }
    }
  })();
  return () => iterator.stop();
}

export async function readStoredPlan(
  planKv: KV,
  cluster: string,
  /** The entry's value when the caller has it already. */
  text?: string,
): Promise<ClusterPlan | undefined> {
  let value = text;
  if (value === undefined) {
    let entry: Awaited<ReturnType<KV['get']>>;
    try {
      entry = await planKv.get(PLAN_KEY);
    } catch (error) {
      if (isStreamNotFound(error)) return undefined;
      throw error;
    }
    if (entry === null || entry.operation !== 'PUT') return undefined;
    value = entry.string();
  }
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch (error) {
    throw new BootstrapError('plan-invalid', 'the stored plan is not JSON', [String(error)]);
  }
  const result = validatePlan(json);
  if (!result.ok) throw new BootstrapError('plan-invalid', 'the stored plan is invalid', result.errors);
  if (result.plan.cluster !== cluster)
    throw new BootstrapError(
      'cluster-mismatch',
      `the stored plan is for cluster ${result.plan.cluster}, not ${cluster}`,
    );
  return result.plan;
}
