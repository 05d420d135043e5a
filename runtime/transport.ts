/**
 * The peer transport seam: opaque frames between replicas of one group. Raft tolerates
 * loss, duplication and reordering, so `send` is fire-and-forget. Production implements it
 * over NATS subjects scoped to the group; the simulator over its faulty network.
 */
export interface PeerTransport {
  /** This replica's id within the group. */
  readonly self: string;
  /** Queues `bytes` for `peer`; false when refused locally (unknown peer, frame too large, closed). */
  send(peer: string, bytes: Uint8Array): boolean;
  /** Replaces the set of peers this transport exchanges frames with (membership changed). */
  setPeers?(peers: readonly string[]): void;
  /** Frames dropped on arrival because their sender is not one of the peers (`setPeers`). */
  nonPeerFramesDropped?(): number;
  /** Registers the handler for frames from peers; one handler per channel. */
  onFrame(handler: (from: string, bytes: Uint8Array) => void): void;
  /**
   * Registers the handler called each time the transport's connection is back after a
   * loss (sends were refused meanwhile); one handler per channel. Transports without
   * connections (the simulator's) leave it out.
   */
  onReconnect?(handler: () => void): void;
  close(): Promise<void>;
}

/** Opens the transport channel `channel` (e.g. `raft`) of this replica. */
export type TransportOpener = (channel: string) => Promise<PeerTransport>;
