/**
 * Instance registrations: each instance puts what it is and where it answers DNS under its
 * id in the instances bucket, and puts it again every TTL/3 (a heartbeat). The bucket's max
 * age is the TTL (nats-server 2.9 has no per-key TTL), so an instance that stops
 * heartbeating disappears from `liveInstances` one TTL after its last put.
 *
 * This runs on the main thread, not in an actor: actors reach NATS only through
 * `openTransport` (peer messages), and registration must happen before the replica's
 * actors exist (their group comes from the slot claim that follows it). See
 * bootstrap/bootstrap-process.ts.
 */
import type { KV } from '@nats-io/kv';
import { z } from 'zod';
import type { Logger } from '../runtime/log.js';
import { BootstrapError } from './errors.js';
import { PlanStore } from './plan-store.js';

export interface InstanceRegistration {
  readonly instanceId: string;
  readonly region: string;
  /** Advertised IP addresses of the DNS listeners, for glue records. */
  readonly dnsAddresses: readonly string[];
  readonly dnsPort: number;
  /** When this process started (ISO 8601); a restart is a new `startedAt`. */
  readonly startedAt: string;
  /** 0 at registration, +1 on every heartbeat of this process. */
  readonly heartbeatSeq: number;
}

const registrationSchema = z.object({
  instanceId: z.string().min(1),
  region: z.string().min(1),
  dnsAddresses: z.array(z.string()),
  dnsPort: z.number().int().min(0).max(65_535),
  startedAt: z.string(),
  heartbeatSeq: z.number().int().nonnegative(),
});

/**
 * Registrations found in the instances bucket, by instance id (expired ones are gone);
 * malformed entries are skipped. Given the `PlanStore`, keys come from one stream-info
 * request; given the bare bucket, from `kv.keys()`, whose consumer ends only after a quiet
 * moment: fine at production heartbeat rates, slow under a burst of puts.
 */
export async function liveInstances(source: PlanStore | KV): Promise<InstanceRegistration[]> {
  const instances = source instanceof PlanStore ? source.instances : source;
  const keys: string[] = [];
  if (source instanceof PlanStore) keys.push(...(await source.instanceKeys()));
  else for await (const key of await source.keys()) keys.push(key);
  keys.sort();
  const entries = await Promise.all(keys.map((key) => instances.get(key)));
  const out: InstanceRegistration[] = [];
  for (const entry of entries) {
    if (entry === null || entry.operation !== 'PUT') continue;
    const parsed = registrationSchema.safeParse(safeJson(entry.string()));
    if (parsed.success && parsed.data.instanceId === entry.key) out.push(parsed.data);
  }
  return out;
}

export interface RegistrationOptions {
  readonly log: Logger;
  /** Heartbeat interval; default a third of the bucket's max age (its TTL). */
  readonly heartbeatMs?: number;
}

/**
 * A registered instance and its heartbeat. `register` puts the registration (a restart
 * simply overwrites the previous one: idempotent), then a timer re-puts it every
 * `heartbeatMs`. A failed heartbeat is logged and retried at the next tick; it never ends
 * the process (NATS may be reconnecting).
 */
export class Registration {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private current: InstanceRegistration;
  /** Heartbeats that failed since the last success. */
  failuresInARow = 0;

  private constructor(
    private readonly instances: KV,
    initial: InstanceRegistration,
    readonly heartbeatMs: number,
    private readonly log: Logger,
  ) {
    this.current = initial;
  }

  /**
   * Registers and starts heartbeating. Fails with `instance-conflict` if a live
   * registration of the same id says another region (two instances share an id, or the
   * instance moved regions less than a TTL ago).
   */
  static async register(
    instances: KV,
    registration: Omit<InstanceRegistration, 'heartbeatSeq' | 'startedAt'> & { startedAt?: string },
    options: RegistrationOptions,
  ): Promise<Registration> {
    const existing = await instances.get(registration.instanceId);
    if (existing !== null && existing.operation === 'PUT') {
      const parsed = registrationSchema.safeParse(safeJson(existing.string()));
      if (parsed.success && parsed.data.region !== registration.region)
        throw new BootstrapError(
          'instance-conflict',
          `instance ${registration.instanceId} is registered in region ${parsed.data.region}, not ` +
            `${registration.region}: another instance uses this id, or wait for its registration to expire`,
        );
    }
    let heartbeatMs = options.heartbeatMs;
    if (heartbeatMs === undefined) {
      const ttlMs = (await instances.status()).ttl;
      if (ttlMs <= 0)
        throw new Error('the instances bucket has no max age: registrations would never expire');
      heartbeatMs = Math.max(100, Math.floor(ttlMs / 3));
    }
    const self = new Registration(
      instances,
      {
        instanceId: registration.instanceId,
        region: registration.region,
        dnsAddresses: [...registration.dnsAddresses],
        dnsPort: registration.dnsPort,
        startedAt: registration.startedAt ?? new Date().toISOString(),
        heartbeatSeq: 0,
      },
      heartbeatMs,
      options.log,
    );
    await self.put();
    self.timer = setInterval(() => self.heartbeat(), heartbeatMs);
    // The replica keeps the process alive; a heartbeat alone must not.
    self.timer.unref();
    return self;
  }

  get registration(): InstanceRegistration {
    return this.current;
  }

  /** Changes what is advertised (such as the DNS port once bound) and puts it at once. */
  async update(change: Partial<Pick<InstanceRegistration, 'dnsAddresses' | 'dnsPort'>>): Promise<void> {
    this.current = { ...this.current, ...change };
    await this.chain(() => this.put());
  }

  /** Stops heartbeating; the registration expires one TTL later. Idempotent. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  /**
   * Stops heartbeating and deletes the registration (an instance leaving for good: a
   * removed slot's holder), so no one counts it alive for the rest of a TTL.
   */
  async withdraw(): Promise<void> {
    await this.stop();
    await this.instances.delete(this.current.instanceId);
  }

  private heartbeat(): void {
    // One put at a time: a slow one is not overtaken by the next (which would reorder seqs).
    void this.chain(async () => {
      this.current = { ...this.current, heartbeatSeq: this.current.heartbeatSeq + 1 };
      try {
        await this.put();
        if (this.failuresInARow > 0)
          this.log.info({ failures: this.failuresInARow }, 'registration heartbeat recovered');
        this.failuresInARow = 0;
      } catch (error) {
        this.failuresInARow++;
        this.log.warn({ err: error, failures: this.failuresInARow }, 'registration heartbeat failed');
      }
    });
  }

  private chain(step: () => Promise<void>): Promise<void> {
    const next = this.inFlight.then(step);
    this.inFlight = next.catch(() => undefined);
    return next;
  }

  private async put(): Promise<void> {
    await this.instances.put(this.current.instanceId, JSON.stringify(this.current));
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
