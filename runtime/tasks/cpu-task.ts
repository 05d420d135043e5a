/**
 * The stateless CPU-bound tasks that run on the piscina pool, one discriminated union.
 * A task belongs here when it is pure and heavy enough to be worth a thread hop: master
 * files of large zones, parsed (the text arrives as transferred UTF-8 bytes) and rendered.
 */
import type { ZoneFileResult } from '../../protocol/dns/master-file/zone-file.js';
import type { ZoneRrset } from '../../protocol/dns/zone-content.js';

export type CpuTask =
  | {
      readonly kind: 'parse-zone-file';
      /** The file's UTF-8 bytes (transfer the buffer). */
      readonly bytes: ArrayBuffer;
      /** The file's name, for errors. */
      readonly file: string;
      readonly zone: string;
    }
  | {
      readonly kind: 'render-zone-file';
      readonly zone: string;
      readonly rrsets: readonly ZoneRrset[];
      readonly comments: readonly string[];
    };

export type CpuTaskResult<T extends CpuTask> = T extends { kind: 'parse-zone-file' }
  ? ZoneFileResult
  : T extends { kind: 'render-zone-file' }
    ? string
    : never;
