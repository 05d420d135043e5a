/**
 * The credentials files raftns's NATS clients read (`--nats-creds`): either NATS's own
 * `.creds` format (a user JWT and its nkey seed, for decentralised JWT accounts), or an
 * nkey user's seed alone, in the same armour, for servers that list nkey users in their
 * configuration (bootstrap/nats-credentials.ts writes those). The seed signs the server's
 * nonce at every connect; it never leaves the process.
 */

const SEED_BEGIN = '-----BEGIN USER NKEY SEED-----';
const SEED_END = '------END USER NKEY SEED------';
const JWT_MARKER = 'BEGIN NATS USER JWT';
/** A user seed: `SU` and 56 more base32 characters (an nkey seed is 58). */
const USER_SEED = /\bSU[A-Z2-7]{56}\b/u;
/** A credentials file is a few hundred bytes; anything far larger is not one. */
export const CREDENTIALS_FILE_BYTES_MAX = 16 * 1024;

export type ParsedCredentials =
  | { readonly kind: 'jwt' }
  | { readonly kind: 'nkey'; readonly seed: string }
  | { readonly kind: 'invalid'; readonly reason: string };

/** What kind of credentials `bytes` holds; never throws. */
export function parseCredentials(bytes: Uint8Array): ParsedCredentials {
  if (bytes.byteLength > CREDENTIALS_FILE_BYTES_MAX)
    return { kind: 'invalid', reason: `larger than ${CREDENTIALS_FILE_BYTES_MAX} bytes` };
  const text = new TextDecoder().decode(bytes);
  if (text.includes(JWT_MARKER)) return { kind: 'jwt' };
  const seed = USER_SEED.exec(text)?.[0];
  if (seed === undefined) return { kind: 'invalid', reason: 'neither a user JWT nor a user nkey seed' };
  return { kind: 'nkey', seed };
}

/** The text of an nkey credentials file: a comment naming what it is for, then the armoured seed. */
export function formatNkeyCredentials(seed: string, comment: string): string {
  if (!USER_SEED.test(seed)) throw new RangeError('not a NATS user nkey seed');
  const lines = comment.split('\n').map((line) => `# ${line}`);
  return `${lines.join('\n')}\n\n${SEED_BEGIN}\n${seed}\n${SEED_END}\n`;
}
