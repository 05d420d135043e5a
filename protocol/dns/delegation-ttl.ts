/**
 * The TTL of the NS RRsets the cluster publishes for each group's zone, at the apex and at
 * the parent's cut. A resolver may keep following an old delegation for this long (RFC 1034
 * §4.3.5 caching, RFC 2181 §8), which is why a moved zone stays served by its old group
 * for this long by default before that group deletes its copy.
 */
export const DELEGATION_TTL = 300;
