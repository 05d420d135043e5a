/**
 * What the DNS listeners call for each query, and what they report. A handler answers
 * synchronously (the responder over a local zone) or later (a read mode that waits for a
 * read index); null means send nothing.
 */
import type { Logger } from '../../../runtime/log.js';
import type { DnsTransport } from './responder.js';

export type { DnsTransport } from './responder.js';

export interface DnsRemote {
  readonly address: string;
  readonly port: number;
}

export type DnsHandler = (
  query: Uint8Array,
  transport: DnsTransport,
  remote: DnsRemote,
) => Uint8Array | null | Promise<Uint8Array | null>;

/** The part of the logger the listeners use. */
export type DnsServerLogger = Pick<Logger, 'warn' | 'info'>;

/** A bound socket, as `host:port` text and parts (IPv6 hosts in brackets in the text). */
export interface BoundAddress {
  readonly transport: DnsTransport;
  readonly host: string;
  readonly port: number;
  readonly text: string;
}

export function addressText(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
