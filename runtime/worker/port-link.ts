import type { MessagePort } from 'node:worker_threads';
import type { Frame, FramePort } from '../frames.js';

/** A link carried by a `MessagePort`: one `postMessage` per batch, transferables moved. */
export function portFramePort(port: MessagePort): FramePort {
  return {
    post(frames, transfer) {
      port.postMessage(frames, transfer);
    },
  };
}

/** Feeds every batch that arrives on `port` to `receive`. */
export function listenForFrames(port: MessagePort, receive: (frames: readonly Frame[]) => void): void {
  port.on('message', (frames: readonly Frame[]) => receive(frames));
}
