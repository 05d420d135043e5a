/**
 * Entry point of a worker thread: hosts the actors the placement puts on it (one or
 * several, runtime/worker/thread-plan.ts), each with `auto` delivery, real time, RocksDB
 * storage under the replica's data dir, peer channels over NATS, and a comlink control
 * plane of its own. Actors on this thread talk over in-thread links (in-thread-link.ts),
 * to actors elsewhere over `MessagePort`s.
 *
 * A crash of any actor here is rethrown out of band, so the whole thread dies and the
 * supervisor restarts every actor it hosted, each from its durable state. Restarting only
 * the one would leave what it opened (a RocksDB handle holds the database's lock, timers,
 * half-finished promises) in a thread that lives on; a thread's death releases all of it.
 *
 * Peer channels: the first `openTransport` connects this worker to NATS (connectNats: the
 * replica's URLs and credentials) and every channel it opens is a NatsPeerTransport on that
 * one connection. The worker owns the connection and closes it when its last actor stops;
 * if the thread dies instead, its sockets die with it. Only the election actor opens a
 * channel (`raft`), so a replica holds one peer connection plus the main thread's.
 */
import { join } from 'node:path';
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { NatsConnection } from '@nats-io/transport-node';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { ActorEnvironment, ActorFactory, ActorSpec } from '../actor.js';
import { ActorHost } from '../actor-host.js';
import { monotonicClock, realTimers, setClockAnchor } from '../clock.js';
import { withTimeout } from '../control-timeout.js';
import type { MailboxConfig } from '../mailbox.js';
import type { Message } from '../message.js';
import type { NatsPeerTransport } from '../nats/nats-peer-transport.js';
import { createLogger } from '../pino-logger.js';
import { osSeededRandom } from '../random.js';
import { type ActorControl, type ActorWorkerData, type ThreadControl, WORKER_BOOTED } from './control-api.js';
import { InThreadDelivery, InThreadLink } from './in-thread-link.js';
import { listenForFrames, portFramePort } from './port-link.js';

const data = workerData as ActorWorkerData;
setClockAnchor(data.clockAnchorMs);
const log = createLogger({ level: data.logLevel, fields: { ...data.logFields, thread: data.thread } });
/** Bound on closing the NATS connection when the actor stops. */
const NATS_CLOSE_TIMEOUT_MS = 2_000;

/** This worker's NATS connection, opened by the first `openTransport`. */
let natsConnection: Promise<NatsConnection> | undefined;

async function openPeerTransport(channel: string): Promise<NatsPeerTransport> {
  const config = data.peerTransport;
  if (config === undefined) {
    throw new Error(`thread ${data.thread}: no peer transport is configured for channel ${channel}`);
  }
  if (natsConnection === undefined) {
    const connecting = import('../nats/nats-connection.js').then(({ connectNats }) =>
      connectNats({
        urls: config.natsUrls,
        ...(config.natsCredsFile === undefined ? {} : { credsFile: config.natsCredsFile }),
        name: `raftns/${data.replicaId}/${data.thread}`,
        log,
      }),
    );
    natsConnection = connecting;
    // A failed connect fails this open (and so the actor's start); the next open dials again.
    connecting.catch(() => {
      if (natsConnection === connecting) natsConnection = undefined;
    });
  }
  const nc = await natsConnection;
  const { NatsPeerTransport } = await import('../nats/nats-peer-transport.js');
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

/** An actor hosted on this thread, with the links it holds. */
interface Hosted {
  readonly host: ActorHost<Message>;
  /** Links to actors on other threads, by peer. */
  readonly ports: Map<string, MessagePort>;
  /** Outgoing in-thread links, by peer. */
  readonly inThread: Map<string, InThreadLink>;
}

const hosted = new Map<string, Hosted>();
const delivery = new InThreadDelivery();

function environment(name: string): ActorEnvironment {
  const actorLog = log.child({ actor: name });
  return {
    replicaId: data.replicaId,
    clock: monotonicClock,
    timers: realTimers,
    random: osSeededRandom(),
    log: actorLog,
    // RocksDB, NATS and the socket code load on a thread's first use of each: the DNS
    // thread opens no store and no peer channel, the Raft thread no DNS socket.
    openStore: async (store) => {
      const { RocksKvStore } = await import('../storage/rocks-kv-store.js');
      return RocksKvStore.open(join(data.dataDir, store));
    },
    openTransport: openPeerTransport,
    openDnsSocket: async (address, toMessage) => {
      const { openNodeDnsSocket } = await import('../dns-sockets/node-dns-socket.js');
      return openNodeDnsSocket(address, toMessage);
    },
    defer: queueMicrotask,
    onCrash: (error) => {
      actorLog.error({ err: error }, 'actor crashed');
      // Thrown out of band, after pending replies (a failed start's answer) have been posted:
      // the thread dies with every actor on it (see the file comment).
      setImmediate(() => {
        throw error instanceof Error ? error : new Error(String(error));
      });
    },
  };
}

async function hostActor(spec: ActorSpec, controlPort: MessagePort): Promise<void> {
  if (hosted.has(spec.name)) throw new Error(`actor ${spec.name} is already hosted on thread ${data.thread}`);
  const module = (await import(spec.module)) as Record<string, unknown>;
  const factory = module[spec.exportName];
  if (typeof factory !== 'function') {
    throw new Error(`actor ${spec.name}: ${spec.module} does not export a factory named ${spec.exportName}`);
  }
  const host = new ActorHost<Message>(
    spec.name,
    environment(spec.name),
    factory as ActorFactory<Message, unknown>,
    spec.options,
    spec.mailbox,
    'auto',
    spec.maxInFlightRequests,
  );
  const entry: Hosted = { host, ports: new Map(), inThread: new Map() };
  hosted.set(spec.name, entry);
  Comlink.expose(actorControl(spec.name, entry), nodeEndpoint(controlPort));
}

/** Drops the link from `entry` to `peer`, whichever carrier it had. */
function dropLink(entry: Hosted, peer: string): void {
  entry.ports.get(peer)?.close();
  entry.ports.delete(peer);
  entry.inThread.get(peer)?.close();
  entry.inThread.delete(peer);
}

function actorControl(name: string, entry: Hosted): ActorControl {
  const { host } = entry;
  return {
    link(peer: string, port: MessagePort, peerMailbox: MailboxConfig) {
      dropLink(entry, peer);
      entry.ports.set(peer, port);
      listenForFrames(port, (frames) => host.receiveFrames(peer, frames));
      host.attachLink(peer, portFramePort(port), peerMailbox);
    },
    linkInThread(peer: string) {
      const other = hosted.get(peer);
      if (other === undefined) throw new Error(`actor ${peer} is not hosted on thread ${data.thread}`);
      dropLink(entry, peer);
      dropLink(other, name);
      const toPeer = new InThreadLink(delivery, (frames) => other.host.receiveFrames(name, frames));
      const fromPeer = new InThreadLink(delivery, (frames) => host.receiveFrames(peer, frames));
      entry.inThread.set(peer, toPeer);
      other.inThread.set(name, fromPeer);
      host.attachLink(peer, toPeer, other.host.mailboxConfig);
      other.host.attachLink(name, fromPeer, host.mailboxConfig);
    },
    unlink(peer: string) {
      dropLink(entry, peer);
      // An in-thread link dies in both directions, as a closed port does.
      const other = hosted.get(peer);
      if (other !== undefined) dropLink(other, name);
      host.detachLink(peer);
    },
    start: () => host.start(),
    health: () => {
      const credits = host.credits();
      return {
        name,
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
        for (const port of entry.ports.values()) port.close();
        entry.ports.clear();
        // The thread's NATS connection serves every actor on it: it closes with the last.
        if (
          [...hosted.values()].every(
            (other) => other.host.state === 'stopped' || other.host.state === 'crashed',
          )
        )
          await closeNats();
      }
    },
  };
}

const threadControl: ThreadControl = {
  preload: (module) => {
    import(module).catch(() => undefined);
  },
  host: hostActor,
};
Comlink.expose(threadControl, nodeEndpoint(data.controlPort));
// The placement waits for this before its first control call: starting a thread is slow
// under CPU starvation, and can outlast any control-call deadline that suits a running worker.
parentPort?.postMessage(WORKER_BOOTED);
