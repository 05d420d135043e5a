/**
 * The values of `@nats-io/jetstream`, loaded through `require` as nats-transport.ts explains;
 * its types come from the package itself.
 */
import { createRequire } from 'node:module';
import type * as Jetstream from '@nats-io/jetstream';

const library = createRequire(import.meta.url)('@nats-io/jetstream') as typeof Jetstream;

export const { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager } = library;
export type JetStreamApiError = Jetstream.JetStreamApiError;
