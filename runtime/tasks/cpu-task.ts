/**
 * The stateless CPU-bound tasks that run on the piscina pool, one discriminated union.
 * A task belongs here when it is pure and heavy enough to be worth a thread hop.
 */
export type CpuTask = { readonly kind: 'sha256'; readonly bytes: ArrayBuffer };

export type CpuTaskResult<T extends CpuTask> = T extends { kind: 'sha256' } ? string : never;
