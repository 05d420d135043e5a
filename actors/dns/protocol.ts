import type { ReadMode } from '../../protocol/read-mode.js';
import type { DnsSocketEvent } from '../../runtime/dns-sockets/dns-socket.js';
import type { Ask } from '../../runtime/message.js';
import type { ContactAnswer, PositionAnswer, PositionMode } from './read-gate.js';
import type { ZoneDelta } from './store/zone-delta.js';

/**
 * How the state machine keeps the DNS actor's copy of the zones current. `reset`: replace
 * the whole copy with `deltas` (a dump) at `index`. Otherwise `deltas` are the changes of
 * the entries after `fromIndex` up to `index`; a copy not at `fromIndex` asks for a dump.
 */
export interface ZoneSync {
  readonly reset: boolean;
  readonly fromIndex: number;
  readonly index: number;
  readonly deltas: readonly ZoneDelta[];
}

export interface DnsListenerConfig {
  readonly host: string;
  /** 0 picks a free port (tests); the bound one is in the status. */
  readonly port: number;
  readonly mode: ReadMode;
}

export interface DnsServerStatus {
  readonly listeners: ReadonlyArray<{
    readonly address: string;
    readonly port: number;
    readonly family: 'IPv4' | 'IPv6';
    readonly mode: string;
  }>;
  /** The log index the copy of the zones reflects. */
  readonly appliedIndex: number;
  readonly zones: number;
  readonly heldQueries: number;
  readonly counters: Readonly<Record<string, number>>;
}

/** The DNS actor's inbox. */
export type DnsActorMessage =
  | ({ readonly type: 'zone-sync' } & ZoneSync)
  | ({ readonly type: 'status' } & Ask<DnsServerStatus>)
  // ---- from its sockets: the index of the listener in the options, and what happened ----
  | { readonly type: 'dns-socket'; readonly listener: number; readonly event: DnsSocketEvent }
  // ---- from itself: the answers to its requests, each handled in a turn ----
  | {
      readonly type: 'read-position';
      readonly mode: PositionMode;
      readonly round: number;
      readonly answer: PositionAnswer;
    }
  | { readonly type: 'contact'; readonly receivedAtMs: number; readonly answer: ContactAnswer }
  | ({ readonly type: 'zone-dump-result' } & (
      | { readonly dump: ZoneSync; readonly error: null }
      | { readonly dump: null; readonly error: string }
    ))
  | { readonly type: 'tick' };
