import type { GroupCommand, GroupQuery } from '../../protocol/group/commands.js';
import type { Operation } from './history.js';
import { type KvInput, type KvOutput, KvSpecStore } from './kv-model.js';

/**
 * Generators of store histories that are linearizable by construction, for testing the
 * checker: a simulated atomic store applies each operation at a linearization point chosen
 * inside the operation's interval, and the intervals are built around those points.
 */

/** A small deterministic PRNG (mulberry32): the same seed gives the same history. */
export function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface KvSimulationOptions {
  readonly seed: number;
  readonly clients: number;
  readonly keys: number;
  /** Total operations, spread evenly over the clients. */
  readonly operations: number;
  /** Share of reads (the rest are writes). */
  readonly readRate?: number;
  /** Share of reads that are ranges over a prefix (the history then checks unpartitioned). */
  readonly rangeRate?: number;
  /** Share of operations that time out: `unknown`, applied or not at random, possibly after the timeout. */
  readonly unknownRate?: number;
  /** Share of operations rejected before taking effect: `fail`. */
  readonly failRate?: number;
  /** Latest time from call to linearization point, and from there to return. */
  readonly maxLatency?: number;
}

interface Planned {
  readonly clientId: string;
  readonly call: number;
  /** Linearization point; for an unknown op that never takes effect, just an ordering key. */
  readonly at: number;
  readonly ret: number;
  readonly status: 'ok' | 'fail' | 'unknown';
  /** Whether it takes effect (false for fail, random for unknown). */
  readonly applies: boolean;
  readonly isRead: boolean;
}

/**
 * Runs `clients` sequential clients against one simulated atomic store. Inputs are drawn when
 * an operation reaches its linearization point (fine for a history: only intervals, inputs
 * and outputs matter), so that cas often expects the right revision. Revisions are log
 * indexes with random gaps (entries of other kinds, leader no-ops).
 */
export function simulateKvHistory(options: KvSimulationOptions): Operation<KvInput, KvOutput>[] {
  const random = seededRandom(options.seed);
  const int = (max: number) => Math.floor(random() * (max + 1));
  const readRate = options.readRate ?? 0.5;
  const rangeRate = options.rangeRate ?? 0;
  const unknownRate = options.unknownRate ?? 0;
  const failRate = options.failRate ?? 0;
  const latency = options.maxLatency ?? 10;
  const keys = Array.from({ length: options.keys }, (_, k) => `k${String(k).padStart(2, '0')}`);

  const planned: Planned[] = [];
  const perClient = Math.ceil(options.operations / options.clients);
  for (let c = 0; c < options.clients; c++) {
    let now = int(latency);
    for (let k = 0; k < perClient && planned.length < options.operations; k++) {
      const call = now + int(3);
      const roll = random();
      const status = roll < unknownRate ? 'unknown' : roll < unknownRate + failRate ? 'fail' : 'ok';
      // An unknown op may take effect long after its client gave up.
      const at = call + (status === 'unknown' ? int(latency * 5) : int(latency));
      const ret = status === 'unknown' ? call + latency * 2 : at + int(latency);
      const applies = status === 'ok' || (status === 'unknown' && random() < 0.5);
      planned.push({ clientId: `c${c}`, call, at, ret, status, applies, isRead: random() < readRate });
      now = ret + 1;
    }
  }

  const order = planned.map((_, i) => i).sort((a, b) => planned[a]!.at - planned[b]!.at || a - b);
  const store = new KvSpecStore();
  const history: (Operation<KvInput, KvOutput> | undefined)[] = new Array(planned.length);
  const pickKey = () => keys[int(keys.length - 1)]!;
  for (const i of order) {
    const p = planned[i]!;
    let input: KvInput;
    let output: KvOutput | undefined;
    if (p.isRead) {
      const query: GroupQuery =
        random() < rangeRate
          ? { op: 'range', prefix: `k${int(Math.floor((keys.length - 1) / 10))}`, limit: 1 + int(6) }
          : { op: 'get', key: pickKey() };
      input = { kind: 'read', query };
      output = store.query(query);
    } else {
      const key = pickKey();
      const current = store.query({ op: 'get', key });
      const revision = current.op === 'get' ? (current.entry?.revision ?? 0) : 0;
      const value = `v${i}`;
      const roll = random();
      const command: GroupCommand =
        roll < 0.4
          ? { kind: 'kv-put', key, value }
          : roll < 0.55
            ? { kind: 'kv-delete', key }
            : { kind: 'kv-cas', key, value, expectedRevision: random() < 0.6 ? revision : int(revision + 2) };
      input = { kind: 'write', command };
      output = p.applies ? store.apply(command, store.lastIndex + 1 + int(2)) : undefined;
    }
    history[i] = {
      clientId: p.clientId,
      input,
      call: p.call,
      return: p.status === 'unknown' ? undefined : p.ret,
      output: p.status === 'ok' ? output : undefined,
      status: p.status,
    };
  }
  return history.map((op) => op!);
}
