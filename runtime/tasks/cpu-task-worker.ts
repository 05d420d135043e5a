/** The piscina worker: runs one `CpuTask` and returns its result. */
import { createHash } from 'node:crypto';
import type { CpuTask } from './cpu-task.js';

export default function runCpuTask(task: CpuTask): string {
  switch (task.kind) {
    case 'sha256':
      return createHash('sha256').update(new Uint8Array(task.bytes)).digest('hex');
  }
}
