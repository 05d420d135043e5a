/** How a read is served (thesis §6.4; DESIGN.md §4 "Reads"). */
export type ReadMode =
  | { readonly kind: 'linearizable' }
  | { readonly kind: 'lease' }
  | { readonly kind: 'bounded'; readonly maxStaleMs: number };
