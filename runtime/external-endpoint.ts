import type { ActorEnvironment } from './actor.js';
import { Endpoint } from './endpoint.js';
import { serializeError, UnknownActorError } from './errors.js';
import type { Frame } from './frames.js';
import type { MailboxConfig } from './mailbox.js';
import type { Message } from './message.js';

/** Main-thread code that takes one-way messages from actors (a subscription's updates). */
export type ExternalListener = (from: string, message: Message) => void;

/** The process's own code (main thread, edges) is linked to actors under this name. */
export const EXTERNAL_ENDPOINT = 'external';

/** What actors may queue at the external endpoint: replies only, bounded by its in-flight requests. */
export const EXTERNAL_MAILBOX: MailboxConfig = { capacityPerSender: 1024, policy: 'reject' };

/**
 * Lets code that is not an actor send to actors and ask them, with the same credits and
 * deadlines as actors have. One-way messages from actors go to the listeners (handled at
 * once, so the credit returns at once); an ask sent to it fails.
 */
export class ExternalEndpoint extends Endpoint {
  private readonly listeners = new Set<ExternalListener>();

  constructor(env: ActorEnvironment, maxInFlightRequests?: number) {
    super(EXTERNAL_ENDPOINT, env, maxInFlightRequests);
  }

  /** Hands every one-way message from an actor to `listener` until the returned function is called. */
  listen(listener: ExternalListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  receiveFrames(from: string, frames: readonly Frame[]): void {
    for (const frame of frames) {
      if (this.handleControlFrame(from, frame)) continue;
      if (frame.k === 'tell' || frame.k === 'ask') {
        this.pushControl(from, { k: 'credit', n: 1 });
        if (frame.k === 'tell') this.deliver(from, frame.body);
        if (frame.k === 'ask') {
          const error = serializeError(new UnknownActorError(EXTERNAL_ENDPOINT));
          this.pushControl(from, { k: 'reply', id: frame.id, ok: false, error });
        }
      }
    }
  }

  /** A listener that throws must not stop the frames behind it (nor the others): it is logged. */
  private deliver(from: string, message: Message): void {
    for (const listener of this.listeners) {
      try {
        listener(from, message);
      } catch (error) {
        this.env.log.error(
          { actor: from, type: message.type, err: String(error) },
          'external listener threw',
        );
      }
    }
  }
}
