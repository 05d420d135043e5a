/**
 * The values of `@nats-io/transport-node` (the NATS client), loaded through `require`; its
 * types come from the package itself. The NATS packages are CommonJS, and an ES `import` of
 * one goes through Node's CommonJS-to-ES translation, which lexes the package's entry and
 * every file it re-exports for their export names: with the JetStream and KV packages
 * (nats-jetstream.ts, nats-kv.ts) ≈ 30 ms of each `raftns` command that talks to NATS, on 2
 * loaded cores, that `require` does not spend (docs/ARCHITECTURE.md, "The CLI loads only
 * the command it runs"). Both ways give the same module instance, so `instanceof` holds
 * whichever way a class was loaded.
 */
import { createRequire } from 'node:module';
import type * as Transport from '@nats-io/transport-node';

const transport = createRequire(import.meta.url)('@nats-io/transport-node') as typeof Transport;

export const {
  ClosedConnectionError,
  connect,
  DrainingConnectionError,
  nkeys,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
} = transport;
export type ClosedConnectionError = Transport.ClosedConnectionError;
export type DrainingConnectionError = Transport.DrainingConnectionError;
export type NoRespondersError = Transport.NoRespondersError;
export type PermissionViolationError = Transport.PermissionViolationError;
export type RequestError = Transport.RequestError;
export type TimeoutError = Transport.TimeoutError;
