/**
 * Entry point of an actor's worker thread: hosts one actor with `auto` delivery, real
 * time, RocksDB storage under the replica's data dir, peer channels over NATS, and a
 * comlink control plane. An actor crash is rethrown out of band so the thread dies and its
 * supervisor sees it.
 *
 * Peer channels: the first `openTransport` connects this worker to NATS (connectNats: the
 * replica's URLs and credentials) and every channel it opens is a NatsPeerTransport on that
 * one connection. The worker owns the connection and closes it when the actor stops; if
 * the thread dies instead, its sockets die with it. Only the election actor opens a
 * channel (`raft`), so a replica holds one peer connection plus the main thread's.
 */
import { join } from 'node:path';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { NatsConnection } from '@nats-io/transport-node';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { ActorEnvironment, ActorFactory } from '../actor.js';
import { ActorHost } from '../actor-host.js';
import { monotonicClock, realTimers, setClockAnchor } from '../clock.js';
import { withTimeout } from '../control-timeout.js';
import { openNodeDnsSocket } from '../dns-sockets/node-dns-socket.js';
import type { MailboxConfig } from '../mailbox.js';
import type { Message } from '../message.js';
import { connectNats } from '../nats/nats-connection.js';
import { NatsPeerTransport } from '../nats/nats-peer-transport.js';
import { createLogger } from '../pino-logger.js';
import { osSeededRandom } from '../random.js';
import { RocksKvStore } from '../storage/rocks-kv-store.js';
import { type ActorControl, type ActorWorkerData, WORKER_BOOTED } from './control-api.js';
import { listenForFrames, portFramePort } from './port-link.js';

const data = workerData as ActorWorkerData;
setClockAnchor(data.clockAnchorMs);
const { spec } = data;
const log = createLogger({ level: data.logLevel, fields: { ...data.logFields, actor: spec.name } });
/** Bound on closing the NATS connection when the actor stops. */
const NATS_CLOSE_TIMEOUT_MS = 2_000;

/** This worker's NATS connection, opened by the first `openTransport`. */
let natsConnection: Promise<NatsConnection> | undefined;

async function openPeerTransport(channel: string): Promise<NatsPeerTransport> {
  const config = data.peerTransport;
  if (config === undefined) {
    throw new Error(`actor ${spec.name}: no peer transport is configured for channel ${channel}`);
  }
  if (natsConnection === undefined) {
    const connecting = connectNats({
      urls: config.natsUrls,
      ...(config.natsCredsFile === undefined ? {} : { credsFile: config.natsCredsFile }),
      name: `raftns/${data.replicaId}/${spec.name}`,
      log,
    });
    natsConnection = connecting;
    // A failed connect fails this open (and so the actor's start); the next open dials again.
    connecting.catch(() => {
      if (natsConnection === connecting) natsConnection = undefined;
    });
  }
  const nc = await natsConnection;
  return NatsPeerTransport.open({
    nc,
    cluster: config.cluster,
    region: config.region,
    group: config.group,
    self: data.replicaId,
    channel,
    peers: config.peers,
    log: log.child({ channel }),
  });
}

async function closeNats(): Promise<void> {
  const connecting = natsConnection;
  natsConnection = undefined;
  if (connecting === undefined) return;
  try {
    const nc = await connecting;
    await withTimeout('close NATS connection', NATS_CLOSE_TIMEOUT_MS, nc.close());
  } catch (error) {
    log.warn({ err: error }, 'closing the NATS connection failed');
  }
}

const env: ActorEnvironment = {
  replicaId: data.replicaId,
  clock: monotonicClock,
  timers: realTimers,
  random: osSeededRandom(),
  log,
  openStore: async (name) => RocksKvStore.open(join(data.dataDir, name)),
  openTransport: openPeerTransport,
  openDnsSocket: openNodeDnsSocket,
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
  health: () => {
    const credits = host.credits();
    return {
      name: spec.name,
      state: host.state,
      queued: host.queued,
      requestsInFlight: host.requestsInFlight,
      creditsInUse: credits.inUse,
      creditsAvailable: credits.available,
    };
  },
  inspect: () => host.inspect(),
  async stop(drainDeadlineMs: number) {
    try {
      await host.stop(drainDeadlineMs);
    } finally {
      await closeNats();
      for (const port of ports.values()) port.close();
      ports.clear();
    }
  },
};

Comlink.expose(control, nodeEndpoint(data.controlPort));
// The placement waits for this before its first control call: loading the actor's modules
// is the slow part of a worker's start, and under CPU starvation it can outlast any
// control-call deadline that suits a running worker.
parentPort?.postMessage(WORKER_BOOTED);
