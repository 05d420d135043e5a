import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { DestinationStream } from 'pino';
import { createLogger } from '../../runtime/pino-logger.js';

function memoryDestination(): DestinationStream & { lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  return {
    write(msg: string) {
      chunks.push(msg);
    },
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('runtime/pino-logger', () => {
  it('writes one JSON object per line with level name, ISO time, pid, base fields and msg', () => {
    const destination = memoryDestination();
    const log = createLogger({
      level: 'info',
      fields: { replica: 'r1', group: 'org', region: 'eu' },
      destination,
    });
    log.info({ index: 7 }, 'applied');
    const [line, ...rest] = destination.lines();
    expect(rest).to.have.length(0);
    expect(line).to.include({
      level: 'info',
      replica: 'r1',
      group: 'org',
      region: 'eu',
      index: 7,
      msg: 'applied',
      pid: process.pid,
    });
    expect(line?.time).to.be.a('string');
    expect(Number.isNaN(Date.parse(String(line?.time)))).to.equal(false);
  });

  it('drops lines below the level and keeps those at or above it', () => {
    const destination = memoryDestination();
    const log = createLogger({ level: 'warn', destination });
    log.debug({}, 'd');
    log.info({}, 'i');
    log.warn({}, 'w');
    log.error({}, 'e');
    log.fatal({}, 'f');
    expect(destination.lines().map((line) => [line.level, line.msg])).to.deep.equal([
      ['warn', 'w'],
      ['error', 'e'],
      ['fatal', 'f'],
    ]);
  });

  it('writes debug lines at level debug, and nothing at level silent', () => {
    const debug = memoryDestination();
    createLogger({ level: 'debug', destination: debug }).debug({ actor: 'log' }, 'tick');
    expect(debug.lines().map((line) => line.level)).to.deep.equal(['debug']);

    const silent = memoryDestination();
    const log = createLogger({ level: 'silent', destination: silent });
    log.fatal({}, 'never');
    log.child({ actor: 'x' }).error({}, 'never');
    expect(silent.lines()).to.deep.equal([]);
  });

  it('child loggers add fields, nest, and leave the parent unchanged', () => {
    const destination = memoryDestination();
    const root = createLogger({ level: 'info', fields: { replica: 'r1' }, destination });
    const election = root.child({ actor: 'election' });
    const inTerm = election.child({ term: 3 });
    inTerm.warn({ votedFor: 'r2' }, 'voted');
    root.info({}, 'root line');
    const [child, parent] = destination.lines();
    expect(child).to.include({ replica: 'r1', actor: 'election', term: 3, votedFor: 'r2', msg: 'voted' });
    expect(parent).to.include({ replica: 'r1', msg: 'root line' });
    expect(parent).to.not.have.property('actor');
    expect(parent).to.not.have.property('term');
  });

  it('leaves out undefined base fields, serializes errors under err, and writes bigints', () => {
    const destination = memoryDestination();
    const log = createLogger({ level: 'info', fields: { replica: 'r1', group: undefined }, destination });
    log.error({ err: new Error('disk full'), term: 12n }, 'append failed');
    const [line] = destination.lines();
    expect(line).to.not.have.property('group');
    expect(line?.term).to.equal(12);
    expect(line?.err).to.include({ type: 'Error', message: 'disk full' });
  });

  it('rejects an unknown level', () => {
    expect(() => createLogger({ level: 'verbose', destination: memoryDestination() })).to.throw(
      RangeError,
      /unknown log level "verbose"/,
    );
  });

  it('by default writes straight to fd 1, from a worker thread, before the process exits', async () => {
    const moduleUrl = new URL('../../runtime/pino-logger.js', import.meta.url).href;
    // The worker logs and the main thread exits at once: output through the proxied
    // process.stdout of a worker would be lost, a synchronous fd-1 write is not.
    const workerSource = `
      import(${JSON.stringify(moduleUrl)}).then(({ createLogger }) => {
        const log = createLogger({ level: 'info', fields: { replica: 'w1' } });
        for (let i = 0; i < 100; i++) log.info({ actor: 'worker', i }, 'from worker');
        require('node:worker_threads').parentPort.postMessage('done');
      });
    `;
    const mainSource = `
      const { Worker } = require('node:worker_threads');
      const worker = new Worker(${JSON.stringify(workerSource)}, { eval: true });
      worker.on('message', () => process.exit(0));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', mainSource], {
      cwd: fileURLToPath(new URL('./', import.meta.url)),
      timeout: 20_000,
    });
    const lines = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).to.have.length(100);
    expect(lines[99]).to.include({
      level: 'info',
      replica: 'w1',
      actor: 'worker',
      i: 99,
      msg: 'from worker',
    });
  });
});
