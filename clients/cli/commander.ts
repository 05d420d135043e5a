/**
 * commander, as every `raftns` command loads it: through `require`. commander is a CommonJS
 * package, and an ES `import` of one goes through Node's CommonJS-to-ES translation (a lexer
 * pass over its source for the names it exports, then an ES facade), which took ≈ 15–18 ms of
 * each `raftns` start on 2 loaded cores where `require` takes none of it (docs/ARCHITECTURE.md,
 * "The CLI loads only the command it runs"). Both ways give the same module instance, so
 * `instanceof CommanderError` holds whichever way an error's class was loaded.
 */
import { createRequire } from 'node:module';
import type * as Commander from 'commander';

const commander = createRequire(import.meta.url)('commander') as typeof Commander;

export const { Command, CommanderError, Help, InvalidArgumentError } = commander;
export type Command = Commander.Command;
export type CommanderError = Commander.CommanderError;
export type Help = Commander.Help;
export type InvalidArgumentError = Commander.InvalidArgumentError;
