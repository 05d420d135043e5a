import type { ActorEnvironment } from './actor.js';
import { Endpoint } from './endpoint.js';
import { serializeError, UnknownActorError } from './errors.js';
import type { Frame } from './frames.js';
import type { MailboxConfig } from './mailbox.js';

/** The process's own code (main thread, edges) is linked to actors under this name. */
export const EXTERNAL_ENDPOINT = 'external';

/** What actors may queue at the external endpoint: replies only, bounded by its in-flight requests. */
export const EXTERNAL_MAILBOX: MailboxConfig = { capacityPerSender: 1024, policy: 'reject' };

/**
 * Lets code that is not an actor send to actors and ask them, with the same credits and
 * deadlines as actors have. It accepts no messages of its own: an ask sent to it fails.
 */
export class ExternalEndpoint extends Endpoint {
  constructor(env: ActorEnvironment, maxInFlightRequests?: number) {
    super(EXTERNAL_ENDPOINT, env, maxInFlightRequests);
  }

  receiveFrames(from: string, frames: readonly Frame[]): void {
    for (const frame of frames) {
      if (this.handleControlFrame(from, frame)) continue;
      if (frame.k === 'tell' || frame.k === 'ask') {
        this.pushControl(from, { k: 'credit', n: 1 });
        if (frame.k === 'ask') {
          const error = serializeError(new UnknownActorError(EXTERNAL_ENDPOINT));
          this.pushControl(from, { k: 'reply', id: frame.id, ok: false, error });
        }
      }
    }
  }
}
