/**
 * The stateless CPU-bound tasks that run on the piscina pool, one discriminated union.
 * Later: zone-file parsing, snapshot encoding and compression, DNSSEC signing.
 */
export type CpuTask = { readonly kind: 'sha256'; readonly bytes: ArrayBuffer };

export type CpuTaskResult<T extends CpuTask> = T extends { kind: 'sha256' } ? string : never;
