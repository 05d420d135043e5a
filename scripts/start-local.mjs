#!/usr/bin/env node
// `npm start`: runs one supervised replica process in the foreground with a data dir
// under .raftns/ (git-ignored), until Ctrl-C. The 3-group local DNS cluster replaces this
// with the hierarchy issue; until then this shows the runtime an operator will run.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = join(root, '.raftns', 'data', 'local-1');
mkdirSync(dataDir, { recursive: true });
const args = [
  join(root, 'dist', 'runtime', 'main.js'),
  '--instance-id',
  'local-1',
  '--data-dir',
  dataDir,
  ...process.argv.slice(2),
];
console.error(`raftns: starting one replica process (data dir ${dataDir}); Ctrl-C stops it`);
const child = spawn(process.execPath, args, { stdio: 'inherit' });
const forward = (signal) => child.kill(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
