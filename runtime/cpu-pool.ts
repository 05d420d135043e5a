import { Piscina } from 'piscina';
import type { CpuTask, CpuTaskResult } from './tasks/cpu-task.js';

export interface CpuPoolOptions {
  readonly maxThreads: number;
  /** Tasks waiting beyond this are refused at once rather than queued without bound. */
  readonly maxQueue: number;
}

export class CpuPoolFullError extends Error {
  readonly code = 'CPU_POOL_FULL';
  constructor(limit: number) {
    super(`cpu pool has ${limit} tasks running or queued; refusing more`);
    this.name = 'CpuPoolFullError';
  }
}

export class CpuPoolTimeoutError extends Error {
  readonly code = 'CPU_TASK_TIMEOUT';
  constructor(kind: string, timeoutMs: number) {
    super(`cpu task ${kind} did not finish within ${timeoutMs} ms`);
    this.name = 'CpuPoolTimeoutError';
  }
}

/**
 * A piscina pool for stateless CPU-bound work, so parsing or encoding never stalls an
 * actor's turn. Bounded queue, a deadline on every task, inputs transferred.
 */
export class CpuPool {
  private readonly pool: Piscina;
  /** Our own bound: piscina enforces `maxQueue` only once its queue is non-empty. */
  private readonly limit: number;
  private inFlight = 0;

  constructor(options: CpuPoolOptions) {
    this.limit = options.maxThreads + options.maxQueue;
    this.pool = new Piscina({
      filename: new URL('./tasks/cpu-task-worker.js', import.meta.url).href,
      minThreads: options.maxThreads,
      maxThreads: options.maxThreads,
      maxQueue: options.maxQueue,
      idleTimeout: 30_000,
    });
  }

  async run<T extends CpuTask>(
    task: T,
    options: { readonly timeoutMs: number; readonly transfer?: ArrayBuffer[] },
  ) {
    if (this.inFlight >= this.limit) throw new CpuPoolFullError(this.limit);
    this.inFlight++;
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new CpuPoolTimeoutError(task.kind, options.timeoutMs)),
      options.timeoutMs,
    );
    try {
      return (await this.pool.run(task, {
        transferList: options.transfer ?? [],
        signal: abort.signal,
      })) as CpuTaskResult<T>;
    } catch (error) {
      if (abort.signal.aborted) throw abort.signal.reason;
      throw error;
    } finally {
      this.inFlight--;
      clearTimeout(timer);
    }
  }

  get tasksInFlight(): number {
    return this.inFlight;
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}
