#!/usr/bin/env node
// `npm start`: runs one supervised replica process (a single-replica Raft group) in the
// foreground with a data dir under .raftns/ (git-ignored), until Ctrl-C. A replica talks to
// its peers and clients over NATS: if nothing listens on 127.0.0.1:4222, a nats-server is
// started there for the session (and stopped with it). The 3-group local DNS cluster
// replaces this with the hierarchy issue; until then this shows the runtime an operator will run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = join(root, '.raftns', 'data', 'local-1');
mkdirSync(dataDir, { recursive: true });

const listening = (port) =>
  new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Finds nats-server; on a fresh Debian/Ubuntu machine, as root, installs it first. */
function natsBinary() {
  const found = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find(
    existsSync,
  );
  if (found !== undefined) return found;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.error('raftns: installing nats-server (apt-get)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '-qq', 'nats-server'], { stdio: 'inherit', env });
    if (existsSync('/usr/sbin/nats-server')) return '/usr/sbin/nats-server';
  }
  console.error(
    'raftns: nats-server is not installed; install it (Debian/Ubuntu: sudo apt-get install nats-server)',
  );
  process.exit(1);
}

let nats;
if (!(await listening(4222))) {
  const binary = natsBinary();
  console.error('raftns: starting nats-server on 127.0.0.1:4222');
  nats = spawn(binary, ['-a', '127.0.0.1', '-p', '4222'], { stdio: 'ignore' });
  nats.once('error', (error) => {
    console.error(`raftns: cannot start nats-server (${error.message}); install it (Debian: nats-server)`);
    process.exit(1);
  });
  const deadline = Date.now() + 10_000;
  while (!(await listening(4222))) {
    if (Date.now() > deadline) {
      console.error('raftns: nats-server did not start listening on 127.0.0.1:4222');
      nats.kill('SIGKILL');
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const args = [
  join(root, 'dist', 'runtime', 'main.js'),
  '--instance-id',
  'local-1',
  '--data-dir',
  dataDir,
  '--nats',
  'nats://127.0.0.1:4222',
  ...process.argv.slice(2),
];
console.error(`raftns: starting one replica process (data dir ${dataDir}); Ctrl-C stops it`);
const child = spawn(process.execPath, args, { stdio: 'inherit' });
const forward = (signal) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => {
  nats?.kill('SIGTERM');
  process.exit(code ?? (signal ? 1 : 0));
});
