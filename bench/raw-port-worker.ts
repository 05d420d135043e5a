/**
 * The baseline: two worker threads on one raw MessageChannel, no runtime. The pinger
 * streams N messages (one postMessage each) or ping-pongs, and times itself.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';

interface RawWorkerData {
  readonly role: 'pinger' | 'ponger';
  readonly peer: MessagePort;
}
type RawMessage =
  | { readonly type: 'seq'; readonly n: number; readonly last: boolean }
  | { readonly type: 'ping'; readonly n: number }
  | { readonly type: 'pong'; readonly n: number }
  | { readonly type: 'done' };
type Command = { readonly type: 'throughput' | 'latency'; readonly count: number };

const { role, peer } = workerData as RawWorkerData;
const now = () => performance.now();

if (role === 'ponger') {
  peer.on('message', (message: RawMessage) => {
    if (message.type === 'ping') peer.postMessage({ type: 'pong', n: message.n });
    else if (message.type === 'seq' && message.last) peer.postMessage({ type: 'done' });
  });
} else {
  let onPeer: (message: RawMessage) => void = () => undefined;
  peer.on('message', (message: RawMessage) => onPeer(message));
  parentPort?.on('message', (command: Command) => {
    if (command.type === 'throughput') {
      const started = now();
      onPeer = (message) => {
        if (message.type === 'done')
          parentPort?.postMessage({ messages: command.count, elapsedMs: now() - started });
      };
      for (let n = 0; n < command.count; n++)
        peer.postMessage({ type: 'seq', n, last: n === command.count - 1 });
    } else {
      const rtts: number[] = [];
      let started = now();
      onPeer = (message) => {
        if (message.type !== 'pong') return;
        rtts.push(now() - started);
        if (rtts.length === command.count) {
          parentPort?.postMessage(rtts);
          return;
        }
        started = now();
        peer.postMessage({ type: 'ping', n: rtts.length });
      };
      peer.postMessage({ type: 'ping', n: 0 });
    }
  });
}
