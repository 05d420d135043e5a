/** The names the Raft actors of one replica know each other by. */
export const ELECTION = 'election';
export const LOG = 'log';
export const STORAGE = 'storage';
export const STATE_MACHINE = 'state-machine';
/** The replica's DNS front (not a Raft actor: it reads what the state machine applied). */
export const DNS = 'dns';
