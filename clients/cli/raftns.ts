#!/usr/bin/env node
/** The `raftns` command (package.json `bin`); see program.ts. */
import { run } from './program.js';

process.exitCode = await run(process.argv.slice(2));
