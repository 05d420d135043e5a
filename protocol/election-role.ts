/** A replica's role in its group's current term (Raft §5.2; PreVote, thesis §9.6). */
export type ElectionRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';
