/**
 * Entry point of an actor's worker thread: hosts one actor with `auto` delivery, real
 * time, RocksDB storage under the replica's data dir, and a comlink control plane.
 * An actor crash is rethrown out of band so the thread dies and its supervisor sees it.
 */
import { join } from 'node:path';
import { type MessagePort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { ActorEnvironment, ActorFactory } from '../actor.js';
import { ActorHost } from '../actor-host.js';
import { monotonicClock, realTimers } from '../clock.js';
import type { MailboxConfig } from '../mailbox.js';
import type { Message } from '../message.js';
import { createLogger } from '../pino-logger.js';
import { osSeededRandom } from '../random.js';
import { RocksKvStore } from '../storage/rocks-kv-store.js';
import type { ActorControl, ActorWorkerData } from './control-api.js';
import { listenForFrames, portFramePort } from './port-link.js';

const data = workerData as ActorWorkerData;
const { spec } = data;
const log = createLogger({ level: data.logLevel, fields: { ...data.logFields, actor: spec.name } });

const env: ActorEnvironment = {
  replicaId: data.replicaId,
  clock: monotonicClock,
  timers: realTimers,
  random: osSeededRandom(),
  log,
  openStore: async (name) => RocksKvStore.open(join(data.dataDir, name)),
  openTransport: async (channel) => {
    throw new Error(`actor ${spec.name}: no peer transport is configured for channel ${channel}`);
  },
  defer: queueMicrotask,
  onCrash: (error) => {
    log.error({ err: error }, 'actor crashed');
    // Thrown out of band, after pending replies (a failed start's answer) have been posted.
    setImmediate(() => {
      throw error instanceof Error ? error : new Error(String(error));
    });
  },
};

const module = (await import(spec.module)) as Record<string, unknown>;
const factory = module[spec.exportName];
if (typeof factory !== 'function') {
  throw new Error(`actor ${spec.name}: ${spec.module} does not export a factory named ${spec.exportName}`);
}
const host = new ActorHost<Message>(
  spec.name,
  env,
  factory as ActorFactory<Message, unknown>,
  spec.options,
  spec.mailbox,
  'auto',
  spec.maxInFlightRequests,
);
const ports = new Map<string, MessagePort>();

const control: ActorControl = {
  link(peer: string, port: MessagePort, peerMailbox: MailboxConfig) {
    ports.get(peer)?.close();
    ports.set(peer, port);
    listenForFrames(port, (frames) => host.receiveFrames(peer, frames));
    host.attachLink(peer, portFramePort(port), peerMailbox);
  },
  unlink(peer: string) {
    ports.get(peer)?.close();
    ports.delete(peer);
    host.detachLink(peer);
  },
  start: () => host.start(),
  health: () => ({
    name: spec.name,
    state: host.state,
    queued: host.queued,
    requestsInFlight: host.requestsInFlight,
  }),
  inspect: () => host.inspect(),
  async stop(drainDeadlineMs: number) {
    await host.stop(drainDeadlineMs);
    for (const port of ports.values()) port.close();
    ports.clear();
  },
};

Comlink.expose(control, nodeEndpoint(data.controlPort));
