/**
 * `raftns resolve NAME [--type T] --root ADDR[:PORT][,...] [--port P] [--query-timeout MS]`:
 * resolves NAME iteratively from the given root servers and prints every step like
 * `dig +trace`, then the answer (the global `--json` prints the result and the trace as
 * JSON; the global `--timeout` is the deadline of the whole resolution).
 *
 * Exit codes: 0 an answer, 3 NXDOMAIN or NODATA, 1 any other failure (the error on stderr
 * as one line), 2 usage.
 */

import { parseRrType, RR_TYPE } from '../../protocol/dns/wire/codes.js';
import { type Name, parseName } from '../../protocol/dns/wire/name.js';
import { DEFAULT_PORT, DEFAULT_QUERY_TIMEOUT_MS, IterativeResolver } from '../resolver/iterative-resolver.js';
import { errorLine, resolutionToJson, resultToText, traceToText } from '../resolver/resolution-trace.js';
import {
  parseServerAddress,
  type ServerAddress,
  ServerAddressError,
} from '../resolver/resolver-transport.js';
import { type Command, InvalidArgumentError } from './commander.js';
import { EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK } from './exit-codes.js';

interface ResolveOptions {
  readonly type: number;
  readonly root: readonly ServerAddress[];
  readonly port: number;
  readonly queryTimeout: number;
}

/** The program options this command reads (defined in program.ts). */
interface GlobalResolveOptions {
  readonly timeout: number;
  readonly json: boolean;
}

function nameArgument(text: string): Name {
  const parsed = parseName(text);
  if (!parsed.ok) throw new InvalidArgumentError(parsed.error.message);
  return parsed.name;
}

function typeOption(text: string): number {
  const type = parseRrType(text);
  if (type === undefined) throw new InvalidArgumentError(`unknown record type "${text}"`);
  return type;
}

function rootsOption(text: string, previous: readonly ServerAddress[] | undefined): ServerAddress[] {
  try {
    const parsed = text
      .split(',')
      .filter((part) => part.trim() !== '')
      .map((part) => parseServerAddress(part, DEFAULT_PORT));
    if (parsed.length === 0) throw new InvalidArgumentError('expected at least one address');
    return [...(previous ?? []), ...parsed];
  } catch (error) {
    if (error instanceof ServerAddressError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

function portOption(text: string): number {
  const port = Number(text);
  if (!(Number.isInteger(port) && port >= 1 && port <= 0xffff))
    throw new InvalidArgumentError(`expected a port in 1..65535, got "${text}"`);
  return port;
}

function millisecondsOption(text: string): number {
  const ms = Number(text);
  if (!(Number.isInteger(ms) && ms >= 1))
    throw new InvalidArgumentError(`expected milliseconds >= 1, got "${text}"`);
  return ms;
}

/** Adds `resolve` to `program`, whose `--timeout` and `--json` options it reads. */
export function registerResolveCommand(program: Command): void {
  program
    .command('resolve')
    .description('resolve a name iteratively from root servers, step by step like dig +trace')
    .argument('<name>', 'the name to resolve (taken as absolute)', nameArgument)
    .option('--type <type>', 'record type (A, AAAA, MX, TXT, TYPE65534...)', typeOption, RR_TYPE.A)
    .requiredOption(
      '--root <addresses>',
      'root servers, ADDR[:PORT] or [IPV6]:PORT, comma-separated',
      rootsOption,
    )
    .option('--port <port>', 'the port of every server reached through a referral', portOption, DEFAULT_PORT)
    .option('--query-timeout <ms>', 'timeout of each query', millisecondsOption, DEFAULT_QUERY_TIMEOUT_MS)
    .action(async (name: Name, options: ResolveOptions) => {
      const globals = program.opts<GlobalResolveOptions>();
      const resolver = new IterativeResolver({
        roots: options.root,
        port: options.port,
        queryTimeoutMs: options.queryTimeout,
        deadlineMs: globals.timeout,
      });
      const resolution = await resolver.resolve(name, options.type);
      const { result } = resolution;
      if (globals.json) process.stdout.write(`${JSON.stringify(resolutionToJson(resolution))}\n`);
      else process.stdout.write(`${traceToText(resolution.trace)}\n${resultToText(result)}\n`);
      switch (result.kind) {
        case 'answer':
          process.exitCode = EXIT_OK;
          return;
        case 'nxdomain':
        case 'nodata':
          process.stderr.write(
            `raftns: ${result.name}: ${result.kind === 'nxdomain' ? 'NXDOMAIN' : 'NODATA'}\n`,
          );
          process.exitCode = EXIT_NOT_FOUND;
          return;
        default:
          process.stderr.write(`raftns: resolve ${name}: ${errorLine(result)}\n`);
          process.exitCode = EXIT_FAILED;
      }
    });
}
