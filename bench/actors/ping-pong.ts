import type { Actor, ActorContext, ActorFactory, MessageMeta, Replier } from '../../runtime/actor.js';
import type { Ask } from '../../runtime/message.js';

/** Benchmark actors: a pinger that streams or ping-pongs to a ponger, timing itself. */
export interface ThroughputResult {
  readonly messages: number;
  readonly elapsedMs: number;
}

export type PingerMessage =
  | ({ readonly type: 'throughput'; readonly count: number } & Ask<ThroughputResult>)
  | ({ readonly type: 'latency'; readonly count: number } & Ask<number[]>)
  | { readonly type: 'resume' }
  | { readonly type: 'done' };

export type PongerMessage =
  | { readonly type: 'seq'; readonly n: number; readonly last: boolean }
  | ({ readonly type: 'ping'; readonly n: number } & Ask<number>);

class Pinger implements Actor<PingerMessage> {
  private stream: { count: number; next: number; startedMs: number; reply: Replier | undefined } | undefined;

  constructor(private readonly ctx: ActorContext<PingerMessage>) {}

  async receive(message: PingerMessage, meta: MessageMeta): Promise<void> {
    switch (message.type) {
      case 'throughput':
        this.stream = { count: message.count, next: 0, startedMs: this.ctx.clock.nowMs(), reply: meta.reply };
        this.pump();
        return;
      case 'resume':
        this.pump();
        return;
      case 'done': {
        const stream = this.stream;
        this.stream = undefined;
        stream?.reply?.ok({ messages: stream.count, elapsedMs: this.ctx.clock.nowMs() - stream.startedMs });
        return;
      }
      case 'latency': {
        const rtts: number[] = [];
        for (let n = 0; n < message.count; n++) {
          const started = this.ctx.clock.nowMs();
          await this.ctx.request('ponger', { type: 'ping', n } as PongerMessage, { timeoutMs: 5_000 });
          rtts.push(this.ctx.clock.nowMs() - started);
        }
        meta.reply?.ok(rtts);
        return;
      }
    }
  }

  /** Sends until the ponger's mailbox is full, then yields until credits return. */
  private pump(): void {
    const stream = this.stream;
    if (stream === undefined) return;
    while (stream.next < stream.count) {
      const n = stream.next;
      const result = this.ctx.send('ponger', { type: 'seq', n, last: n === stream.count - 1 });
      if (result.status !== 'sent') {
        this.ctx.after(0, { type: 'resume' });
        return;
      }
      stream.next++;
    }
  }
}

class Ponger implements Actor<PongerMessage> {
  constructor(private readonly ctx: ActorContext<PongerMessage>) {}

  receive(message: PongerMessage, meta: MessageMeta): void {
    if (message.type === 'ping') {
      meta.reply?.ok(message.n);
      return;
    }
    if (message.last) this.ctx.send('pinger', { type: 'done' });
  }
}

export const createPinger: ActorFactory<PingerMessage, unknown> = (ctx) => new Pinger(ctx);
export const createPonger: ActorFactory<PongerMessage, unknown> = (ctx) => new Ponger(ctx);
