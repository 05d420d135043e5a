/**
 * The default drain of a delete: longer than an iterative resolution takes from the
 * parent's referral to its query to the zone, so no resolution in flight when the
 * delegation goes meets a lame server. Resolvers that cached the delegation (up to its NS
 * TTL) get REFUSED afterwards, as from any provider that deletes a zone; a drain up to the
 * delegation's TTL (DELEGATION_TTL) covers them too, at the price of a delete that waits that long.
 */
export const DELETE_DRAIN_MS_DEFAULT = 5_000;
