import type { TransferListItem } from 'node:worker_threads';
import type { SerializedError } from './errors.js';
import type { Message } from './message.js';

/** Objects moved, not copied, to the receiving thread (ArrayBuffers, MessagePorts). */
export type Transferable = TransferListItem;

/**
 * What travels on a link between two actors. Links batch frames: one `post` carries every
 * frame a turn produced for that peer.
 */
export type Frame =
  /** A one-way message; consumes one credit at the receiver. */
  | { readonly k: 'tell'; readonly body: Message }
  /** A message expecting exactly one `reply`; consumes one credit at the receiver. */
  | { readonly k: 'ask'; readonly id: number; readonly body: Message }
  /** The answer to `ask` `id`; bounded by the asker's in-flight limit, so it takes no credit. */
  | { readonly k: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly k: 'reply'; readonly id: number; readonly ok: false; readonly error: SerializedError }
  /** The receiver consumed `n` messages from this sender: the sender may send `n` more. */
  | { readonly k: 'credit'; readonly n: number };

export type MessageFrame = Extract<Frame, { k: 'tell' | 'ask' }>;
export type ReplyFrame = Extract<Frame, { k: 'reply' }>;

/** The raw carrier of a link: a `MessagePort` in production, a queue in the simulator. */
export interface FramePort {
  post(frames: Frame[], transfer: Transferable[]): void;
}
