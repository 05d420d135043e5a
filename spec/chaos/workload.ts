/**
 * The load of a chaos run: concurrent clients, one operation at a time each, on a few shared
 * keys (put, cas, delete; gets in linearizable and lease mode, both promised linearizable),
 * every operation recorded with its invocation, completion and outcome; plus one writer of
 * unique keys whose acknowledged writes must all survive.
 *
 * Outcomes follow the client's contract (clients/raft-client.ts): a write is `failed` only
 * when the client says it did not execute; a timeout or a lost connection after some attempt
 * was sent is `unknown`. A read that fails constrains nothing.
 */
import { RaftClientError, UnknownOutcomeError } from '../../clients/errors.js';
import type { RaftClient } from '../../clients/raft-client.js';
import type { GroupCommand } from '../../protocol/group/commands.js';
import type { ReadModeText } from '../../protocol/read-mode.js';
import { seededRandom } from '../checkers/generate.js';
import { HistoryRecorder } from '../checkers/history.js';
import type { KvInput, KvOutput } from '../checkers/kv-model.js';

export const SHARED_KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'] as const;
/** Prefix of the unique keys of the durable writer. */
export const DURABLE_PREFIX = 'd-';
/** A bound on the recorded history, so the checker's work is bounded too. */
export const HISTORY_OPS_MAX = 60_000;

const now = () => performance.now();

export interface WorkloadResult {
  readonly history: HistoryRecorder<KvInput, KvOutput>;
  /** Completion times of every acknowledged write (shared and unique keys), ascending. */
  readonly writeAcks: number[];
  /** Unique keys written once each and acknowledged, with their values. */
  readonly durable: Map<string, string>;
}

export interface RunningWorkload {
  /** Writes acknowledged so far. */
  acked(): number;
  /** Stops issuing operations; resolves once every client's current operation has settled. */
  stop(): Promise<WorkloadResult>;
}

export function startWorkload(
  clients: readonly RaftClient[],
  durableWriter: RaftClient,
  seed: number,
): RunningWorkload {
  const history = new HistoryRecorder<KvInput, KvOutput>();
  const writeAcks: number[] = [];
  const durable = new Map<string, string>();
  let running = true;
  // Its own stream, so the fault schedule drawn from the same seed does not depend on the load.
  const random = seededRandom(seed ^ 0x5eed);
  const below = (n: number) => Math.floor(random() * n);

  const sharedLoop = async (client: RaftClient, name: string) => {
    let n = 0;
    while (running && history.size < HISTORY_OPS_MAX) {
      n++;
      const key = SHARED_KEYS[below(SHARED_KEYS.length)]!;
      const dice = below(100);
      if (dice < 50) {
        const command: GroupCommand =
          dice < 30
            ? { kind: 'kv-put', key, value: `${name}.${n}` }
            : dice < 45
              ? {
                  kind: 'kv-cas',
                  key,
                  expectedRevision: below(4) === 0 ? 0 : below(2_000),
                  value: `${name}.x${n}`,
                }
              : { kind: 'kv-delete', key };
        const handle = history.invoke(name, { kind: 'write', command }, now());
        try {
          const output = await client.write(command);
          const at = now();
          history.complete(handle, output, at);
          writeAcks.push(at);
        } catch (error) {
          if (!(error instanceof RaftClientError)) throw error;
          if (error instanceof UnknownOutcomeError || error.code === 'CLIENT_CLOSED') history.unknown(handle);
          else history.fail(handle, now());
        }
      } else {
        const mode: ReadModeText = dice < 80 ? 'linearizable' : 'lease';
        const handle = history.invoke(name, { kind: 'read', query: { op: 'get', key } }, now());
        try {
          const output = await client.read({ op: 'get', key }, { mode });
          history.complete(handle, output, now());
        } catch (error) {
          if (!(error instanceof RaftClientError)) throw error;
          history.fail(handle, now());
        }
      }
    }
  };

  const durableLoop = async () => {
    let n = 0;
    while (running && durable.size < HISTORY_OPS_MAX) {
      const key = `${DURABLE_PREFIX}${String(n).padStart(6, '0')}`;
      const value = `v${n}`;
      n++;
      try {
        await durableWriter.put(key, value);
        durable.set(key, value);
        writeAcks.push(now());
      } catch (error) {
        if (!(error instanceof RaftClientError)) throw error;
      }
    }
  };

  const loops = [...clients.map((client, i) => sharedLoop(client, `c${i}`)), durableLoop()];
  return {
    acked: () => writeAcks.length,
    async stop() {
      running = false;
      await Promise.all(loops);
      writeAcks.sort((a, b) => a - b);
      return { history, writeAcks, durable };
    },
  };
}
