import type { Actor, ActorContext, ActorFactory } from '../../runtime/actor.js';
import type { Ask } from '../../runtime/message.js';
import { type KvStore, utf8 } from '../../runtime/storage/kv-store.js';

/**
 * Guards a data directory: the first start records which instance owns it and for which
 * group; every later start checks it is the same instance of the same group and counts the
 * boot. Pointing a replica at another instance's data, or starting it in another group
 * (a bootstrapped instance whose slot went to someone else while it was down claims
 * whichever slot is free), would make it vote with Raft state that is not its group's, so
 * either refuses to start. A record written before groups were recorded takes the group
 * of its next start.
 */
export interface IdentityOptions {
  readonly instanceId: string;
  readonly cluster: string;
  readonly region: string;
  readonly group: string;
}

export interface IdentityRecord {
  readonly instanceId: string;
  readonly cluster: string;
  readonly region: string;
  /** Absent in a record written before groups were recorded. */
  readonly group?: string;
  readonly bootCount: number;
}

export type IdentityMessage = { readonly type: 'identity' } & Ask<IdentityRecord>;

export class DataDirOfOtherGroupError extends Error {
  readonly code = 'DATA_DIR_OF_OTHER_GROUP';
  constructor(found: IdentityRecord, expected: IdentityOptions) {
    super(
      `data dir holds the Raft state of group ${found.group}, not of group ${expected.group} ` +
        `(instance ${expected.instanceId}): start this instance with an empty data dir`,
    );
    this.name = 'DataDirOfOtherGroupError';
  }
}

export class DataDirOwnedByOtherInstanceError extends Error {
  readonly code = 'DATA_DIR_OWNED_BY_OTHER_INSTANCE';
  constructor(found: IdentityRecord, expected: IdentityOptions) {
    super(
      `data dir belongs to instance ${found.instanceId} (cluster ${found.cluster}, region ${found.region}), ` +
        `not ${expected.instanceId} (cluster ${expected.cluster}, region ${expected.region})`,
    );
    this.name = 'DataDirOwnedByOtherInstanceError';
  }
}

export const IDENTITY_KEY = utf8('identity');

export function decodeIdentity(bytes: Uint8Array): IdentityRecord {
  const value = JSON.parse(new TextDecoder().decode(bytes)) as Partial<IdentityRecord>;
  if (
    typeof value.instanceId !== 'string' ||
    typeof value.cluster !== 'string' ||
    typeof value.region !== 'string' ||
    (value.group !== undefined && typeof value.group !== 'string') ||
    !Number.isInteger(value.bootCount)
  ) {
    throw new Error('identity record is corrupt');
  }
  return value as IdentityRecord;
}

class IdentityActor implements Actor<IdentityMessage> {
  private store: KvStore | undefined;
  private record: IdentityRecord | undefined;

  constructor(
    private readonly ctx: ActorContext<IdentityMessage>,
    private readonly options: IdentityOptions,
  ) {}

  async start(): Promise<void> {
    this.store = await this.ctx.openStore('identity');
    const stored = await this.store.get(IDENTITY_KEY);
    const previous = stored === undefined ? undefined : decodeIdentity(stored);
    if (
      previous !== undefined &&
      (previous.instanceId !== this.options.instanceId ||
        previous.cluster !== this.options.cluster ||
        previous.region !== this.options.region)
    ) {
      throw new DataDirOwnedByOtherInstanceError(previous, this.options);
    }
    if (previous?.group !== undefined && previous.group !== this.options.group)
      throw new DataDirOfOtherGroupError(previous, this.options);
    const record: IdentityRecord = { ...this.options, bootCount: (previous?.bootCount ?? 0) + 1 };
    await this.store.write([{ type: 'put', key: IDENTITY_KEY, value: utf8(JSON.stringify(record)) }], {
      sync: true,
    });
    this.record = record;
    this.ctx.log.info({ bootCount: record.bootCount }, 'data dir identity checked');
  }

  receive(message: IdentityMessage, meta: { reply: { ok(value: unknown): void } | undefined }): void {
    switch (message.type) {
      case 'identity':
        meta.reply?.ok(this.record);
        return;
    }
  }

  async stop(): Promise<void> {
    await this.store?.close();
  }

  inspect(): unknown {
    return this.record;
  }
}

export const createIdentityActor: ActorFactory<IdentityMessage, IdentityOptions> = (ctx, options) =>
  new IdentityActor(ctx, options);
