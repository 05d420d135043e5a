/**
 * The values of `@nats-io/kv`, loaded through `require` as nats-transport.ts explains; its
 * types come from the package itself.
 */
import { createRequire } from 'node:module';
import type * as Kv from '@nats-io/kv';

const library = createRequire(import.meta.url)('@nats-io/kv') as typeof Kv;

export const { Kvm } = library;
export type Kvm = Kv.Kvm;
