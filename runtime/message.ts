/**
 * Every actor's inbox is one discriminated union on `type`.
 * A message that expects an answer declares its reply type with `Ask<R>`, so
 * `ctx.request(to, msg)` infers the reply type from the message itself.
 */
export interface Message {
  readonly type: string;
}

/** Phantom marker: a message of this type is answered with an `R`. Never set at run time. */
export interface Ask<R> {
  readonly __reply?: R;
}

export type ReplyOf<M> = M extends Ask<infer R> ? R : never;

/** Actors address each other by name, unique within one replica (e.g. `log`, `storage`). */
export type ActorName = string;

/** The member of union `U` whose `type` is `T`: `ctx.request<MessageOf<StorageMessage, 'load'>>(...)`. */
export type MessageOf<U extends Message, T extends U['type']> = Extract<U, { readonly type: T }>;
