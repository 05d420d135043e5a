/**
 * The cluster's zone transfer rules (protocol/dns/transfer-acl.ts), one per zone, in a
 * NATS KV bucket next to the plan (`raftns-<cluster>-transfer`), so every replica of every
 * group and region applies the same rules: `raftns zone allow-transfer` writes it, and each
 * replica watches it (runtime/composition/dns-actor-feeds.ts), so a change applies within
 * a second, without a restart.
 *
 * Trust boundary: as for the TSIG bucket, whoever may write this bucket decides who may
 * read every zone; the cluster's NATS credentials are the credentials of these writes.
 *
 * Keys of the bucket are the base64url of the zone's lowercased absolute name. Edits are
 * compare-and-swap on the entry's revision, retried a few times, so two operators editing
 * one zone's rule at once both land.
 */

import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  NOTIFY_TARGETS_MAX,
  type NotifyTarget,
  notifyTargetId,
  parseTransferRule,
  TRANSFER_RULE_ENTRIES_MAX,
  TRANSFER_RULES_MAX,
  type TransferRule,
} from '../protocol/dns/transfer-acl.js';
import { withFinalDot } from '../protocol/dns/wire/name.js';
import { jetstream } from '../runtime/nats/nats-jetstream.js';
import { Kvm } from '../runtime/nats/nats-kv.js';
import { listRecordSet, watchRecordSet } from './kv-record-set.js';
import { KV_TIMEOUT_MS, PLAN_HISTORY } from './plan-store.js';

export function transferBucket(cluster: string): string {
  return `raftns-${cluster}-transfer`;
}

/** Zones and key names as stored: absolute, lowercased (names compare case-insensitively). */
function storedName(name: string): string {
  return withFinalDot(name).toLowerCase();
}

function bucketKey(zone: string): string {
  return Buffer.from(storedName(zone), 'utf8').toString('base64url');
}

/** What one edit adds to or removes from a zone's rule. */
export interface TransferRuleEdit {
  readonly keys: readonly string[];
  readonly prefixes: readonly string[];
}

/** A zone's settings as a whole: each given part replaces the stored one, an absent part is kept. */
export interface TransferSettings {
  readonly keys?: readonly string[];
  readonly prefixes?: readonly string[];
  readonly notify?: readonly NotifyTarget[];
}

const EDIT_ATTEMPTS_MAX = 5;

export class TransferAclStore {
  private constructor(readonly kv: KV) {}

  /** Opens the bucket, creating it if it does not exist (the CLI and replicas may be first). */
  static async open(nc: NatsConnection, cluster: string, options: { replicas?: number } = {}) {
    const kvm = new Kvm(jetstream(nc, { timeout: KV_TIMEOUT_MS }));
    return new TransferAclStore(
      await kvm.create(transferBucket(cluster), { history: PLAN_HISTORY, replicas: options.replicas ?? 1 }),
    );
  }

  /** Adds keys and prefixes to `zone`'s rule (creating it). Throws RangeError for an invalid result. */
  allow(zone: string, edit: TransferRuleEdit): Promise<TransferRule> {
    return this.#edit(zone, (rule) => ({
      ...rule,
      keys: union(rule.keys, edit.keys.map(storedName)),
      prefixes: union(rule.prefixes, edit.prefixes),
    }));
  }

  /** Adds (or replaces, same address and port) a secondary `zone` notifies of its changes. */
  addNotify(zone: string, target: NotifyTarget): Promise<TransferRule> {
    const id = notifyTargetId(target.address, target.port);
    const stored: NotifyTarget = {
      address: target.address,
      port: target.port,
      ...(target.key === undefined ? {} : { key: storedName(target.key) }),
    };
    return this.#edit(zone, (rule) => {
      const notify = [...(rule.notify ?? []).filter((t) => notifyTargetId(t.address, t.port) !== id), stored];
      if (notify.length > NOTIFY_TARGETS_MAX)
        throw new RangeError(`a zone notifies at most ${NOTIFY_TARGETS_MAX} secondaries`);
      return { ...rule, notify };
    });
  }

  /** Removes the secondary at `address:port` from `zone`'s notify list. */
  removeNotify(zone: string, address: string, port: number): Promise<TransferRule> {
    const id = notifyTargetId(address, port);
    return this.#edit(zone, (rule) => ({
      ...rule,
      notify: (rule.notify ?? []).filter((t) => notifyTargetId(t.address, t.port) !== id),
    }));
  }

  /** Removes keys and prefixes from `zone`'s rule; a rule left empty (no notify targets either) is deleted. */
  remove(zone: string, edit: TransferRuleEdit): Promise<TransferRule> {
    const keys = new Set(edit.keys.map(storedName));
    const prefixes = new Set(edit.prefixes);
    return this.#edit(zone, (rule) => ({
      ...rule,
      keys: rule.keys.filter((k) => !keys.has(k)),
      prefixes: rule.prefixes.filter((p) => !prefixes.has(p)),
    }));
  }

  /**
   * Replaces the parts of `zone`'s rule that `settings` gives (the HTTP API's PUT), in one
   * compare-and-swap, so a concurrent edit of another part is never lost. Throws RangeError
   * for an invalid result; a rule left empty is deleted.
   */
  replace(zone: string, settings: TransferSettings): Promise<TransferRule> {
    return this.#edit(zone, (rule) => ({
      ...rule,
      ...(settings.keys === undefined ? {} : { keys: union([], settings.keys.map(storedName)) }),
      ...(settings.prefixes === undefined ? {} : { prefixes: union([], settings.prefixes) }),
      ...(settings.notify === undefined
        ? {}
        : {
            notify: settings.notify.map((t) => ({
              address: t.address,
              port: t.port,
              ...(t.key === undefined ? {} : { key: storedName(t.key) }),
            })),
          }),
    }));
  }

  /** `zone`'s rule; undefined when it has none (or the stored value is invalid). */
  async get(zone: string): Promise<TransferRule | undefined> {
    const entry = await this.kv.get(bucketKey(zone));
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return decode(entry.string());
  }

  /** Every valid rule, by zone. */
  async list(): Promise<TransferRule[]> {
    const rules = await listRecordSet(this.kv, decode);
    return rules.sort((a, b) => a.zone.localeCompare(b.zone));
  }

  /**
   * Calls `onRules` with every valid rule once the stored values arrived (not at all for
   * an empty bucket: a replica starts with no rules) and after every later change,
   * until the returned function is called (kv-record-set.ts). `onInvalid` hears of values
   * that fail the check.
   */
  async watch(
    onRules: (rules: readonly TransferRule[]) => void,
    onInvalid: (bucketKey: string, why: string) => void,
  ): Promise<() => void> {
    return watchRecordSet({
      kv: this.kv,
      decode,
      recordsMax: TRANSFER_RULES_MAX,
      recordName: 'transfer rule',
      onSet: onRules,
      onInvalid,
    });
  }

  async #edit(zone: string, change: (rule: TransferRule) => TransferRule): Promise<TransferRule> {
    const key = bucketKey(zone);
    for (let attempt = 1; ; attempt++) {
      const entry = await this.kv.get(key);
      const present = entry !== null && entry.operation === 'PUT';
      const before = (present ? decode(entry.string()) : undefined) ?? {
        zone: storedName(zone),
        keys: [],
        prefixes: [],
      };
      const after = change(before);
      if (after.keys.length > TRANSFER_RULE_ENTRIES_MAX || after.prefixes.length > TRANSFER_RULE_ENTRIES_MAX)
        throw new RangeError(
          `a rule lists at most ${TRANSFER_RULE_ENTRIES_MAX} keys and ${TRANSFER_RULE_ENTRIES_MAX} prefixes`,
        );
      const checked = parseTransferRule(after);
      if (!checked.ok) throw new RangeError(checked.message);
      try {
        if (after.keys.length === 0 && after.prefixes.length === 0 && (after.notify ?? []).length === 0) {
          if (present) await this.kv.delete(key, { previousSeq: entry.revision });
        } else if (present) await this.kv.update(key, JSON.stringify(after), entry.revision);
        else await this.kv.create(key, JSON.stringify(after));
        return after;
      } catch (error) {
        if (!String(error).includes('wrong last sequence') || attempt >= EDIT_ATTEMPTS_MAX) throw error;
      }
    }
  }
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

function decode(text: string): TransferRule | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return parseTransferRule(value).ok ? (value as TransferRule) : undefined;
  } catch {
    return undefined;
  }
}
