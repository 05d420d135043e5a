/**
 * How the CLI reaches NATS: the URLs of `--nats` and the credentials of `--nats-creds`
 * (env `RAFTNS_NATS_CREDS`), or else the admin credentials `npm start` generated
 * (`.raftns/nats/admin.creds`, relative to the working directory) when that file exists.
 * Without any, the CLI connects anonymously, which only an unauthenticated server accepts.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const LOCAL_ADMIN_CREDENTIALS = join('.raftns', 'nats', 'admin.creds');

export interface NatsGlobals {
  readonly nats: string;
  /** `--nats-creds`, which defaults to `RAFTNS_NATS_CREDS`. */
  readonly natsCreds?: string;
}

/** The credentials file the CLI uses, if any. */
export function cliCredentialsFile(globals: NatsGlobals): string | undefined {
  if (globals.natsCreds !== undefined && globals.natsCreds !== '') return globals.natsCreds;
  return existsSync(LOCAL_ADMIN_CREDENTIALS) ? LOCAL_ADMIN_CREDENTIALS : undefined;
}

function urls(globals: NatsGlobals): string[] {
  return globals.nats.split(',').map((url) => url.trim());
}

/** The `connectNats` options of the globals. */
export function natsConnectOptions(globals: NatsGlobals): { urls: string[]; credsFile?: string } {
  const credsFile = cliCredentialsFile(globals);
  return credsFile === undefined ? { urls: urls(globals) } : { urls: urls(globals), credsFile };
}

/** The `RaftClient.connect` options of the globals. */
export function raftClientNatsOptions(globals: NatsGlobals): { natsUrls: string[]; natsCredsFile?: string } {
  const credsFile = cliCredentialsFile(globals);
  return credsFile === undefined
    ? { natsUrls: urls(globals) }
    : { natsUrls: urls(globals), natsCredsFile: credsFile };
}
