/** The piscina worker: runs one `CpuTask` and returns its result. */
import { parseZoneFile, renderZoneFile } from '../../protocol/dns/master-file/zone-file.js';
import type { CpuTask, CpuTaskResult } from './cpu-task.js';

const utf8 = new TextDecoder('utf-8', { fatal: false });

export default function runCpuTask(task: CpuTask): CpuTaskResult<CpuTask> {
  switch (task.kind) {
    case 'parse-zone-file':
      return parseZoneFile(utf8.decode(new Uint8Array(task.bytes)), task.file, task.zone);
    case 'render-zone-file':
      return renderZoneFile(task.zone, task.rrsets, task.comments);
  }
}
